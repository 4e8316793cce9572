// The local download cache: <cacheDir>/<component>/<version>/<arch>/<file>, with <file>.sha256 recording the sha256
// it was verified against. Entries are written under a temporary name and renamed, so concurrent runs never see
// half a file; an entry whose content no longer matches its record is removed and fetched again.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { absoluteEnv, homeDir } from '../state.js';
import { DownloadError } from '../errors.js';
import { isSha256, sha256File } from './checksum.js';
import type { Env } from './proxy.js';
import type { Artifact } from './types.js';

/** profile.download.cacheDir, else $XDG_CACHE_HOME/kubeup, else ~/.cache/kubeup. `~/` is expanded. */
export function resolveCacheDir(cacheDir: string | undefined, env: Env = process.env): string {
  const home = homeDir(env);
  if (cacheDir !== undefined && cacheDir !== '') {
    const expanded = cacheDir === '~' ? home : cacheDir.startsWith('~/') ? join(home, cacheDir.slice(2)) : cacheDir;
    return resolve(expanded);
  }
  const xdg = absoluteEnv(env, 'XDG_CACHE_HOME');
  if (xdg) return join(xdg, 'kubeup');
  return join(home, '.cache', 'kubeup');
}

export interface CacheEntry {
  dir: string;
  /** The downloaded file. */
  file: string;
  /** `<sha256>  <file name>` of the verified file. */
  record: string;
  /** Extracted binaries of a tarball. */
  extractDir: string;
}

function safeSegment(s: string, what: string): string {
  if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) {
    throw new DownloadError(`${what} "${s}" cannot be used in a cache path`, { hint: 'check the versions in the profile' });
  }
  return s;
}

export function cacheEntry(cacheDir: string, a: Pick<Artifact, 'component' | 'version' | 'arch' | 'fileName'>): CacheEntry {
  const dir = join(cacheDir, safeSegment(a.component, 'component'), safeSegment(a.version, 'version'), safeSegment(a.arch, 'arch'));
  const file = join(dir, safeSegment(a.fileName, 'file name'));
  return { dir, file, record: `${file}.sha256`, extractDir: `${file}.d` };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readRecord(entry: CacheEntry): Promise<string | undefined> {
  try {
    const hex = (await readFile(entry.record, 'utf8')).trim().split(/\s+/)[0] ?? '';
    return isSha256(hex) ? hex.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a cache entry (file, record, extracted binaries). */
export async function dropEntry(entry: CacheEntry): Promise<void> {
  await rm(entry.record, { force: true });
  await rm(entry.file, { force: true });
  await rm(entry.extractDir, { recursive: true, force: true });
}

/**
 * The sha256 of a cached file that still matches its record (and `expected`, when the caller knows it without a
 * request), or undefined. A corrupted or mismatching entry is removed.
 */
export async function verifiedCached(entry: CacheEntry, expected?: string): Promise<string | undefined> {
  const recorded = await readRecord(entry);
  if (!recorded || !(await exists(entry.file))) return undefined;
  if (expected !== undefined && recorded !== expected.toLowerCase()) {
    await dropEntry(entry);
    return undefined;
  }
  const actual = await sha256File(entry.file);
  if (actual !== recorded) {
    await dropEntry(entry);
    return undefined;
  }
  return actual;
}

/** A temporary download this old was left by a run that died; younger ones may belong to a run still going. */
const STALE_PART_MS = 24 * 60 * 60 * 1000;

export async function ensureEntryDir(entry: CacheEntry, now = Date.now()): Promise<void> {
  await mkdir(entry.dir, { recursive: true });
  const prefix = `${basename(entry.file)}.`;
  for (const name of await readdir(entry.dir)) {
    if (!name.startsWith(prefix) || !(name.endsWith('.part') || name.endsWith('.tmp'))) continue;
    const path = join(entry.dir, name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_PART_MS) await rm(path, { force: true });
    } catch {
      // Gone already: another run finished or cleaned it.
    }
  }
}

/** Records the verified sha256 (temp + rename). */
export async function writeRecord(entry: CacheEntry, sha256: string, fileName: string): Promise<void> {
  const tmp = `${entry.record}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${sha256}  ${fileName}\n`, { mode: 0o644 });
    await rename(tmp, entry.record);
  } finally {
    await rm(tmp, { force: true });
  }
}
