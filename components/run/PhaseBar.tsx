// The phases in run order with their state and elapsed time, packed into as few lines as the width allows, and the
// running (or failed) phase's count, title and status below them. Every label has room for its time from the
// start, so no phase moves to another line when times appear.
import React from 'react';
import { Box, Text } from 'ink';
import type { PhaseView } from '../../src/tasks/run-store.js';
import { formatDuration } from './format.js';
import { runGlyphs, type RunTheme } from './theme.js';

/** Room for a time: " 0:07" up to " 9:59" (a longer phase pushes its own label wider). */
const TIME_SLOT = 5;

const firstWord = (name: string) => name.split(' ')[0] ?? name;

/** The first word of a name ("Provision"), or the first two where another phase starts alike ("Cluster roles", "Cluster add-ons"). */
export function shortName(name: string, names: readonly string[]): string {
  const alike = names.filter((n) => firstWord(n) === firstWord(name)).length > 1;
  return alike ? name.split(' ').slice(0, 2).join(' ') : firstWord(name);
}

/** `short` keeps a short name of each phase (see shortName), for strips that would take more than two lines. */
export function phaseLabel(p: PhaseView, now: number, short = false, all: readonly PhaseView[] = [p]): string {
  const head = `${runGlyphs.state[p.state]} ${short ? shortName(p.name, all.map((x) => x.name)) : p.name}`;
  if (p.startedAt === undefined) return head.padEnd(head.length + TIME_SLOT);
  return `${head} ${formatDuration((p.endedAt ?? now) - p.startedAt)}`.padEnd(head.length + TIME_SLOT);
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
  readonly short?: boolean;
  readonly theme: RunTheme;
}

export function PhaseBar({ phases, now, width, short = false, theme }: PhaseBarProps) {
  // Every label is as wide as with its time slot filled, so the lines are the same from start to end.
  const labels = phases.map((p) => phaseLabel(p, now, short, phases));
  const detail = phaseInFocus(phases);
  const count = detail ? `step ${phases.indexOf(detail) + 1}/${phases.length} · ` : '';
  const detailText = detail ? (detail.state === 'failed' ? `${count}${(detail.error ?? detail.title).split('\n')[0]!}` : `${count}${detail.title}${detail.status ? `: ${detail.status}` : ''}`) : ' ';
  return (
    <Box flexDirection="column" width={width}>
      {packPhases(labels, width).map((line, row) => (
        <Box key={row}>
          <Text wrap="truncate-end">
            {line.map((i, n) => (
              <Text key={i} {...theme.state[phases[i]!.state]}>
                {n > 0 ? '  ' : ''}
                {n === line.length - 1 ? labels[i]!.trimEnd() : labels[i]}
              </Text>
            ))}
          </Text>
        </Box>
      ))}
      <Text wrap="truncate-end" {...(detail?.state === 'failed' ? theme.error : theme.dim)}>
        {detailText}
      </Text>
    </Box>
  );
}
