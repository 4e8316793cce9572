// Certificates on one cluster (a, i): `certs check` lists them here and on the hosts and flags a wrong copy;
// `certs renew --only` restarts only the readers; `certs renew` changes the serial every serving daemon presents over
// TLS (seen by this test itself, not through kubeup), `certs check` then shows the new expiry, and the node stays Ready.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { e2eProfile, kubectl, onHost, runCli, writeProfile } from './helpers.js';

const norm = (s: string) => s.replace(/^serial=/, '').trim().toUpperCase().replace(/^0+/, '');

/** The serial a TLS server presents, read by this test with Node's TLS client. */
function servedSerial(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, rejectUnauthorized: false, timeout: 10_000 }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(norm(serial));
    });
    s.once('error', reject);
    s.once('timeout', () => s.destroy(new Error(`TLS to ${host}:${port}: no answer in 10 s`)));
  });
}

const MASTER_UNITS = ['etcd.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-scheduler.service'];
const WORKER_UNITS = ['containerd.service', 'flanneld.service', 'kube-proxy.service', 'kubelet.service'];

describeWithHosts('certificates: check and renew', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  let pki: string;

  const cli = (args: string[]) => runCli(args, env);
  const localSerial = (name: string) => norm(new X509Certificate(readFileSync(join(pki, `${name}.crt`))).serialNumber);
  /** etcd listens on the master's loopback only: seen with openssl there. */
  const etcdSerial = (port: number) =>
    norm(onHost(cluster, 0, `openssl s_client -connect 127.0.0.1:${port} -cert /etc/kubernetes/pki/etcd/healthcheck-client.crt -key /etc/kubernetes/pki/etcd/healthcheck-client.key </dev/null 2>/dev/null | openssl x509 -noout -serial`));
  const served = async () => ({
    apiserver: await servedSerial(cluster.hosts[0]!.address, 6443),
    kubelet: await servedSerial(cluster.hosts[1]!.address, 10250),
    etcd: etcdSerial(2379),
    etcdPeer: etcdSerial(2380),
  });
  const started = (i: number, units: string[]) => onHost(cluster, i, `systemctl show -p ActiveEnterTimestampMonotonic --value ${units.join(' ')}`).split('\n').filter(Boolean);
  const checkJson = async () => {
    const r = await cli(['certs', 'check', '--profile', 'certs', '--json']);
    return { code: r.code, report: JSON.parse(r.out) as { level: string; local: { name: string; facts: { serial: string; notAfter: string } }[]; hosts: { id: string; certs: { name: string; file: string; level: string; problems: string[] }[] }[] } };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-certs-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 2 }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
    pki = join(dir, 'state', 'clusters', 'certs', 'pki');
    expect((await cli(['profiles', 'import', writeProfile(dir, e2eProfile('certs', cluster, mirror, ['a', 'i'], join(dir, 'cache')))])).code).toBe(0);
    const up = await cli(['up', '--profile', 'certs', '--yes']);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
  }, 600_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('certs check lists every certificate here and on both hosts; a host copy that is not this machine\'s fails it', async () => {
    const r = await cli(['certs', 'check', '--profile', 'certs']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/^ {2}ok {2}kube-apiserver +ca +\d{4}-\d\d-\d\d \d\d:\d\dZ +36[45] +[0-9A-F]+ +CN=kube-apiserver; .*DNS:kubernetes\.default\.svc/m);
    expect(r.out).toMatch(/^ {2}ok {2}etcd-server +etcd-ca /m);
    expect(r.out).toMatch(/^ {2}ok {2}ca +self +\d{4}-\d\d-\d\d \d\d:\d\dZ +36(49|50|51|52|53) /m);
    expect(r.out).toMatch(/^ {2}ok {2}\/etc\/kubernetes\/pki\/kubelet\.crt +kubelet-h2 .* same as this machine's, key matches$/m);
    expect(r.out).toMatch(/OK: nothing expires within 30 days/);
    const { report } = await checkJson();
    expect(report.hosts).toHaveLength(2);
    expect(report.hosts[0]!.certs.map((c) => c.name)).toContain('etcd-server');
    expect(report.hosts[1]!.certs.map((c) => c.name).sort()).toEqual(['ca', 'flannel', 'kube-proxy', 'kubelet-h2']);

    // kube-proxy's certificate swapped for flannel's on the worker: named, with its key mismatch; exit 21.
    onHost(cluster, 1, 'cp -p /etc/kubernetes/pki/kube-proxy.crt /root/kp.crt && cp /etc/kubernetes/pki/flannel.crt /etc/kubernetes/pki/kube-proxy.crt');
    try {
      const bad = await cli(['certs', 'check', '--profile', 'certs']);
      expect(bad.code).toBe(21);
      expect(bad.out).toMatch(/FAIL {2}\/etc\/kubernetes\/pki\/kube-proxy\.crt +kube-proxy .*differs from the local copy \(serial [0-9A-F]+ here, [0-9A-F]+ on this machine\); key \/etc\/kubernetes\/pki\/kube-proxy\.key is not this certificate's key/);
      expect(bad.out).toMatch(/^FAIL: /m);
    } finally {
      onHost(cluster, 1, 'mv /root/kp.crt /etc/kubernetes/pki/kube-proxy.crt');
    }
  });

  it('certs renew --only kube-apiserver restarts only the API server, which then presents the new serial', async () => {
    const before = await served();
    const worker = started(1, WORKER_UNITS);
    const master = started(0, MASTER_UNITS);
    const r = await cli(['certs', 'renew', '--profile', 'certs', '--only', 'kube-apiserver', '--yes']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('Renewed 1 certificates: kube-apiserver');
    // The run's summary says which command it was.
    const summary = /^Summary: (.+)$/m.exec(r.out)![1]!;
    expect((JSON.parse(readFileSync(summary.replace(/summary\.txt$/, 'summary.json'), 'utf8')) as { command: string }).command).toBe('certs renew');
    expect(r.out).toMatch(/ok +kube-apiserver: .*:6443 presents serial [0-9A-F]+/);
    const after = await served();
    expect(after.apiserver).not.toBe(before.apiserver);
    expect(after.apiserver).toBe(localSerial('kube-apiserver'));
    expect({ ...after, apiserver: '' }).toEqual({ ...before, apiserver: '' });
    expect(started(1, WORKER_UNITS)).toEqual(worker);
    const m = started(0, MASTER_UNITS);
    expect([m[0], m[2], m[3]]).toEqual([master[0], master[2], master[3]]);
    expect(m[1]).not.toBe(master[1]);
  });

  it('certs renew: every serving daemon presents a new serial over TLS, client certificates are proven or said to be unobserved, CAs stay; check shows the new expiry; the node stays Ready', async () => {
    const before = await served();
    const caBefore = readFileSync(join(pki, 'ca.crt'), 'utf8');
    const checkBefore = (await checkJson()).report;
    const containerd = started(1, ['containerd.service']);
    const r = await cli(['certs', 'renew', '--profile', 'certs', '--yes']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/ok +kubelet-h2: .*:10250 presents serial/);
    expect(r.out).toMatch(/ok +kubelet-h2: kubelet\.service on .* restarted at .*; Lease kube-node-lease\/h2 renewed by it at /);
    expect(r.out).toMatch(/ok +kube-controller-manager: .*Lease kube-system\/kube-controller-manager renewed/);
    expect(r.out).toMatch(/ok +kube-scheduler: .*Lease kube-system\/kube-scheduler renewed/);
    expect(r.out).toMatch(/ok +etcd-server: .*127\.0\.0\.1:2379 presents serial/);
    expect(r.out).toMatch(/ok +etcd-healthcheck-client: etcdctl endpoint health: healthy/);
    expect(r.out).toMatch(/n\/a +kube-proxy: not observable/);
    expect(r.out).not.toMatch(/FAIL/);

    const after = await served();
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(after[k], k).not.toBe(before[k]);
    expect(after).toEqual({ apiserver: localSerial('kube-apiserver'), kubelet: localSerial('kubelet-h2'), etcd: localSerial('etcd-server'), etcdPeer: localSerial('etcd-peer') });
    expect(readFileSync(join(pki, 'ca.crt'), 'utf8')).toBe(caBefore);
    // containerd reads no certificate: not restarted.
    expect(started(1, ['containerd.service'])).toEqual(containerd);
    // Keys stay 0600 on the host.
    expect(onHost(cluster, 1, 'stat -c %a /etc/kubernetes/pki/kubelet.key /etc/kubernetes/pki/kube-proxy.key').trim().split('\n')).toEqual(['600', '600']);

    const { code, report } = await checkJson();
    expect(code).toBe(0);
    const was = new Map(checkBefore.local.map((c) => [c.name, c.facts]));
    for (const c of report.local.filter((x) => !['ca', 'etcd-ca', 'front-proxy-ca'].includes(x.name))) {
      expect(c.facts.serial, c.name).not.toBe(was.get(c.name)!.serial);
      expect(Date.parse(c.facts.notAfter), c.name).toBeGreaterThan(Date.parse(was.get(c.name)!.notAfter));
    }
    expect(report.hosts.flatMap((h) => h.certs.filter((c) => c.problems.length))).toEqual([]);

    // The kubeconfig holds the new admin certificate, and the node is Ready.
    expect(kubectl(env.KUBECONFIG!, ['--context', 'certs', 'get', 'nodes', '--no-headers'])).toMatch(/^h2\s+Ready\s/);
  }, 300_000);
});
