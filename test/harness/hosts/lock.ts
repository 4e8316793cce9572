// An exclusive lock on a file that other processes (another test run, `npm run hosts`) respect.
// flock(1) holds the lock while its child `cat` reads our pipe: if this process dies, the pipe closes and the lock
// goes with it, so a killed run never leaves a stale lock behind.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TestHostsError } from './errors.js';

const WAIT_SECONDS = 900;

export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const holder = spawn(
    'flock',
    ['--exclusive', '--timeout', String(WAIT_SECONDS), lockFile, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => holder.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    holder.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    holder.stdout.once('data', () => resolve());
    holder.on('error', (e) => reject(new TestHostsError(`cannot run flock: ${e.message}`, { hint: 'install util-linux' })));
    void exited.then((code) =>
      reject(
        new TestHostsError(`could not lock ${lockFile} (flock exit ${code}): ${stderr.trim()}`, {
          file: lockFile,
          hint: `another process held the lock for over ${WAIT_SECONDS} s; find it with: fuser -v ${lockFile}`,
        }),
      ),
    );
  });
  try {
    return await fn();
  } finally {
    holder.stdin.end();
    await exited;
  }
}
