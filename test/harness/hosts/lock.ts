// Exclusive locks on files that other processes (another test run, `npm run hosts`) respect.
// flock(1) holds the lock while its child `cat` reads our pipe: if this process dies, the pipe closes and the lock
// goes with it, so a killed run never leaves a stale lock behind.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { TestHostsError } from './errors.js';

export interface AcquireOptions {
  /** Give up after this long. */
  waitSeconds?: number;
  /** Called once when the lock is not free at once (to say that we wait, and for whom). */
  onWait?: () => void;
  /** Let this process exit while it holds the lock (the lock then ends with it). */
  detached?: boolean;
  /** Added to the error when the wait times out. */
  hint?: string;
}

export interface HeldLock {
  /** Idempotent. */
  release(): Promise<void>;
}

export async function acquireFileLock(lockFile: string, opts: AcquireOptions = {}): Promise<HeldLock> {
  const waitSeconds = opts.waitSeconds ?? 900;
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const holder = spawn(
    'flock',
    ['--exclusive', '--timeout', String(waitSeconds), lockFile, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => holder.on('close', (code) => resolve(code)));
  const waiting = opts.onWait ? setTimeout(opts.onWait, 1_000) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      holder.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      holder.stdout.once('data', () => resolve());
      holder.on('error', (e) => reject(new TestHostsError(`cannot run flock: ${e.message}`, { hint: 'install util-linux' })));
      void exited.then((code) =>
        reject(
          new TestHostsError(`could not lock ${lockFile} within ${waitSeconds} s (flock exit ${code}) ${stderr.trim()}`, {
            file: lockFile,
            hint: opts.hint ?? `find the holder with: fuser -v ${lockFile}`,
          }),
        ),
      );
    });
  } finally {
    clearTimeout(waiting);
  }
  const streams = [holder.stdin, holder.stdout, holder.stderr] as unknown as Socket[];
  if (opts.detached) {
    holder.unref();
    for (const stream of streams) stream.unref();
  }
  let released: Promise<void> | undefined;
  return {
    release: () => {
      released ??= (async () => {
        // Waiting for the holder to exit must keep this process alive again.
        holder.ref();
        for (const stream of streams) stream.ref();
        holder.stdin.end();
        await exited;
      })();
      return released;
    },
  };
}

export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireFileLock(lockFile);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
