// The end of the run: one row per host (roles, result, time spent on it) and what to do next. The CLI prints the
// validation report and the file paths after the view closes, so they are not repeated here.
import React from 'react';
import { Box, Text } from 'ink';
import type { RunState } from '../../src/tasks/run-store.js';
import { formatDuration } from './format.js';
import { hostDurationMs, hostOutcome, roleText, type HostOutcome } from './selectors.js';
import type { RunTheme } from './theme.js';

const OUTCOME_TEXT: Record<HostOutcome, string> = { ok: 'ok', failed: 'FAILED', cancelled: 'cancelled', stopped: 'stopped', 'not started': 'not started', running: 'running' };

export function summaryRows(state: RunState): string[][] {
  return state.hosts.map((h) => {
    const outcome = hostOutcome(h, state);
    const result = outcome === 'failed' && h.failedPhase ? `${OUTCOME_TEXT[outcome]} (${h.failedPhase})` : OUTCOME_TEXT[outcome];
    return [h.id, roleText(h), result, formatDuration(hostDurationMs(h))];
  });
}

export function nextSteps(state: RunState): string[] {
  const f = state.finished;
  if (!f) return [];
  const logs = state.logDir ? ` (one log per host in ${state.logDir})` : '';
  if (f.ok) {
    const ctx = state.contextName ?? 'CLUSTER';
    return ['Next steps:', `  kubectl config use-context ${ctx}`, `  kubectl --context ${ctx} get nodes -o wide`];
  }
  if (state.cancelRequested) return [`Cancelled: steps that were running finished; nothing is half-written${logs}.`, 'Run kubeup up again to carry on.'];
  return [`The run failed: the error is shown above and below${logs}.`, 'Fix it and run kubeup up again: hosts that are already right are left as they are.'];
}

export interface SummaryProps {
  readonly state: RunState;
  readonly width: number;
  readonly theme: RunTheme;
}

export function Summary({ state, width, theme }: SummaryProps) {
  const header = ['host', 'roles', 'result', 'time'];
  const rows = summaryRows(state);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return (
    <Box flexDirection="column" width={width} marginTop={1}>
      <Text {...theme.label}>{line(header)}</Text>
      {rows.map((r, i) => (
        <Text key={state.hosts[i]!.id} wrap="truncate-end" {...(r[2]!.startsWith('FAILED') ? theme.error : r[2] === 'ok' ? theme.success : theme.dim)}>
          {line(r)}
        </Text>
      ))}
      <Box flexDirection="column" marginTop={1}>
        {nextSteps(state).map((l, i) => (
          <Text key={i} wrap="truncate-end">
            {l}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
