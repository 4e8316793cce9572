// The rendered etcd options run the real etcd (Debian's 3.4, as on the test hosts): the words systemd would pass,
// with only the paths moved into a scratch folder and the two ports moved to free ones. Certificates come from a
// real openssl, in kubeadm's layout: the cluster CA, and etcd's own CA for etcd's certificates. Proves: etcd accepts
// the flag set; it serves TLS on loopback only; it trusts only etcd's CA (a node certificate from the cluster CA is
// refused); and the first stage of the move from the old layout (src/provision/etcd-ca-migration.ts) serves clients
// of both CAs on the same data, which the final layout then still holds.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTransitionHost, ETCD_TRANSITION_BUNDLE } from '../../../src/provision/etcd-ca-migration.js';
import { defaultsPath } from '../../../src/render/paths.js';
import { file, loadProfile, optionsWords, planFor } from './helpers.js';

// A second loopback address stands in for the master's own address.
const MASTER = '127.0.0.2';

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Both CAs, etcd's pairs in pki/etcd/, and the old layout's etcd-server pair from the cluster CA. All EC P-256. */
function makePki(dir: string): void {
  mkdirSync(join(dir, 'etcd'), { recursive: true });
  const ca = (name: string) =>
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name.replace('/', '-')}`]);
  ca('ca');
  ca('etcd/ca');
  const leaf = (name: string, signer: string, usage: string, san?: string) => {
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name.replace('/', '-')}`]);
    writeFileSync(join(dir, `${name}.ext`), `extendedKeyUsage=${usage}\n${san ? `subjectAltName=${san}\n` : ''}`);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
  };
  const sans = `IP:127.0.0.1,IP:${MASTER},DNS:localhost`;
  leaf('etcd/server', 'etcd/ca', 'serverAuth,clientAuth', sans);
  leaf('etcd/peer', 'etcd/ca', 'serverAuth,clientAuth', sans);
  leaf('apiserver-etcd-client', 'etcd/ca', 'clientAuth');
  // From the cluster CA: the old layout's etcd pair and API server client, and a node's kubelet pair.
  leaf('etcd-server', 'ca', 'serverAuth,clientAuth', sans);
  leaf('old-apiserver-etcd-client', 'ca', 'clientAuth');
  leaf('kubelet', 'ca', 'serverAuth,clientAuth');
  writeFileSync(join(dir, ETCD_TRANSITION_BUNDLE.replace('/etc/kubernetes/pki/', '')), readFileSync(join(dir, 'etcd/ca.crt'), 'utf8') + readFileSync(join(dir, 'ca.crt'), 'utf8'));
}

