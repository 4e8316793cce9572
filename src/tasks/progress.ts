// Task output lines are read by people (plain renderer, logs) and by the Ink run view, which turns some of them back
// into progress bars and output panes. One format, written and parsed here, so the two cannot drift apart.
import { formatBytes } from './records.js';

export type OutputLine =
  | { kind: 'transfer'; what: 'download' | 'upload'; name: string; done: number; total?: number }
  | { kind: 'counts'; counts: FileCounts }
  | { kind: 'remote'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'status'; text: string };

export function transferLine(what: 'download' | 'upload', name: string, done: number, total?: number): string {
  const amount = total ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
  return `${what} ${name}: ${amount} [${done}/${total ?? '?'}]`;
}

export function remoteLine(stream: 'stdout' | 'stderr', text: string): string {
  return `${stream === 'stderr' ? '!' : '|'} ${text}`;
}

/** How far a host's uploads are: files looked at (unchanged or sent) and their bytes, against the step's total. */
export interface FileCounts {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
}

export function countsLine(c: FileCounts): string {
  return `files ${c.files}/${c.filesTotal} · ${formatBytes(c.bytes)} of ${formatBytes(c.bytesTotal)} [${c.files}/${c.filesTotal} files ${c.bytes}/${c.bytesTotal} bytes]`;
}

const COUNTS = /^files .* \[(\d+)\/(\d+) files (\d+)\/(\d+) bytes\]$/;

/** A wait's status with its clock: "waiting for kubelet.service 12/90 s". */
export function waitLine(what: string, elapsedMs: number, timeoutMs: number): string {
  return `${what} ${Math.floor(elapsedMs / 1000)}/${Math.round(timeoutMs / 1000)} s`;
}

const TRANSFER = /^(download|upload) (.+): .* \[(\d+)\/(\d+|\?)\]$/;

export function parseOutputLine(line: string): OutputLine {
  const t = TRANSFER.exec(line);
  if (t) {
    return { kind: 'transfer', what: t[1] as 'download' | 'upload', name: t[2]!, done: Number(t[3]), ...(t[4] !== '?' && { total: Number(t[4]) }) };
  }
  const c = COUNTS.exec(line);
  if (c) return { kind: 'counts', counts: { files: Number(c[1]), filesTotal: Number(c[2]), bytes: Number(c[3]), bytesTotal: Number(c[4]) } };
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

/**
 * Counts a host's files as they settle (up to date, or written) against every file its steps upload, and the bytes
 * of those files, the running uploads included: "23/37 files · 41 MiB of 60 MiB".
 */
export function fileCounter(uploads: readonly { path: string; bytes: number }[]): {
  done(path: string): FileCounts;
  progress(path: string, sent: number): FileCounts;
} {
  const size = new Map(uploads.map((u) => [u.path, u.bytes]));
  const bytesTotal = uploads.reduce((n, u) => n + u.bytes, 0);
  const inFlight = new Map<string, number>();
  let files = 0;
  let bytes = 0;
  // Capped at the totals: a host that runs its steps twice (etcd's CA move) does not count past them.
  const counts = (): FileCounts => ({ files: Math.min(files, uploads.length), filesTotal: uploads.length, bytes: Math.min(bytesTotal, bytes + [...inFlight.values()].reduce((n, b) => n + b, 0)), bytesTotal });
  return {
    done(path) {
      inFlight.delete(path);
      files++;
      bytes += size.get(path) ?? 0;
      return counts();
    },
    progress(path, sent) {
      inFlight.set(path, Math.min(sent, size.get(path) ?? sent));
      return counts();
    },
  };
}
