// Pulls named members out of a release tarball into a per-artefact folder, each binary under its own name, mode 0755.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tar from 'tar';
import { DownloadError } from '../errors.js';

export interface MemberRequest {
  /** Path inside the tarball; `./x` and `x` are the same member. */
  member: string;
  /** File name in the output folder. */
  name: string;
}

/** `./a//b` -> `a/b`: how tar writers differ in spelling the same member. */
export function normalizeMember(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/').replace(/\/$/, '');
}

function isRegularFile(entry: unknown): boolean {
  const type = (entry as { type?: string }).type;
  return type === 'File' || type === 'OldFile' || type === 'ContiguousFile';
}

/**
 * Extracts `members` from `tarball` into `outDir` as `outDir/<name>` (mode 0755) and returns their paths by name.
 * Existing files of the same name are replaced atomically. A member that is missing, or is not a regular file, is
 * an error that names it and the tarball.
 */
export async function extractMembers(tarball: string, members: readonly MemberRequest[], outDir: string): Promise<Record<string, string>> {
  const wanted = new Map(members.map((m) => [normalizeMember(m.member), m]));
  await mkdir(outDir, { recursive: true });
  const staging = await mkdtemp(join(dirname(outDir), `.${basename(outDir)}.${randomBytes(3).toString('hex')}-`));
  const found = new Set<string>();
  try {
    try {
      await tar.x({
        file: tarball,
        cwd: staging,
        // Running as root, tar would keep the archive's uid/gid; the cache belongs to whoever runs kubeup.
        preserveOwner: false,
        filter: (path, entry) => {
          const key = normalizeMember(path);
          if (!wanted.has(key) || !isRegularFile(entry)) return false;
          found.add(key);
          return true;
        },
      });
    } catch (err) {
      throw new DownloadError(`cannot read the tarball ${basename(tarball)}: ${(err as Error).message}`, {
        file: tarball,
        cause: err,
        hint: 'remove it from the cache (or run `kubeup cache prepare` again) so that it is downloaded anew',
      });
    }
    const missing = [...wanted.keys()].filter((k) => !found.has(k)).sort();
    if (missing.length > 0) {
      throw new DownloadError(
        `${basename(tarball)} has no member ${missing.map((m) => `"${m}"`).join(', ')}`,
        {
          file: tarball,
          hint: 'the release layout differs from what kubeup expects: check the version in the profile, or that the mirror serves the upstream file',
        },
      );
    }
    const out: Record<string, string> = {};
    for (const [key, req] of [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const from = join(staging, key);
      const st = await lstat(from);
      if (!st.isFile()) {
        throw new DownloadError(`member "${key}" of ${basename(tarball)} is not a regular file`, { file: tarball });
      }
      await chmod(from, 0o755);
      const to = join(outDir, req.name);
      await rename(from, to);
      out[req.name] = to;
    }
    return out;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
