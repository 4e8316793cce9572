// The phases in run order with their state and elapsed time, packed into as few lines as the width allows, and the
// running (or failed) phase's own title and status below them.
import React from 'react';
import { Box, Text } from 'ink';
import type { PhaseView } from '../../src/tasks/run-store.js';
import { formatDuration } from './format.js';
import { runGlyphs, type RunTheme } from './theme.js';

export function phaseLabel(p: PhaseView, now: number): string {
  const elapsed = p.startedAt === undefined ? '' : ` ${formatDuration((p.endedAt ?? now) - p.startedAt)}`;
  return `${runGlyphs.state[p.state]} ${p.name}${elapsed}`;
}

/** Greedy packing of the labels into lines no wider than `width` (two spaces between labels). */
export function packPhases(labels: readonly string[], width: number): number[][] {
  const lines: number[][] = [];
  let used = 0;
  labels.forEach((label, i) => {
    const line = lines[lines.length - 1];
    if (line && used + 2 + label.length <= width) {
      line.push(i);
      used += 2 + label.length;
    } else {
      lines.push([i]);
      used = label.length;
    }
  });
  return lines;
}

/** The phase whose detail line is shown: the failed one, else the running one. */
export function phaseInFocus(phases: readonly PhaseView[]): PhaseView | undefined {
  return phases.find((p) => p.state === 'failed') ?? phases.find((p) => p.state === 'running');
}

export interface PhaseBarProps {
  readonly phases: readonly PhaseView[];
  readonly now: number;
  readonly width: number;
  readonly theme: RunTheme;
}

export function PhaseBar({ phases, now, width, theme }: PhaseBarProps) {
  const labels = phases.map((p) => phaseLabel(p, now));
  const detail = phaseInFocus(phases);
  const detailText = detail ? (detail.state === 'failed' ? (detail.error ?? detail.title).split('\n')[0]! : `${detail.title}${detail.status ? `: ${detail.status}` : ''}`) : ' ';
  return (
    <Box flexDirection="column" width={width}>
      {packPhases(labels, width).map((line, row) => (
        <Box key={row}>
          {line.map((i, n) => (
            <Text key={i} {...theme.state[phases[i]!.state]}>
              {n > 0 ? '  ' : ''}
              {labels[i]}
            </Text>
          ))}
        </Box>
      ))}
      <Text wrap="truncate-end" {...(detail?.state === 'failed' ? theme.error : theme.dim)}>
        {detailText}
      </Text>
    </Box>
  );
}
