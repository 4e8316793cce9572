// The rendered etcd options run the real etcd (Debian's 3.4, as on the test hosts): the words systemd would pass,
// with only the paths moved into a scratch folder and the two ports moved to free ones. Certificates come from a
// real openssl. Proves: etcd accepts the flag set, serves TLS on loopback and on the master address, and refuses
// clients without a certificate from the CA.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** CA, etcd-server (server+client, SANs of both addresses) and apiserver-etcd-client, all EC P-256. */
function makePki(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=kubeup-test-ca']);
  const leaf = (name: string, usage: string, san?: string) => {
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.ext`), `extendedKeyUsage=${usage}\n${san ? `subjectAltName=${san}\n` : ''}`);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
  };
  leaf('etcd-server', 'serverAuth,clientAuth', `IP:127.0.0.1,IP:${MASTER},DNS:localhost`);
  leaf('apiserver-etcd-client', 'clientAuth');
}

describe('rendered etcd options on the real etcd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-etcd-'));
  let etcd: ChildProcess | undefined;
  let log = '';
  let clientPort = 0;

  const etcdctl = (endpoint: string, withCert: boolean) =>
    spawnSync(
      'etcdctl',
      [
        `--endpoints=${endpoint}`,
        `--cacert=${join(dir, 'pki/ca.crt')}`,
        ...(withCert ? [`--cert=${join(dir, 'pki/apiserver-etcd-client.crt')}`, `--key=${join(dir, 'pki/apiserver-etcd-client.key')}`] : []),
        '--command-timeout=3s',
        'endpoint',
        'health',
      ],
      { encoding: 'utf8', env: { ETCDCTL_API: '3' } },
    );

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', join(dir, 'pki')]);
    makePki(join(dir, 'pki'));
    clientPort = await freePort('127.0.0.1');
    const peerPort = await freePort(MASTER);
    const profile = loadProfile('three-hosts', { hosts: [{ address: MASTER, roles: 'ai' }] });
    const words = optionsWords(file(planFor(profile).hosts[0]!, defaultsPath('etcd')).content).words.map((w) =>
      w
        .replaceAll('/etc/kubernetes/pki/', `${dir}/pki/`)
        .replaceAll('/var/lib/etcd', `${dir}/data`)
        .replaceAll(':2379', `:${clientPort}`)
        .replaceAll(':2380', `:${peerPort}`),
    );
    // The environment systemd gives it: the options variable from /etc/default/etcd, nothing else.
    etcd = spawn('etcd', words, { stdio: ['ignore', 'pipe', 'pipe'], env: { KUBEUP_ETCD_OPTS: words.join(' ') } });
    etcd.stdout!.on('data', (d) => (log += d));
    etcd.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 100; i++) {
      if (etcd.exitCode !== null) break;
      if (etcdctl(`https://127.0.0.1:${clientPort}`, true).status === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`etcd did not become healthy (exit ${etcd.exitCode}):\n${log.slice(-3000)}`);
  }, 30_000);

  afterAll(async () => {
    if (etcd && etcd.exitCode === null) {
      const exited = new Promise((r) => etcd!.once('exit', r));
      etcd.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves clients with a certificate from the CA on loopback and on the master address', () => {
    expect(etcdctl(`https://127.0.0.1:${clientPort}`, true).status).toBe(0);
    expect(etcdctl(`https://${MASTER}:${clientPort}`, true).status).toBe(0);
  });

  it('refuses a client without a certificate', () => {
    const r = etcdctl(`https://127.0.0.1:${clientPort}`, false);
    expect(r.status).not.toBe(0);
  });

  it('logs no warning about its environment or flags', () => {
    expect(log).not.toMatch(/unrecognized|deprecated|shadowed/i);
  });
});
