import { describe, expect, it } from 'vitest';
import { InternalError, PreflightError, ProfileError } from '../../../src/errors.js';
import { assumedFacts, buildPlan, writeRendered, type Facts, type Plan } from '../../../src/plan/index.js';
import { clusterIdentities, kubeletIdentityName } from '../../../src/pki/identities.js';
import { hostId, type Profile } from '../../../src/profile/types.js';
import { defaultsPath, unitPath } from '../../../src/render/paths.js';
import { file, flagMap, loadProfile, optionsWords, realisticFacts } from '../render/helpers.js';

const MASTER_UNITS = ['etcd.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-scheduler.service'];
const WORKER_UNITS = ['containerd.service', 'flanneld.service', 'kubelet.service', 'kube-proxy.service'];

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}

const profile = loadProfile('three-hosts');
const facts = realisticFacts(profile);
const plan = buildPlan(profile, facts);

describe('buildPlan', () => {
  it('is deterministic and pure: same input, byte-identical JSON; inputs are not touched', () => {
    const frozenProfile = deepFreeze(structuredClone(profile));
    // Same facts, keys in another order.
    const reordered = Object.fromEntries(Object.entries(structuredClone(facts)).reverse()) as Facts;
    const again = buildPlan(frozenProfile, deepFreeze(reordered));
    expect(again).toEqual(plan);
    expect(JSON.stringify(again)).toBe(JSON.stringify(plan));
    expect(JSON.stringify(buildPlan(profile, facts))).toBe(JSON.stringify(plan));
  });

  it('keeps the hosts in profile order with their ids, node names, arch and roles', () => {
    expect(plan.hosts.map((h) => [h.id, h.nodeName, h.arch, h.roles.join(',')])).toEqual([
      ['192.168.213.11', 'host-1', 'amd64', 'master,worker'],
      ['192.168.213.12', 'worker-b', 'amd64', 'worker'],
      ['192.168.213.13:2222', 'host-3', 'arm64', 'worker'],
    ]);
    expect(plan.hosts[2]!.spec).toEqual(profile.hosts[2]);
  });

  it('cluster facts: API endpoint, master, first service IP, issuer', () => {
    expect(plan.cluster).toMatchObject({
      name: 'golden',
      kubernetesMinor: '1.35',
      master: { id: '192.168.213.11', address: '192.168.213.11', nodeName: 'host-1' },
      apiServer: { port: 6443, url: 'https://192.168.213.11:6443', localUrl: 'https://127.0.0.1:6443' },
      kubernetesServiceIp: '10.96.0.1',
      serviceAccountIssuer: 'https://kubernetes.default.svc.cluster.local',
    });
  });

  it('a master+worker host gets both unit sets in start order, every file once, no clash', () => {
    const ai = plan.hosts[0]!;
    expect(ai.units).toEqual([...MASTER_UNITS, ...WORKER_UNITS]);
    const paths = ai.files.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect([...paths].sort()).toEqual(paths);
    for (const unit of ai.units) {
      expect(paths).toContain(unitPath(unit));
      expect(paths).toContain(defaultsPath(unit.replace('.service', '')));
    }
    // Ports and paths of the two roles stay apart: the control plane binds 127.0.0.1 for its health ports,
    // the API server 6443, etcd 2379/2380; kubelet/kube-proxy keep their own defaults (10250, 10249/10256).
    const flags = (d: string) => flagMap(optionsWords(file(ai, defaultsPath(d)).content).words);
    expect(flags('kube-controller-manager').get('bind-address')).toBe('127.0.0.1');
    expect(flags('kube-scheduler').get('bind-address')).toBe('127.0.0.1');
    const binaries = ai.binaries.map((b) => b.path);
    expect(new Set(binaries).size).toBe(binaries.length);
  });

  it('worker-only hosts get no control-plane unit, file, binary or certificate', () => {
    for (const w of plan.hosts.slice(1)) {
      expect(w.units).toEqual(WORKER_UNITS);
      expect(w.files.map((f) => f.path).filter((p) => /etcd|apiserver|controller-manager|scheduler/.test(p))).toEqual([]);
      expect(w.binaries.map((b) => b.name).filter((n) => /etcd|apiserver|controller-manager|scheduler/.test(n))).toEqual([]);
      expect(w.certificates.map((c) => c.identity)).toEqual(['ca', 'flannel', 'kube-proxy', kubeletIdentityName(w.nodeName)]);
    }
  });

  it('binaries: names, install paths, versions of the profile', () => {
    expect(plan.hosts[1]!.binaries.map((b) => `${b.path} ${b.component} ${b.version}`)).toEqual([
      '/opt/bin/containerd containerd 2.2.1',
      '/opt/bin/containerd-shim-runc-v2 containerd 2.2.1',
      '/opt/bin/ctr containerd 2.2.1',
      '/opt/bin/flanneld flannel 0.28.9',
      '/opt/bin/kube-proxy kubernetes 1.35.2',
      '/opt/bin/kubelet kubernetes 1.35.2',
      '/opt/bin/runc runc 1.4.0',
      '/opt/cni/bin/bridge cniPlugins 1.9.0',
      '/opt/cni/bin/flannel flannelCniPlugin 1.9.0-flannel1',
      '/opt/cni/bin/host-local cniPlugins 1.9.0',
      '/opt/cni/bin/loopback cniPlugins 1.9.0',
      '/opt/cni/bin/portmap cniPlugins 1.9.0',
    ]);
    expect(plan.hosts[0]!.binaries.map((b) => b.name)).toEqual(
      expect.arrayContaining(['etcd', 'etcdctl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet']),
    );
    expect(plan.hosts.flatMap((h) => h.binaries).every((b) => b.mode === 0o755)).toBe(true);
  });

  it('certificates: every identity is one src/pki issues, with the SANs the plan expects; the CA key is never sent', () => {
    const issued = clusterIdentities({
      clusterName: plan.cluster.name,
      masterAddress: plan.cluster.master.address,
      masterHostname: plan.cluster.master.nodeName,
      serviceCidr: plan.cluster.serviceCidr,
      dnsDomain: plan.cluster.dnsDomain,
      nodes: plan.hosts.filter((h) => h.roles.includes('worker')).map((h) => ({ nodeName: h.nodeName, address: h.address })),
      apiServerPort: plan.cluster.apiServer.port,
    });
    const names = new Set(issued.map((i) => i.name));
    for (const h of plan.hosts) {
      for (const c of h.certificates) {
        if (c.identity === 'ca') expect(c).toEqual({ identity: 'ca', cert: '/etc/kubernetes/pki/ca.crt', restarts: expect.any(Array) });
        else if (c.identity === 'etcd-ca') expect(c).toEqual({ identity: 'etcd-ca', cert: '/etc/kubernetes/pki/etcd/ca.crt', restarts: expect.any(Array) });
        else if (c.identity === 'front-proxy-ca') expect(c).toEqual({ identity: 'front-proxy-ca', cert: '/etc/kubernetes/pki/front-proxy-ca.crt', restarts: expect.any(Array) });
        else if (c.identity === 'service-account') expect(c.cert).toBeUndefined();
        else if (c.identity === 'encryption-config') expect(c).toEqual({ identity: 'encryption-config', key: '/etc/kubernetes/encryption-config.yaml', restarts: ['kube-apiserver.service'] });
        else expect(names, `${h.id}: ${c.identity}`).toContain(c.identity);
        for (const p of [c.cert, c.key, c.publicKey].filter(Boolean)) expect(p).toMatch(c.identity === 'encryption-config' ? /^\/etc\/kubernetes\/encryption-config\.yaml$/ : /^\/etc\/kubernetes\/pki\/(etcd\/)?[a-z-]+\.(crt|key|pub)$/);
        for (const u of c.restarts) expect(h.units).toContain(u);
      }
    }
    const apiserver = issued.find((i) => i.name === 'kube-apiserver')!;
    expect(plan.cluster.apiServerCertSans).toEqual([...apiserver.sans.dns, ...apiserver.sans.ip].sort());
    const etcd = issued.find((i) => i.name === 'etcd-server')!;
    expect(plan.cluster.etcdCertSans).toEqual([...etcd.sans.dns, ...etcd.sans.ip].sort());
    expect(plan.hosts[0]!.certificates.map((c) => c.identity)).toEqual([
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'ca',
      'encryption-config',
      'etcd-ca',
      'etcd-healthcheck-client',
      'etcd-peer',
      'etcd-server',
      'flannel',
      'front-proxy-ca',
      'front-proxy-client',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-proxy',
      'kube-scheduler',
      'kubelet-host-1',
      'service-account',
    ]);
  });

  it('every file restarts only units of its own host; unit and options files restart their unit', () => {
    for (const h of plan.hosts) {
      for (const f of h.files) for (const u of f.restarts) expect(h.units, `${h.id} ${f.path}`).toContain(u);
      for (const u of h.units) expect(file(h, unitPath(u)).restarts).toEqual([u]);
    }
  });

  it('phases in run order with their targets', () => {
    expect(plan.phases.map((p) => `${p.id}:${p.runsOn}:${p.hosts.length}`)).toEqual([
      'preflight:hosts:3',
      'download:local:3',
      'certificates:local:3',
      'provision:hosts:3',
      'rbac:api:1',
      'verify:hosts:3',
      'addons:api:1',
      'kubeconfig:local:0',
      'validate:api:1',
    ]);
  });

  it('writeRendered lists every file of every host, hosts in plan order, with a directory-safe host name', () => {
    const out = writeRendered(plan);
    expect(out.length).toBe(plan.hosts.reduce((n, h) => n + h.files.length, 0));
    expect([...new Set(out.map((o) => o.hostDir))]).toEqual(['192.168.213.11', '192.168.213.12', '192.168.213.13_2222']);
    expect(out[0]).toEqual({ host: '192.168.213.11', hostDir: '192.168.213.11', ...pick(plan.hosts[0]!.files[0]!) });
  });
});

