// The lock on this machine, one per profile: a file in the profile's state folder, created exclusively (O_EXCL), that
// records who holds it. A lock whose process is gone (killed, crashed) is stale and taken over with a warning.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FORCE_UNLOCK_RISK, LockError } from './errors.js';
import { describeHolder, holderIsGone, parseHolder, processStart, type LockHolder } from './holder.js';

export interface LocalLock {
  readonly holder: LockHolder;
  readonly path: string;
  /** Removes the lock file if it is still this run's. Safe to call twice. */
  release(): void;
}

export interface LockRequest {
  /** What the other run sees, e.g. `kubeup up --profile lab`. */
  command: string;
  /** --force-unlock: take the lock whoever holds it. */
  force?: boolean;
  /** Things to tell the user (a stale lock taken over, a lock forced). */
  onWarning?: (message: string) => void;
  now?: Date;
}

export function localLockPath(stateDir: string): string {
  return join(stateDir, 'lock');
}

export function newHolder(command: string, now: Date = new Date()): LockHolder {
  const start = processStart(process.pid);
  return { pid: process.pid, ...(start && { procStart: start }), hostname: hostname(), command, since: now.toISOString(), runId: randomBytes(8).toString('hex') };
}

export function acquireLocalLock(stateDir: string, req: LockRequest): LocalLock {
  const path = localLockPath(stateDir);
  const holder = newHolder(req.command, req.now);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(holder)}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockFileError(path, err);
    }
    const text = readText(path);
    if (text === undefined) continue; // removed in between: try again
    const other = parseHolder(text);
    if (other && !req.force && !holderIsGone(other)) {
      throw new LockError(`another kubeup run holds the lock of this cluster: ${describeHolder(other, req.now)}`, other, {
        file: path,
        hint: `wait for it to finish (or stop it); if it is gone for good, run again with --force-unlock (${FORCE_UNLOCK_RISK})`,
      });
    }
    req.onWarning?.(
      !other
        ? `the lock file ${path} was unreadable or damaged: replaced it`
        : req.force && !holderIsGone(other)
          ? `--force-unlock: took the lock from ${describeHolder(other, req.now)}; ${FORCE_UNLOCK_RISK}`
          : `took over a stale lock: ${describeHolder(other, req.now)} is no longer running`,
    );
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw lockFileError(path, err);
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only our own: after a --force-unlock by another run the file is theirs.
    if (parseHolder(readText(path) ?? '')?.runId !== holder.runId) return;
    try {
      unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  // process.exit() (a second Ctrl-C) skips finally blocks; this still releases. Only SIGKILL leaves the file, and
  // then the pid check above finds it stale.
  process.on('exit', release);
  return { holder, path, release };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw lockFileError(path, err);
  }
}

function lockFileError(path: string, err: unknown): LockError {
  return new LockError(`cannot take the lock of this cluster (${(err as NodeJS.ErrnoException).code ?? String(err)})`, undefined, {
    file: path,
    cause: err,
    hint: 'check that the state folder belongs to you and is writable',
  });
}
