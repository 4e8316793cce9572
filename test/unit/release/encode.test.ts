import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseEncoding, encodedCopy, encodedPath, operatorEncodings } from '../../../src/release/encode.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeup-encode-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Compressible like a binary: repeated structure with some noise. */
const binaryLike = () => Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.concat([Buffer.from(`section ${i} `.repeat(200)), randomBytes(256)])));
const hasProgram = (p: string) => {
  try {
    execFileSync(p, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('chooseEncoding', () => {
  it('takes zstd over xz over gzip, only what both sides have, and nothing when they share none', () => {
    expect(chooseEncoding(['gzip', 'xz', 'zstd'], ['zstd', 'xz', 'gzip'])).toBe('zstd');
    expect(chooseEncoding(['gzip', 'xz'], ['zstd', 'xz', 'gzip'])).toBe('xz');
    expect(chooseEncoding(['zstd', 'gzip'], ['gzip'])).toBe('gzip');
    expect(chooseEncoding([], ['zstd', 'gzip'])).toBeUndefined();
  });

  it('this machine always writes gzip (zlib), and zstd or xz exactly when their programs run', async () => {
    const have = await operatorEncodings();
    expect(have).toContain('gzip');
    expect(have.includes('zstd')).toBe(hasProgram('zstd'));
    expect(have.includes('xz')).toBe(hasProgram('xz'));
  });
});

describe('encodedCopy', () => {
  it('compresses once into <cache>/encoded/<sha256>.gz; the copy expands to the very bytes; the next call reuses it', async () => {
    const bytes = binaryLike();
    const file = join(dir, 'kubelet');
    await writeFile(file, bytes);
    const cache = join(dir, 'cache');
    const first = await encodedCopy(cache, file, sha(bytes), 'gzip');
    expect(first.path).toBe(join(cache, 'encoded', `${sha(bytes)}.gz`));
    expect(first.size).toBeLessThan(bytes.length / 2);
    expect(gunzipSync(await readFile(first.path)).equals(bytes)).toBe(true);
    const mtime = (await stat(first.path)).mtimeMs;
    // The binary is found by its sha256: a second run (another path to the same bytes) compresses nothing.
    await new Promise((r) => setTimeout(r, 20));
    const again = await encodedCopy(cache, join(dir, 'missing-path-not-read'), sha(bytes), 'gzip');
    expect(again).toEqual(first);
    expect((await stat(first.path)).mtimeMs).toBe(mtime);
  });

  it('hosts asking at once share one compression', async () => {
    const bytes = binaryLike();
    const file = join(dir, 'etcd');
    await writeFile(file, bytes);
    const copies = await Promise.all(Array.from({ length: 5 }, () => encodedCopy(join(dir, 'cache'), file, sha(bytes), 'gzip')));
    expect(new Set(copies.map((c) => c.path)).size).toBe(1);
  });

  it('a copy that no longer matches its record is made again (never sent damaged)', async () => {
    const bytes = binaryLike();
    const file = join(dir, 'runc');
    await writeFile(file, bytes);
    const cache = join(dir, 'cache');
    const first = await encodedCopy(cache, file, sha(bytes), 'gzip');
    await writeFile(first.path, 'damaged');
    const again = await encodedCopy(cache, file, sha(bytes), 'gzip');
    expect(gunzipSync(await readFile(again.path)).equals(bytes)).toBe(true);
  });

  it.runIf(hasProgram('zstd'))('zstd: the copy expands with zstd -dc to the very bytes', async () => {
    const bytes = binaryLike();
    const file = join(dir, 'containerd');
    await writeFile(file, bytes);
    const copy = await encodedCopy(join(dir, 'cache'), file, sha(bytes), 'zstd');
    expect(copy.path.endsWith('.zst')).toBe(true);
    expect(execFileSync('zstd', ['-dcq', '--', copy.path]).equals(bytes)).toBe(true);
  });

  it('a missing source is a clear error naming it and what to do, and leaves no copy', async () => {
    const cache = join(dir, 'cache');
    const s = 'a'.repeat(64);
    await expect(encodedCopy(cache, join(dir, 'nope'), s, 'gzip')).rejects.toThrow(/cannot compress .*nope with gzip/);
    await expect(stat(encodedPath(cache, s, 'gzip'))).rejects.toThrow();
  });
});