const pick = ({ path, mode, content }: { path: string; mode: number; content: string }) => ({ path, mode, content });

describe('node names and facts', () => {
  const withFacts = (p: Profile, f: Record<string, { hostname: string; arch: string }>) => () => buildPlan(p, f as Facts);

  it('uses the profile nodeName, else the host name lower-cased', () => {
    expect(plan.hosts.map((h) => h.nodeName)).toEqual(['host-1', 'worker-b', 'host-3']);
  });

  it('refuses two hosts with one node name, naming both and the field to set', () => {
    const f = Object.fromEntries(profile.hosts.map((h) => [hostId(h), { hostname: 'debian', arch: 'amd64' }]));
    const err = catchError(withFacts(profile, f));
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as PreflightError).problems).toEqual([
      { host: '192.168.213.13:2222', check: 'node name', message: 'node name "debian" is already the node name of 192.168.213.11', hint: 'give each host its own name, or set hosts[2].nodeName in the profile' },
    ]);
  });

  it('refuses a host name that is not a valid node name, and an unknown architecture', () => {
    const f = { ...facts, '192.168.213.11': { hostname: 'my_host', arch: 'riscv64' } };
    const err = catchError(withFacts(profile, f)) as PreflightError;
    expect(err).toBeInstanceOf(PreflightError);
    expect(err.problems.map((p) => [p.host, p.check])).toEqual([
      ['192.168.213.11', 'architecture'],
      ['192.168.213.11', 'node name'],
    ]);
    expect(err.describe()).toContain('set hosts[0].nodeName in the profile');
  });

  it('says which host has no facts', () => {
    const { ['192.168.213.12']: _dropped, ...rest } = facts;
    const err = catchError(() => buildPlan(profile, rest));
    expect(err).toBeInstanceOf(InternalError);
    expect((err as InternalError).host).toBe('192.168.213.12');
  });

  it('refuses a profile that skipped validation: no master', () => {
    const noMaster = { ...profile, hosts: profile.hosts.map((h) => ({ ...h, roles: ['worker' as const] })) };
    const err = catchError(() => buildPlan(noMaster, facts)) as ProfileError;
    expect(err).toBeInstanceOf(ProfileError);
    expect(err.describe()).toContain('hosts: no host has the master role');
  });

  it('assumedFacts for --dry-run: amd64, node name or address as host name', () => {
    expect(assumedFacts(profile)).toEqual({
      '192.168.213.11': { hostname: '192.168.213.11', arch: 'amd64' },
      '192.168.213.12': { hostname: 'worker-b', arch: 'amd64' },
      '192.168.213.13:2222': { hostname: '192.168.213.13', arch: 'amd64' },
    });
    expect(() => buildPlan(profile, assumedFacts(profile))).not.toThrow();
  });
});

