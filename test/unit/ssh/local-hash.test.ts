// The local sha256 memo: under the download cache the sums outlive the process, keyed by the file's stat facts.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** The module as a new process sees it: no sums in memory. */
const fresh = async () => {
  vi.resetModules();
  return import('../../../src/ssh/local-hash.js');
};

describe('localFileSha256 with a memo in the cache folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-hash-'));
  const cache = join(dir, 'cache');
  mkdirSync(join(cache, 'etcd'), { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const memoLines = () => readFileSync(join(cache, 'sha256-memo'), 'utf8').trim().split('\n');
  /** Puts a made-up sum in the memo for `path`, with its current stat facts: taken only if the memo is trusted. */
  const forge = (path: string, fake: string) => {
    const lines = memoLines().map((l) => (l.endsWith(`\t${path}`) ? l.replace(/\t[0-9a-f]{64}\t/, `\t${fake}\t`) : l));
    writeFileSync(join(cache, 'sha256-memo'), `${lines.join('\n')}\n`);
  };

  it('a later run takes the sum of an unchanged cached file from the memo, without reading the file', async () => {
    const f = join(cache, 'etcd', 'etcd');
    writeFileSync(f, 'etcd v1');
    let m = await fresh();
    m.keepSha256sIn(cache, { settledMs: 0 });
    expect(await m.localFileSha256(f)).toBe(sha('etcd v1'));
    expect(memoLines()).toEqual([expect.stringMatching(new RegExp(`\\t${sha('etcd v1')}\\t${f}$`))]);
    forge(f, 'b'.repeat(64));
    m = await fresh();
    m.keepSha256sIn(cache, { settledMs: 0 });
    expect(await m.localFileSha256(f)).toBe('b'.repeat(64));
  });

  it('a file written since (same size, its mtime put back) is read again', async () => {
    const f = join(cache, 'etcd', 'etcdctl');
    writeFileSync(f, 'ctl v1');
    const before = statSync(f);
    let m = await fresh();
    m.keepSha256sIn(cache, { settledMs: 0 });
    await m.localFileSha256(f);
    forge(f, 'c'.repeat(64));
    // Past the kernel's coarse time stamps (a few ms): the write below gets another ctime.
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(f, 'ctl v2');
    utimesSync(f, before.atime, before.mtime);
    m = await fresh();
    m.keepSha256sIn(cache, { settledMs: 0 });
    expect(await m.localFileSha256(f)).toBe(sha('ctl v2'));
  });

  it('keeps nothing for files outside the cache or on their way in', async () => {
    const outside = join(dir, 'profile-file');
    const part = join(cache, 'etcd', 'etcd.123.abcd.part');
    writeFileSync(outside, 'x');
    writeFileSync(part, 'y');
    const m = await fresh();
    m.keepSha256sIn(cache, { settledMs: 0 });
    expect(await m.localFileSha256(outside)).toBe(sha('x'));
    expect(await m.localFileSha256(part)).toBe(sha('y'));
    expect(memoLines().some((l) => l.endsWith(outside) || l.endsWith(part))).toBe(false);
  });

  it('does not remember a file changed a moment ago (the next write could keep every stat fact)', async () => {
    const f = join(cache, 'etcd', 'just-written');
    writeFileSync(f, 'new');
    const m = await fresh();
    m.keepSha256sIn(cache);
    expect(await m.localFileSha256(f)).toBe(sha('new'));
    expect(memoLines().some((l) => l.endsWith(`\t${f}`))).toBe(false);
  });
});
