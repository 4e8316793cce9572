// Fetching release artefacts into the local cache: each one downloaded once, verified against its sha256, and its
// binaries extracted; a second run finds everything in the cache and makes no request.
import { access, chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { keepSha256sIn } from '../ssh/local-hash.js';
import { join } from 'node:path';
import { DownloadError } from '../errors.js';
import type { Profile } from '../profile/types.js';
import { cacheEntry, ensureEntryDir, resolveCacheDir, verifiedCached, writeRecord } from './cache.js';
import { expectedSha256, sha256File } from './checksum.js';
import { extractMembers } from './extract.js';
import { downloadFile, fetchText, type HttpOptions } from './fetch.js';
import { releaseManifest } from './manifest.js';
import type { Arch, Artifact, FetchedArtifact } from './types.js';
import { missingChecksumError, missingChecksums } from './unpinned.js';

export type { Arch, Artifact, ArtifactBinary, ArtifactRole, ChecksumSource, FetchedArtifact } from './types.js';
export { ARCHES } from './types.js';
export { artifactsForRoles, componentBase, describeManifest, releaseManifest, UPSTREAM_BASES } from './manifest.js';
export { archFromUname, localArch } from './arch.js';
export { resolveCacheDir } from './cache.js';
export { chooseEncoding, encodedCopy, operatorEncodings } from './encode.js';
export { checksumSnippet, missingChecksumError, missingChecksums, unverifiableAdvice, unverifiableFiles, unverifiableWarning } from './unpinned.js';

export interface FetchArtifactsOptions extends Omit<HttpOptions, 'signal'> {
  cacheDir: string;
  onProgress?: (artifactId: string, done: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Downloads at once. */
  concurrency?: number;
  /** Use the cache only: a file that is not there (verified) is an error instead of a download. */
  offline?: boolean;
}

function mismatchError(a: Artifact, expected: string, actual: string): DownloadError {
  const from = a.checksum.kind === 'file' ? `the checksum file ${a.checksum.url}` : a.checksum.kind === 'pinned' ? a.checksum.source : 'nowhere';
  const pinnedByProfile = a.checksum.kind === 'pinned' && a.checksum.source.startsWith('profile ');
  return new DownloadError(
    `sha256 mismatch for ${a.fileName} from ${a.url}: expected ${expected} (${from}), got ${actual}; the file was deleted`,
    {
      file: a.fileName,
      ...(pinnedByProfile && { field: `download.checksums["${a.fileName}"]` }),
      hint: pinnedByProfile
        ? 'check the value in download.checksums against the upstream release, and that the mirror serves the upstream file'
        : 'the mirror, a proxy or the network changed the file: check download.mirrors and the proxy, then run again',
    },
  );
}

async function expectedFor(a: Artifact, opts: FetchArtifactsOptions): Promise<string> {
  switch (a.checksum.kind) {
    case 'pinned':
      return a.checksum.sha256.toLowerCase();
    case 'file': {
      const text = await fetchText(a.checksum.url, opts);
      return expectedSha256(text, a.fileName, a.checksum.format, a.checksum.url);
    }
    case 'missing':
      throw missingChecksumError([a]);
  }
}

async function fetchOne(a: Artifact, opts: FetchArtifactsOptions): Promise<FetchedArtifact> {
  const entry = cacheEntry(opts.cacheDir, a);
  const known = a.checksum.kind === 'pinned' ? a.checksum.sha256 : undefined;
  let sha256 = await verifiedCached(entry, known);
  const fromCache = sha256 !== undefined;
  if (sha256 === undefined && opts.offline) {
    throw new DownloadError(`${a.fileName} is not in the download cache ${opts.cacheDir} (offline mode)`, {
      file: a.fileName,
      hint: 'fill the cache first with `kubeup cache prepare` on a machine that can reach the mirror, and copy the cache folder here',
    });
  }
  if (sha256 === undefined) {
    const expected = await expectedFor(a, opts);
    await ensureEntryDir(entry);
    await downloadFile(a.url, entry.file, {
      ...opts,
      expect: a.content,
      onProgress: (done, total) => opts.onProgress?.(a.id, done, total),
      verify: async (tmp) => {
        const actual = await sha256File(tmp);
        if (actual !== expected) throw mismatchError(a, expected, actual);
      },
    });
    await writeRecord(entry, expected, a.fileName);
    sha256 = expected;
  }
  const members = a.binaries.filter((b) => b.member !== undefined);
  const extracted = members.length ? await extractOnce(entry.file, sha256, members.map((b) => ({ member: b.member!, name: b.name })), entry.extractDir) : {};
  // Only when needed: a chmod changes the file's ctime, and with it the key of the sha256 memo (ssh/local-hash.ts).
  if (members.length < a.binaries.length && ((await stat(entry.file)).mode & 0o777) !== 0o755) await chmod(entry.file, 0o755);
  return {
    artifact: a,
    file: entry.file,
    sha256,
    fromCache,
    binaries: a.binaries.map((b) => ({ ...b, path: b.member !== undefined ? extracted[b.name]! : entry.file })),
  };
}

/**
 * Extracts the members, unless this very tarball (by sha256) was already extracted there and the files are still in
 * place: a re-run then reads nothing from the archive. The marker is written last, so a cut-short extraction is redone.
 */
async function extractOnce(tarball: string, sha256: string, members: { member: string; name: string }[], dir: string): Promise<Record<string, string>> {
  const marker = join(dir, '.extracted');
  const want = `${sha256} ${members.map((m) => `${m.member}=${m.name}`).sort().join(' ')}`;
  const paths = Object.fromEntries(members.map((m) => [m.name, join(dir, m.name)]));
  const done = await readFile(marker, 'utf8').catch(() => undefined);
  if (done === want && (await Promise.all(Object.values(paths).map((p) => access(p).then(() => true, () => false)))).every(Boolean)) return paths;
  const out = await extractMembers(tarball, members, dir);
  await writeFile(marker, want);
  return out;
}

// Within one process, two callers asking for the same artefact in the same cache share one download.
const inFlight = new Map<string, Promise<FetchedArtifact>>();

function fetchShared(a: Artifact, opts: FetchArtifactsOptions): Promise<FetchedArtifact> {
  const key = `${opts.cacheDir}\0${a.id}\0${a.url}`;
  let p = inFlight.get(key);
  if (!p) {
    p = fetchOne(a, opts).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

/**
 * Makes every artefact available in the cache, verified, and returns the local path of each binary, in the order
 * of the (de-duplicated) input. Refuses up front, before any download, when an artefact has no known sha256.
 */
export async function fetchArtifacts(artifacts: readonly Artifact[], opts: FetchArtifactsOptions): Promise<FetchedArtifact[]> {
  const unique = [...new Map(artifacts.map((a) => [a.id, a])).values()];
  // The cache's sums outlive the run: a re-run checks its cached files by their stat facts, not by reading them.
  keepSha256sIn(opts.cacheDir);
  const missing = missingChecksums(unique);
  if (missing.length > 0) throw missingChecksumError(missing);
  const results: FetchedArtifact[] = new Array(unique.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < unique.length && errors.length === 0) {
      const i = next++;
      try {
        results[i] = await fetchShared(unique[i]!, opts);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  const lanes = Math.max(1, Math.min(opts.concurrency ?? 4, unique.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
}

export interface PrepareCacheOptions extends Partial<Omit<FetchArtifactsOptions, 'proxy'>> {
  env?: NodeJS.ProcessEnv;
}

/**
 * `kubeup cache prepare`: fills the local cache with everything a profile needs for these arches, without touching
 * any host. Uses profile.download.cacheDir and profile.download.proxy.
 */
export async function prepareCache(profile: Profile, arches: readonly Arch[], opts: PrepareCacheOptions = {}): Promise<FetchedArtifact[]> {
  const cacheDir = opts.cacheDir ?? resolveCacheDir(profile.download.cacheDir, opts.env);
  return fetchArtifacts(releaseManifest(profile, arches), {
    ...opts,
    cacheDir,
    ...(profile.download.proxy !== undefined && { proxy: profile.download.proxy }),
  });
}
