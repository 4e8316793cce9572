// Text helpers of the run view: sizes, durations, bars and truncation. Pure, so frames are deterministic.
import { runGlyphs } from './theme.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export { formatDuration, plural } from '../../src/tasks/end-report.js';

export function bar(fraction: number, width: number): { done: string; todo: string } {
  const w = Math.max(1, width);
  const filled = Math.min(w, Math.max(0, Math.round(fraction * w)));
  return { done: runGlyphs.barDone.repeat(filled), todo: runGlyphs.barTodo.repeat(w - filled) };
}

/** Cuts a path or name from the left, keeping its end (the file name), to at most `max` characters. */
export function keepEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(-max) : `…${text.slice(text.length - max + 1)}`;
}

/** Cuts a name at its end, keeping its beginning, to at most `max` characters. */
export function keepStart(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(0, max) : `${text.slice(0, max - 1)}…`;
}

/** Breaks text into lines of at most `width` characters (at spaces where it can), keeping its own line breaks. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw;
    while (line.length > w) {
      const cut = line.lastIndexOf(' ', w);
      const at = cut > w / 2 ? cut : w;
      out.push(line.slice(0, at));
      line = line.slice(at).replace(/^ /, '');
    }
    out.push(line);
  }
  return out;
}

/**
 * At most `n` lines of an error: its first line (what failed) and its last lines (for a unit that did not start,
 * the end of its journal says why).
 */
export function errorExcerpt(text: string, width: number, n: number): string[] {
  const lines = wrapText(text, width);
  if (lines.length <= n) return lines;
  return n <= 1 ? lines.slice(0, 1) : [lines[0]!, ...lines.slice(lines.length - (n - 1))];
}
