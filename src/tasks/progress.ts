// Task output lines are read by people (plain renderer, logs) and by the Ink run view, which turns some of them back
// into progress bars and output panes. One format, written and parsed here, so the two cannot drift apart.
import { formatBytes } from './records.js';

export type OutputLine =
  | { kind: 'transfer'; what: 'download' | 'upload'; name: string; done: number; total?: number }
  | { kind: 'remote'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'status'; text: string };

export function transferLine(what: 'download' | 'upload', name: string, done: number, total?: number): string {
  const amount = total ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
  return `${what} ${name}: ${amount} [${done}/${total ?? '?'}]`;
}

export function remoteLine(stream: 'stdout' | 'stderr', text: string): string {
  return `${stream === 'stderr' ? '!' : '|'} ${text}`;
}

const TRANSFER = /^(download|upload) (.+): .* \[(\d+)\/(\d+|\?)\]$/;

export function parseOutputLine(line: string): OutputLine {
  const t = TRANSFER.exec(line);
  if (t) {
    return { kind: 'transfer', what: t[1] as 'download' | 'upload', name: t[2]!, done: Number(t[3]), ...(t[4] !== '?' && { total: Number(t[4]) }) };
  }
  if (line.startsWith('| ') || line.startsWith('! ')) return { kind: 'remote', stream: line[0] === '!' ? 'stderr' : 'stdout', text: line.slice(2) };
  return { kind: 'status', text: line };
}

/**
 * Lets a transfer through at its start, its end, and every `step` of the total (10 %), so plain logs get a few lines
 * per file rather than one per chunk.
 */
export function progressThrottle(step = 0.1): (name: string, done: number, total?: number) => boolean {
  const last = new Map<string, number>();
  return (name, done, total) => {
    const prev = last.get(name);
    const due = prev === undefined || done === total || (total ? (done - prev) / total >= step : done - prev >= 8 * 1024 * 1024);
    if (due) last.set(name, done);
    return due;
  };
}
