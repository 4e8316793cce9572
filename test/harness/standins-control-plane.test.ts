// The control-plane stand-ins, bundled and executed exactly as they run inside test hosts, against a REAL etcd (Debian's etcd
// 3.4, TLS + client-cert auth) and the REAL kubectl v1.35.2, with certificates made by the real openssl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildStandin } from './standins/build.js';
import { realKubectl } from '../kubectl.js';
import { StandinExit } from './standins/common/errors.js';
import { flagSpecFromReference, parseFlags, type FlagReference } from './standins/common/flags.js';
import { loadKubeconfig } from './standins/common/kubeconfig.js';
import { checkNotExpired, checkSignedByOneOf, loadCertificates, loadKeyPair } from './standins/common/pki.js';

const repo = resolve(__dirname, '..', '..');
const version = 'v1.35.2';

// ---------------------------------------------------------------- helpers

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Polls until `check` returns a value (not undefined); fails with the last observation after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Proc {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const started: Proc[] = [];

function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: Proc = {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  started.push(proc);
  return proc;
}

/** Runs a command to completion (for flag checks that must exit). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A CA and leaf certificates made with the real openssl (EC P-256). */
class OpensslPki {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  ca(name: string): void {
    openssl(['req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], this.dir);
  }

  leaf(name: string, ca: string, subject: string, opts: { sans?: string; usage: 'server' | 'client' | 'both' }): { cert: string; key: string } {
    const eku = opts.usage === 'server' ? 'serverAuth' : opts.usage === 'client' ? 'clientAuth' : 'serverAuth,clientAuth';
    const ext = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${eku}`, ...(opts.sans ? [`subjectAltName=${opts.sans}`] : [])];
    writeFileSync(join(this.dir, `${name}.ext`), `${ext.join('\n')}\n`);
    openssl(['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], this.dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6)), '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], this.dir);
    chmodSync(join(this.dir, `${name}.key`), 0o600);
    return { cert: this.path(`${name}.crt`), key: this.path(`${name}.key`) };
  }

  path(file: string): string {
    return join(this.dir, file);
  }
}

function kubeconfig(path: string, server: string, caFile: string, certFile: string, keyFile: string, user: string): void {
  const b64 = (f: string): string => readFileSync(f).toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${b64(caFile)}`,
      'users:',
      `- name: ${user}`,
      '  user:',
      `    client-certificate-data: ${b64(certFile)}`,
      `    client-key-data: ${b64(keyFile)}`,
      'contexts:',
      '- name: test',
      '  context:',
      '    cluster: test',
      `    user: ${user}`,
      'current-context: test',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

interface HttpResult {
  status: number;
  body: string;
  json: () => Record<string, unknown>;
}

function https(url: string, opts: { ca?: string; cert?: string; key?: string; method?: string; body?: unknown; contentType?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((res, rej) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(url, {
      method: opts.method ?? 'GET',
      ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}),
      ...(opts.cert ? { cert: readFileSync(opts.cert) } : {}),
      ...(opts.key ? { key: readFileSync(opts.key) } : {}),
      // Content-Length always: Node sends a DELETE body without any framing otherwise (no chunked encoding for DELETE).
      headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}), ...opts.headers },
      timeout: 15_000,
    }, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body, json: () => JSON.parse(body) as Record<string, unknown> }));
    });
    req.on('error', rej);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

// ---------------------------------------------------------------- fixture

const haveEtcd = existsSync('/usr/bin/etcd');
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
const haveUnzip = spawnSync('unzip', ['-v']).status === 0;
// buildStandin wraps each program in a small ELF launcher compiled with cc
const haveCc = spawnSync('cc', ['--version']).status === 0;
const missing = [!haveEtcd && '/usr/bin/etcd (Debian etcd-server)', !haveOpenssl && 'openssl', !haveUnzip && 'unzip', !haveCc && 'cc (gcc, libc6-dev)'].filter(Boolean);
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`stand-in tests need ${missing.join(', ')} under CI`);
const describeIf = missing.length === 0 ? describe : describe.skip;

