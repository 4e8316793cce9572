// download.from: hosts with the built CLI on the harness hosts: each host downloads its releases from the mirror
// itself (the mirror listens on the test bridge, which this machine and the hosts both reach), checked on the host
// against the same sha256; preflight refuses a host that cannot reach the mirror; a bad download is refused on the host.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import type { RunSummary } from '../../src/tasks/records.js';
import { e2eProfile, kubectl, onHost, runCli, writeProfile, type CliRun } from './helpers.js';

const summaryDir = (run: CliRun) => /Summary: (.*)summary\.txt/.exec(run.out)![1]!;
const summaryOf = (run: CliRun): RunSummary => JSON.parse(readFileSync(summaryDir(run) + 'summary.json', 'utf8'));
const logOf = (run: CliRun, host: string) => readFileSync(summaryDir(run) + `${host.replace(/[^A-Za-z0-9._-]/g, '_')}.log`, 'utf8');
const H1 = '192.168.213.11';
const H2 = '192.168.213.12';

describeWithHosts('download.from: hosts', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  const profileWith = (name: string, mirrors: Record<string, string>) => {
    const base = e2eProfile(name, cluster, mirror, ['ai', 'i'], join(dir, 'cache'));
    return writeProfile(dir, { ...base, download: { ...base.download, mirrors, from: 'hosts' } });
  };
  const artefactGets = (from: string, since: number) => mirror.requests.slice(since).filter((r) => r.from === from && r.method === 'GET' && r.status === 200 && !/sha256|SHA256SUMS|checksums/i.test(r.path));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-hostdl-'));
    // The bridge exists once the hosts are up: the mirror listens on it after them.
    cluster = await startHosts({ count: 2 });
    mirror = await startMirror({ listen: 'bridge' });
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('preflight refuses hosts that cannot reach the mirror, naming host, URL and what to do; nothing is changed', async () => {
    // 127.0.0.1 is this machine for kubeup, and each host itself for the hosts.
    const loopback = Object.fromEntries(Object.entries(mirror.baseUrls).map(([c, u]) => [c, u.replace('192.168.213.1', '127.0.0.1')]));
    const file = profileWith('unreachable', loopback);
    const up = await runCli(['up', '--file', file, '--yes'], env, 300_000);
    expect(up.code, up.err).toBe(4);
    for (const host of [H1, H2]) {
      expect(up.err).toMatch(new RegExp(`${host.replace(/\./g, '\\.')}: download\\.from: the host cannot reach http://127\\.0\\.0\\.1:\\d+/\\S+ with curl: curl: \\(7\\)`));
    }
    expect(up.err).toMatch(/give it a route to the mirror \(download\.mirrors\)/);
    // Nothing was downloaded, by this machine or by a host.
    expect(mirror.requests).toEqual([]);
    expect(onHost(cluster, 0, 'ls /opt/bin 2>/dev/null | wc -l').trim()).toBe('0');
  }, 300_000);

  it('each host downloads its binaries itself, checked on the host; kubeup sends only configs and certificates; nothing kept', async () => {
    const file = profileWith('hostdl', mirror.baseUrls);
    const before = mirror.requests.length;
    const up = await runCli(['up', '--file', file, '--yes'], env, 600_000);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'hostdl', 'get', 'nodes', '--no-headers'])).toMatch(/^h2\s+Ready\s/m);

    // The hosts asked the mirror themselves: the master for the server binaries and etcd, both for the node's.
    const h1Gets = artefactGets(H1, before).map((r) => r.path);
    const h2Gets = artefactGets(H2, before).map((r) => r.path);
    expect(h1Gets.some((p) => p.endsWith('/kube-apiserver'))).toBe(true);
    expect(h1Gets.some((p) => /etcd/.test(p))).toBe(true);
    expect(h2Gets.some((p) => p.endsWith('/kubelet'))).toBe(true);
    expect(h2Gets.some((p) => /etcd|kube-apiserver/.test(p))).toBe(false);
    // Each artefact once per host, though a tarball holds several binaries.
    expect(new Set(h2Gets).size).toBe(h2Gets.length);

    const summary = summaryOf(up);
    for (const id of Object.keys(summary.hosts)) {
      const r = summary.hosts[id]!.record!;
      expect(r.bytesUploaded, id).toBeGreaterThan(10 * 1024 * 1024);
      // Certificates, kubeconfigs and units only.
      expect(r.wireBytes, id).toBeLessThan(512 * 1024);
      expect(logOf(up, id)).toMatch(/wrote \/opt\/bin\/kubelet \(\d+ bytes, fetched by the host from http:\/\/192\.168\.213\.1:\d+\/\S+kubelet, mode 755\)/);
      expect(logOf(up, id)).toMatch(/wrote \/opt\/cni\/bin\/bridge \(\d+ bytes, fetched by the host from http:\/\/192\.168\.213\.1:\d+\/\S+\.tgz \(\S*bridge\), mode 755\)/);
    }
    for (const i of [0, 1]) {
      expect(onHost(cluster, i, 'test -e /var/lib/kubeup/downloads && echo kept || echo gone').trim()).toBe('gone');
      expect(onHost(cluster, i, "find /opt/bin /opt/cni/bin -name '*.kubeup-*' | wc -l").trim()).toBe('0');
    }

    // A re-run finds every file in place: no host downloads anything.
    const rerun = mirror.requests.length;
    const again = await runCli(['up', '--file', file, '--yes'], env, 600_000);
    expect(again.code, `${again.out}\n${again.err}`).toBe(0);
    expect([...artefactGets(H1, rerun), ...artefactGets(H2, rerun)]).toEqual([]);
  }, 900_000);

  it('a download that is not the release (an HTML page) is refused on the host; the old binary stays; the next run heals', async () => {
    const file = profileWith('hostdl', mirror.baseUrls);
    const sum = onHost(cluster, 1, 'sha256sum /opt/bin/kubelet').split(' ')[0];
    // A mode change makes kubeup replace kubelet on h2; the mirror answers with an error page for it.
    onHost(cluster, 1, 'chmod 0700 /opt/bin/kubelet');
    mirror.faults.set('**/kubelet', { kind: 'html' });
    try {
      const up = await runCli(['up', '--file', file, '--yes'], env, 300_000);
      expect(up.code, up.err).toBe(5);
      expect(up.err).toMatch(new RegExp(`- ${H2.replace(/\./g, '\\.')}: .*could not fetch /opt/bin/kubelet itself \\(download\\.from: hosts\\): sha256 mismatch for http://\\S+/kubelet: expected [0-9a-f]{64}, got [0-9a-f]{64}; the download was deleted`));
      expect(onHost(cluster, 1, 'sha256sum /opt/bin/kubelet; stat -c %a /opt/bin/kubelet')).toBe(`${sum}  /opt/bin/kubelet\n700\n`);
      expect(onHost(cluster, 1, "find /opt/bin /var/lib/kubeup -name '*.kubeup-*' -o -name '*.part' | wc -l").trim()).toBe('0');
    } finally {
      mirror.faults.clear();
    }
    const healed = await runCli(['up', '--file', file, '--yes'], env, 300_000);
    expect(healed.code, healed.err).toBe(0);
    expect(onHost(cluster, 1, 'stat -c %a /opt/bin/kubelet').trim()).toBe('755');
  }, 600_000);

  it('kubeup upgrade has the hosts download the new release themselves too, and keeps nothing', async () => {
    const file = profileWith('hostdl', mirror.baseUrls);
    const to = mirror.kubernetesVersions[1]!;
    const before = mirror.requests.length;
    const up = await runCli(['upgrade', '--file', file, '--to', to, '--yes'], env, 600_000);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    const versions = kubectl(env.KUBECONFIG!, ['--context', 'hostdl', 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion}{"\\n"}{end}']);
    expect(versions.trim().split('\n')).toEqual([`v${to}`, `v${to}`]);
    // The new release's binaries came to each host from the mirror, fetched by the host.
    expect(artefactGets(H1, before).some((r) => r.path.includes(to) && r.path.endsWith('/kube-apiserver'))).toBe(true);
    expect(artefactGets(H2, before).some((r) => r.path.includes(to) && r.path.endsWith('/kubelet'))).toBe(true);
    for (const i of [0, 1]) {
      expect(onHost(cluster, i, '/opt/bin/kubelet --version').trim()).toBe(`Kubernetes v${to}`);
      expect(onHost(cluster, i, 'test -e /var/lib/kubeup/downloads && echo kept || echo gone').trim()).toBe('gone');
    }
  }, 900_000);
});
