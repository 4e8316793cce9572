// Checks on processes by PID, so that teardown signals only what the harness itself started.

import fs from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Kernel start time of a process (clock ticks since boot): tells a live PID apart from a reused one. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** True only for a live systemd-nspawn booting exactly this root directory. */
export function isOurNspawn(pid: number, rootDir: string): boolean {
  if (!isAlive(pid)) return false;
  const argv = commandLine(pid);
  const bin = argv[0] ?? '';
  if (!bin.endsWith('systemd-nspawn')) return false;
  const i = argv.indexOf('-D');
  return (i >= 0 && argv[i + 1] === rootDir) || argv.includes(`--directory=${rootDir}`);
}

/** Sends `signal`, then waits until the process is gone; false when it is still there after `waitMs`. */
export async function signalAndWait(pid: number, signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw e;
  }
  const deadline = Date.now() + waitMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}
