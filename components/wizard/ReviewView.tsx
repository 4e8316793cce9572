// Review step: the profile as YAML (scrolled with PgUp/PgDn) and every problem validateProfile reports. Saving is
// offered only when there are none. Render only.
import React from 'react';
import { Box, Text } from 'ink';
import { Choice } from '../Choice.js';
import { formatIssue, type ProfileIssue } from '../../src/errors.js';
import { glyphs, theme } from '../theme.js';

export interface ReviewViewProps {
  readonly yamlLines: readonly string[];
  readonly scroll: number;
  readonly height: number;
  readonly issues: readonly ProfileIssue[];
  /** Said before saving, though they do not block it (e.g. a release file kubeup cannot verify). */
  readonly warnings?: readonly string[];
  /** Fields the wizard does not ask for, with where they are set. */
  readonly elsewhere?: readonly string[];
  /** What the SSH config file gives the hosts (aliases, users, ports, keys, ProxyJump). */
  readonly sshConfigNotes?: readonly string[];
  readonly isActive: boolean;
  onChoose(choice: 'save' | 'back'): void;
}

export function ReviewView(props: ReviewViewProps) {
  const visible = props.yamlLines.slice(props.scroll, props.scroll + props.height);
  const below = props.yamlLines.length - props.scroll - visible.length;
  const items = props.issues.length
    ? [{ label: 'Back (fix the problems listed)', value: 'back' as const }]
    : [
        { label: 'Save under a name', value: 'save' as const },
        { label: 'Back', value: 'back' as const },
      ];
  return (
    <Box flexDirection="column">
      <Box flexDirection="column" borderStyle="single" paddingX={1}>
        {visible.map((line, i) => (
          <Text key={i} wrap="truncate-end">
            {line || ' '}
          </Text>
        ))}
      </Box>
      <Text {...theme.help}>
        lines {props.scroll + 1}-{props.scroll + visible.length} of {props.yamlLines.length}
        {below > 0 || props.scroll > 0 ? ' · PgUp/PgDn scroll' : ''}
      </Text>
      {props.issues.length === 0 ? (
        <Box flexDirection="column">
          <Text {...theme.success}>{glyphs.ok} the profile is valid</Text>
          {(props.warnings ?? []).map((w) => (
            <Text key={w} {...theme.error}>
              {w}
            </Text>
          ))}
        </Box>
      ) : (
        <Box flexDirection="column">
          <Text {...theme.error}>
            {props.issues.length === 1 ? '1 problem: saving is blocked until it is fixed' : `${props.issues.length} problems: saving is blocked until they are fixed`}
          </Text>
          {props.issues.map((issue) => (
            <Text key={`${issue.path}:${issue.message}`} {...theme.error}>
              {glyphs.error} {formatIssue(issue)}
            </Text>
          ))}
        </Box>
      )}
      {(props.elsewhere ?? []).length > 0 && <Text {...theme.help}>Not asked here (edit the exported profile file, see the README): {props.elsewhere!.join(', ')}</Text>}
      {props.sshConfigNotes?.length ? (
        <Box flexDirection="column">
          <Text {...theme.help}>From the SSH config (the profile's own fields win):</Text>
          {props.sshConfigNotes.map((note) => (
            <Text key={note} {...theme.help} wrap="truncate-end">
              {'  '}
              {note}
            </Text>
          ))}
        </Box>
      ) : null}
      <Choice key={items.length} items={items} isFocused={props.isActive} onSelect={(value) => props.onChoose(value)} />
      <Text {...theme.help}>↑/↓ move · Enter choose · Esc back · Ctrl-C quit</Text>
    </Box>
  );
}
