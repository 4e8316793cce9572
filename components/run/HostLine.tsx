// One host in one line, for runs with more hosts than panes fit: state, address, node name, roles, current step.
import React from 'react';
import { Box, Text } from 'ink';
import type { HostView } from '../../src/tasks/run-store.js';
import { currentStepText, nodeNameOf, roleText, hostState } from './selectors.js';
import { runGlyphs, type RunTheme } from './theme.js';

export interface HostLineProps {
  readonly host: HostView;
  readonly focused: boolean;
  readonly width: number;
  readonly theme: RunTheme;
}

export function HostLine({ host, focused, width, theme }: HostLineProps) {
  const state = hostState(host);
  const failed = state === 'failed';
  const name = nodeNameOf(host);
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
      <Text {...(focused ? theme.focused : {})}>{focused ? runGlyphs.pointer : ' '} </Text>
      <Text {...theme.state[state]}>{runGlyphs.state[state]} </Text>
      <Text {...(focused ? theme.focused : theme.label)}>{host.address}</Text>
      {name ? ` ${name}` : ''}
      <Text {...theme.dim}>{` ${roleText(host)}`}</Text>
      {'  '}
      <Text {...(failed ? theme.error : {})}>{failed ? `FAILED in ${host.failedPhase ?? 'a step'}: ${(host.error ?? '').split('\n')[0]}` : currentStepText(host)}</Text>
      </Text>
    </Box>
  );
}
