// The attack of issue 16 on real hosts, before and after: a cluster deployed by the kubeup from before etcd had its
// own CA (one CA for everything, etcd on the master's address), where a worker's own kubelet key reads etcd; then
// `kubeup up` with this build moves it over (data kept) and closes the hole. On the same cluster: Secrets are stored
// encrypted in the real etcd, the API server writes its audit log, and the admin kubeconfig is revoked by deleting
// one ClusterRoleBinding while the break-glass kubeconfig still works.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { realKubectl } from '../kubectl.js';
import { DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import { e2eProfile, kubectl, onHost, REPO, runCli, writeProfile, type CliRun } from './helpers.js';

/** main just before etcd got its own CA (the layout this test attacks, then migrates). */
const BEFORE_ETCD_CA = '602e43f';

/**
 * A node script run on a host with Debian's nodejs: an etcd v3 range read of every key under /registry/ with the
 * given client pair, not checking the server (an attacker would not). Prints `HTTP <code> <count>` or `ERROR <code>`.
 */
const ATTACK = `
const https = require('https'); const fs = require('fs');
const [host, cert, key] = process.argv.slice(2);
const b64 = (s) => Buffer.from(s).toString('base64');
const body = JSON.stringify({ key: b64('/registry/'), range_end: b64('/registry0'), keys_only: true });
const req = https.request({ host, port: 2379, path: '/v3/kv/range', method: 'POST', cert: fs.readFileSync(cert), key: fs.readFileSync(key),
  rejectUnauthorized: false, headers: { 'Content-Type': 'application/json' }, timeout: 5000 }, (res) => {
  let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => { let n = 0; try { n = (JSON.parse(t).kvs || []).length; } catch {} console.log('HTTP ' + res.statusCode + ' ' + n); });
});
req.on('error', (e) => console.log('ERROR ' + (e.code || e.message)));
req.on('timeout', () => req.destroy(new Error('timeout')));
req.end(body);
`;

function runOld(dir: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'src/cli.ts'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH!, HOME: env.HOME!, CI: 'true', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describeWithHosts('security: etcd CA, encryption at rest, audit log, revocable admin (a, i)', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let oldDir: string;
  let env: Record<string, string>;
  let profileFile: string;
  let oldRun: CliRun;
  let moved: CliRun;
  let pkiDir: string;
  const master = () => cluster.hosts[0]!.address;
  const attackFrom = (i: number, host: string, cert: string, key: string) =>
    onHost(cluster, i, `echo ${Buffer.from(ATTACK).toString('base64')} | base64 -d > /tmp/etcd-attack.js && node /tmp/etcd-attack.js ${host} ${cert} ${key}`).trim();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2esec-'));
    oldDir = join(dir, 'kubeup-before');
    const haveCommit = (() => {
      try {
        execFileSync('git', ['-C', REPO, 'cat-file', '-e', `${BEFORE_ETCD_CA}^{commit}`], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
    if (!haveCommit) throw new Error(`this test needs the git history of the repository (commit ${BEFORE_ETCD_CA}): clone it without --depth`);
    execFileSync('sh', ['-c', `mkdir -p "$1" && git -C "$2" archive ${BEFORE_ETCD_CA} | tar -x -C "$1"`, 'sh', oldDir, REPO]);
    symlinkSync(join(REPO, 'node_modules'), join(oldDir, 'node_modules'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 2 }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
    pkiDir = join(dir, 'state', 'clusters', 'sec', 'pki');
    const profile = e2eProfile('sec', cluster, mirror, ['a', 'i'], join(dir, 'cache'));
    profileFile = writeProfile(dir, profile);
    // The kubeup of then knew no hosts[].container: its own copy of the profile leaves the field out.
    // Its defaults also name a flannel that the mirror no longer serves: it is given today's versions.
    const oldProfile = { ...profile, hosts: profile.hosts.map(({ container: _, ...h }) => h), versions: DEFAULT_VERSIONS };
    oldRun = await runOld(oldDir, ['up', '--file', writeProfile(oldDir, oldProfile), '--yes'], env);
  }, 900_000);

  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`before (kubeup at ${BEFORE_ETCD_CA}): a worker's own kubelet key reads every key in etcd on the master`, () => {
    expect(oldRun.code, `${oldRun.out}\n${oldRun.err}`).toBe(0);
    const seen = attackFrom(1, master(), '/etc/kubernetes/pki/kubelet.crt', '/etc/kubernetes/pki/kubelet.key');
    expect(seen).toMatch(/^HTTP 200 [1-9]\d*$/);
    kubectl(env.KUBECONFIG!, ['create', 'configmap', 'kept', '--from-literal=from=before']);
    kubectl(env.KUBECONFIG!, ['create', 'secret', 'generic', 'old-secret', '--from-literal=token=plain-before']);
  });

  it('kubeup up with this build moves etcd to its own CA in two stages and keeps the data', async () => {
    moved = await runCli(['up', '--file', profileFile, '--yes'], env);
    expect(moved.code, `${moved.out}\n${moved.err}`).toBe(0);
    const logDir = /Summary: (.*)summary\.txt/.exec(moved.out)![1]!;
    const masterLog = execFileSync('sh', ['-c', 'cat "$1"/*.log', 'sh', logDir], { encoding: 'utf8' });
    expect(masterLog).toContain('etcd moves to its own CA: stage 1 of 2');
    expect(masterLog).toContain('etcd moves to its own CA: stage 2 of 2');
    expect(kubectl(env.KUBECONFIG!, ['get', 'configmap', 'kept', '-o', 'jsonpath={.data.from}'])).toBe('before');
    const old = kubectl(env.KUBECONFIG!, ['get', 'secret', 'old-secret', '-o', 'jsonpath={.data.token}']);
    expect(Buffer.from(old, 'base64').toString()).toBe('plain-before');
    expect(onHost(cluster, 0, 'ls /etc/kubernetes/pki/etcd-server.crt /etc/kubernetes/pki/etcd/ca-transition.crt 2>/dev/null; true').trim()).toBe('');
  });

  it('after: from the worker, port 2379 on the master refuses the connection', () => {
    expect(attackFrom(1, master(), '/etc/kubernetes/pki/kubelet.crt', '/etc/kubernetes/pki/kubelet.key')).toBe('ERROR ECONNREFUSED');
    expect(onHost(cluster, 0, 'ss -Hltn "sport = :2379" | awk \'{print $4}\'').trim()).toBe('127.0.0.1:2379');
  });

  it('after: on the master itself, etcd refuses the worker\'s kubelet key (another CA) and takes etcd\'s own client', () => {
    for (const f of ['kubelet.crt', 'kubelet.key']) {
      const text = onHost(cluster, 1, `cat /etc/kubernetes/pki/${f}`);
      onHost(cluster, 0, `umask 077; cat > /tmp/stolen-${f} <<'EOF'\n${text}EOF`);
    }
    expect(attackFrom(0, '127.0.0.1', '/tmp/stolen-kubelet.crt', '/tmp/stolen-kubelet.key')).toMatch(/^ERROR (ECONNRESET|EPROTO|ERR_SSL_\S+)$|alert/);
    expect(attackFrom(0, '127.0.0.1', '/etc/kubernetes/pki/etcd/healthcheck-client.crt', '/etc/kubernetes/pki/etcd/healthcheck-client.key')).toMatch(/^HTTP 200 [1-9]/);
  });

  it('a Secret created through kubectl is stored encrypted: the raw value in the real etcd starts with the aescbc prefix', () => {
    kubectl(env.KUBECONFIG!, ['create', 'secret', 'generic', 'new-secret', '--from-literal=password=hunter2-plaintext']);
    const etcdctl = 'ETCDCTL_API=3 /opt/bin/etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key';
    const raw = onHost(cluster, 0, `${etcdctl} get /registry/secrets/default/new-secret --print-value-only | base64 -w0`).trim();
    const stored = Buffer.from(raw, 'base64');
    expect(stored.subarray(0, 'k8s:enc:aescbc:v1:kubeup-1:'.length).toString()).toBe('k8s:enc:aescbc:v1:kubeup-1:');
    expect(stored.toString('latin1')).not.toContain('hunter2');
    expect(stored.toString('latin1')).not.toContain(Buffer.from('hunter2-plaintext').toString('base64'));
    const back = kubectl(env.KUBECONFIG!, ['get', 'secret', 'new-secret', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(back, 'base64').toString()).toBe('hunter2-plaintext');
    // The key: generated here, 0600 in the state folder and on the master.
    expect(statSync(join(pkiDir, 'encryption-config.yaml')).mode & 0o777).toBe(0o600);
    expect(onHost(cluster, 0, 'stat -c "%a %U" /etc/kubernetes/encryption-config.yaml').trim()).toBe('600 root');
  });

  it('the API server writes audit events (Metadata, no request bodies) to a 0600 log', () => {
    const lines = onHost(cluster, 0, 'cat /var/log/kubernetes/audit/audit.log').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The stand-in does not fill objectRef.name from a create's body (the real server does): find it by resource.
    const create = lines.filter((e) => e.verb === 'create' && (e.objectRef as { resource?: string } | undefined)?.resource === 'secrets').at(-1);
    expect(create).toMatchObject({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage: 'ResponseComplete', objectRef: { resource: 'secrets', namespace: 'default' }, responseStatus: { code: 201 } });
    expect(create).not.toHaveProperty('requestObject');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines.some((e) => String(e.requestURI).startsWith('/readyz'))).toBe(false);
    expect(onHost(cluster, 0, 'stat -c "%a" /var/log/kubernetes/audit/audit.log /var/log/kubernetes/audit').trim().split('\n')).toEqual(['600', '700']);
  });

  it('the merged kubeconfig is not system:masters, and deleting one ClusterRoleBinding revokes it; the break-glass one still works', async () => {
    const cfg = parse(readFileSync(env.KUBECONFIG!, 'utf8')) as { users: { name: string; user: Record<string, string> }[] };
    const user = cfg.users.find((u) => u.name === 'kubeup-admin@sec')!;
    const cert = new X509Certificate(Buffer.from(user.user['client-certificate-data']!, 'base64'));
    expect(cert.subject).toBe('O=kubeadm:cluster-admins\nCN=kubeup-admin');
    expect(kubectl(env.KUBECONFIG!, ['delete', 'clusterrolebinding', 'kubeadm:cluster-admins'])).toMatch(/deleted/);
    let denied = '';
    try {
      kubectl(env.KUBECONFIG!, ['get', 'nodes']);
    } catch (err) {
      denied = String((err as { stderr?: string }).stderr ?? err);
    }
    expect(denied).toMatch(/Forbidden|forbidden: User "kubeup-admin" cannot list resource "nodes"/);
    const superAdmin = join(pkiDir, 'super-admin.conf');
    expect(statSync(superAdmin).mode & 0o777).toBe(0o600);
    expect(execFileSync(realKubectl(), ['--kubeconfig', superAdmin, 'get', 'nodes', '--no-headers'], { encoding: 'utf8' })).toMatch(/Ready/);
    // A re-run puts the binding back (with the super-admin), and the admin works again.
    const again = await runCli(['up', '--file', profileFile, '--yes'], env);
    expect(again.code, `${again.out}\n${again.err}`).toBe(0);
    expect(kubectl(env.KUBECONFIG!, ['get', 'nodes', '--no-headers'])).toMatch(/Ready/);
  });
});
