// The small pure parts: checksum file parsing, proxy choice, cache locations, and the profile's download.checksums.
import { describe, expect, it } from 'vitest';
import { DownloadError } from '../../../src/errors.js';
import { checkRules } from '../../../src/profile/rules.js';
import { validateProfile } from '../../../src/profile/validate.js';
import { releaseManifest } from '../../../src/release/manifest.js';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheEntry, ensureEntryDir, resolveCacheDir } from '../../../src/release/cache.js';
import { expectedSha256 } from '../../../src/release/checksum.js';
import { bypassesProxy, proxyFor, redactUrl } from '../../../src/release/proxy.js';
import { testProfile } from './fixture-server.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('expectedSha256', () => {
  it('reads a hex-only file (dl.k8s.io) and lower-cases it', () => {
    expect(expectedSha256(`${A.toUpperCase()}\n`, 'kubelet', 'hex', 'u')).toBe(A);
  });

  it('reads the line for exactly the file from a sums file, in sha256sum text or binary mode', () => {
    const text = `${A}  etcd-v3.6.14-linux-arm64.tar.gz\r\n${B} *etcd-v3.6.14-linux-amd64.tar.gz\n`;
    expect(expectedSha256(text, 'etcd-v3.6.14-linux-amd64.tar.gz', 'sums', 'u')).toBe(B);
    expect(expectedSha256(`${A}  ./cni.tgz`, 'cni.tgz', 'sums', 'u')).toBe(A);
    expect(expectedSha256(`${A}  runc.amd64\n${B}  runc.arm64\n`, 'runc.arm64', 'sums', 'u')).toBe(B);
  });

  it('does not take a line for a longer or shorter name', () => {
    const text = `${A}  runc.amd64.asc\n${B}  xrunc.amd64\n`;
    expect(() => expectedSha256(text, 'runc.amd64', 'sums', 'http://m/runc.sha256sum')).toThrow(DownloadError);
    expect(() => expectedSha256(text, 'runc.amd64', 'sums', 'http://m/runc.sha256sum')).toThrow(
      'the checksum file http://m/runc.sha256sum has no "<sha256>  runc.amd64" line',
    );
  });

  it('rejects a hex file that holds something else, or names another file', () => {
    expect(() => expectedSha256('not a checksum', 'kubelet', 'hex', 'u')).toThrow('holds no sha256 (64 hex digits) for kubelet');
    expect(() => expectedSha256(`${A}  kubectl`, 'kubelet', 'hex', 'u')).toThrow(DownloadError);
    expect(expectedSha256(`${A}  kubelet`, 'kubelet', 'hex', 'u')).toBe(A);
  });
});

describe('proxyFor', () => {
  const https = new URL('https://dl.k8s.io/release/x');
  const http = new URL('http://mirror.lan:8080/x');

  it('uses the profile proxy for every URL', () => {
    expect(proxyFor(https, { proxy: 'http://p:3128', env: { HTTPS_PROXY: 'http://other:1' } })?.host).toBe('p:3128');
    expect(proxyFor(http, { proxy: 'http://p:3128', env: {} })?.host).toBe('p:3128');
  });

  it('else HTTPS_PROXY for https and HTTP_PROXY for http, either case, bare host:port allowed', () => {
    const env = { https_proxy: 'secure:3128', HTTP_PROXY: 'http://plain:8080' };
    expect(proxyFor(https, { env })?.toString()).toBe('http://secure:3128/');
    expect(proxyFor(http, { env })?.toString()).toBe('http://plain:8080/');
    expect(proxyFor(https, { env: { HTTP_PROXY: 'http://plain:8080' } })).toBeUndefined();
    expect(proxyFor(https, { env: {} })).toBeUndefined();
  });

  it('honours NO_PROXY: names, suffixes, ports and *', () => {
    expect(bypassesProxy(https, 'dl.k8s.io')).toBe(true);
    expect(bypassesProxy(https, '.k8s.io')).toBe(true);
    expect(bypassesProxy(https, '*.k8s.io')).toBe(true);
    expect(bypassesProxy(https, 'k8s.io')).toBe(true);
    expect(bypassesProxy(https, 'example.com, github.com')).toBe(false);
    expect(bypassesProxy(https, 'io.k8s')).toBe(false);
    expect(bypassesProxy(http, 'mirror.lan:8080')).toBe(true);
    expect(bypassesProxy(http, 'mirror.lan:9090')).toBe(false);
    expect(bypassesProxy(http, '*')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:80/x'), '::1')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:80/x'), '[::1]:80')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:80/x'), '[::1]:81')).toBe(false);
    expect(proxyFor(https, { proxy: 'http://p:1', env: { no_proxy: 'dl.k8s.io' } })).toBeUndefined();
  });

  it('refuses a proxy URL of another scheme, and never shows its password', () => {
    expect(() => proxyFor(https, { proxy: 'socks5://u:pw@p:1080', env: {} })).toThrow('proxy socks5://***@p:1080 is not an http:// or https:// URL');
    expect(redactUrl('http://user:secret@p:3128/')).toBe('http://***@p:3128/');
    expect(redactUrl('http://p:3128/')).toBe('http://p:3128/');
  });
});