describe('addresses that are not IPv4', () => {
  it('a master reached by host name: no --advertise-address, etcd serves on loopback, URLs use the name', () => {
    const p = loadProfile('classic', { hosts: [{ address: 'cp.example.com', roles: 'ai' }, { address: 'w1.example.com', roles: 'i' }] });
    const pl = buildPlan(p, assumedFacts(p));
    const flags = (d: string) => flagMap(optionsWords(file(pl.hosts[0]!, defaultsPath(d)).content).words);
    expect(flags('kube-apiserver').has('advertise-address')).toBe(false);
    expect(flags('etcd').get('listen-client-urls')).toBe('https://127.0.0.1:2379');
    expect(flags('etcd').get('listen-peer-urls')).toBe('https://127.0.0.1:2380');
    expect(flags('kubelet').has('node-ip')).toBe(false);
    expect(flags('flanneld').has('iface')).toBe(false);
    expect(pl.cluster.apiServer.url).toBe('https://cp.example.com:6443');
  });

  it('an IPv6 master: bracketed URLs, node name from the address with dashes', () => {
    const p = loadProfile('classic', {
      hosts: [{ address: 'fd00::11', roles: 'ai' }, { address: 'fd00::12', roles: 'i', port: 2222 }],
      network: { serviceCidr: 'fd00:96::/108', podCidr: 'fd00:244::/56', clusterDns: 'fd00:96::a' },
    });
    const pl: Plan = buildPlan(p, assumedFacts(p));
    expect(pl.cluster.apiServer.url).toBe('https://[fd00::11]:6443');
    expect(pl.hosts.map((h) => [h.id, h.nodeName])).toEqual([
      ['fd00::11', 'fd00--11'],
      ['[fd00::12]:2222', 'fd00--12'],
    ]);
    const etcd = flagMap(optionsWords(file(pl.hosts[0]!, defaultsPath('etcd')).content).words);
    expect(etcd.get('listen-client-urls')).toBe('https://127.0.0.1:2379');
    expect(writeRendered(pl).at(-1)!.hostDir).toBe('_fd00__12__2222');
    expect(JSON.parse(file(pl.hosts[1]!, '/etc/kube-flannel/net-conf.json').content)).toEqual({
      EnableIPv4: false,
      EnableIPv6: true,
      IPv6Network: 'fd00:244::/56',
      Backend: { Type: 'vxlan' },
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
