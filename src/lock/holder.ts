// Who holds a kubeup lock: what both the local lock file and a host's lock record, and how it reads in a message.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface LockHolder {
  pid: number;
  /** The process's start time (field 22 of /proc/PID/stat, clock ticks since boot): a reused pid has another. */
  procStart?: string;
  /** The machine the kubeup process runs on. */
  hostname: string;
  /** e.g. `kubeup up --profile lab`. */
  command: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Random per run: lets a run tell its own lock on a host from another run's. */
  runId: string;
}

/** Start time of a process from /proc (Linux); undefined elsewhere or when the process does not exist. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the holder ran on this machine and is gone (its pid is not running, or runs another program started at
 * another time). A holder on another machine is never called stale: only that machine can know.
 */
export function holderIsGone(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return false;
  if (!pidAlive(holder.pid)) return true;
  const start = processStart(holder.pid);
  return holder.procStart !== undefined && start !== undefined && start !== holder.procStart;
}

export function describeHolder(holder: LockHolder, now: Date = new Date()): string {
  const since = new Date(holder.since);
  const ago = Number.isNaN(since.getTime()) ? '' : ` (${formatAgo(now.getTime() - since.getTime())} ago)`;
  return `${holder.command} (pid ${holder.pid} on ${holder.hostname}), since ${holder.since}${ago}`;
}

function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** A well-formed holder record, or undefined for anything else (a damaged or foreign file). */
export function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.command !== 'string' || typeof v.since !== 'string' || typeof v.runId !== 'string') return undefined;
    return { pid: v.pid, hostname: v.hostname, command: v.command, since: v.since, runId: v.runId, ...(typeof v.procStart === 'string' && { procStart: v.procStart }) };
  } catch {
    return undefined;
  }
}
