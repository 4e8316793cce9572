// Compressed copies of release binaries for the upload: each binary is compressed ONCE, into the download cache under
// its own sha256 (<cache>/encoded/<sha256>.zst), and every host of every run sends that copy. A copy is written under
// a temporary name and renamed, with a record of its own sha256: one that no longer matches is made again. The host
// expands it and checks the sha256 of the result before it takes the file (src/ssh/upload.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DownloadError } from '../errors.js';
import type { Encoding } from '../ssh/session.js';
import { isSha256, sha256File } from './checksum.js';

/** Preferred first: zstd (fast to expand, small), xz (smaller, slow), gzip (every host has it). */
export const ENCODING_PREFERENCE: readonly Encoding[] = ['zstd', 'xz', 'gzip'];

const SUFFIX: Record<Encoding, string> = { zstd: 'zst', xz: 'xz', gzip: 'gz' };

/** The command that compresses to stdout on this machine; gzip is Node's own zlib. zstd -6 and xz -6: see README. */
const COMMAND: Partial<Record<Encoding, string[]>> = { zstd: ['zstd', '-q', '-6', '-T0', '-c', '--'], xz: ['xz', '-6', '-T0', '-c', '--'] };

let available: Promise<Encoding[]> | undefined;

/**
 * The formats this machine can write: gzip always, zstd and xz when their programs (Debian `zstd`, `xz-utils`) run.
 * A missing program only takes its format out of the choice.
 */
export function operatorEncodings(): Promise<Encoding[]> {
  available ??= Promise.all(
    ENCODING_PREFERENCE.map(async (e) => {
      const cmd = COMMAND[e];
      return !cmd || (await runs(cmd[0]!, ['--version'])) ? e : undefined;
    }),
  ).then((list) => list.filter((e): e is Encoding => e !== undefined));
  return available;
}

function runs(cmd: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/** The first format of ENCODING_PREFERENCE both sides have; undefined: the host expands none, send the bytes. */
export function chooseEncoding(host: readonly Encoding[], operator: readonly Encoding[]): Encoding | undefined {
  return ENCODING_PREFERENCE.find((e) => host.includes(e) && operator.includes(e));
}

export interface EncodedCopy {
  path: string;
  /** Bytes of the compressed copy: what goes over the wire. */
  size: number;
}

/** Where the compressed copy of the binary with this sha256 lives in the cache. */
export function encodedPath(cacheDir: string, sha256: string, format: Encoding): string {
  if (!isSha256(sha256)) throw new DownloadError(`"${sha256}" is not a sha256: cannot name a compressed copy after it`, { hint: 'this is a bug in kubeup' });
  return join(cacheDir, 'encoded', `${sha256.toLowerCase()}.${SUFFIX[format]}`);
}

// Within one process, hosts asking for the same copy share one compression.
const inFlight = new Map<string, Promise<EncodedCopy>>();

/**
 * The compressed copy of `localPath` (whose sha256 is `sha256`) in `format`: from the cache when its record still
 * matches, else compressed now (once for every host waiting on it).
 */
export function encodedCopy(cacheDir: string, localPath: string, sha256: string, format: Encoding): Promise<EncodedCopy> {
  const path = encodedPath(cacheDir, sha256, format);
  let p = inFlight.get(path);
  if (!p) {
    p = (async () => (await cachedCopy(path)) ?? (await compress(localPath, path, format)))().finally(() => inFlight.delete(path));
    inFlight.set(path, p);
  }
  return p;
}

async function cachedCopy(path: string): Promise<EncodedCopy | undefined> {
  const recorded = (await readFile(`${path}.sha256`, 'utf8').catch(() => '')).trim().split(/\s+/)[0] ?? '';
  if (!isSha256(recorded)) return undefined;
  const actual = await sha256File(path).catch(() => undefined);
  if (actual !== recorded.toLowerCase()) {
    await rm(path, { force: true });
    await rm(`${path}.sha256`, { force: true });
    return undefined;
  }
  return { path, size: (await stat(path)).size };
}

async function compress(localPath: string, path: string, format: Encoding): Promise<EncodedCopy> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const cmd = COMMAND[format];
    if (cmd) await compressWith(cmd, localPath, tmp, format);
    else await pipeline(createReadStream(localPath), createGzip({ level: 6 }), createWriteStream(tmp, { mode: 0o644 }));
    const sum = await sha256File(tmp);
    await rename(tmp, path);
    await writeFile(`${path}.sha256.${process.pid}.tmp`, `${sum}  ${path.split('/').pop()}\n`, { mode: 0o644 });
    await rename(`${path}.sha256.${process.pid}.tmp`, `${path}.sha256`);
    return { path, size: (await stat(path)).size };
  } catch (err) {
    throw err instanceof DownloadError
      ? err
      : new DownloadError(`cannot compress ${localPath} with ${format} into ${path}: ${(err as Error).message}`, {
          file: localPath,
          hint: 'check free space in the download cache (download.cacheDir), or set download.transfer: plain to send binaries as they are',
        });
  } finally {
    await rm(tmp, { force: true });
  }
}

function compressWith(cmd: string[], input: string, output: string, format: Encoding): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(output, { mode: 0o644 });
    const child = spawn(cmd[0]!, [...cmd.slice(1), input], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.on('error', reject);
    child.stdout.pipe(out);
    let code: number | null | undefined;
    let flushed = false;
    const settle = () => {
      if (code === undefined || !flushed) return;
      if (code === 0) resolve();
      else reject(new Error(`${format} exited with ${code ?? 'a signal'}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    };
    out.on('error', reject);
    out.on('close', () => ((flushed = true), settle()));
    child.on('close', (c) => ((code = c), settle()));
  });
}
