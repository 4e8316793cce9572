// One host in one line, for runs with more hosts than panes fit: state, address, roles, node name, current step.
import React from 'react';
import { Box, Text } from 'ink';
import type { HostView } from '../../src/tasks/run-store.js';
import { errorLineOf, hostState, nodeNameOf, roleText, stepAndStatus } from './selectors.js';
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
        <Text {...theme.dim}>{` ${roleText(host)}`}</Text>
        {name ? ` ${name}` : ''}
        {'  '}
        <Text {...(failed ? theme.error : {})}>{failed ? `FAILED in ${host.failedPhase ?? 'a step'}: ${errorLineOf(host.error ?? '')}` : stepAndStatus(host)}</Text>
      </Text>
    </Box>
  );
}
