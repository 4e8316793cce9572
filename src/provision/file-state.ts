// One round trip that tells, for many files on a host, whether each already has the wanted content, mode and owner.
// A re-run of an up-to-date host then costs one command instead of one per file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { HostSession } from '../ssh/session.js';
import { isSame } from '../ssh/upload.js';

// For each argument, "<sha256> <octal mode> <user>:<group>" or "absent", one line each, in order.
const STATES_SCRIPT = `for f do
  if [ -e "$f" ]; then
    sum=$(sha256sum -- "$f") || { echo unreadable; continue; }
    printf '%s %s\\n' "\${sum%% *}" "$(stat -L -c '%a %U:%G' -- "$f")"
  else
    echo absent
  fi
done`;

export async function remoteFileStates(session: HostSession, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await session.exec(['sh', '-c', STATES_SCRIPT, 'sh', ...paths], { sudo: true });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  // Anything unexpected counts as "different": the upload itself then checks again and writes.
  return paths.map((_, i) => lines[i] ?? 'unknown');
}

// Local files are the same for every host: hash each once per run (keyed by path, size and mtime).
const localHashes = new Map<string, Promise<string>>();

export async function localSha256(source: { text: string } | { localPath: string }): Promise<string> {
  if ('text' in source) return createHash('sha256').update(source.text).digest('hex');
  const s = await stat(source.localPath);
  const key = `${source.localPath}\0${s.size}\0${s.mtimeMs}`;
  let p = localHashes.get(key);
  if (!p) {
    p = (async () => {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(source.localPath)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    })();
    localHashes.set(key, p);
  }
  return p;
}

export function upToDate(remote: string, sha256: string, mode: number, owner: string): boolean {
  return isSame(remote, sha256, mode, owner);
}
