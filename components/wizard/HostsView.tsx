// Hosts step: the host list with Add / Continue / Back, a host's Edit/Remove menu. Render only.
import React from 'react';
import { Box, Text } from 'ink';
import { Choice } from '../Choice.js';
import { formatIssue, type ProfileIssue } from '../../src/errors.js';
import { glyphs, theme } from '../theme.js';
import { rolesLabel, type HostDraft } from './draft.js';
import type { HostsChoice } from './use-wizard-state.js';

export function hostLine(h: HostDraft): string {
  const name = h.nodeName.trim() ? `  node ${h.nodeName.trim()}` : '';
  return `${h.user}@${h.address}:${h.port}  ${rolesLabel(h.roles)}${name}`;
}

export interface HostsListProps {
  readonly hosts: readonly HostDraft[];
  readonly issues: readonly ProfileIssue[];
  /** Address of a host whose editor was left unsaved (what was typed is kept). */
  readonly parked?: string;
  /** Rows the list may take; a longer list scrolls. */
  readonly height: number;
  readonly isActive: boolean;
  onChoose(choice: HostsChoice): void;
}

export function HostsList(props: HostsListProps) {
  // Digits pick the n-th row shown; numbers in the labels would lie once a long list scrolls.
  const numbered = props.hosts.length + 3 <= props.height;
  const items: { label: string; value: HostsChoice }[] = [
    ...props.hosts.map((h, i) => ({ label: `${numbered ? `${i + 1}. ` : ''}${hostLine(h)}`, value: `host:${i}` as const })),
    { label: '+ Add a host', value: 'add' },
    { label: 'Continue', value: 'continue' },
    { label: 'Back (quit)', value: 'back' },
  ];
  return (
    <Box flexDirection="column">
      <Text>
        {props.hosts.length === 0
          ? 'No hosts yet. Add the machines of the cluster: one master (a), and workers (i); one host may be both (ai).'
          : 'Choose a host to edit or remove it, or add another.'}
      </Text>
      {props.issues.map((issue) => (
        <Text key={`${issue.path}:${issue.message}`} {...theme.error}>
          {glyphs.error} {formatIssue(issue)}
        </Text>
      ))}
      {props.parked !== undefined && (
        <Text {...theme.help}>Unsaved edits of a host ({props.parked}) are kept: open it again to go on.</Text>
      )}
      <Box marginTop={1}>
        <Choice
          // Remounted when the list changes, so the cursor lands on "Add a host" again.
          key={items.map((i) => i.label).join('\n')}
          items={items}
          initialIndex={props.hosts.length}
          limit={props.height}
          isFocused={props.isActive}
          onSelect={(value) => props.onChoose(value)}
        />
      </Box>
      <Text {...theme.help}>↑/↓ move · Enter choose · Esc quit · Ctrl-C quit</Text>
    </Box>
  );
}

export interface HostMenuProps {
  readonly host: HostDraft;
  readonly isActive: boolean;
  onChoose(choice: 'edit' | 'remove' | 'back'): void;
}

export function HostMenu(props: HostMenuProps) {
  const items = [
    { label: 'Edit', value: 'edit' as const },
    { label: 'Remove', value: 'remove' as const },
    { label: 'Back', value: 'back' as const },
  ];
  return (
    <Box flexDirection="column">
      <Text>{hostLine(props.host)}</Text>
      <Choice items={items} isFocused={props.isActive} onSelect={(value) => props.onChoose(value)} />
    </Box>
  );
}
