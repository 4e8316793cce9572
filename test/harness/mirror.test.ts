// The release mirror serves upstream layouts with checksums that match, real Debian binaries and the real kubectl,
// root-owned tarballs with the right modes, every fault switch, and reuses its cache on the next start.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import { startMirror, type Mirror } from './mirror/index.js';

const run = promisify(execFile);
const V = DEFAULT_VERSIONS;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function get(url: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

/** A raw GET that reports what arrived even when the server cuts the connection. */
function rawGet(url: string): Promise<{ status: number; announced: number; received: Buffer; aborted: boolean; chunks: number[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const parts: Buffer[] = [];
      let aborted = false;
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          announced: Number(res.headers['content-length']),
          received: Buffer.concat(parts),
          aborted: aborted || !res.complete,
          chunks: parts.map((p) => p.length),
        }),
      );
    });
    req.on('error', reject);
  });
}

interface Entry {
  path: string;
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
  type: string;
  sha256?: string;
}

async function listTarball(bytes: Buffer): Promise<Entry[]> {
  const entries: Entry[] = [];
  const parser = new tar.Parser({
    onReadEntry: (e) => {
      const parts: Buffer[] = [];
      e.on('data', (c: Buffer) => parts.push(c));
      e.on('end', () =>
        entries.push({
          path: e.path,
          mode: e.mode ?? -1,
          uid: e.uid,
          gid: e.gid,
          type: e.type,
          sha256: e.type === 'File' ? sha256(Buffer.concat(parts)) : undefined,
        }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve).on('error', reject);
    parser.end(bytes);
  });
  return entries;
}

/** Upstream paths below each base URL, written out here independently of the mirror's own layout module. */
const K8S_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kubelet', 'kube-proxy'];
/** By default the mirror also serves the next patch release, for upgrade tests (1.35.2 and 1.35.3). */
const NEXT_PATCH = V.kubernetes.replace(/\d+$/, (p) => String(Number(p) + 1));
const EXPECTED: { component: keyof Mirror['baseUrls']; path: string; checksum: string | null }[] = [
  ...[V.kubernetes, NEXT_PATCH].flatMap((k) =>
    K8S_BINARIES.map((b) => ({
      component: 'kubernetes' as const,
      path: `v${k}/bin/linux/amd64/${b}`,
      checksum: `v${k}/bin/linux/amd64/${b}.sha256`,
    })),
  ),
  { component: 'etcd', path: `v${V.etcd}/etcd-v${V.etcd}-linux-amd64.tar.gz`, checksum: `v${V.etcd}/SHA256SUMS` },
  { component: 'flannel', path: `v${V.flannel}/flanneld-amd64`, checksum: null },
  { component: 'flannel', path: `v${V.flannel}/flannel-v${V.flannel}-linux-amd64.tar.gz`, checksum: null },
  {
    component: 'flannelCniPlugin',
    path: `v${V.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${V.flannelCniPlugin}.tgz`,
    checksum: `v${V.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${V.flannelCniPlugin}.tgz.sha256`,
  },
  {
    component: 'containerd',
    path: `v${V.containerd}/containerd-${V.containerd}-linux-amd64.tar.gz`,
    checksum: `v${V.containerd}/containerd-${V.containerd}-linux-amd64.tar.gz.sha256sum`,
  },
  { component: 'runc', path: `v${V.runc}/runc.amd64`, checksum: `v${V.runc}/runc.sha256sum` },
  {
    component: 'cniPlugins',
    path: `v${V.cniPlugins}/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz`,
    checksum: `v${V.cniPlugins}/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz.sha256`,
  },
];

/** The digest a checksum file gives for `fileName`: bare hex files hold just the digest, others `<hex>  <name>` lines. */
function digestFor(text: string, fileName: string, bare: boolean): string | undefined {
  if (bare) {
    expect(text).toMatch(/^[0-9a-f]{64}$/);
    return text;
  }
  for (const line of text.split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    expect(m, `checksum line "${line}"`).not.toBeNull();
    if (m![2] === fileName) return m![1];
  }
  return undefined;
}

let mirror: Mirror;
let scratch: string;
let cacheRoot: string;
const kubeletPath = () => `${mirror.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/amd64/kubelet`;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'kubeup-mirror-test-'));
  // A cache of its own, so that this file proves both the build and the cache hit.
  cacheRoot = path.join(scratch, 'cache');
  mirror = await startMirror({ cacheRoot });
});

