// The sha256 of a local file, computed once per version of the file (device, inode, size and times to the
// nanosecond): the same binary goes to every host and is compared with every host's copy, also when the hosts ask at
// the same moment. Under a folder given to `keepSha256sIn` (the download cache) the sums outlive the run, in a memo
// file there, so a re-run does not read every cached binary again (190 MB with the test stand-ins, 600 MB with the
// real Kubernetes binaries). A file written since has another ctime (no user can set it back) and is hashed again.
import { createHash } from 'node:crypto';
import { appendFileSync, createReadStream, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

const hashes = new Map<string, { version: string; sha256: Promise<string> }>();
const HASHES_KEPT = 512;

/** The memo's file name in its folder; lines are `<version>\t<sha256>\t<path>`. */
export const SHA256_MEMO = 'sha256-memo';
/** Lines kept before the memo is written anew with the latest line per path. */
const MEMO_LINES_KEPT = 2000;

/**
 * A file changed less than this long ago is not remembered: the kernel stamps times from a coarse clock, so a second
 * write within the same few milliseconds, of the same size, could leave every stat fact as it was (git's "racy" entries).
 */
export const MEMO_SETTLED_MS = 2000;

interface Memo {
  root: string;
  file: string;
  settledMs: number;
  known: Map<string, { version: string; sha256: string }>;
}
const memos: Memo[] = [];

/**
 * Keeps the sums of the files under `root` in `root/sha256-memo`. Best effort: a memo that cannot be read or written
 * only means the files are hashed again.
 */
export function keepSha256sIn(root: string, opts: { settledMs?: number } = {}): void {
  if (memos.some((m) => m.root === root)) return;
  const file = join(root, SHA256_MEMO);
  const known = new Map<string, { version: string; sha256: string }>();
  let lines: string[] = [];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    // No memo yet.
  }
  for (const line of lines) {
    const [version, sha256, path] = line.split('\t');
    if (version && path && /^[0-9a-f]{64}$/.test(sha256 ?? '')) known.set(path, { version, sha256: sha256! });
  }
  if (lines.length > MEMO_LINES_KEPT) {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, [...known].map(([path, k]) => `${k.version}\t${k.sha256}\t${path}\n`).join(''), { mode: 0o644 });
      renameSync(tmp, file);
    } catch {
      // Kept as it is; the next run tries again.
    }
  }
  memos.push({ root, file, known, settledMs: opts.settledMs ?? MEMO_SETTLED_MS });
}

// Not a file on its way in (`.part`, `.tmp`): renamed into place, it has another ctime anyway.
const memoFor = (path: string) => (/\.(part|tmp)$/.test(path) ? undefined : memos.find((m) => path.startsWith(m.root.endsWith(sep) ? m.root : m.root + sep)));

export async function localFileSha256(path: string): Promise<string> {
  const st = await stat(path, { bigint: true });
  const version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const known = hashes.get(path);
  if (known?.version === version) return known.sha256;
  const memo = memoFor(path);
  const remembered = memo?.known.get(path);
  const sha256 =
    remembered?.version === version
      ? Promise.resolve(remembered.sha256)
      : (async () => {
          const hash = createHash('sha256');
          for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
          const sum = hash.digest('hex');
          if (memo && BigInt(Date.now()) * 1_000_000n - st.ctimeNs >= BigInt(memo.settledMs) * 1_000_000n) {
            memo.known.set(path, { version, sha256: sum });
            try {
              // One short line per append: runs sharing the cache do not tear each other's lines.
              appendFileSync(memo.file, `${version}\t${sum}\t${path}\n`, { mode: 0o644 });
            } catch {
              // Not remembered: hashed again next run.
            }
          }
          return sum;
        })();
  hashes.delete(path);
  if (hashes.size >= HASHES_KEPT) hashes.delete(hashes.keys().next().value!);
  hashes.set(path, { version, sha256 });
  // A failed read is not remembered: the next call tries again.
  sha256.catch(() => hashes.get(path)?.sha256 === sha256 && hashes.delete(path));
  return sha256;
}
