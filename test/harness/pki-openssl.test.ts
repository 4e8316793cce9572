// The cluster PKI against real TLS peers: a real etcd serving with the etcd-server/etcd-peer pairs, trusting only
// etcd's own CA and requiring client certificates, and Node's TLS stack doing mutual TLS with the kube-apiserver and admin pairs. Proves the PKCS#8 EC
// keys, EKUs and SANs work where they are used, not only in `openssl verify`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterIdentities, type ClusterIdentityInput } from '../../src/pki/identities.js';
import { ensureClusterPki, type ClusterPki } from '../../src/pki/store.js';

const run = promisify(execFile);

const input: ClusterIdentityInput = {
  clusterName: 'tls',
  masterAddress: '127.0.0.1',
  masterHostname: 'cp1',
  serviceCidr: '10.96.0.0/12',
  dnsDomain: 'cluster.local',
  apiServerPort: 6443,
  nodes: [{ nodeName: 'cp1', address: '127.0.0.1' }],
};

let root: string;
let pki: ClusterPki;
let foreign: ClusterPki;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kubeup-pki-tls-'));
  pki = await ensureClusterPki(join(root, 'pki'), clusterIdentities(input), { clusterName: 'tls' });
  foreign = await ensureClusterPki(join(root, 'foreign'), clusterIdentities(input), { clusterName: 'foreign' });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('etcd with the cluster PKI', () => {
  let etcd: ChildProcess | undefined;
  let endpoint: string;
  let etcdLog = '';
  const dir = () => join(root, 'pki');

  beforeAll(async () => {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    endpoint = `https://127.0.0.1:${clientPort}`;
    etcd = spawn(
      'etcd',
      [
        '--name=cp1',
        `--data-dir=${join(root, 'etcd-data')}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=https://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=https://127.0.0.1:${peerPort}`,
        `--initial-cluster=cp1=https://127.0.0.1:${peerPort}`,
        `--cert-file=${join(dir(), 'etcd-server.crt')}`,
        `--key-file=${join(dir(), 'etcd-server.key')}`,
        `--peer-cert-file=${join(dir(), 'etcd-peer.crt')}`,
        `--peer-key-file=${join(dir(), 'etcd-peer.key')}`,
        `--trusted-ca-file=${join(dir(), 'etcd-ca.crt')}`,
        `--peer-trusted-ca-file=${join(dir(), 'etcd-ca.crt')}`,
        '--client-cert-auth',
        '--peer-client-cert-auth',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    etcd.stdout!.on('data', (b: Buffer) => (etcdLog += b.toString()));
    etcd.stderr!.on('data', (b: Buffer) => (etcdLog += b.toString()));
    for (let i = 0; i < 100; i++) {
      if (etcd.exitCode !== null) throw new Error(`etcd exited with ${etcd.exitCode}:\n${etcdLog.slice(-2000)}`);
      const ok = await etcdctl(['endpoint', 'health'], 'apiserver-etcd-client').then(
        () => true,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`etcd did not become healthy:\n${etcdLog.slice(-2000)}`);
  }, 60_000);

  afterAll(async () => {
    if (etcd && etcd.exitCode === null) {
      const exited = new Promise((r) => etcd!.once('exit', r));
      etcd.kill('SIGTERM');
      await exited;
    }
  });

  function etcdctl(args: string[], identity: string, from: () => string = dir) {
    return run('etcdctl', [
      `--endpoints=${endpoint}`,
      `--cacert=${join(dir(), 'etcd-ca.crt')}`,
      `--cert=${join(from(), `${identity}.crt`)}`,
      `--key=${join(from(), `${identity}.key`)}`,
      '--dial-timeout=3s',
      '--command-timeout=5s',
      ...args,
    ]);
  }

  it('serves the API server\'s etcd client, which can write and read', async () => {
    await etcdctl(['put', '/kubeup/test', 'hello'], 'apiserver-etcd-client');
    const { stdout } = await etcdctl(['get', '/kubeup/test', '--print-value-only'], 'apiserver-etcd-client');
    expect(stdout).toBe('hello\n');
  });

  /** Completes a TLS handshake with etcd and sends an HTTP/2 preface; reports the server's TLS alert, if any. */
  function handshake(client: { certPem: string; keyPem: string }): Promise<string> {
    const { port } = new URL(endpoint);
    return new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca: pki.cas['etcd-ca'].certPem, cert: client.certPem, key: client.keyPem });
      const timer = setTimeout(() => {
        s.destroy();
        resolve('accepted');
      }, 1500);
      // TLS 1.3: the server's verdict on the client certificate arrives as an alert after the client's side is done.
      s.on('secureConnect', () => s.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
      s.on('error', (e: Error) => {
        clearTimeout(timer);
        resolve(e.message);
      });
    });
  }

  it('refuses a client certificate from another CA during the TLS handshake', async () => {
    expect(await handshake(pki.certs.get('apiserver-etcd-client')!)).toBe('accepted');
    expect(await handshake(pki.certs.get('etcd-healthcheck-client')!)).toBe('accepted');
    expect(await handshake(foreign.certs.get('apiserver-etcd-client')!)).toMatch(/alert (bad|unknown) certificate|unknown ca/i);
  });

  it('refuses the cluster CA\'s certificates: a node\'s kubelet pair, the admin, the API server\'s kubelet client', async () => {
    for (const name of ['kubelet-cp1', 'super-admin', 'apiserver-kubelet-client', 'kube-proxy', 'flannel']) {
      expect(await handshake(pki.certs.get(name)!), name).toMatch(/alert (bad|unknown) certificate|unknown ca/i);
    }
  });
});

describe('mutual TLS with the API server pair', () => {
  let server: tls.Server;
  let port: number;
  const seen: { cn?: string | string[]; o?: string | string[] }[] = [];

  beforeAll(async () => {
    const api = pki.certs.get('kube-apiserver')!;
    server = tls.createServer({ cert: api.certPem, key: api.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
      const peer = socket.getPeerCertificate();
      seen.push({ cn: peer.subject.CN, o: peer.subject.O });
      socket.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function connect(servername: string, client: { certPem: string; keyPem: string }, ca = pki.ca.certPem): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername, ca, cert: client.certPem, key: client.keyPem }, () => undefined);
      let data = '';
      s.on('data', (b: Buffer) => (data += b.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
  }

  it('is reached under every service name by the admin, who is seen as kubeup-admin in kubeadm:cluster-admins', async () => {
    for (const name of ['kubernetes', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', 'cp1']) {
      expect(await connect(name, pki.certs.get('admin')!)).toBe('ok');
    }
    expect(seen.at(-1)).toEqual({ cn: 'kubeup-admin', o: 'kubeadm:cluster-admins' });
    expect(await connect('kubernetes', pki.certs.get('super-admin')!)).toBe('ok');
    expect(seen.at(-1)).toEqual({ cn: 'kubeup-super-admin', o: 'system:masters' });
  });

  it('lets a kubelet in as system:node:<name> in system:nodes', async () => {
    expect(await connect('kubernetes', pki.certs.get('kubelet-cp1')!)).toBe('ok');
    expect(seen.at(-1)).toEqual({ cn: 'system:node:cp1', o: 'system:nodes' });
  });

  it('fails the host name check for a name the certificate does not carry', async () => {
    await expect(connect('api.example.com', pki.certs.get('admin')!)).rejects.toThrow(/altnames|Hostname/i);
  });

  it('is not trusted by a client that trusts another CA', async () => {
    await expect(connect('kubernetes', pki.certs.get('admin')!, foreign.ca.certPem)).rejects.toThrow(/certificate/i);
  });
});
