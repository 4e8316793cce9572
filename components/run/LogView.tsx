// The focused host's whole log as the store kept it (status lines and remote output), newest at the bottom, with
// the path of its complete log file.
import React from 'react';
import { Box, Text } from 'ink';
import type { HostView } from '../../src/tasks/run-store.js';
import { HostHeading } from './HostPane.js';
import { hostLogPath } from './selectors.js';
import type { RunTheme } from './theme.js';

export interface LogViewProps {
  readonly host: HostView;
  readonly logDir?: string;
  readonly width: number;
  /** Rows for the log lines themselves. */
  readonly rows: number;
  readonly theme: RunTheme;
}

export function logLines(host: HostView): { text: string; kind: 'status' | 'stdout' | 'stderr' | 'error' }[] {
  const lines = host.lines.map((l) => ({ kind: l.stream, text: l.stream === 'stdout' ? `| ${l.text}` : l.stream === 'stderr' ? `! ${l.text}` : l.text }));
  const error = host.error === undefined ? [] : host.error.split('\n').map((text) => ({ kind: 'error' as const, text }));
  return [...lines, ...error];
}

export function LogView({ host, logDir, width, rows, theme }: LogViewProps) {
  const all = logLines(host);
  const shown = all.slice(Math.max(0, all.length - rows));
  return (
    <Box flexDirection="column" width={width}>
      <HostHeading host={host} focused theme={theme} />
      <Text wrap="truncate-end" {...theme.dim}>
        {all.length > shown.length ? `last ${shown.length} of ${all.length} lines kept; ` : ''}
        {logDir ? `full log: ${hostLogPath(logDir, host.id)}` : 'the full log is in the run folder'}
      </Text>
      {shown.length === 0 ? <Text {...theme.dim}>no output yet</Text> : null}
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate-end" {...(l.kind === 'error' ? theme.error : l.kind === 'stderr' ? theme.stderr : l.kind === 'status' ? {} : theme.dim)}>
          {l.text || ' '}
        </Text>
      ))}
    </Box>
  );
}