afterAll(async () => {
  await mirror?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('release mirror', () => {
  it('listens on loopback with one base URL per component', () => {
    expect(new URL(mirror.url).hostname).toBe('127.0.0.1');
    expect(Object.keys(mirror.baseUrls).sort()).toEqual(
      ['cniPlugins', 'containerd', 'etcd', 'flannel', 'flannelCniPlugin', 'kubernetes', 'runc'].sort(),
    );
    for (const base of Object.values(mirror.baseUrls)) expect(base.startsWith(`${mirror.url}/`)).toBe(true);
  });

  it('serves every artefact in the upstream layout with a checksum that matches its bytes', async () => {
    const served = mirror.artefacts.map((a) => `${a.component}:${a.path}`).sort();
    expect(served).toEqual(EXPECTED.map((e) => `${e.component}:${e.path}`).sort());

    for (const e of EXPECTED) {
      const art = await get(`${mirror.baseUrls[e.component]}/${e.path}`);
      expect(art.status, e.path).toBe(200);
      const actual = sha256(art.body);
      const fileName = path.posix.basename(e.path);
      if (e.checksum === null) {
        // Upstream publishes no checksum file: the mirror hands the digest to the test for the profile's pins.
        expect((await get(`${mirror.baseUrls[e.component]}/${e.path}.sha256`)).status).toBe(404);
        expect(mirror.checksums[fileName], fileName).toBe(actual);
        continue;
      }
      const sums = await get(`${mirror.baseUrls[e.component]}/${e.checksum}`);
      expect(sums.status, e.checksum).toBe(200);
      expect(digestFor(sums.body.toString('utf8'), fileName, e.component === 'kubernetes'), e.checksum).toBe(actual);
    }
    expect(Object.keys(mirror.checksums).sort()).toEqual([`flannel-v${V.flannel}-linux-amd64.tar.gz`, 'flanneld-amd64'].sort());
  });

  it('answers 404 for paths it does not have, and HEAD with the size only', async () => {
    expect((await get(`${mirror.baseUrls.kubernetes}/v9.9.9/bin/linux/amd64/kubelet`)).status).toBe(404);
    const head = await fetch(kubeletPath(), { method: 'HEAD' });
    expect(head.status).toBe(200);
    const size = mirror.artefacts.find((a) => a.path.endsWith('amd64/kubelet'))!.size;
    expect(Number(head.headers.get('content-length'))).toBe(size);
  });

  it('packs tarballs root-owned with upstream member names and modes, holding the real Debian binaries', async () => {
    const fetchTar = async (component: keyof Mirror['baseUrls'], p: string) => listTarball((await get(`${mirror.baseUrls[component]}/${p}`)).body);
    const debianSha = async (f: string) => sha256(await readFile(f));
    const files = (entries: Entry[]) => Object.fromEntries(entries.map((e) => [e.path, e]));
    for (const e of EXPECTED.filter((x) => /\.(tar\.gz|tgz)$/.test(x.path))) {
      for (const entry of await fetchTar(e.component, e.path)) {
        expect(entry.uid, `${e.path} ${entry.path} uid`).toBe(0);
        expect(entry.gid, `${e.path} ${entry.path} gid`).toBe(0);
      }
    }

    const etcdDir = `etcd-v${V.etcd}-linux-amd64`;
    const etcd = files(await fetchTar('etcd', `v${V.etcd}/${etcdDir}.tar.gz`));
    expect(Object.keys(etcd)).toEqual(expect.arrayContaining([`${etcdDir}/etcd`, `${etcdDir}/etcdctl`, `${etcdDir}/etcdutl`]));
    for (const b of ['etcd', 'etcdctl', 'etcdutl']) expect(etcd[`${etcdDir}/${b}`]!.mode, b).toBe(0o755);
    expect(etcd[`${etcdDir}/etcd`]!.sha256).toBe(await debianSha('/usr/bin/etcd'));
    expect(etcd[`${etcdDir}/etcdctl`]!.sha256).toBe(await debianSha('/usr/bin/etcdctl'));

    const flannel = files(await fetchTar('flannel', `v${V.flannel}/flannel-v${V.flannel}-linux-amd64.tar.gz`));
    expect(Object.keys(flannel).sort()).toEqual(['README.md', 'flanneld', 'mk-docker-opts.sh']);
    expect(flannel.flanneld!.mode).toBe(0o755);
    expect(flannel['mk-docker-opts.sh']!.mode).toBe(0o755);
    // Upstream's bare flanneld-<arch> is the same binary as the tarball's flanneld.
    expect(sha256((await get(`${mirror.baseUrls.flannel}/v${V.flannel}/flanneld-amd64`)).body)).toBe(flannel.flanneld!.sha256);

    const fcni = files(await fetchTar('flannelCniPlugin', `v${V.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${V.flannelCniPlugin}.tgz`));
    expect(Object.keys(fcni)).toEqual(['flannel-amd64']);
    expect(fcni['flannel-amd64']!.mode).toBe(0o755);

    const containerd = files(await fetchTar('containerd', `v${V.containerd}/containerd-${V.containerd}-linux-amd64.tar.gz`));
    for (const b of ['containerd', 'containerd-shim-runc-v2', 'ctr']) {
      expect(containerd[`bin/${b}`]!.mode, b).toBe(0o755);
      expect(containerd[`bin/${b}`]!.sha256, b).toBe(await debianSha(`/usr/bin/${b}`));
    }

    const cni = files(await fetchTar('cniPlugins', `v${V.cniPlugins}/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz`));
    for (const p of ['bandwidth', 'bridge', 'firewall', 'host-local', 'loopback', 'portmap']) {
      expect(cni[`./${p}`]?.mode, p).toBe(0o755);
      expect(cni[`./${p}`]?.type, p).toBe('File');
    }

    const runc = await get(`${mirror.baseUrls.runc}/v${V.runc}/runc.amd64`);
    expect(sha256(runc.body)).toBe(await debianSha('/usr/sbin/runc'));
  });

  it('serves two Kubernetes patch releases, each stand-in saying its own version like the real binaries', async () => {
    expect(mirror.kubernetesVersions).toEqual([V.kubernetes, NEXT_PATCH]);
    for (const k of mirror.kubernetesVersions) {
      for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy']) {
        const file = path.join(scratch, `${b}-${k}`);
        await writeFile(file, (await get(`${mirror.baseUrls.kubernetes}/v${k}/bin/linux/amd64/${b}`)).body);
        await chmod(file, 0o755);
        // component-base/version/verflag: `--version` prints "Kubernetes <gitVersion>" and exits 0.
        const { stdout } = await run(file, ['--version']);
        expect(stdout, `${b} ${k}`).toBe(`Kubernetes v${k}\n`);
      }
    }
  });

  it('serves the real kubectl, which runs', async () => {
    const kubectl = await get(`${mirror.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/amd64/kubectl`);
    const file = path.join(scratch, 'kubectl');
    await writeFile(file, kubectl.body);
    await chmod(file, 0o755);
    const { stdout } = await run(file, ['version', '--client', '-o', 'json']);
    expect((JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion).toBe('v1.35.2');
  });
});

describe('fault switches', () => {
  it('wrong checksum: the checksum file stops matching until the fault is cleared', async () => {
    const bytes = (await get(kubeletPath())).body;
    mirror.faults.set('**/amd64/kubelet', { kind: 'wrong-checksum' });
    expect((await get(`${kubeletPath()}.sha256`)).body.toString()).not.toBe(sha256(bytes));
    // Only the faulted artefact is affected.
    const proxy = `${mirror.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/amd64/kube-proxy`;
    expect((await get(`${proxy}.sha256`)).body.toString()).toBe(sha256((await get(proxy)).body));
    mirror.faults.clear();
    expect((await get(`${kubeletPath()}.sha256`)).body.toString()).toBe(sha256(bytes));

    // In a multi-line sums file, set on the file itself, every line is wrong.
    const etcdName = `etcd-v${V.etcd}-linux-amd64.tar.gz`;
    const etcdBytes = (await get(`${mirror.baseUrls.etcd}/v${V.etcd}/${etcdName}`)).body;
    mirror.faults.set(`/etcd/v${V.etcd}/SHA256SUMS`, { kind: 'wrong-checksum' });
    const sums = (await get(`${mirror.baseUrls.etcd}/v${V.etcd}/SHA256SUMS`)).body.toString();
    expect(digestFor(sums, etcdName, false)).toMatch(/^[0-9a-f]{64}$/);
    expect(digestFor(sums, etcdName, false)).not.toBe(sha256(etcdBytes));
    mirror.faults.clear();
  });

  it('truncated file: Content-Length says the full size, the connection closes early', async () => {
    mirror.faults.set('**/amd64/kubelet', { kind: 'truncate' });
    const r = await rawGet(kubeletPath());
    mirror.faults.clear();
    expect(r.status).toBe(200);
    expect(r.announced).toBeGreaterThan(0);
    expect(r.received.length).toBeLessThan(r.announced);
    expect(r.aborted).toBe(true);
    const whole = await rawGet(kubeletPath());
    expect(whole.received.length).toBe(whole.announced);
    expect(whole.aborted).toBe(false);
  });

  it('HTTP 404 and 500 on request', async () => {
    mirror.faults.set(`/runc/v${V.runc}/runc.amd64`, { kind: 'status', status: 404 });
    expect((await get(`${mirror.baseUrls.runc}/v${V.runc}/runc.amd64`)).status).toBe(404);
    mirror.faults.set(`/runc/v${V.runc}/*`, { kind: 'status', status: 500 });
    expect((await get(`${mirror.baseUrls.runc}/v${V.runc}/runc.sha256sum`)).status).toBe(500);
    mirror.faults.clear(`/runc/v${V.runc}/runc.amd64`);
    expect((await get(`${mirror.baseUrls.runc}/v${V.runc}/runc.amd64`)).status).toBe(500);
    mirror.faults.clear();
    expect((await get(`${mirror.baseUrls.runc}/v${V.runc}/runc.amd64`)).status).toBe(200);
  });

  it('HTML error page with status 200 instead of the tarball', async () => {
    const url = `${mirror.baseUrls.flannel}/v${V.flannel}/flannel-v${V.flannel}-linux-amd64.tar.gz`;
    mirror.faults.set(/\/flannel\/.*\.tar\.gz$/, { kind: 'html' });
    const r = await get(url);
    mirror.faults.clear();
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body.toString()).toMatch(/^<!DOCTYPE html>/);
    expect(() => gunzipSync(r.body)).toThrow();
    expect(gunzipSync((await get(url)).body).length).toBeGreaterThan(0);
  });

  it('slow response: the body arrives whole, in small pieces, no faster than the limit', async () => {
    const url = `${mirror.baseUrls.cniPlugins}/v${V.cniPlugins}/cni-plugins-linux-amd64-v${V.cniPlugins}.tgz.sha256`;
    const expected = (await get(url)).body;
    // Pieces of a tenth of the body, one per 100 ms: at least 9 waits of 100 ms between the first and the last.
    const bytesPerSecond = expected.length;
    mirror.faults.set('**/*.tgz.sha256', { kind: 'slow', bytesPerSecond });
    const started = process.hrtime.bigint();
    const r = await rawGet(url);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    mirror.faults.clear();
    expect(r.received.equals(expected)).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual(850);
    expect(Math.max(...r.chunks)).toBeLessThan(expected.length);
  });

  it('logs every request it served, with its status and faults', async () => {
    mirror.requests.length = 0;
    mirror.faults.set('**/kube-proxy', { kind: 'status', status: 500 });
    await get(`${mirror.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/amd64/kube-proxy`);
    mirror.faults.clear();
    await get(`${mirror.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/amd64/kube-proxy.sha256`);
    expect(mirror.requests.map((r) => [r.path, r.status, r.faults])).toEqual([
      [`/kubernetes/v${V.kubernetes}/bin/linux/amd64/kube-proxy`, 500, ['status']],
      [`/kubernetes/v${V.kubernetes}/bin/linux/amd64/kube-proxy.sha256`, 200, []],
    ]);
  });
});

describe('arm64', () => {
  it('serves clearly labelled placeholders for arm64, with checksums, beside the real amd64 files', async () => {
    const both = await startMirror({ cacheRoot, arches: ['amd64', 'arm64'] });
    try {
      const kubelet = await get(`${both.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/arm64/kubelet`);
      expect(kubelet.status).toBe(200);
      expect(kubelet.body.toString()).toMatch(/^#!\/bin\/sh\n# PLACEHOLDER: kubelet for linux\/arm64/);
      expect((await get(`${both.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/arm64/kubelet.sha256`)).body.toString()).toBe(sha256(kubelet.body));

      const runcSums = (await get(`${both.baseUrls.runc}/v${V.runc}/runc.sha256sum`)).body.toString();
      const arm = (await get(`${both.baseUrls.runc}/v${V.runc}/runc.arm64`)).body;
      const amd = (await get(`${both.baseUrls.runc}/v${V.runc}/runc.amd64`)).body;
      expect(digestFor(runcSums, 'runc.arm64', false)).toBe(sha256(arm));
      expect(digestFor(runcSums, 'runc.amd64', false)).toBe(sha256(amd));
      expect(sha256(amd)).toBe(sha256(await readFile('/usr/sbin/runc')));

      const etcdDir = `etcd-v${V.etcd}-linux-arm64`;
      const etcd = await listTarball((await get(`${both.baseUrls.etcd}/v${V.etcd}/${etcdDir}.tar.gz`)).body);
      expect(etcd.map((e) => e.path)).toEqual(expect.arrayContaining([`${etcdDir}/etcd`, `${etcdDir}/etcdctl`, `${etcdDir}/etcdutl`]));
    } finally {
      await both.stop();
    }
  });
});

describe('artefact cache', () => {
  it('a second start with the same versions reuses the built artefacts', async () => {
    expect(mirror.cache.hit).toBe(false);
    const again = await startMirror({ cacheRoot });
    try {
      expect(again.cache.hit).toBe(true);
      expect(again.cache.key).toBe(mirror.cache.key);
      expect(again.artefacts).toEqual(mirror.artefacts.map((a) => ({ ...a, url: a.url.replace(mirror.url, again.url) })));
      const bytes = (await get(`${again.baseUrls.kubernetes}/v${V.kubernetes}/bin/linux/amd64/kubelet`)).body;
      expect(sha256(bytes)).toBe(mirror.artefacts.find((a) => a.path.endsWith('amd64/kubelet'))!.sha256);
    } finally {
      await again.stop();
    }
  });
});
