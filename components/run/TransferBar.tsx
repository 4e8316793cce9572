// One transfer as a line: direction, name, bar, percent, bytes, rate and time left (once two lines gave a rate).
// Every part has a fixed width for a given line width, so the bar keeps its length from 0 % to 100 %.
import React from 'react';
import { Text } from 'ink';
import { secondsLeft, type Transfer } from '../../src/tasks/run-store.js';
import { bar, formatBytes, formatDuration, keepEnd, keepStart } from './format.js';
import { fractionOf } from './selectors.js';
import { runGlyphs, type RunTheme } from './theme.js';

/** Widths of the facts' fields: " 100%", " 99.9 MiB/999.9 MiB", " 999.9 MiB/s", " 12:34 left" (wider ones push). */
const PERCENT = 5;
const AMOUNT = 19;
const AMOUNT_SHORT = 10;
const RATE = 12;
const ETA = 11;
export type FactsForm = 'full' | 'short' | 'tiny';
const FACTS_WIDTH: Record<FactsForm, number> = { full: PERCENT + AMOUNT + RATE + ETA, short: PERCENT + AMOUNT_SHORT + RATE, tiny: PERCENT + AMOUNT_SHORT };

/**
 * Percent, bytes, rate and time left, each in its own fixed-width field; `short` keeps the total size and the rate,
 * `tiny` the total size only.
 */
export function transferFacts(t: Transfer, form: FactsForm = 'full'): string {
  const short = form !== 'full';
  const amount = t.total !== undefined ? (short ? formatBytes(t.total) : `${formatBytes(t.done)}/${formatBytes(t.total)}`) : formatBytes(t.done);
  const percent = t.total ? `${Math.floor(fractionOf(t) * 100)}%` : '';
  const rate = t.bytesPerSec !== undefined ? `${formatBytes(Math.round(t.bytesPerSec))}/s` : '';
  const left = secondsLeft(t);
  const eta = left !== undefined && t.total !== undefined && t.done < t.total ? `${formatDuration(left * 1000)} left` : '';
  const field = (text: string, width: number) => ` ${text}`.padStart(width);
  return field(percent, PERCENT) + field(amount, short ? AMOUNT_SHORT : AMOUNT) + (form === 'tiny' ? '' : field(rate, RATE)) + (short ? '' : field(eta, ETA));
}

/** Narrowest bar worth drawing before the facts are shortened. */
const MIN_BAR = 6;

export interface TransferBarProps {
  readonly transfer: Transfer;
  readonly direction: 'upload' | 'download';
  readonly width: number;
  readonly theme: RunTheme;
}

/** The widths a line of `width` gives the name and the bar, and whether the facts are short: fixed per width. */
export function transferLayout(width: number): { nameWidth: number; barWidth: number; form: FactsForm } {
  const nameWidth = Math.max(8, Math.min(36, Math.floor(width / 3)));
  const room = (form: FactsForm) => width - nameWidth - FACTS_WIDTH[form] - 4;
  const form = (['full', 'short', 'tiny'] as const).find((f) => room(f) >= MIN_BAR) ?? 'tiny';
  return { nameWidth, barWidth: Math.max(4, room(form)), form };
}

export function TransferBar({ transfer, direction, width, theme }: TransferBarProps) {
  const { nameWidth, barWidth, form } = transferLayout(width);
  const b = bar(fractionOf(transfer), barWidth);
  // A remote path is known by its file name (the whole path is in the host's log); an artefact by its beginning.
  const file = transfer.name.split('/').pop() || transfer.name;
  const name = (transfer.name.includes('/') ? keepEnd(file, nameWidth) : keepStart(file, nameWidth)).padEnd(nameWidth);
  return (
    <Text wrap="truncate-end">
      {direction === 'upload' ? runGlyphs.upload : runGlyphs.download} {name} <Text {...theme.barDone}>{b.done}</Text>
      <Text {...theme.barTodo}>{b.todo}</Text>
      {transferFacts(transfer, form)}
    </Text>
  );
}