describe('cache locations', () => {
  it('uses download.cacheDir (with ~ expanded), else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(resolveCacheDir('/var/cache/k', { HOME: '/home/u' })).toBe('/var/cache/k');
    expect(resolveCacheDir('~/kc', { HOME: '/home/u' })).toBe('/home/u/kc');
    expect(resolveCacheDir(undefined, { HOME: '/home/u', XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/kubeup');
    expect(resolveCacheDir(undefined, { HOME: '/home/u', XDG_CACHE_HOME: 'relative' })).toBe('/home/u/.cache/kubeup');
    expect(resolveCacheDir(undefined, { HOME: '/home/u' })).toBe('/home/u/.cache/kubeup');
  });

  it('keys an entry by component, version, arch and file, and refuses path tricks', () => {
    const e = cacheEntry('/c', { component: 'etcd', version: '3.6.14', arch: 'amd64', fileName: 'etcd.tar.gz' });
    expect(e).toEqual({ dir: '/c/etcd/3.6.14/amd64', file: '/c/etcd/3.6.14/amd64/etcd.tar.gz', record: '/c/etcd/3.6.14/amd64/etcd.tar.gz.sha256', extractDir: '/c/etcd/3.6.14/amd64/etcd.tar.gz.d' });
    expect(() => cacheEntry('/c', { component: 'etcd', version: '../../x', arch: 'amd64', fileName: 'f' })).toThrow(DownloadError);
  });
});

describe('cache clean-up', () => {
  it('removes temporary downloads a dead run left a day ago, and keeps recent ones and other files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kubeup-stale-'));
    try {
      const e = cacheEntry(root, { component: 'runc', version: '1.5.1', arch: 'amd64', fileName: 'runc.amd64' });
      await ensureEntryDir(e);
      const old = `${e.file}.123.abcd.part`;
      const recent = `${e.file}.456.ef01.part`;
      for (const f of [old, recent, e.file, `${e.dir}/other.part`]) await writeFile(f, 'x');
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
      await utimes(old, twoDaysAgo, twoDaysAgo);
      await utimes(`${e.dir}/other.part`, twoDaysAgo, twoDaysAgo);
      await ensureEntryDir(e);
      expect((await readdir(e.dir)).sort()).toEqual(['other.part', 'runc.amd64', 'runc.amd64.456.ef01.part']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('profile download.checksums rules', () => {
  it('accepts 64 hex digits per bare file name and reports anything else at its field', () => {
    const ok = testProfile({}, { checksums: { 'flannel-v0.28.9-linux-amd64.tar.gz': A.toUpperCase() } });
    expect(checkRules(ok).issues).toEqual([]);
    const bad = testProfile({}, { checksums: { 'x.tar.gz': 'abc', 'dir/y.tgz': B } });
    expect(checkRules(bad).issues).toEqual([
      { path: 'download.checksums["dir/y.tgz"]', message: '"dir/y.tgz" is not a file name', hint: 'use the bare upstream file name, e.g. flanneld-amd64' },
      { path: 'download.checksums["x.tar.gz"]', message: '"abc" is not a sha256', hint: 'write the sha256 of the file as 64 hex digits, as sha256sum prints it' },
    ]);
  });

  it('carries a valid value from the written profile to the manifest, and rejects a bad one at its path', () => {
    const file = 'flanneld-amd64';
    const input = {
      name: 'lab',
      hosts: [{ address: '192.168.213.10', roles: 'ai' }],
      versions: { flannel: '0.28.9' },
      download: { checksums: { [file]: A } },
    };
    const { profile, issues } = validateProfile(input);
    expect(issues).toEqual([]);
    const flannel = releaseManifest(profile!, ['amd64']).find((a) => a.component === 'flannel')!;
    expect(flannel.checksum).toEqual({ kind: 'pinned', sha256: A, source: `profile download.checksums["${file}"]` });

    const bad = validateProfile({ ...input, download: { checksums: { [file]: 'sha256:abc' } } });
    expect(bad.profile).toBeUndefined();
    expect(bad.issues.map((i) => i.path)).toEqual([`download.checksums["${file}"]`]);
    const wrongType = validateProfile({ ...input, download: { checksums: { [file]: 42 } } });
    expect(wrongType.issues.map((i) => i.path)).toEqual([`download.checksums.${file}`]);
  });
});
