// One round trip that tells, for many files on a host, whether each already has the wanted content, mode and owner,
// and for text files that differ, what they hold (for plan's diffs). The executor's no-op check, `plan`, drift and
// `status` all read files through this script, so "is this file right?" has one answer.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FileFacts, ObservedFile } from '../plan/diff.js';
import { fileUpToDate } from '../plan/diff.js';
import type { HostSession } from '../ssh/session.js';

/** Text content is fetched only up to this size (kubeup's own configuration files are far smaller). */
export const MAX_CONTENT_BYTES = 1024 * 1024;

// Arguments: pairs of (path, sha256 or -), up to an optional `--units`. Per file, "<sha256> <octal mode> <user>:<group>"
// or "absent" / "unreadable"; after it "content <base64>" when a sha256 was given and the file differs from it.
export const FILES_SCRIPT = `while [ $# -gt 1 ] && [ "$1" != --units ]; do
  f=$1; want=$2; shift 2
  if [ -e "$f" ]; then
    sum=$(sha256sum -- "$f") || { echo unreadable; continue; }
    sum=\${sum%% *}
    printf '%s %s\\n' "$sum" "$(stat -L -c '%a %U:%G' -- "$f")"
    if [ "$want" != - ] && [ "$want" != "$sum" ] && [ "$(stat -L -c %s -- "$f")" -le ${MAX_CONTENT_BYTES} ]; then
      printf 'content %s\\n' "$(base64 -w0 -- "$f")"
    fi
  else
    echo absent
  fi
done`;

export interface FileQuery {
  path: string;
  /** Ask for the content when the file's sha256 differs from this one (non-secret text files only). */
  contentUnless?: string;
}

export function fileArgs(queries: readonly FileQuery[]): string[] {
  return queries.flatMap((q) => [q.path, q.contentUnless ?? '-']);
}

const STATE_LINE = /^([0-9a-f]{64}) ([0-7]+) (\S+)$/;

/** Reads one answer per query from `lines` (starting at `at`); returns them and where the next part starts. */
export function parseFileLines(lines: readonly string[], queries: readonly FileQuery[], at = 0): { files: ObservedFile[]; next: number } {
  const files: ObservedFile[] = [];
  let i = at;
  for (const q of queries) {
    const line = lines[i] ?? '';
    i++;
    const m = STATE_LINE.exec(line);
    if (m) {
      const file: ObservedFile = { path: q.path, state: 'present', sha256: m[1]!, mode: parseInt(m[2]!, 8), owner: m[3]! };
      if (lines[i]?.startsWith('content ')) {
        file.content = Buffer.from(lines[i]!.slice('content '.length), 'base64').toString('utf8');
        i++;
      }
      files.push(file);
    } else {
      // Anything unexpected counts as "different": the upload itself then checks again and writes.
      files.push({ path: q.path, state: line === 'absent' ? 'absent' : line === 'unreadable' ? 'unreadable' : 'unknown' });
    }
  }
  return { files, next: i };
}

export async function remoteFileStates(session: HostSession, queries: readonly FileQuery[]): Promise<ObservedFile[]> {
  if (queries.length === 0) return [];
  const r = await session.exec(['sh', '-c', FILES_SCRIPT, 'sh', ...fileArgs(queries)], { sudo: true });
  return parseFileLines(r.stdout.split('\n'), queries).files;
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

export function upToDate(remote: ObservedFile | undefined, wanted: FileFacts): boolean {
  return fileUpToDate(remote, wanted);
}
