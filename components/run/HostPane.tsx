// One host as a bordered pane: who it is, what it does now, its checklist of phases, its upload and the last lines
// of its remote output. A failed host's pane turns red and shows the error instead of the output.
import React from 'react';
import { Box, Text } from 'ink';
import type { HostView } from '../../src/tasks/run-store.js';
import { errorExcerpt } from './format.js';
import { PANE_HEIGHT } from './layout.js';
import { currentStepText, hostState, nodeNameOf, remoteTail, roleText, shortPhase } from './selectors.js';
import { runGlyphs, type RunTheme } from './theme.js';
import { TransferBar } from './TransferBar.js';

export interface HostPaneProps {
  readonly host: HostView;
  readonly width: number;
  readonly focused: boolean;
  readonly theme: RunTheme;
  /** Lines of the error shown when the host failed; the pane grows past its usual height when this is above 3. */
  readonly errorLines?: number;
}

/** Rows inside the border. */
const CONTENT = PANE_HEIGHT - 2;

export function HostHeading({ host, focused, theme }: Pick<HostPaneProps, 'host' | 'focused' | 'theme'>) {
  const name = nodeNameOf(host);
  return (
    <Text wrap="truncate-end">
      <Text {...(focused ? theme.focused : {})}>{focused ? runGlyphs.pointer : ' '} </Text>
      <Text {...theme.label}>{host.address}</Text>
      {name ? `  ${name}` : ''}
      <Text {...theme.dim}>{`  ${roleText(host)}`}</Text>
    </Text>
  );
}

export function HostPane({ host, width, focused, theme, errorLines = 3 }: HostPaneProps) {
  const state = hostState(host);
  const failed = state === 'failed';
  const inner = Math.max(10, width - 4);
  const errorText = errorExcerpt(host.error ?? 'failed', inner, errorLines);
  const tail = remoteTail(host, host.upload ? 2 : 3);
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
      <HostHeading host={host} focused={focused} theme={theme} />
      <Text wrap="truncate-end" {...theme.state[state]}>
        {runGlyphs.state[state]} {failed ? `FAILED in ${host.failedPhase ?? 'a step'}` : currentStepText(host)}
      </Text>
      <Text wrap="truncate-end">
        {host.steps.length === 0 ? <Text {...theme.dim}>no step yet</Text> : null}
        {host.steps.map((s, i) => (
          <Text key={s.taskId} {...theme.state[s.state]}>
            {i > 0 ? '  ' : ''}
            {runGlyphs.state[s.state]} {shortPhase(s.phase)}
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
          {host.upload ? <TransferBar transfer={host.upload} direction="upload" width={inner} theme={theme} /> : null}
          {tail.map((l, i) => (
            <Text key={i} wrap="truncate-end" {...(l.stream === 'stderr' ? theme.stderr : theme.dim)}>
              {l.stream === 'stderr' ? '! ' : '| '}
              {l.text}
            </Text>
          ))}
          {Array.from({ length: Math.max(0, CONTENT - 3 - (host.upload ? 1 : 0) - tail.length) }, (_, i) => (
            <Text key={`pad${i}`}> </Text>
          ))}
        </>
      )}
    </Box>
  );
}
