import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError } from '../../../src/errors.js';
import { extractMembers, normalizeMember } from '../../../src/release/extract.js';
import { fakeElf, makeTarball } from './fixture-server.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeup-extract-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('extractMembers', () => {
  it('takes only the named members, renames them, makes them executable and leaves nothing else', async () => {
    const etcd = fakeElf('etcd');
    const bridge = fakeElf('bridge');
    const tarball = join(dir, 'r.tgz');
    await writeFile(tarball, await makeTarball({ 'etcd-v1/etcd': etcd, 'etcd-v1/README.md': Buffer.from('x'), './bridge': bridge, './vlan': fakeElf('v') }));
    const out = join(dir, 'out');
    const paths = await extractMembers(tarball, [{ member: 'etcd-v1/etcd', name: 'etcd' }, { member: 'bridge', name: 'bridge' }], out);
    expect(paths).toEqual({ bridge: join(out, 'bridge'), etcd: join(out, 'etcd') });
    expect(await readFile(paths.etcd!)).toEqual(etcd);
    expect(await readFile(paths.bridge!)).toEqual(bridge);
    expect((await stat(paths.etcd!)).mode & 0o777).toBe(0o755);
    expect((await readdir(out)).sort()).toEqual(['bridge', 'etcd']);
    expect((await readdir(dir)).sort()).toEqual(['out', 'r.tgz']);
  });

  it('replaces binaries extracted before', async () => {
    const tarball = join(dir, 'r.tgz');
    const out = join(dir, 'out');
    await writeFile(tarball, await makeTarball({ flanneld: fakeElf('old') }));
    await extractMembers(tarball, [{ member: 'flanneld', name: 'flanneld' }], out);
    const fresh = fakeElf('new');
    await writeFile(tarball, await makeTarball({ flanneld: fresh }));
    await extractMembers(tarball, [{ member: './flanneld', name: 'flanneld' }], out);
    expect(await readFile(join(out, 'flanneld'))).toEqual(fresh);
  });

  it('names the missing member and the tarball', async () => {
    const tarball = join(dir, 'containerd-2.3.5-linux-amd64.tar.gz');
    await writeFile(tarball, await makeTarball({ 'bin/containerd': fakeElf('c') }));
    const err = (await extractMembers(tarball, [{ member: 'bin/containerd', name: 'containerd' }, { member: 'bin/ctr', name: 'ctr' }], join(dir, 'out')).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe('containerd-2.3.5-linux-amd64.tar.gz has no member "bin/ctr"');
    expect(err.file).toBe(tarball);
  });

  it('does not accept a symlink in place of a binary', async () => {
    const src = join(dir, 'src');
    await writeFile(join(dir, 'target'), 'x');
    await (await import('node:fs/promises')).mkdir(src);
    await symlink('/etc/passwd', join(src, 'runc'));
    const tarball = join(dir, 'l.tgz');
    await tar.c({ gzip: true, cwd: src, file: tarball }, ['runc']);
    await expect(extractMembers(tarball, [{ member: 'runc', name: 'runc' }], join(dir, 'out'))).rejects.toThrow('has no member "runc"');
  });

  it('reports a file that is not a tarball', async () => {
    const bogus = join(dir, 'bogus.tgz');
    await writeFile(bogus, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]));
    await expect(extractMembers(bogus, [{ member: 'x', name: 'x' }], join(dir, 'out'))).rejects.toThrow(DownloadError);
  });
});

describe('normalizeMember', () => {
  it('treats ./x, x and x/ alike', () => {
    expect(normalizeMember('./bridge')).toBe('bridge');
    expect(normalizeMember('bin//ctr')).toBe('bin/ctr');
    expect(normalizeMember('a/')).toBe('a');
  });
});
