// One host as a bordered pane: who it is, what it does now, its checklist of steps with the time each took, its
// counts and upload, and the last lines of the running step's output. A failed host's pane turns red and shows the
// line of the error that says why. Every line keeps its place: the node name comes after the roles, so it does not
// push them when preflight learns it.
import React from 'react';
import { Box, Text } from 'ink';
import { hostNeutral } from '../../src/tasks/host-ranges.js';
import { formatBytes } from '../../src/tasks/records.js';
import type { HostStep, HostView } from '../../src/tasks/run-store.js';
import { errorExcerpt, formatDuration } from './format.js';
import { PANE_HEIGHT } from './layout.js';
import { currentStepText, errorLineOf, hostState, nodeNameOf, remoteTail, roleText, shortPhase, versionMove } from './selectors.js';
import { runGlyphs, type RunTheme } from './theme.js';
import { TransferBar } from './TransferBar.js';

export interface HostPaneProps {
  readonly host: HostView;
  readonly width: number;
  readonly focused: boolean;
  readonly theme: RunTheme;
  /** Lines of the error shown when the host failed; the pane grows past its usual height when this is above 3. */
  readonly errorLines?: number;
  /** Shown instead of the host's own address: several hosts that failed alike share one pane. */
  readonly title?: string;
}

/** Rows inside the border. */
const CONTENT = PANE_HEIGHT - 2;

/** "deploy@, sudo asks a password": why this host may be slower than the others. */
function loginNote(host: HostView): string {
  if (!host.user || host.user === 'root') return '';
  return `  ${host.user}@${host.sudoPassword ? ', sudo with password' : ''}`;
}

export function HostHeading({ host, focused, theme, title }: Pick<HostPaneProps, 'host' | 'focused' | 'theme' | 'title'>) {
  const name = nodeNameOf(host);
  return (
    <Text wrap="truncate-end">
      <Text {...(focused ? theme.focused : {})}>{focused ? runGlyphs.pointer : ' '} </Text>
      <Text {...theme.label}>{title ?? host.address}</Text>
      <Text {...theme.dim}>{`  ${roleText(host)}`}</Text>
      {title === undefined && name ? `  ${name}` : ''}
      <Text {...theme.dim}>{title === undefined ? loginNote(host) : ''}</Text>
    </Text>
  );
}

/** A step in the checklist: its glyph, its phase's first word, and its time once it has one. */
export function stepLabel(s: HostStep, now: number): string {
  const time = s.startedAt === undefined ? '' : ` ${formatDuration((s.endedAt ?? now) - s.startedAt)}`;
  return `${runGlyphs.state[s.state]} ${shortPhase(s.phase)}${time}`;
}

export interface HostPaneTimedProps extends HostPaneProps {
  /** The clock for the running step's time. */
  readonly now?: number;
}

export function HostPane({ host, width, focused, theme, errorLines = 3, title, now = Date.now() }: HostPaneTimedProps) {
  const state = hostState(host);
  const failed = state === 'failed';
  const inner = Math.max(10, width - 4);
  // As any host has it (no journal timestamps, host names or pids): a pane may stand for several hosts.
  const error = hostNeutral(host.error ?? 'failed');
  const why = errorLineOf(error);
  // The line that says why first, then the rest of the error as room allows.
  const errorText = [why, ...errorExcerpt(error, inner, errorLines).filter((l) => l.trim() !== why)].slice(0, errorLines);
  const counts = host.counts;
  const extra = (counts ? 1 : 0) + (host.upload ? 1 : 0);
  const tail = remoteTail(host, CONTENT - 3 - extra);
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      {...(failed ? { borderColor: theme.border.failed.color } : focused ? { borderColor: theme.border.focused.color } : theme.border.normal.color ? { borderColor: theme.border.normal.color } : {})}
      {...(failed && theme.noColor && { borderStyle: 'double' as const })}
      width={width}
      paddingX={1}
      {...(!failed || errorLines <= 3 ? { height: PANE_HEIGHT } : {})}
    >
      <HostHeading host={host} focused={focused} theme={theme} {...(title !== undefined && { title })} />
      <Text wrap="truncate-end" {...theme.state[state]}>
        {runGlyphs.state[state]} {versionMove(host)}
        {failed ? `FAILED in ${host.failedPhase ?? 'a step'}` : currentStepText(host)}
      </Text>
      <Text wrap="truncate-end">
        {host.steps.length === 0 ? <Text {...theme.dim}>no step yet</Text> : null}
        {host.steps.map((s, i) => (
          <Text key={s.taskId} {...theme.state[s.state]}>
            {i > 0 ? '  ' : ''}
            {stepLabel(s, now)}
          </Text>
        ))}
      </Text>
      {failed ? (
        errorText.map((line, i) => (
          <Text key={i} wrap="truncate-end" {...theme.error}>
            {line || ' '}
          </Text>
        ))
      ) : (
        <>
          {counts ? (
            <Text wrap="truncate-end" {...theme.dim}>
              {`files ${counts.files}/${counts.filesTotal} · ${formatBytes(counts.bytes)} of ${formatBytes(counts.bytesTotal)}`}
            </Text>
          ) : null}
          {host.upload ? <TransferBar transfer={host.upload} direction="upload" width={inner} theme={theme} /> : null}
          {tail.map((l, i) => (
            <Text key={i} wrap="truncate-end" {...(l.stream === 'stderr' ? theme.stderr : theme.dim)}>
              {l.stream === 'stderr' ? '! ' : '| '}
              {l.text}
            </Text>
          ))}
          {Array.from({ length: Math.max(0, CONTENT - 3 - extra - tail.length) }, (_, i) => (
            <Text key={`pad${i}`}> </Text>
          ))}
        </>
      )}
    </Box>
  );
}