describe('rendered etcd options on the real etcd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-etcd-'));
  const pki = join(dir, 'pki');
  let etcd: ChildProcess | undefined;
  let log = '';
  let clientPort = 0;
  let peerPort = 0;

  const profile = loadProfile('three-hosts', { hosts: [{ address: MASTER, roles: 'ai' }] });
  const plan = planFor(profile);
  const master = plan.hosts[0]!;
  const finalOptions = file(master, defaultsPath('etcd')).content;
  const stage1Options = file(etcdTransitionHost(plan, master, { clusterCaPem: 'unused', etcdCaPem: 'unused' }), defaultsPath('etcd')).content;

  /** etcdctl with the client pair `client` (under pki/), trusting `ca`; the exit status and output. */
  const etcdctl = (endpoint: string, client: string | undefined, ca: string, ...args: string[]) =>
    spawnSync(
      'etcdctl',
      [
        `--endpoints=${endpoint}`,
        `--cacert=${join(pki, ca)}`,
        ...(client ? [`--cert=${join(pki, `${client}.crt`)}`, `--key=${join(pki, `${client}.key`)}`] : []),
        '--command-timeout=3s',
        ...(args.length ? args : ['endpoint', 'health']),
      ],
      { encoding: 'utf8', env: { ETCDCTL_API: '3' } },
    );
  const local = () => `https://127.0.0.1:${clientPort}`;

  async function start(options: string, client: string, ca: string): Promise<void> {
    const words = optionsWords(options).words.map((w) =>
      w
        .replaceAll('/etc/kubernetes/pki/', `${pki}/`)
        .replaceAll('/var/lib/etcd', `${dir}/data`)
        .replaceAll(':2379', `:${clientPort}`)
        .replaceAll(':2380', `:${peerPort}`),
    );
    log = '';
    // The environment systemd gives it: the options variable from /etc/default/etcd, nothing else.
    etcd = spawn('etcd', words, { stdio: ['ignore', 'pipe', 'pipe'], env: { KUBEUP_ETCD_OPTS: words.join(' ') } });
    etcd.stdout!.on('data', (d) => (log += d));
    etcd.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 100; i++) {
      if (etcd.exitCode !== null) break;
      if (etcdctl(local(), client, ca).status === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`etcd did not become healthy (exit ${etcd.exitCode}):\n${log.slice(-3000)}`);
  }

  async function stop(): Promise<void> {
    if (etcd && etcd.exitCode === null) {
      const exited = new Promise((r) => etcd!.once('exit', r));
      etcd.kill('SIGTERM');
      await exited;
    }
  }

  beforeAll(async () => {
    makePki(pki);
    clientPort = await freePort('127.0.0.1');
    peerPort = await freePort('127.0.0.1');
  }, 30_000);

  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // What kubeup rendered before etcd had its own CA: trust in the cluster CA, served with its pair, peers and clients
  // on the master's address too.
  const oldOptions = stage1Options
    .replace(`--trusted-ca-file=${ETCD_TRANSITION_BUNDLE}`, '--trusted-ca-file=/etc/kubernetes/pki/ca.crt')
    .replace(`--peer-trusted-ca-file=${ETCD_TRANSITION_BUNDLE}`, '--peer-trusted-ca-file=/etc/kubernetes/pki/ca.crt')
    .replace('--listen-client-urls=https://127.0.0.1:2379', `--listen-client-urls=https://127.0.0.1:2379,https://${MASTER}:2379`)
    .replace('--listen-peer-urls=https://127.0.0.1:2380', `--listen-peer-urls=https://${MASTER}:2380`)
    .replace('--initial-advertise-peer-urls=https://127.0.0.1:2380', `--initial-advertise-peer-urls=https://${MASTER}:2380`)
    .replace(/--initial-cluster=([^=]+)=https:\/\/127\.0\.0\.1:2380/, `--initial-cluster=$1=https://${MASTER}:2380`);

  describe('the layout before etcd had its own CA', () => {
    beforeAll(() => start(oldOptions, 'old-apiserver-etcd-client', 'ca.crt'), 30_000);
    afterAll(stop);

    it('let a node certificate of the cluster CA in (the hole this closes), and holds data', () => {
      expect(oldOptions).toContain(`https://${MASTER}:2380`);
      expect(etcdctl(local(), 'kubelet', 'ca.crt').status).toBe(0);
      expect(etcdctl(local(), 'old-apiserver-etcd-client', 'ca.crt', 'put', '/registry/kept', 'from-before').status).toBe(0);
    });
  });

  describe('stage 1 of the move to etcd\'s own CA', () => {
    beforeAll(() => start(stage1Options, 'apiserver-etcd-client', 'ca.crt'), 30_000);
    afterAll(stop);

    it('serves the running API server (old client certificate, trusts the cluster CA) and its successor (new one)', () => {
      expect(etcdctl(local(), 'old-apiserver-etcd-client', 'ca.crt').status).toBe(0);
      expect(etcdctl(local(), 'apiserver-etcd-client', 'ca.crt').status).toBe(0);
      const r = etcdctl(local(), 'apiserver-etcd-client', 'ca.crt', 'get', '/registry/kept', '--print-value-only');
      expect(r.stdout.trim()).toBe('from-before');
    });
  });

  describe('the final layout', () => {
    beforeAll(() => start(finalOptions, 'apiserver-etcd-client', 'etcd/ca.crt'), 30_000);

    it('serves the API server\'s client certificate from etcd\'s CA on loopback, with the data from before', () => {
      const r = etcdctl(local(), 'apiserver-etcd-client', 'etcd/ca.crt', 'get', '/registry/kept', '--print-value-only');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('from-before');
    });

    it('refuses a node certificate from the cluster CA, and a client without a certificate', () => {
      const kubelet = etcdctl(local(), 'kubelet', 'etcd/ca.crt', 'get', '/registry/', '--prefix', '--keys-only');
      expect(kubelet.status).not.toBe(0);
      expect(kubelet.stderr).toMatch(/bad certificate|certificate required|unknown certificate authority|deadline/i);
      expect(etcdctl(local(), undefined, 'etcd/ca.crt').status).not.toBe(0);
    });

    it('does not listen on the master\'s address at all', async () => {
      const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const s = connect(clientPort, MASTER, () => (s.destroy(), resolve(undefined)));
        s.once('error', resolve);
      });
      expect(err?.code).toBe('ECONNREFUSED');
    });

    it('logs no warning about its environment or flags', () => {
      expect(log).not.toMatch(/unrecognized|deprecated|shadowed/i);
    });
  });
});
