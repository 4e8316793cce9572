// fetchArtifacts / prepareCache against a local mirror: the right URLs, verification, the cache, extraction.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError } from '../../../src/errors.js';
import { fetchArtifacts, prepareCache, releaseManifest } from '../../../src/release/index.js';
import { FixtureServer, fakeElf, makeTarball, sendBytes, serveRelease, sha256, testProfile } from './fixture-server.js';

let server: FixtureServer;
let cacheDir: string;
// env: {} keeps a proxy set in the machine's environment out of these loopback tests.
const fast = { attempts: 2, retryDelayMs: 5, idleTimeoutMs: 5_000, env: {} };

beforeEach(async () => {
  server = new FixtureServer();
  await server.start();
  cacheDir = await mkdtemp(join(tmpdir(), 'kubeup-cache-'));
});

afterEach(async () => {
  await server.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

describe('prepareCache with a mirror for every component', () => {
  it('requests exactly the upstream paths below each mirror base, verifies them and extracts every binary', async () => {
    const release = await serveRelease(server, ['amd64']);
    const fetched = await prepareCache(release.profile, ['amd64'], { cacheDir, ...fast });

    const v = release.profile.versions;
    expect([...server.requests].sort()).toEqual(
      [
        `/cniPlugins/v${v.cniPlugins}/cni-plugins-linux-amd64-v${v.cniPlugins}.tgz`,
        `/cniPlugins/v${v.cniPlugins}/cni-plugins-linux-amd64-v${v.cniPlugins}.tgz.sha256`,
        `/containerd/v${v.containerd}/containerd-${v.containerd}-linux-amd64.tar.gz`,
        `/containerd/v${v.containerd}/containerd-${v.containerd}-linux-amd64.tar.gz.sha256sum`,
        `/etcd/v${v.etcd}/SHA256SUMS`,
        `/etcd/v${v.etcd}/etcd-v${v.etcd}-linux-amd64.tar.gz`,
        `/flannel/v${v.flannel}/flanneld-amd64`,
        `/flannelCniPlugin/v${v.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${v.flannelCniPlugin}.tgz`,
        `/flannelCniPlugin/v${v.flannelCniPlugin}/cni-plugin-flannel-linux-amd64-v${v.flannelCniPlugin}.tgz.sha256`,
        ...['kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubectl', 'kubelet'].flatMap((b) => [
          `/kubernetes/v${v.kubernetes}/bin/linux/amd64/${b}`,
          `/kubernetes/v${v.kubernetes}/bin/linux/amd64/${b}.sha256`,
        ]),
        `/runc/v${v.runc}/runc.amd64`,
        `/runc/v${v.runc}/runc.sha256sum`,
      ].sort(),
    );

    expect(fetched.map((f) => f.artifact.id)).toEqual(release.artifacts.map((a) => a.id));
    for (const f of fetched) {
      expect(f.fromCache).toBe(false);
      expect(f.sha256).toBe(sha256(release.files.get(f.artifact.id)!));
      for (const b of f.binaries) {
        expect(await readFile(b.path)).toEqual(release.binaries.get(f.artifact.id)!.get(b.name));
        expect((await stat(b.path)).mode & 0o777).toBe(0o755);
      }
    }
    const installs = fetched.flatMap((f) => f.binaries.map((b) => b.installAs)).sort();
    expect(installs).toEqual(
      [
        '/opt/bin/containerd', '/opt/bin/containerd-shim-runc-v2', '/opt/bin/ctr', '/opt/bin/etcd', '/opt/bin/etcdctl',
        '/opt/bin/flanneld', '/opt/bin/kube-apiserver', '/opt/bin/kube-controller-manager', '/opt/bin/kube-proxy',
        '/opt/bin/kube-scheduler', '/opt/bin/kubectl', '/opt/bin/kubelet', '/opt/bin/runc', '/opt/cni/bin/bridge',
        '/opt/cni/bin/flannel', '/opt/cni/bin/host-local', '/opt/cni/bin/loopback', '/opt/cni/bin/portmap',
      ].sort(),
    );
  });

  it('downloads nothing on the second run: every file comes from the cache, re-verified', async () => {
    const release = await serveRelease(server, ['amd64', 'arm64']);
    await prepareCache(release.profile, ['amd64', 'arm64'], { cacheDir, ...fast });
    const first = server.requests.length;
    expect(first).toBeGreaterThan(0);

    const again = await prepareCache(release.profile, ['amd64', 'arm64'], { cacheDir, ...fast });
    expect(server.requests.length).toBe(first);
    expect(again.every((f) => f.fromCache)).toBe(true);
    const kubelet = again.find((f) => f.artifact.id === 'kubernetes/arm64/kubelet')!;
    expect(await readFile(kubelet.binaries[0]!.path)).toEqual(release.binaries.get('kubernetes/arm64/kubelet')!.get('kubelet'));
  });

  it('works offline from a prepared cache, and names what is missing when the cache is not complete', async () => {
    const release = await serveRelease(server, ['amd64']);
    await prepareCache(release.profile, ['amd64'], { cacheDir, ...fast });
    await server.stop();
    const offline = await prepareCache(release.profile, ['amd64'], { cacheDir, ...fast, offline: true });
    expect(offline.every((f) => f.fromCache)).toBe(true);

    const runc = offline.find((f) => f.artifact.component === 'runc')!;
    await rm(runc.file);
    const err = (await prepareCache(release.profile, ['amd64'], { cacheDir, ...fast, offline: true }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`runc.amd64 is not in the download cache ${cacheDir} (offline mode)`);
    expect(err.hint).toContain('kubeup cache prepare');
    server = new FixtureServer();
    await server.start();
  });

  it('replaces a corrupted cache entry by downloading it again', async () => {
    const release = await serveRelease(server, ['amd64']);
    const first = await prepareCache(release.profile, ['amd64'], { cacheDir, ...fast });
    const containerd = first.find((f) => f.artifact.component === 'containerd')!;
    await writeFile(containerd.file, 'bit rot');
    server.requests.length = 0;

    const again = await prepareCache(release.profile, ['amd64'], { cacheDir, ...fast });
    const url = new URL(containerd.artifact.url).pathname;
    expect(server.requests).toEqual([`${url}.sha256sum`, url]);
    const fixed = again.find((f) => f.artifact.component === 'containerd')!;
    expect(fixed.fromCache).toBe(false);
    expect(await readFile(fixed.file)).toEqual(release.files.get(containerd.artifact.id));
  });

  it('downloads an artefact once when several callers want it at the same time', async () => {
    const release = await serveRelease(server, ['amd64']);
    const kubelet = release.artifacts.filter((a) => a.id === 'kubernetes/amd64/kubelet');
    const results = await Promise.all([1, 2, 3].map(() => fetchArtifacts([...kubelet, ...kubelet], { cacheDir, ...fast })));
    expect(results.map((r) => r.length)).toEqual([1, 1, 1]);
    expect(server.countOf(new URL(kubelet[0]!.url).pathname)).toBe(1);
  });
});

describe('verification', () => {
  async function oneTarball(checksumFor: (body: Buffer) => string) {
    const body = await makeTarball({ 'bin/containerd': fakeElf('c'), 'bin/containerd-shim-runc-v2': fakeElf('s'), 'bin/ctr': fakeElf('ctr') });
    const profile = testProfile({ containerd: `${server.base}/m` });
    const [artifact] = releaseManifest(profile, ['amd64']).filter((a) => a.component === 'containerd');
    server.set(new URL(artifact!.url).pathname, sendBytes(body));
    server.set(`${new URL(artifact!.url).pathname}.sha256sum`, sendBytes(`${checksumFor(body)}  ${artifact!.fileName}\n`));
    return { artifact: artifact!, body };
  }

  it('accepts a file whose sha256 matches the line for exactly its name', async () => {
    const { artifact, body } = await oneTarball((b) => sha256(b));
    const [f] = await fetchArtifacts([artifact], { cacheDir, ...fast });
    expect(f!.sha256).toBe(sha256(body));
    expect(await readFile(`${f!.file}.sha256`, 'utf8')).toBe(`${sha256(body)}  ${artifact.fileName}\n`);
  });

  it('rejects a mismatch without retrying, names file, expected, actual and URL, and deletes the file', async () => {
    const wrong = 'ab'.repeat(32);
    const { artifact, body } = await oneTarball(() => wrong);
    const err = await fetchArtifacts([artifact], { cacheDir, ...fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    const message = (err as DownloadError).message;
    expect(message).toContain(artifact.fileName);
    expect(message).toContain(`expected ${wrong}`);
    expect(message).toContain(`got ${sha256(body)}`);
    expect(message).toContain(artifact.url);
    expect(server.countOf(new URL(artifact.url).pathname)).toBe(1);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('refuses, before any request, an artefact without a known checksum and says how to add one', async () => {
    // v0.28.9 has no shipped pin (pinned-checksums.ts): only the profile could give one.
    const base = testProfile({ flannel: `${server.base}/m` });
    const profile = { ...base, versions: { ...base.versions, flannel: '0.28.9' } };
    const flannel = releaseManifest(profile, ['amd64']).filter((a) => a.component === 'flannel');
    const err = (await fetchArtifacts(flannel, { cacheDir, ...fast }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain('flanneld-amd64');
    expect(err.field).toBe('download.checksums');
    expect(err.hint).toContain('download:\n  checksums:\n    flanneld-amd64: <sha256 of the file>');
    expect(server.requests).toEqual([]);
  });

  it('uses a profile checksum for flannel and reports a wrong one at its field', async () => {
    const flanneld = fakeElf('flanneld');
    const good = testProfile({ flannel: `${server.base}/m` });
    const file = 'flanneld-amd64';
    server.set(`/m/v${good.versions.flannel}/${file}`, sendBytes(flanneld));

    const ok = releaseManifest({ ...good, download: { ...good.download, checksums: { [file]: sha256(flanneld).toUpperCase() } } }, ['amd64']);
    const [f] = await fetchArtifacts(ok.filter((a) => a.component === 'flannel'), { cacheDir, ...fast });
    expect(await readFile(f!.binaries[0]!.path)).toEqual(flanneld);
    expect(f!.binaries[0]!.installAs).toBe('/opt/bin/flanneld');

    await rm(cacheDir, { recursive: true, force: true });
    const bad = releaseManifest({ ...good, download: { ...good.download, checksums: { [file]: '0'.repeat(64) } } }, ['amd64']);
    const err = (await fetchArtifacts(bad.filter((a) => a.component === 'flannel'), { cacheDir, ...fast }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.field).toBe(`download.checksums["${file}"]`);
    expect(err.message).toContain(`expected ${'0'.repeat(64)}`);
  });

  it("checks the shipped pin for the default flannel: the fixture's file does not match it, so it is refused", async () => {
    const profile = testProfile({ flannel: `${server.base}/m` });
    const path = `/m/v${profile.versions.flannel}/flanneld-amd64`;
    server.set(path, sendBytes(fakeElf('flanneld')));
    const flannel = releaseManifest(profile, ['amd64']).filter((a) => a.component === 'flannel');
    const err = (await fetchArtifacts(flannel, { cacheDir, ...fast }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain('expected fc1233aac3ad2707d14c9ae42016b5402753f755f0d07cc5c41dc4190e95d299 (sysoperator/kubernetes-formula');
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('re-downloads a cached file when the pinned checksum in the profile changes', async () => {
    const body = fakeElf('flanneld');
    const profile = testProfile({ flannel: `${server.base}/m` });
    const file = 'flanneld-amd64';
    const path = `/m/v${profile.versions.flannel}/${file}`;
    server.set(path, sendBytes(body));
    const manifest = (sum: string) =>
      releaseManifest({ ...profile, download: { ...profile.download, checksums: { [file]: sum } } }, ['amd64']).filter((a) => a.component === 'flannel');
    await fetchArtifacts(manifest(sha256(body)), { cacheDir, ...fast });
    expect(server.countOf(path)).toBe(1);
    const err = await fetchArtifacts(manifest('1'.repeat(64)), { cacheDir, ...fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(server.countOf(path)).toBe(2);
  });

  it('reports a tarball without a member the manifest expects, naming both', async () => {
    const profile = testProfile({ etcd: `${server.base}/m` });
    const [etcd] = releaseManifest(profile, ['amd64']).filter((a) => a.component === 'etcd');
    const dir = `etcd-v${profile.versions.etcd}-linux-amd64`;
    const body = await makeTarball({ [`${dir}/etcd`]: fakeElf('etcd') });
    server.set(new URL(etcd!.url).pathname, sendBytes(body));
    server.set(`/m/v${profile.versions.etcd}/SHA256SUMS`, sendBytes(`${'f'.repeat(64)}  other.tar.gz\n${sha256(body)}  ${etcd!.fileName}\n`));
    const err = (await fetchArtifacts([etcd!], { cacheDir, ...fast }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`${etcd!.fileName} has no member "${dir}/etcdctl"`);
  });

  it('reports a checksum file without a line for the file', async () => {
    const profile = testProfile({ etcd: `${server.base}/m` });
    const [etcd] = releaseManifest(profile, ['amd64']).filter((a) => a.component === 'etcd');
    server.set(`/m/v${profile.versions.etcd}/SHA256SUMS`, sendBytes(`${'f'.repeat(64)}  etcd-v${profile.versions.etcd}-linux-arm64.tar.gz\n`));
    const err = (await fetchArtifacts([etcd!], { cacheDir, ...fast }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`the checksum file ${server.base}/m/v${profile.versions.etcd}/SHA256SUMS has no "<sha256>  ${etcd!.fileName}" line`);
    expect(server.countOf(new URL(etcd!.url).pathname)).toBe(0);
  });
});

describe('two kubeup processes sharing one cache', () => {
  it('both succeed while downloading the same files at once, and leave one verified entry', { timeout: 60_000 }, async () => {
    const release = await serveRelease(server, ['amd64']);
    const wanted = release.artifacts.filter((a) => a.component === 'containerd' || a.id === 'kubernetes/amd64/kubelet');
    // Hold each download until both processes have asked for it, so that they really overlap (a fallback timer
    // releases a lone request, and the request count below then shows that the overlap did not happen).
    const timers: NodeJS.Timeout[] = [];
    for (const a of wanted) {
      const body = release.files.get(a.id)!;
      const waiting: import('node:http').ServerResponse[] = [];
      const releaseBoth = () => waiting.splice(0).forEach((res) => res.end(body.subarray(1)));
      server.set(new URL(a.url).pathname, (_req, res) => {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 1));
        waiting.push(res);
        if (waiting.length === 2) releaseBoth();
        else timers.push(setTimeout(releaseBoth, 15_000));
      });
    }
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fetch-worker.ts', import.meta.url))], {
          env: { ...process.env, KUBEUP_TEST_ARTIFACTS: JSON.stringify(wanted), KUBEUP_TEST_CACHE: cacheDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}: ${err}`))));
      });
    const [a, b] = await Promise.all([run(), run()]).finally(() => timers.forEach(clearTimeout));
    expect(JSON.parse(a)).toEqual(JSON.parse(b));
    for (const art of wanted) expect(server.countOf(new URL(art.url).pathname)).toBe(2);
    const again = await fetchArtifacts(wanted, { cacheDir, ...fast });
    expect(again.every((f) => f.fromCache)).toBe(true);
    expect((await listFiles(cacheDir)).filter((f) => f.endsWith('.part') || f.endsWith('.tmp'))).toEqual([]);
  });
});