describeIf('control-plane stand-ins against real etcd and real kubectl', () => {
  let dir: string;
  let bin: string;
  let pki: OpensslPki;
  let etcd: Proc;
  let etcdArgs: string[];
  let etcdUrl: string;
  let apiPort: number;
  let apiserver: Proc;
  let apiUrl: string;
  let kubectl: string;
  let adminKubeconfig: string;
  let kubectlEnv: NodeJS.ProcessEnv;
  const admin = { cert: '', key: '' };
  let heartbeat: NodeJS.Timeout | undefined;

  const apiFlags = (): string[] => [
    `--etcd-servers=${etcdUrl}`,
    `--etcd-cafile=${pki.path('etcd-ca.crt')}`,
    `--etcd-certfile=${pki.path('apiserver-etcd-client.crt')}`,
    `--etcd-keyfile=${pki.path('apiserver-etcd-client.key')}`,
    `--tls-cert-file=${pki.path('apiserver.crt')}`,
    `--tls-private-key-file=${pki.path('apiserver.key')}`,
    `--client-ca-file=${pki.path('ca.crt')}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--service-cluster-ip-range=10.32.0.0/24',
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    '--enable-admission-plugins=NodeRestriction',
    `--kubelet-client-certificate=${pki.path('apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${pki.path('apiserver-kubelet-client.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.path('sa.pub')}`,
    `--service-account-signing-key-file=${pki.path('sa.key')}`,
  ];

  const asAdmin = (path: string, opts: { method?: string; body?: unknown; contentType?: string } = {}): Promise<HttpResult> =>
    https(`${apiUrl}${path}`, { ca: pki.path('ca.crt'), cert: admin.cert, key: admin.key, ...opts });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-standins-'));
    bin = join(dir, 'bin');
    await Promise.all(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((n) => buildStandin(n, version, join(bin, n))));

    pki = new OpensslPki(join(dir, 'pki'));
    pki.ca('ca');
    pki.ca('etcd-ca');
    pki.ca('other-ca');
    pki.leaf('apiserver', 'ca', '/CN=kube-apiserver', { usage: 'server', sans: 'IP:127.0.0.1,DNS:localhost,DNS:kubernetes,IP:10.32.0.1' });
    pki.leaf('apiserver-kubelet-client', 'ca', '/O=system:masters/CN=kube-apiserver-kubelet-client', { usage: 'client' });
    Object.assign(admin, pki.leaf('admin', 'ca', '/O=system:masters/CN=admin', { usage: 'client' }));
    pki.leaf('node-a', 'ca', '/O=system:nodes/CN=system:node:node-a', { usage: 'client' });
    pki.leaf('kcm', 'ca', '/CN=system:kube-controller-manager', { usage: 'client' });
    pki.leaf('scheduler', 'ca', '/CN=system:kube-scheduler', { usage: 'client' });
    pki.leaf('intruder', 'other-ca', '/O=system:masters/CN=intruder', { usage: 'client' });
    pki.leaf('server-only', 'ca', '/O=system:masters/CN=server-only', { usage: 'server' });
    pki.leaf('alice', 'ca', '/O=status-writers/CN=alice', { usage: 'client' });
    pki.leaf('etcd-server', 'etcd-ca', '/CN=etcd', { usage: 'both', sans: 'IP:127.0.0.1,DNS:localhost' });
    pki.leaf('apiserver-etcd-client', 'etcd-ca', '/CN=kube-apiserver-etcd-client', { usage: 'client' });
    pki.ca('front-proxy-ca');
    pki.leaf('front-proxy-client', 'front-proxy-ca', '/CN=front-proxy-client', { usage: 'client' });
    pki.leaf('other-proxy', 'front-proxy-ca', '/CN=other-proxy', { usage: 'client' });
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], pki.dir);
    openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], pki.dir);

    const [clientPort, peerPort] = [await freePort(), await freePort()];
    etcdUrl = `https://127.0.0.1:${clientPort}`;
    etcdArgs = [
      '--name=etcd0', `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=etcd0=http://127.0.0.1:${peerPort}`,
      `--cert-file=${pki.path('etcd-server.crt')}`, `--key-file=${pki.path('etcd-server.key')}`,
      `--trusted-ca-file=${pki.path('etcd-ca.crt')}`, '--client-cert-auth',
    ];
    etcd = startProcess('/usr/bin/etcd', etcdArgs);

    kubectl = realKubectl();
    chmodSync(kubectl, 0o755);

    apiPort = await freePort();
    apiUrl = `https://127.0.0.1:${apiPort}`;
    adminKubeconfig = join(dir, 'admin.kubeconfig');
    kubeconfig(adminKubeconfig, apiUrl, pki.path('ca.crt'), admin.cert, admin.key, 'admin');
    kubeconfig(join(dir, 'kcm.kubeconfig'), apiUrl, pki.path('ca.crt'), pki.path('kcm.crt'), pki.path('kcm.key'), 'system:kube-controller-manager');
    kubeconfig(join(dir, 'scheduler.kubeconfig'), apiUrl, pki.path('ca.crt'), pki.path('scheduler.crt'), pki.path('scheduler.key'), 'system:kube-scheduler');
    kubectlEnv = { ...process.env, HOME: dir, KUBECONFIG: adminKubeconfig, KUBECACHEDIR: join(dir, 'kube-cache') };

    apiserver = startProcess(join(bin, 'kube-apiserver'), [...apiFlags()]);
    await waitFor('the API server to be ready', async () => {
      const r = await asAdmin('/readyz');
      return r.status === 200 ? true : undefined;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- kube-apiserver output:\n${apiserver.output()}\n--- etcd output (tail):\n${etcd.output().slice(-2000)}`);
    });
  }, 180_000);

  afterAll(async () => {
    if (heartbeat) clearInterval(heartbeat);
    for (const p of started.reverse()) await p.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('command line', () => {
    it('prints the version it was built as', () => {
      const r = run(join(bin, 'kube-apiserver'), ['--version']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Kubernetes ${version}\n`);
    });

    it('refuses an unknown flag with cobra\'s message after the usage', () => {
      const r = run(join(bin, 'kube-apiserver'), ['--etcd-servers=https://127.0.0.1:1', '--no-such-flag=1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Usage:\n  kube-apiserver [flags]');
      expect(r.stderr.trimEnd().split('\n').pop()).toBe('Error: unknown flag: --no-such-flag');
    });

    it('refuses a malformed value with pflag\'s message', () => {
      const r = run(join(bin, 'kube-apiserver'), ['--secure-port=abc']);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n').pop()).toBe('Error: invalid argument "abc" for "--secure-port" flag: strconv.ParseInt: parsing "abc": invalid syntax');
    });

    it('refuses a flag of another component (kubelet\'s --pod-cidr) and accepts a deprecated one with a warning', () => {
      const unknown = run(join(bin, 'kube-scheduler'), ['--pod-cidr=10.0.0.0/24']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('Error: unknown flag: --pod-cidr');
      const deprecated = run(join(bin, 'kube-apiserver'), ['--admission-control=NodeRestriction']);
      expect(deprecated.stderr).toContain('Flag --admission-control has been deprecated, Use --enable-admission-plugins or --disable-admission-plugins instead.');
      expect(deprecated.stderr).toContain('--etcd-servers must be specified');
    });

    it('refuses to start without the required flags, naming all of them', () => {
      const r = run(join(bin, 'kube-apiserver'), [`--tls-cert-file=${pki.path('apiserver.crt')}`, `--tls-private-key-file=${pki.path('apiserver.key')}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('"command failed" err="[--etcd-servers must be specified, service-account-issuer is a required flag, --service-account-signing-key-file and --service-account-issuer are required flags]"');
    });

    it('refuses a serving certificate that does not match its key, naming both files', () => {
      const flags = apiFlags().map((f) => (f.startsWith('--tls-private-key-file=') ? `--tls-private-key-file=${pki.path('admin.key')}` : f));
      const r = run(join(bin, 'kube-apiserver'), [...flags]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('tls: private key does not match public key');
      expect(r.stderr).toContain(pki.path('apiserver.crt'));
      expect(r.stderr).toContain(pki.path('admin.key'));
    });

    it('refuses a missing client CA file, naming it', () => {
      const flags = apiFlags().map((f) => (f.startsWith('--client-ca-file=') ? `--client-ca-file=${join(dir, 'nope.crt')}` : f));
      const r = run(join(bin, 'kube-apiserver'), [...flags]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`open ${join(dir, 'nope.crt')}: no such file or directory`);
    });
  });

  describe('shared library', () => {
    const refuses = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(StandinExit);
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };

    it('refuses a certificate not signed by the CA it must trust, and an expired one, naming the file', () => {
      const intruder = pki.path('intruder.crt');
      const cas = loadCertificates(pki.path('ca.crt'), 'client CA');
      const [cert] = loadCertificates(intruder, 'client cert');
      expect(refuses(() => checkSignedByOneOf(cert!, cas, intruder, pki.path('ca.crt'), 'client certificate'))).toContain(
        `client certificate: ${intruder}: x509: certificate signed by unknown authority`,
      );
      expect(() => loadKeyPair(admin.cert, admin.key, 'admin', { cas, path: pki.path('ca.crt') })).not.toThrow();
      const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
      expect(refuses(() => checkNotExpired(cert!, intruder, 'client certificate', inThreeDays))).toContain(
        `client certificate: ${intruder}: x509: certificate has expired or is not yet valid: current time`,
      );
      const notPem = join(dir, 'not-a-cert.pem');
      writeFileSync(notPem, 'hello\n');
      expect(refuses(() => loadCertificates(notPem, 'client CA'))).toBe(`client CA: ${notPem}: data does not contain any valid RSA or ECDSA certificates`);
    });

    it('loads kubeconfigs like client-go and refuses what it refuses', () => {
      const cfg = loadKubeconfig(adminKubeconfig);
      expect(cfg).toMatchObject({ server: apiUrl, userName: 'admin', contextName: 'test' });
      expect(cfg.certPem).toBe(readFileSync(admin.cert, 'utf8'));
      const relative = join(dir, 'pki', 'relative.kubeconfig');
      writeFileSync(relative, readFileSync(adminKubeconfig, 'utf8').replace(/certificate-authority-data: .*/, 'certificate-authority: ca.crt'));
      expect(loadKubeconfig(relative).caPem).toBe(readFileSync(pki.path('ca.crt'), 'utf8'));
      const broken = join(dir, 'broken.kubeconfig');
      writeFileSync(broken, readFileSync(adminKubeconfig, 'utf8').replace('current-context: test', 'current-context: prod'));
      expect(refuses(() => loadKubeconfig(broken))).toBe('invalid configuration: context was not found for specified context: prod');
      writeFileSync(broken, readFileSync(adminKubeconfig, 'utf8').replace(/ {4}client-key-data: .*\n/, ''));
      expect(refuses(() => loadKubeconfig(broken))).toBe('invalid configuration: client-key-data or client-key must be specified for admin to use the clientCert authentication method.');
      writeFileSync(broken, readFileSync(adminKubeconfig, 'utf8').replace(/certificate-authority-data: .*/, 'certificate-authority: /nowhere/ca.crt'));
      expect(refuses(() => loadKubeconfig(broken))).toBe('invalid configuration: unable to read certificate-authority /nowhere/ca.crt for test due to open /nowhere/ca.crt: no such file or directory');
    });

    it('parses flags with pflag semantics and Go value checks', () => {
      const ref = JSON.parse(readFileSync(join(repo, 'test', 'fixtures', 'k8s-flags', 'kube-controller-manager-1.35.json'), 'utf8')) as FlagReference;
      const spec = flagSpecFromReference(ref);
      const p = parseFlags(['--controllers=*,-ttl', '--controllers', 'bootstrapsigner', '--allocate-node-cidrs', '-v', '4', '--node_monitor_period=1m30s', '--leader-elect=false'], spec);
      expect(p.list('controllers')).toEqual(['*', '-ttl', 'bootstrapsigner']);
      expect(p.bool('allocate-node-cidrs', false)).toBe(true);
      expect(p.bool('leader-elect', true)).toBe(false);
      expect(p.int('v', 0)).toBe(4);
      expect(p.duration('node-monitor-period', 0)).toBe(90_000);
      const error = (argv: string[]): string => {
        try {
          parseFlags(argv, spec);
        } catch (err) {
          return (err as Error).message;
        }
        return 'accepted';
      };
      expect(error(['--node-cidr-mask-size=4294967296'])).toBe('invalid argument "4294967296" for "--node-cidr-mask-size" flag: strconv.ParseInt: parsing "4294967296": value out of range');
      expect(error(['--node-monitor-period=5'])).toBe('invalid argument "5" for "--node-monitor-period" flag: time: missing unit in duration "5"');
      expect(error(['--kubeconfig'])).toBe('flag needs an argument: --kubeconfig');
      expect(error(['-x'])).toBe("unknown shorthand flag: 'x' in -x");
      expect(error(['--feature-gates=kube:SomeGate=true,Other=false'])).toBe('accepted');
      expect(error(['--feature-gates=SomeGate=yes'])).toBe('invalid argument "SomeGate=yes" for "--feature-gates" flag: invalid value of SomeGate=yes, err: strconv.ParseBool: parsing "yes": invalid syntax');
      expect(error(['run'])).toBe('"kube-controller-manager" does not take any arguments, got ["run"]');
    });

    it('builds each version with its own flag list: a 1.34 build refuses a flag that came in 1.35', async () => {
      const old = join(bin, 'kube-scheduler-1.34');
      await buildStandin('kube-scheduler', 'v1.34.5', old);
      expect(run(old, ['--version']).stdout).toBe('Kubernetes v1.34.5\n');
      expect(run(old, ['--min-compatibility-version=1.34']).stderr).toContain('Error: unknown flag: --min-compatibility-version');
      await expect(buildStandin('kube-scheduler', 'v1.29.0', join(bin, 'x'))).rejects.toThrow(/no flag list for kube-scheduler v1\.29\.0/);
    });

    it('pads a build to the requested size', async () => {
      const padded = join(bin, 'kube-scheduler-padded');
      await buildStandin('kube-scheduler', version, padded, { padToBytes: 2_000_000 });
      const unpadded = join(bin, 'kube-scheduler-unpadded');
      await buildStandin('kube-scheduler', version, unpadded);
      expect(readFileSync(unpadded).length).toBeLessThan(2_000_000);
      expect(readFileSync(padded).length).toBe(2_000_000);
      expect(run(padded, ['--version']).stdout).toBe(`Kubernetes ${version}\n`);
    });
  });

  describe('API server', () => {
    it('writes the system namespaces and the kubernetes service with the first IP of the range', async () => {
      const ns = await waitFor('system namespaces', async () => {
        const r = await asAdmin('/api/v1/namespaces');
        const names = (r.json().items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
        return names.includes('kube-node-lease') ? names : undefined;
      });
      expect(ns).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
      const svc = (await asAdmin('/api/v1/namespaces/default/services/kubernetes')).json() as { spec: { clusterIP: string; ports: { port: number; targetPort: number }[] } };
      expect(svc.spec.clusterIP).toBe('10.32.0.1');
      expect(svc.spec.ports[0]).toMatchObject({ port: 443, targetPort: apiPort });
      const ep = (await asAdmin('/api/v1/namespaces/default/endpoints/kubernetes')).json() as { subsets: { addresses: { ip: string }[] }[] };
      expect(ep.subsets[0]?.addresses[0]?.ip).toBe('127.0.0.1');
    });

    it('keeps objects in the real etcd under /registry, with resourceVersion from etcd', async () => {
      const created = (await asAdmin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' }, data: { a: '1' } } })).json() as { metadata: { resourceVersion: string; uid: string } };
      const env = { ...process.env, ETCDCTL_API: '3' };
      const tls = [`--endpoints=${etcdUrl}`, `--cacert=${pki.path('etcd-ca.crt')}`, `--cert=${pki.path('apiserver-etcd-client.crt')}`, `--key=${pki.path('apiserver-etcd-client.key')}`];
      const got = run('etcdctl', [...tls, 'get', '/registry/configmaps/default/probe', '-w', 'json'], env);
      expect(got.code).toBe(0);
      const kv = (JSON.parse(got.stdout) as { kvs: { mod_revision: number; value: string }[] }).kvs[0];
      expect(String(kv?.mod_revision)).toBe(created.metadata.resourceVersion);
      expect(JSON.parse(Buffer.from(kv?.value ?? '', 'base64').toString()).data).toEqual({ a: '1' });

      const again = await asAdmin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } } });
      expect(again.status).toBe(409);
      expect(again.json()).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'configmaps "probe" already exists' });
      const stale = await asAdmin('/api/v1/namespaces/default/configmaps/probe', { method: 'PUT', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', resourceVersion: '1' }, data: {} } });
      expect(stale.status).toBe(409);
      expect(stale.json()).toMatchObject({ reason: 'Conflict' });
      const missingObj = await asAdmin('/api/v1/namespaces/default/configmaps/nope');
      expect(missingObj.status).toBe(404);
      expect(missingObj.json()).toMatchObject({ reason: 'NotFound', message: 'configmaps "nope" not found' });
    });

    it('rejects a client certificate from another CA, or not meant for clients, with 401', async () => {
      const r = await https(`${apiUrl}/api/v1/nodes`, { ca: pki.path('ca.crt'), cert: pki.path('intruder.crt'), key: pki.path('intruder.key') });
      expect(r.status).toBe(401);
      expect(r.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      // right CA, but a certificate for servers only: Go's verifier refuses it for client authentication
      const serverOnly = await https(`${apiUrl}/api/v1/nodes`, { ca: pki.path('ca.crt'), cert: pki.path('server-only.crt'), key: pki.path('server-only.key') });
      expect(serverOnly.status).toBe(401);
      // the log line is written before the answer, but reaches us through a pipe: wait for it
      for (const why of ['x509: certificate specifies an incompatible key usage', 'x509: certificate signed by unknown authority']) {
        await waitFor(`the log line "${why}"`, async () => (apiserver.output().includes(`failed: ${why}`) ? true : undefined), 10_000);
      }
    });

    it('lets anonymous callers read /healthz only, like the real public-info-viewer policy', async () => {
      expect((await https(`${apiUrl}/healthz`, { ca: pki.path('ca.crt') })).body).toBe('ok');
      const r = await https(`${apiUrl}/api/v1/nodes`, { ca: pki.path('ca.crt') });
      expect(r.status).toBe(403);
      expect(r.json().message).toBe('nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "" at the cluster scope');
    });

    it('answers 401 to callers without a certificate when --anonymous-auth=false', async () => {
      const port = await freePort();
      const flags = apiFlags().map((f) => (f.startsWith('--secure-port=') ? `--secure-port=${port}` : f));
      const second = startProcess(join(bin, 'kube-apiserver'), [...flags, '--anonymous-auth=false', '--v=3']);
      try {
        await waitFor('the second API server', async () => ((await https(`https://127.0.0.1:${port}/readyz`, { ca: pki.path('ca.crt'), cert: admin.cert, key: admin.key })).status === 200 ? true : undefined));
        const r = await https(`https://127.0.0.1:${port}/healthz`, { ca: pki.path('ca.crt') });
        expect(r.status).toBe(401);
        expect(r.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' });
        // -v=3 logs every request like the real httplog
        await waitFor('the request log line', async () => (/"HTTP" verb="GET" URI="\/healthz" latency="\d+ms" .* resp=401/.test(second.output()) ? true : undefined), 10_000);
      } finally {
        await second.stop();
      }
    });

    it('lets a node write its own Node but not another one, nor its restricted labels or taints (Node authorizer, NodeRestriction)', async () => {
      const nodeA = { cert: pki.path('node-a.crt'), key: pki.path('node-a.key'), ca: pki.path('ca.crt') };
      const own = await https(`${apiUrl}/api/v1/nodes`, { ...nodeA, method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } } });
      expect(own.status).toBe(201);
      expect((await asAdmin('/api/v1/nodes', { method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } } })).status).toBe(201);
      const other = await https(`${apiUrl}/api/v1/nodes/node-b`, { ...nodeA, method: 'PATCH', body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' });
      expect(other.status).toBe(403);
      // The Node authorizer lets nodes write any Node; NodeRestriction (enabled here) keeps them to their own.
      expect(other.json().message).toBe('nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"');
      const otherStatus = await https(`${apiUrl}/api/v1/nodes/node-b/status`, { ...nodeA, method: 'PATCH', body: { status: {} }, contentType: 'application/merge-patch+json' });
      expect(otherStatus.json().message).toBe('nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"');
      const patchOwn = (body: object) => https(`${apiUrl}/api/v1/nodes/node-a`, { ...nodeA, method: 'PATCH', body, contentType: 'application/merge-patch+json' });
      expect((await patchOwn({ metadata: { labels: { 'example.com/rack': 'r1', 'node.kubernetes.io/instance-type': 'vm' } } })).status).toBe(200);
      const role = await patchOwn({ metadata: { labels: { 'node-role.kubernetes.io/worker': '' } } });
      expect(role.status).toBe(403);
      expect(role.json().message).toBe('nodes "node-a" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker');
      const taint = await patchOwn({ spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } });
      expect(taint.json().message).toBe('nodes "node-a" is forbidden: node "node-a" is not allowed to modify taints');
      const otherLease = await https(`${apiUrl}/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases`, { ...nodeA, method: 'POST', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-b', namespace: 'kube-node-lease' } } });
      expect(otherLease.json().message).toBe('leases.coordination.k8s.io "node-b" is forbidden: can only access node lease with the same name as the requesting node');
      const ownStatus = await https(`${apiUrl}/api/v1/nodes/node-a/status`, {
        ...nodeA,
        method: 'PATCH',
        contentType: 'application/strategic-merge-patch+json',
        body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().slice(0, 19) + 'Z' }], nodeInfo: { kubeletVersion: version }, addresses: [{ type: 'InternalIP', address: '192.168.213.11' }] } },
      });
      expect(ownStatus.status).toBe(200);
      const createB = await https(`${apiUrl}/api/v1/nodes`, { ...nodeA, method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-c' } } });
      expect(createB.status).toBe(403);
      expect(createB.json().message).toBe('nodes "node-c" is forbidden: node "node-a" is not allowed to modify node "node-c"');
      // the static node rules: pods and services are readable, secrets are not (the real one grants them per pod)
      expect((await https(`${apiUrl}/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a`, nodeA)).status).toBe(200);
      expect((await https(`${apiUrl}/api/v1/services`, nodeA)).status).toBe(200);
      const secrets = await https(`${apiUrl}/api/v1/namespaces/kube-system/secrets`, nodeA);
      expect(secrets.json().message).toBe('secrets is forbidden: User "system:node:node-a" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
    });

    it('serves the real kubectl: get nodes shows STATUS, ROLES, AGE and VERSION', async () => {
      await asAdmin('/api/v1/nodes/node-a', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } } });
      const r = run(kubectl, ['get', 'nodes'], kubectlEnv);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
      expect(lines[1]).toMatch(/^node-a\s+Ready\s+control-plane\s+\d+s\s+v1\.35\.2$/);
      expect(lines[2]).toMatch(/^node-b\s+Unknown\s+<none>\s+\d+s$/);
      const wide = run(kubectl, ['get', 'node', 'node-a', '-o', 'wide'], kubectlEnv);
      expect(wide.stdout).toMatch(/INTERNAL-IP/);
      expect(wide.stdout).toMatch(/192\.168\.213\.11/);
      const described = run(kubectl, ['describe', 'node', 'node-a'], kubectlEnv);
      expect(described.stderr).toBe('');
      expect(described.stdout).toMatch(/^Name:\s+node-a$/m);
      expect(described.stdout).toMatch(/^Roles:\s+control-plane$/m);
      const version = run(kubectl, ['version', '-o', 'json'], kubectlEnv);
      expect((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion).toBe('v1.35.2');
    });

    it('streams changes to kubectl get -w', async () => {
      const watch = startProcess(kubectl, ['get', 'nodes', '-w'], kubectlEnv);
      try {
        await waitFor('the initial rows', async () => (/^node-a\s+Ready\s/m.test(watch.output()) && /^node-b\s/m.test(watch.output()) ? true : undefined), 20_000);
        expect(watch.output()).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/m);
        const before = watch.output().split('\n').filter((l) => l.startsWith('node-b')).length;
        await asAdmin('/api/v1/nodes/node-b', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'node-role.kubernetes.io/worker': '' } } } });
        const rows = await waitFor('the modified row', async () => {
          const lines = watch.output().split('\n').filter((l) => l.startsWith('node-b'));
          return lines.length > before ? lines : undefined;
        }, 20_000);
        expect(rows[rows.length - 1]).toMatch(/^node-b\s+Unknown\s+worker\s/);
      } finally {
        await watch.stop();
      }
    });

    it('takes kubectl create and apply (protobuf bodies, server-side field validation)', () => {
      const created = run(kubectl, ['create', 'namespace', 'demo'], kubectlEnv);
      expect(created.stdout + created.stderr).toBe('namespace/demo created\n');
      const manifest = join(dir, 'cm.yaml');
      writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: demo\ndata:\n  level: one\n');
      expect(run(kubectl, ['apply', '-f', manifest], kubectlEnv).stdout).toBe('configmap/settings created\n');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('level: one', 'level: two'));
      expect(run(kubectl, ['apply', '-f', manifest], kubectlEnv).stdout).toBe('configmap/settings configured\n');
      expect(run(kubectl, ['-n', 'demo', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.level}'], kubectlEnv).stdout).toBe('two');
      const forbidden = run(kubectl, ['delete', 'namespace', 'kube-system'], kubectlEnv);
      expect(forbidden.code).toBe(1);
      expect(forbidden.stderr).toContain('namespaces "kube-system" is forbidden: this namespace may not be deleted');
    });

    it('typed objects over HTTP: server-side apply, conflicts, strict fields, clusterIP range and reuse, immutable clusterIP', async () => {
      const apply = (path: string, body: unknown, query = 'fieldManager=kubeup&fieldValidation=Strict') =>
        asAdmin(`${path}?${query}`, { method: 'PATCH', body, contentType: 'application/apply-patch+yaml' });
      const svcPath = '/api/v1/namespaces/default/services/dns-probe';
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dns-probe' }, spec: { clusterIP: '10.32.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } };
      // Rule: apply creates (201), a second identical apply is a no-op (same resourceVersion).
      const created = await apply(svcPath, svc);
      expect(created.status, created.body).toBe(201);
      const again = await apply(svcPath, svc);
      expect(again.status).toBe(200);
      expect((again.json().metadata as { resourceVersion: string }).resourceVersion).toBe((created.json().metadata as { resourceVersion: string }).resourceVersion);
      // Rule: fieldManager is required for apply (PatchOptions validation).
      const noManager = await apply(svcPath, svc, 'fieldValidation=Strict');
      expect(noManager.status).toBe(422);
      expect(noManager.json().message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      // Rule: the typed conversion refuses a field the schema does not declare.
      const typo = await apply(svcPath, { ...svc, spec: { ...svc.spec, clusterIp: '10.32.0.10' } });
      expect(typo.status).toBe(500);
      expect(typo.json().message).toBe('failed to create typed patch object (/v1, Kind=Service) default/dns-probe: .spec.clusterIp: field not declared in schema');
      // Rule: another manager applying another value for a field kubeup owns is a conflict; force takes it.
      const other = { ...svc, spec: { ...svc.spec, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] } };
      const kubeupPorts = { ...svc, spec: { ...svc.spec, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }] } };
      expect((await apply(svcPath, kubeupPorts)).status).toBe(200);
      const conflict = await apply(svcPath, other, 'fieldManager=ops&fieldValidation=Strict');
      expect(conflict.status).toBe(409);
      expect(conflict.json()).toMatchObject({ reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "kubeup": .spec.ports[port=53,protocol="UDP"].targetPort' });
      expect((await apply(svcPath, other, 'fieldManager=ops&fieldValidation=Strict&force=true')).status).toBe(200);
      // Rule: a Service's clusterIP may not change once set.
      const moved = await apply(svcPath, { ...svc, spec: { ...svc.spec, clusterIP: '10.32.0.11' } }, 'fieldManager=kubeup&fieldValidation=Strict&force=true');
      expect(moved.status).toBe(422);
      expect(moved.json().message).toBe('Service "dns-probe" is invalid: spec.clusterIPs[0]: Invalid value: ["10.32.0.11"]: may not change once set');
      // Rule: the allocator refuses an address outside the range and one already taken.
      const outside = await apply('/api/v1/namespaces/default/services/outside', { ...svc, metadata: { name: 'outside' }, spec: { ...svc.spec, clusterIP: '10.33.0.10' } });
      expect(outside.status).toBe(422);
      expect(outside.json().message).toContain('failed to allocate IP 10.33.0.10: provided IP is not in the valid range. The range of valid IPs is 10.32.0.0/24');
      const taken = await apply('/api/v1/namespaces/default/services/taken', { ...svc, metadata: { name: 'taken' } });
      expect(taken.status).toBe(422);
      expect(taken.json().message).toContain('failed to allocate IP 10.32.0.10: provided IP is already allocated');
      // Rule: fieldValidation=Strict on a create refuses an unknown field; the real kubectl says so.
      const strict = await asAdmin('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strict' }, dta: {} } });
      expect(strict.status).toBe(400);
      expect(strict.json().message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta"');
      const manifest = join(dir, 'deploy-typo.yaml');
      writeFileSync(manifest, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typo\n  namespace: default\nspec:\n  replica: 2\n  selector:\n    matchLabels: {app: typo}\n  template:\n    metadata:\n      labels: {app: typo}\n    spec:\n      containers:\n      - name: c\n        image: example/c:1\n');
      const ssa = run(kubectl, ['apply', '--server-side', '-f', manifest], kubectlEnv);
      expect(ssa.code).toBe(1);
      expect(ssa.stderr).toContain('.spec.replica: field not declared in schema');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('replica: 2', 'replicas: 2'));
      expect(run(kubectl, ['apply', '--server-side', '-f', manifest], kubectlEnv).stdout).toBe('deployment.apps/typo serverside-applied\n');
      expect(run(kubectl, ['-n', 'default', 'get', 'deployment', 'typo', '--no-headers'], kubectlEnv).stdout).toMatch(/^typo\s+0\/2\s+0\s+0\s/);
    });

    it('evaluates Roles and ClusterRoles that clients create: resourceNames, subresources, groups', async () => {
      const rbac = '/apis/rbac.authorization.k8s.io/v1';
      const post = async (path: string, body: object): Promise<void> => {
        const r = await asAdmin(path, { method: 'POST', body });
        expect(r.status, r.body).toBe(201);
      };
      await post(`${rbac}/namespaces/demo/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read-settings', namespace: 'demo' }, rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] }] });
      await post(`${rbac}/namespaces/demo/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'alice-settings', namespace: 'demo' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-settings' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }] });
      await post(`${rbac}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'node-status-writer' }, rules: [{ apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] }] });
      await post(`${rbac}/clusterrolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'status-writers' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-status-writer' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'status-writers' }] });

      const alice = { ca: pki.path('ca.crt'), cert: pki.path('alice.crt'), key: pki.path('alice.key') };
      expect((await https(`${apiUrl}/api/v1/namespaces/demo/configmaps/settings`, alice)).status).toBe(200);
      const list = await https(`${apiUrl}/api/v1/namespaces/demo/configmaps`, alice);
      expect(list.status).toBe(403);
      expect(list.json().message).toBe('configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "demo"');
      const other = await https(`${apiUrl}/api/v1/namespaces/default/configmaps/probe`, alice);
      expect(other.json().message).toBe('configmaps "probe" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "default"');
      const status = await https(`${apiUrl}/api/v1/nodes/node-b/status`, { ...alice, method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
      expect(status.status, status.body).toBe(200);
      const main = await https(`${apiUrl}/api/v1/nodes/node-b`, { ...alice, method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
      expect(main.json().message).toBe('nodes "node-b" is forbidden: User "alice" cannot patch resource "nodes" in API group "" at the cluster scope');
    });

    it('answers kubectl auth can-i from the RBAC bootstrap policy', () => {
      const kcm = { ...kubectlEnv, KUBECONFIG: join(dir, 'kcm.kubeconfig') };
      const yes = run(kubectl, ['auth', 'can-i', 'list', 'nodes'], kcm);
      expect(yes.stdout.trim(), yes.stderr).toBe('yes');
      const no = run(kubectl, ['auth', 'can-i', 'delete', 'nodes'], kcm);
      expect(no.stdout.trim(), no.stderr).toBe('no');
      expect(no.code).toBe(1);
    });

    it('reports componentstatuses live: unhealthy without the scheduler and controller-manager', async () => {
      // componentstatuses probe the fixed ports 10257 and 10259, as the real API server does
      for (const port of [10257, 10259]) {
        const free = await new Promise<boolean>((res) => {
          const s = createServer();
          s.once('error', () => res(false));
          s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
        });
        if (!free) throw new Error(`port ${port} on 127.0.0.1 is in use by another process: these checks need it free`);
      }
      const r = run(kubectl, ['get', 'componentstatuses'], kubectlEnv);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('v1 ComponentStatus is deprecated in v1.19+');
      expect(r.stdout).toMatch(/^controller-manager\s+Unhealthy\s+Get "https:\/\/127\.0\.0\.1:10257\/healthz": dial tcp 127\.0\.0\.1:10257: connect: connection refused/m);
      expect(r.stdout).toMatch(/^scheduler\s+Unhealthy\s+Get "https:\/\/127\.0\.0\.1:10259\/healthz"/m);
      expect(r.stdout).toMatch(/^etcd-0\s+Healthy\s+ok/m);
    });
  });

  describe('controller-manager and scheduler', () => {
    it('refuses a kubeconfig that does not exist, and a pod CIDR mask that does not fit', () => {
      const noKc = run(join(bin, 'kube-controller-manager'), [`--kubeconfig=${join(dir, 'missing.kubeconfig')}`]);
      expect(noKc.code).toBe(1);
      expect(noKc.stderr).toContain(`stat ${join(dir, 'missing.kubeconfig')}: no such file or directory`);
      const mask = run(join(bin, 'kube-controller-manager'), [`--kubeconfig=${join(dir, 'kcm.kubeconfig')}`, '--allocate-node-cidrs=true', '--cluster-cidr=10.200.0.0/24', '--node-cidr-mask-size=16']);
      expect(mask.code).toBe(1);
      expect(mask.stderr).toContain('Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size');
    });

    it('refuses an unknown field in the scheduler configuration file', () => {
      const cfg = join(dir, 'bad-scheduler.yaml');
      writeFileSync(cfg, `apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: ${join(dir, 'scheduler.kubeconfig')}\n  kubeconfg: typo\n`);
      const r = run(join(bin, 'kube-scheduler'), [`--config=${cfg}`]);
      expect(r.code).toBe(1);
      // klog quotes the error text, so its inner quotes arrive escaped, as from the real binary
      expect(r.stderr).toContain('strict decoding error: unknown field \\"clientConnection.kubeconfg\\"');
    });

    it('read extension-apiserver-authentication at start: kube-controller-manager exits while it is forbidden, kube-scheduler only warns', async () => {
      // A user the bootstrap policy does not let read the configmap (a node): what both see before the RBAC bootstrap.
      const nodeKc = join(dir, 'node-a.kubeconfig');
      kubeconfig(nodeKc, apiUrl, pki.path('ca.crt'), pki.path('node-a.crt'), pki.path('node-a.key'), 'system:node:node-a');
      const kcm = run(join(bin, 'kube-controller-manager'), [`--kubeconfig=${join(dir, 'kcm.kubeconfig')}`, `--authentication-kubeconfig=${nodeKc}`, '--bind-address=127.0.0.1', '--secure-port=0']);
      expect(kcm.code).toBe(1);
      expect(kcm.stderr).toContain("Unable to get configmap/extension-apiserver-authentication in kube-system.  Usually fixed by 'kubectl create rolebinding");
      expect(kcm.stderr).toContain('"command failed" err="unable to load configmap based request-header-client-ca-file: configmaps \\"extension-apiserver-authentication\\" is forbidden: User \\"system:node:node-a\\" cannot get resource \\"configmaps\\" in API group \\"\\" in the namespace \\"kube-system\\""');
      // With the bootstrap policy's reader role, the same start gets past the lookup.
      const ok = startProcess(join(bin, 'kube-controller-manager'), [`--kubeconfig=${join(dir, 'kcm.kubeconfig')}`, `--authentication-kubeconfig=${join(dir, 'kcm.kubeconfig')}`, '--bind-address=127.0.0.1', '--secure-port=0', '--leader-elect=false', '--controllers=-*']);
      await new Promise((r) => setTimeout(r, 2000));
      expect(ok.child.exitCode, ok.output()).toBeNull();
      await ok.stop();
      const schedulerConfig = join(dir, 'tolerant-scheduler.yaml');
      writeFileSync(schedulerConfig, `apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: ${join(dir, 'scheduler.kubeconfig')}\nleaderElection:\n  leaderElect: false\n`);
      const scheduler = startProcess(join(bin, 'kube-scheduler'), [`--config=${schedulerConfig}`, `--authentication-kubeconfig=${nodeKc}`, '--bind-address=127.0.0.1', '--secure-port=0']);
      await waitFor('the scheduler\'s warning', async () => (/Continuing without authentication configuration/.test(scheduler.output()) ? true : undefined));
      expect(scheduler.output()).toContain('Error looking up in-cluster authentication configuration: configmaps "extension-apiserver-authentication" is forbidden');
      expect(scheduler.child.exitCode).toBeNull();
      await scheduler.stop();
    });

    it('run with their kubeconfigs: pod CIDRs are allocated and componentstatuses turn healthy', async () => {
      const schedulerConfig = join(dir, 'kube-scheduler.yaml');
      writeFileSync(schedulerConfig, `apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: ${join(dir, 'scheduler.kubeconfig')}\nleaderElection:\n  leaderElect: true\n`);
      // node-a's "kubelet": post the Ready heartbeat every second with node-a's own credentials
      heartbeat = setInterval(() => {
        void https(`${apiUrl}/api/v1/nodes/node-a/status`, {
          ca: pki.path('ca.crt'), cert: pki.path('node-a.crt'), key: pki.path('node-a.key'), method: 'PATCH', contentType: 'application/strategic-merge-patch+json',
          body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: `${new Date().toISOString().slice(0, 19)}Z` }] } },
        }).catch(() => undefined);
      }, 1000);
      const kcm = startProcess(join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
        `--authentication-kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
        `--authorization-kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
        '--bind-address=127.0.0.1',
        '--secure-port=10257',
        '--allocate-node-cidrs=true',
        '--cluster-cidr=10.200.0.0/16',
        '--service-cluster-ip-range=10.32.0.0/24',
        '--node-cidr-mask-size=24',
        `--cluster-signing-cert-file=${pki.path('ca.crt')}`,
        `--cluster-signing-key-file=${pki.path('ca.key')}`,
        `--root-ca-file=${pki.path('ca.crt')}`,
        `--service-account-private-key-file=${pki.path('sa.key')}`,
        '--use-service-account-credentials=true',
        '--node-monitor-period=1s',
        '--node-monitor-grace-period=5s',
        '--node-startup-grace-period=3s',
        '--leader-elect=true',
      ]);
      const scheduler = startProcess(join(bin, 'kube-scheduler'), [`--config=${schedulerConfig}`, '--bind-address=127.0.0.1', '--secure-port=10259']);

      const cidrs = await waitFor('pod CIDRs on both nodes', async () => {
        const nodes = (await asAdmin('/api/v1/nodes')).json().items as { metadata: { name: string }; spec: { podCIDR?: string; podCIDRs?: string[] } }[];
        const all = nodes.map((n) => [n.metadata.name, n.spec.podCIDR, n.spec.podCIDRs]);
        return all.every((n) => n[1]) ? all : undefined;
      }, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n--- kube-controller-manager output:\n${kcm.output()}`);
      });
      expect(cidrs).toEqual([
        ['node-a', '10.200.0.0/24', ['10.200.0.0/24']],
        ['node-b', '10.200.1.0/24', ['10.200.1.0/24']],
      ]);

      const cs = await waitFor('healthy componentstatuses', async () => {
        const r = run(kubectl, ['get', 'componentstatuses'], kubectlEnv);
        return /^controller-manager\s+Healthy\s+ok/m.test(r.stdout) && /^scheduler\s+Healthy\s+ok/m.test(r.stdout) ? r.stdout : undefined;
      }, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n--- scheduler output:\n${scheduler.output()}\n--- kcm output:\n${kcm.output()}`);
      });
      expect(cs).toMatch(/^etcd-0\s+Healthy\s+ok/m);

      const leases = await waitFor('both leader leases', async () => {
        const items = (await asAdmin('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases')).json().items as { metadata: { name: string } }[];
        const names = items.map((l) => l.metadata.name);
        return names.includes('kube-controller-manager') && names.includes('kube-scheduler') ? names : undefined;
      });
      expect(leases).toEqual(expect.arrayContaining(['kube-controller-manager', 'kube-scheduler']));

      // node-b never posted status: after the startup grace period the controller marks it Unknown and taints it,
      // while node-a, whose "kubelet" (this test) keeps posting heartbeats, stays Ready and untainted.
      const b = await waitFor('node-b marked Unknown', async () => {
        const node = (await asAdmin('/api/v1/nodes/node-b')).json() as { spec: { taints?: { key: string; effect: string }[] }; status: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
        const ready = node.status.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'Unknown' && (node.spec.taints ?? []).length > 0 ? { ready, taints: node.spec.taints } : undefined;
      }, 30_000);
      expect(b.ready).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet never posted node status.' });
      expect(b.taints).toEqual([expect.objectContaining({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' })]);
      // On a loaded machine a heartbeat can arrive after the 5 s grace, as it can for a real kubelet: the controller
      // then marks node-a Unknown until the next one. What must hold is that a node that posts comes back Ready, untainted.
      const a = await waitFor('node-a Ready and untainted', async () => {
        const node = (await asAdmin('/api/v1/nodes/node-a')).json() as { spec: { taints?: unknown[] }; status: { conditions: { type: string; status: string }[] } };
        return node.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' && (node.spec.taints ?? []).length === 0 ? node : undefined;
      }, 15_000);
      expect(a.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(run(kubectl, ['get', 'node', 'node-b', '--no-headers'], kubectlEnv).stdout).toMatch(/^node-b\s+NotReady\s/);
    });

    it('the scheduler binds a pending pod to the Ready node', async () => {
      const created = await asAdmin('/api/v1/namespaces/default/pods', { method: 'POST', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } });
      expect(created.status).toBe(201);
      const node = await waitFor('the pod to be bound', async () => {
        const pod = (await asAdmin('/api/v1/namespaces/default/pods/web')).json() as { spec: { nodeName?: string } };
        return pod.spec.nodeName;
      });
      expect(node).toBe('node-a');
      const pods = run(kubectl, ['get', 'pods', '-o', 'wide'], kubectlEnv);
      expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s/);
      expect(pods.stdout).toMatch(/^web\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+node-a\s/m);
    });

    it('pods/eviction (policy/v1) and graceful pod deletion; the real kubectl drain works', async () => {
      const pods = '/api/v1/namespaces/default/pods';
      const evict = (name: string, body: object) => asAdmin(`${pods}/${name}/eviction`, { method: 'POST', body });
      const eviction = (name: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } });
      const mismatch = await evict('web', eviction('other'));
      expect(mismatch.status).toBe(400);
      expect(mismatch.json()).toMatchObject({ reason: 'BadRequest', message: 'name in URL does not match name in Eviction object' });
      expect((await evict('nope', eviction('nope'))).status).toBe(404);
      const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'nginx' }] } });
      expect((await asAdmin(pods, { method: 'POST', body: pod('running') })).status).toBe(201);
      expect((await asAdmin(`${pods}/running/status`, { method: 'PATCH', body: { status: { phase: 'Running' } }, contentType: 'application/merge-patch+json' })).status).toBe(200);
      const refused = await evict('running', eviction('running'));
      expect(refused.status).toBe(500);
      expect(refused.body).toMatch(/PodDisruptionBudget checks, which this stand-in does not model/);
      expect((await asAdmin(`${pods}/running?gracePeriodSeconds=0`, { method: 'DELETE' })).status).toBe(200);
      expect((await asAdmin(`${pods}/running`)).status).toBe(404);

      // The scheduled pod `web`: evicted with its own grace period (30 s), it stays until its kubelet confirms.
      expect((await evict('web', eviction('web'))).status).toBe(201);
      const deleting = (await asAdmin(`${pods}/web`)).json() as { metadata: { uid: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number } };
      expect(deleting.metadata.deletionGracePeriodSeconds).toBe(30);
      expect(Date.parse(deleting.metadata.deletionTimestamp!) - Date.now()).toBeGreaterThan(20_000);
      expect((await asAdmin(`${pods}/web`, { method: 'DELETE', body: { gracePeriodSeconds: 60 } })).status).toBe(200);
      expect(((await asAdmin(`${pods}/web`)).json() as typeof deleting).metadata.deletionGracePeriodSeconds).toBe(30);
      const wrongUid = await asAdmin(`${pods}/web`, { method: 'DELETE', body: { gracePeriodSeconds: 0, preconditions: { uid: 'not-it' } } });
      expect(wrongUid.status, wrongUid.body).toBe(409);
      expect(wrongUid.body).toMatch(/Precondition failed: UID in precondition: not-it/);
      expect((await asAdmin(`${pods}/web`, { method: 'DELETE', body: { gracePeriodSeconds: 0, preconditions: { uid: deleting.metadata.uid } } })).status).toBe(200);
      expect((await asAdmin(`${pods}/web`)).status).toBe(404);

      // kubectl drain finds pods/eviction in discovery, cordons, evicts (grace 0: at once) and waits until it is gone.
      expect((await asAdmin(pods, { method: 'POST', body: pod('web2') })).status).toBe(201);
      const drained = run(kubectl, ['drain', 'node-a', '--force', '--ignore-daemonsets', '--grace-period=0', '--timeout=30s'], kubectlEnv);
      expect(drained.stderr).not.toMatch(/error/i);
      expect(drained.stdout).toMatch(/node\/node-a cordoned/);
      expect(drained.stdout).toMatch(/pod\/web2 evicted/);
      expect(drained.stdout).toMatch(/node\/node-a drained/);
      expect((await asAdmin(`${pods}/web2`)).status).toBe(404);
      expect(((await asAdmin('/api/v1/nodes/node-a')).json() as { spec: { unschedulable?: boolean } }).spec.unschedulable).toBe(true);
      expect(run(kubectl, ['uncordon', 'node-a'], kubectlEnv).stdout).toMatch(/node\/node-a uncordoned/);
    });
  });

  describe('aggregation layer (requestheader, as kubeadm sets it up)', () => {
    const requestHeaderFlags = () => [
      `--requestheader-client-ca-file=${pki.path('front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      `--proxy-client-cert-file=${pki.path('front-proxy-client.crt')}`,
      `--proxy-client-key-file=${pki.path('front-proxy-client.key')}`,
    ];
    const authConfigMap = async () => (await asAdmin('/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication')).json() as { data?: Record<string, string> };

    it('without --requestheader-client-ca-file the controller manager complains about the missing CA bundle, as the real one does', async () => {
      const cm = await waitFor('the authentication ConfigMap', async () => ((await authConfigMap()).data?.['client-ca-file'] ? authConfigMap() : undefined));
      expect(cm.data?.['client-ca-file']).toBe(readFileSync(pki.path('ca.crt'), 'utf8'));
      expect(cm.data?.['requestheader-client-ca-file']).toBeUndefined();
      const kcm = startProcess(join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
        `--authentication-kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
        `--authorization-kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
        '--secure-port=0',
        '--leader-elect=false',
      ]);
      try {
        await waitFor('the complaint', async () => (kcm.output().includes('missing content for CA bundle \\"client-ca::kube-system::extension-apiserver-authentication::requestheader-client-ca-file\\"') ? true : undefined), 20_000);
        expect(kcm.output()).not.toContain('extension-apiserver-authentication::client-ca-file');
      } finally {
        await kcm.stop();
      }
    });

    it('refuses an unreadable requestheader CA, a lone proxy client file, an unknown cipher suite or TLS version', () => {
      const base = apiFlags().filter((f) => !f.startsWith('--secure-port='));
      const bad = (extra: string[]) => run(join(bin, 'kube-apiserver'), [...base, '--secure-port=1', ...extra]).stderr;
      expect(bad([`--requestheader-client-ca-file=${join(dir, 'nope.crt')}`])).toContain(`unable to load requestheader client CA file ${join(dir, 'nope.crt')}: open ${join(dir, 'nope.crt')}: no such file or directory`);
      expect(bad([`--proxy-client-cert-file=${pki.path('front-proxy-client.crt')}`])).toContain('--proxy-client-cert-file and --proxy-client-key-file must be given together');
      expect(bad(['--tls-cipher-suites=TLS_NO_SUCH_SUITE'])).toContain('Cipher suite TLS_NO_SUCH_SUITE not supported or doesn\'t exist');
      expect(bad(['--tls-min-version=VersionTLS14'])).toContain('unknown tls version \\"VersionTLS14\\"');
    });

    it('with the requestheader flags: the ConfigMap gets the front-proxy CA, and front-proxy requests carry the header user', async () => {
      const port = await freePort();
      const flags = apiFlags().map((f) => (f.startsWith('--secure-port=') ? `--secure-port=${port}` : f));
      const second = startProcess(join(bin, 'kube-apiserver'), [...flags, ...requestHeaderFlags(), '--tls-min-version=VersionTLS12', '--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']);
      try {
        const url = `https://127.0.0.1:${port}`;
        await waitFor('the second API server', async () => ((await https(`${url}/readyz`, { ca: pki.path('ca.crt'), cert: admin.cert, key: admin.key })).status === 200 ? true : undefined));
        const cm = await waitFor('the requestheader keys', async () => {
          const c = await authConfigMap();
          return c.data?.['requestheader-client-ca-file'] ? c : undefined;
        });
        expect(cm.data).toMatchObject({
          'requestheader-client-ca-file': readFileSync(pki.path('front-proxy-ca.crt'), 'utf8'),
          'requestheader-allowed-names': '["front-proxy-client"]',
          'requestheader-username-headers': '["X-Remote-User"]',
          'requestheader-group-headers': '["X-Remote-Group"]',
          'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
          'requestheader-uid-headers': '[]',
        });
        const proxy = { ca: pki.path('ca.crt'), cert: pki.path('front-proxy-client.crt'), key: pki.path('front-proxy-client.key') };
        const asAlice = await https(`${url}/api/v1/nodes`, { ...proxy, headers: { 'X-Remote-User': 'alice', 'X-Remote-Group': 'status-writers' } });
        expect(asAlice.status).toBe(403);
        expect(asAlice.json().message).toMatch(/^nodes is forbidden: User "alice" cannot list resource "nodes"/);
        expect((await https(`${url}/api/v1/nodes`, { ...proxy, headers: { 'X-Remote-User': 'root', 'X-Remote-Group': 'system:masters' } })).status).toBe(200);
        // No user header, or a front-proxy certificate whose CN is not allowed: not a proxy request, and no client CA signs it.
        expect((await https(`${url}/api/v1/nodes`, proxy)).status).toBe(401);
        const other = { ca: pki.path('ca.crt'), cert: pki.path('other-proxy.crt'), key: pki.path('other-proxy.key') };
        expect((await https(`${url}/api/v1/nodes`, { ...other, headers: { 'X-Remote-User': 'root', 'X-Remote-Group': 'system:masters' } })).status).toBe(401);
      } finally {
        await second.stop();
      }
    });
  });

  describe('encryption at rest and the audit log', () => {
    const secondServer = async (extra: string[]) => {
      const port = await freePort();
      const flags = apiFlags().map((f) => (f.startsWith('--secure-port=') ? `--secure-port=${port}` : f));
      const proc = startProcess(join(bin, 'kube-apiserver'), [...flags, ...extra]);
      const url = `https://127.0.0.1:${port}`;
      await waitFor('the second API server', async () => ((await https(`${url}/readyz`, { ca: pki.path('ca.crt'), cert: admin.cert, key: admin.key })).status === 200 ? true : undefined)).catch((err: Error) => {
        throw new Error(`${err.message}\n${proc.output()}`);
      });
      return { proc, url, as: (path: string, opts: { method?: string; body?: unknown } = {}) => https(`${url}${path}`, { ca: pki.path('ca.crt'), cert: admin.cert, key: admin.key, ...opts }) };
    };
    const encryptionConfig = (providers: string) => {
      const path = join(dir, `enc-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(path, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers}`);
      return path;
    };
    const key32 = Buffer.alloc(32, 9).toString('base64');
    const rawValue = (key: string): Buffer => {
      const tls = [`--endpoints=${etcdUrl}`, `--cacert=${pki.path('etcd-ca.crt')}`, `--cert=${pki.path('apiserver-etcd-client.crt')}`, `--key=${pki.path('apiserver-etcd-client.key')}`];
      const got = run('etcdctl', [...tls, 'get', key, '-w', 'json'], { ...process.env, ETCDCTL_API: '3' });
      return Buffer.from((JSON.parse(got.stdout) as { kvs: { value: string }[] }).kvs[0]!.value, 'base64');
    };

    it('stores Secrets as the real aescbc does (k8s:enc:aescbc:v1:<key>: + IV + AES-CBC), reads them back, leaves other resources alone', async () => {
      const cfg = encryptionConfig(`      - aescbc:\n          keys:\n            - name: key1\n              secret: ${key32}\n      - identity: {}\n`);
      const api = await secondServer([`--encryption-provider-config=${cfg}`]);
      try {
        expect((await api.as('/api/v1/namespaces/default/secrets', { method: 'POST', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'enc' }, data: { p: Buffer.from('s3cr3t').toString('base64') } } })).status).toBe(201);
        const raw = rawValue('/registry/secrets/default/enc');
        const prefix = Buffer.from('k8s:enc:aescbc:v1:key1:');
        expect(raw.subarray(0, prefix.length).equals(prefix)).toBe(true);
        expect((raw.length - prefix.length - 16) % 16).toBe(0);
        // Decrypted here with node:crypto, independently of the stand-in: IV then AES-256-CBC.
        const { createDecipheriv } = await import('node:crypto');
        const body = raw.subarray(prefix.length);
        const d = createDecipheriv('aes-256-cbc', Buffer.from(key32, 'base64'), body.subarray(0, 16));
        const plain = JSON.parse(Buffer.concat([d.update(body.subarray(16)), d.final()]).toString()) as { data: { p: string } };
        expect(Buffer.from(plain.data.p, 'base64').toString()).toBe('s3cr3t');
        const back = (await api.as('/api/v1/namespaces/default/secrets/enc')).json() as { data: { p: string } };
        expect(Buffer.from(back.data.p, 'base64').toString()).toBe('s3cr3t');
        // The first API server has no encryption configuration: it cannot read the stored value.
        expect((await asAdmin('/api/v1/namespaces/default/secrets/enc')).status).toBe(500);
        expect((await api.as('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { a: 'b' } } })).status).toBe(201);
        expect(rawValue('/registry/configmaps/default/plain').subarray(0, 1).toString()).toBe('{');
      } finally {
        await api.proc.stop();
      }
    });

    it('refuses encryption configurations it does not implement or the real one rejects', () => {
      const base = apiFlags().filter((f) => !f.startsWith('--secure-port='));
      const start = (cfg: string) => run(join(bin, 'kube-apiserver'), [...base, '--secure-port=1', `--encryption-provider-config=${cfg}`]).stderr;
      expect(start(encryptionConfig(`      - aesgcm:\n          keys:\n            - name: k\n              secret: ${key32}\n`))).toContain('does not implement the aesgcm encryption provider');
      expect(start(encryptionConfig(`      - secretbox:\n          keys:\n            - name: k\n              secret: ${key32}\n`))).toContain('does not implement the secretbox encryption provider');
      expect(start(encryptionConfig(`      - aescbc:\n          keys:\n            - name: k\n              secret: ${Buffer.alloc(20).toString('base64')}\n`))).toContain('secret is not of the expected length, got 20, expected one of [16 24 32]');
      expect(start(join(dir, 'no-such-enc.yaml'))).toContain('no such file or directory');
    });

    it('writes audit events in the audit.k8s.io/v1 format per the policy, and refuses levels it does not implement', async () => {
      const policy = join(dir, 'audit-policy.yaml');
      writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: None\n    nonResourceURLs: ["/readyz*"]\n  - level: Metadata\n');
      const log = join(dir, 'audit', 'audit.log');
      const api = await secondServer([`--audit-policy-file=${policy}`, `--audit-log-path=${log}`, '--audit-log-maxsize=100', '--audit-log-maxbackup=10', '--audit-log-maxage=30']);
      try {
        await api.as('/api/v1/namespaces/default/configmaps/probe');
        const events = await waitFor('the audit event', async () => {
          const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
          return lines.some((e) => e.requestURI === '/api/v1/namespaces/default/configmaps/probe') ? lines : undefined;
        });
        const ev = events.find((e) => e.requestURI === '/api/v1/namespaces/default/configmaps/probe')!;
        expect(ev).toMatchObject({
          kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage: 'ResponseComplete', verb: 'get',
          user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
          objectRef: { resource: 'configmaps', namespace: 'default', name: 'probe', apiVersion: 'v1' },
          responseStatus: { code: 200 }, annotations: { 'authorization.k8s.io/decision': 'allow' },
        });
        expect(String(ev.auditID)).toMatch(/^[0-9a-f-]{36}$/);
        expect(events.some((e) => e.stage === 'RequestReceived' || String(e.requestURI).startsWith('/readyz'))).toBe(false);
      } finally {
        await api.proc.stop();
      }
      const bad = join(dir, 'audit-bad.yaml');
      writeFileSync(bad, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: RequestResponse\n');
      const base = apiFlags().filter((f) => !f.startsWith('--secure-port='));
      expect(run(join(bin, 'kube-apiserver'), [...base, '--secure-port=1', `--audit-policy-file=${bad}`, `--audit-log-path=${log}`]).stderr).toContain('does not implement audit level RequestResponse');
      writeFileSync(bad, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    verb: [get]\n');
      expect(run(join(bin, 'kube-apiserver'), [...base, '--secure-port=1', `--audit-policy-file=${bad}`, `--audit-log-path=${log}`]).stderr).toContain('strict decoding error: unknown field \\"rules[0].verb\\"');
    });
  });

  describe('etcd outage', () => {
    it('/readyz fails with [-]etcd failed while etcd is down', async () => {
      expect((await asAdmin('/readyz?verbose')).body).toContain('[+]etcd ok');
      await etcd.stop();
      const body = await waitFor('readyz to fail', async () => {
        const r = await asAdmin('/readyz');
        return r.status === 500 ? r.body : undefined;
      });
      expect(body).toContain('[-]etcd failed: reason withheld');
      expect(body.trimEnd().split('\n').pop()).toBe('readyz check failed');
      etcd = startProcess('/usr/bin/etcd', etcdArgs);
      await waitFor('readyz to recover', async () => ((await asAdmin('/readyz')).status === 200 ? true : undefined), 60_000);
    });
  });
});
