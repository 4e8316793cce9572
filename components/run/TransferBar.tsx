// One transfer as a line: direction, name, bar, percent, bytes, rate and time left (once two lines gave a rate).
import React from 'react';
import { Text } from 'ink';
import { secondsLeft, type Transfer } from '../../src/tasks/run-store.js';
import { bar, formatBytes, formatDuration, keepEnd, keepStart } from './format.js';
import { fractionOf } from './selectors.js';
import { runGlyphs, type RunTheme } from './theme.js';

/** Percent, bytes, rate and time left; `short` keeps the total size only, for narrow panes. */
export function transferFacts(t: Transfer, short = false): string {
  const amount = t.total !== undefined ? (short ? formatBytes(t.total) : `${formatBytes(t.done)}/${formatBytes(t.total)}`) : formatBytes(t.done);
  const percent = t.total ? ` ${String(Math.floor(fractionOf(t) * 100)).padStart(3)}%` : '';
  const rate = t.bytesPerSec !== undefined ? ` ${formatBytes(Math.round(t.bytesPerSec))}/s` : '';
  const left = secondsLeft(t);
  const eta = left !== undefined && t.total !== undefined && t.done < t.total ? ` ${formatDuration(left * 1000)} left` : '';
  return `${percent} ${amount}${rate}${eta}`;
}

/** Narrowest bar worth drawing before the facts are shortened. */
const MIN_BAR = 6;

export interface TransferBarProps {
  readonly transfer: Transfer;
  readonly direction: 'upload' | 'download';
  readonly width: number;
  readonly theme: RunTheme;
}

export function TransferBar({ transfer, direction, width, theme }: TransferBarProps) {
  const nameWidth = Math.max(8, Math.min(36, Math.floor(width / 3)));
  const roomFor = (facts: string) => width - nameWidth - facts.length - 4;
  const full = transferFacts(transfer);
  const facts = roomFor(full) >= MIN_BAR ? full : transferFacts(transfer, true);
  const barWidth = Math.max(4, roomFor(facts));
  const b = bar(fractionOf(transfer), barWidth);
  // A remote path is known by its file name (the whole path is in the host's log); an artefact by its beginning.
  const file = transfer.name.split('/').pop() || transfer.name;
  const name = (transfer.name.includes('/') ? keepEnd(file, nameWidth) : keepStart(file, nameWidth)).padEnd(nameWidth);
  return (
    <Text wrap="truncate-end">
      {direction === 'upload' ? runGlyphs.upload : runGlyphs.download} {name} <Text {...theme.barDone}>{b.done}</Text>
      <Text {...theme.barTodo}>{b.todo}</Text>
      {facts}
    </Text>
  );
}
