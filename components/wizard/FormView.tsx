// One form: a row per field, the message under a field that is wrong, then Continue and Back. Render only.
import React from 'react';
import { Box, Text } from 'ink';
import { Choice } from '../Choice.js';
import { formatIssue, type ProfileIssue } from '../../src/errors.js';
import type { Role } from '../../src/profile/types.js';
import { glyphs, theme } from '../theme.js';
import { rolesLabel } from './draft.js';
import type { FieldDef, FieldValue } from './fields.js';
import { TextField } from './TextField.js';

export const ROLE_CHOICES: readonly { label: string; value: string; roles: Role[] }[] = [
  { label: 'master+worker (ai)', value: 'ai', roles: ['master', 'worker'] },
  { label: 'master (a)', value: 'a', roles: ['master'] },
  { label: 'worker (i)', value: 'i', roles: ['worker'] },
];

export interface FormViewProps {
  readonly fields: readonly FieldDef[];
  readonly values: Readonly<Record<string, FieldValue>>;
  /** Messages to show now, by field key. */
  readonly errors: Readonly<Record<string, string>>;
  readonly formIssues: readonly ProfileIssue[];
  readonly focus: number;
  readonly choosing: boolean;
  readonly isActive: boolean;
  readonly continueLabel: string;
  readonly backLabel: string;
  onEdit(key: string, value: string): void;
  onChooseRoles(roles: Role[]): void;
}

function FieldRow(props: {
  field: FieldDef;
  value: FieldValue;
  focused: boolean;
  labelWidth: number;
  onEdit(value: string): void;
}) {
  const { field, value, focused, labelWidth } = props;
  let shown: React.ReactNode;
  if (field.kind === 'toggle') shown = <Text>{value ? `${glyphs.on} yes` : `${glyphs.off} no`}</Text>;
  else if (field.kind === 'roles') shown = <Text>{rolesLabel(value as Role[])}</Text>;
  else if (field.kind === 'choice') shown = <Text>{focused ? `‹ ${String(value)} ›` : String(value)}</Text>;
  else if (focused) {
    shown = <TextField key={field.key} value={String(value)} {...(field.placeholder !== undefined && { placeholder: field.placeholder })} focus onChange={props.onEdit} />;
  } else if (String(value) === '' && field.placeholder) shown = <Text {...theme.placeholder}>{field.placeholder}</Text>;
  else shown = <Text>{String(value)}</Text>;
  return (
    <Box>
      <Text {...(focused ? theme.focused : {})}>{focused ? `${glyphs.pointer} ` : '  '}</Text>
      <Box width={labelWidth} flexShrink={0}>
        <Text {...(focused ? theme.focused : theme.label)}>{field.label}</Text>
      </Box>
      {shown}
    </Box>
  );
}

function ActionRow(props: { label: string; focused: boolean }) {
  return (
    <Text {...(props.focused ? theme.focused : {})}>
      {props.focused ? `${glyphs.pointer} ` : '  '}[ {props.label} ]
    </Text>
  );
}

export function FormView(props: FormViewProps) {
  const labelWidth = Math.max(...props.fields.map((f) => f.label.length)) + 2;
  const focusedField = props.fields[props.focus];
  return (
    <Box flexDirection="column">
      {props.fields.map((field, i) => {
        const focused = props.isActive && i === props.focus;
        const error = props.errors[field.key];
        return (
          <Box key={field.key} flexDirection="column">
            <FieldRow field={field} value={props.values[field.key] ?? ''} focused={focused} labelWidth={labelWidth} onEdit={(v) => props.onEdit(field.key, v)} />
            {error !== undefined && (
              <Box marginLeft={labelWidth + 2}>
                <Text {...theme.error}>
                  {glyphs.error} {error}
                </Text>
              </Box>
            )}
            {focused && field.kind === 'roles' && props.choosing && (
              <Box marginLeft={labelWidth + 2}>
                <Choice
                  isFocused
                  items={ROLE_CHOICES.map(({ label, value }) => ({ label, value }))}
                  initialIndex={Math.max(0, ROLE_CHOICES.findIndex((c) => c.label === rolesLabel(props.values.roles as Role[])))}
                  onSelect={(value) => props.onChooseRoles(ROLE_CHOICES.find((c) => c.value === value)!.roles)}
                />
              </Box>
            )}
          </Box>
        );
      })}
      {props.formIssues.map((issue) => (
        <Text key={`${issue.path}:${issue.message}`} {...theme.error}>
          {glyphs.error} {formatIssue(issue)}
        </Text>
      ))}
      <ActionRow label={props.continueLabel} focused={props.isActive && props.focus === props.fields.length} />
      <ActionRow label={props.backLabel} focused={props.isActive && props.focus === props.fields.length + 1} />
      <Text {...theme.help}>{helpFor(focusedField)}</Text>
    </Box>
  );
}

function helpFor(field: FieldDef | undefined): string {
  const rest = '↑/↓ move · Esc back · Ctrl-C quit';
  if (field?.kind === 'toggle') return `Space toggles · Enter next · ${rest}`;
  if (field?.kind === 'roles') return `Enter opens the role list · ${rest}`;
  if (field?.kind === 'choice') return `Space/←/→ change (${field.options?.join(', ')}) · Enter next · ${rest}`;
  if (field) return `Enter next · ${rest}`;
  return `Enter choose · ${rest}`;
}
