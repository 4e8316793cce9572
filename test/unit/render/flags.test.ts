// Every daemon's rendered flags against the flag lists of the versions kubeup supports
// (test/fixtures/k8s-flags, taken from the upstream reference pages and flag registrations), and etcd's against
// the real etcd 3.4 binary Debian ships (the one the test hosts run).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/index.js';
import { defaultsPath } from '../../../src/render/paths.js';
import { file, flagList, flagMap, optionsWords, planFor, profileWithVersion, type FlagList } from './helpers.js';

const KUBERNETES = { '1.34': '1.34.5', '1.35': '1.35.2' } as const;
const K8S_DAEMONS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'] as const;

function flagsOf(plan: Plan, daemon: string): Map<string, string> {
  // The first host has both roles, so it carries every daemon's options file.
  return flagMap(optionsWords(file(plan.hosts[0]!, defaultsPath(daemon)).content).words);
}

/** The daemon's flags on every host that runs it. */
function flagsOnEachHost(plan: Plan, daemon: string): [string, Map<string, string>][] {
  return plan.hosts
    .filter((h) => h.units.includes(`${daemon}.service`))
    .map((h) => [h.id, flagMap(optionsWords(file(h, defaultsPath(daemon)).content).words)]);
}

/** Problems with one daemon's flags against one flag list: unknown, deprecated, ignored, or a value of the wrong type. */
function problems(flags: Map<string, string>, list: FlagList): string[] {
  const out: string[] = [];
  for (const [name, value] of flags) {
    const known = list.flags[name];
    if (!known) out.push(`--${name} is not a ${list.component} ${list.version} flag`);
    else if (known.type === 'ignored') out.push(`--${name} is silently ignored by ${list.component} ${list.version}`);
    else if (known.deprecated) out.push(`--${name} is deprecated in ${list.component} ${list.version}`);
    else if (known.type === 'bool' && !/^(true|false)$/.test(value)) out.push(`--${name}=${value} is not a bool`);
    else if (/^u?int(32|64)?$/.test(known.type) && !/^\d+$/.test(value)) out.push(`--${name}=${value} is not a number`);
  }
  return out;
}

describe('Kubernetes daemon flags', () => {
  for (const [minor, version] of Object.entries(KUBERNETES)) {
    const plan = planFor(profileWithVersion('three-hosts', version));
    for (const daemon of K8S_DAEMONS) {
      it(`${daemon} ${version}: every flag exists in ${minor}, none deprecated, on every host that runs it`, () => {
        const hosts = flagsOnEachHost(plan, daemon);
        expect(hosts.length).toBeGreaterThan(0);
        for (const [id, flags] of hosts) {
          expect(flags.size).toBeGreaterThan(0);
          expect(problems(flags, flagList(`${daemon}-${minor}.json`)), id).toEqual([]);
        }
      });
    }
  }

  it('the checker rejects what kube-up passed: removed, deprecated and mistyped flags', () => {
    const list = flagList('kube-apiserver-1.35.json');
    const bad = new Map([
      ['insecure-port', '8080'],
      ['admission-control', 'NamespaceLifecycle'],
      ['allow-privileged', 'yes'],
      ['secure-port', 'https'],
    ]);
    expect(problems(bad, list)).toEqual([
      '--insecure-port is not a kube-apiserver 1.35 flag',
      '--admission-control is deprecated in kube-apiserver 1.35',
      '--allow-privileged=yes is not a bool',
      '--secure-port=https is not a number',
    ]);
    expect(problems(new Map([['pod-infra-container-image', 'pause']]), flagList('kubelet-1.35.json'))).toEqual([
      '--pod-infra-container-image is not a kubelet 1.35 flag',
    ]);
    expect(problems(new Map([['cgroup-driver', 'systemd']]), flagList('kubelet-1.34.json'))).toEqual([
      '--cgroup-driver is deprecated in kubelet 1.34',
    ]);
  });

  const plan = planFor(profileWithVersion('three-hosts', '1.35.2'));

  it('kube-apiserver gets the settings a secure cluster needs', () => {
    const f = flagsOf(plan, 'kube-apiserver');
    expect(f.get('authorization-mode')).toBe('Node,RBAC');
    expect(f.get('enable-admission-plugins')).toBe('NodeRestriction');
    expect(f.get('etcd-servers')).toBe('https://127.0.0.1:2379');
    expect(f.get('advertise-address')).toBe('192.168.213.11');
    expect(f.get('secure-port')).toBe('6443');
    expect(f.get('service-cluster-ip-range')).toBe('10.96.0.0/12');
    expect(f.get('service-node-port-range')).toBe('30000-32767');
    expect(f.get('service-account-issuer')).toBe('https://kubernetes.default.svc.cluster.local');
    for (const name of ['client-ca-file', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'kubelet-client-certificate', 'kubelet-client-key', 'tls-cert-file', 'tls-private-key-file', 'service-account-key-file', 'service-account-signing-key-file']) {
      expect(f.get(name), name).toMatch(/^\/etc\/kubernetes\/pki\/(etcd\/)?[a-z-]+\.(crt|key|pub)$/);
    }
    // etcd is trusted through its own CA; the aggregation layer through the front-proxy CA (kubeadm's flags).
    expect(f.get('etcd-cafile')).toBe('/etc/kubernetes/pki/etcd/ca.crt');
    expect(f.get('requestheader-client-ca-file')).toBe('/etc/kubernetes/pki/front-proxy-ca.crt');
    expect(f.get('requestheader-allowed-names')).toBe('front-proxy-client');
    expect(f.get('proxy-client-cert-file')).toBe('/etc/kubernetes/pki/front-proxy-client.crt');
    expect(f.get('proxy-client-key-file')).toBe('/etc/kubernetes/pki/front-proxy-client.key');
    expect(f.get('requestheader-username-headers')).toBe('X-Remote-User');
    expect(f.get('requestheader-group-headers')).toBe('X-Remote-Group');
    expect(f.get('requestheader-extra-headers-prefix')).toBe('X-Remote-Extra-');
  });

  it('kube-controller-manager has no CSR signing flags: the CA key stays on the operator machine', () => {
    const f = flagsOf(plan, 'kube-controller-manager');
    expect([...f.keys()].filter((k) => k.startsWith('cluster-signing'))).toEqual([]);
    expect(f.get('allocate-node-cidrs')).toBe('true');
    expect(f.get('cluster-cidr')).toBe('10.244.0.0/16');
  });

  it('kubelet takes only flags that have no config-file field; the node name matches its certificate', () => {
    for (const host of plan.hosts) {
      const f = flagMap(optionsWords(file(host, defaultsPath('kubelet')).content).words);
      expect([...f.keys()].sort()).toEqual(['config', 'hostname-override', 'kubeconfig', 'node-ip']);
      expect(f.get('hostname-override')).toBe(host.nodeName);
      expect(f.get('node-ip')).toBe(host.address);
    }
  });
});

describe('etcd flags', () => {
  const plan = planFor(profileWithVersion('three-hosts', '1.35.2'));
  const flags = flagsOf(plan, 'etcd');

  for (const minor of ['3.5', '3.6']) {
    it(`every flag exists in etcd ${minor}, none deprecated or ignored`, () => {
      expect(problems(flags, flagList(`etcd-${minor}.json`))).toEqual([]);
    });
  }

  it('every flag is one the real etcd 3.4 of the test hosts accepts (etcd --help)', () => {
    const help = execFileSync('etcd', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const known = new Set([...help.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]));
    expect(known.size).toBeGreaterThan(50);
    expect([...flags.keys()].filter((f) => !known.has(f))).toEqual([]);
  });

  it('TLS with client certificates from etcd\'s own CA for clients and peers, on loopback only', () => {
    expect(flags.get('client-cert-auth')).toBe('true');
    expect(flags.get('peer-client-cert-auth')).toBe('true');
    expect(flags.get('trusted-ca-file')).toBe('/etc/kubernetes/pki/etcd/ca.crt');
    expect(flags.get('peer-trusted-ca-file')).toBe('/etc/kubernetes/pki/etcd/ca.crt');
    expect(flags.get('cert-file')).toBe('/etc/kubernetes/pki/etcd/server.crt');
    expect(flags.get('peer-cert-file')).toBe('/etc/kubernetes/pki/etcd/peer.crt');
    expect(flags.get('listen-client-urls')).toBe('https://127.0.0.1:2379');
    expect(flags.get('listen-peer-urls')).toBe('https://127.0.0.1:2380');
    expect(flags.get('advertise-client-urls')).toBe('https://127.0.0.1:2379');
    expect(flags.get('data-dir')).toBe('/var/lib/etcd');
    expect([...flags.keys()].filter((k) => /^(enable-v2|experimental-|config$|proxy)/.test(k))).toEqual([]);
  });
});

describe('flanneld flags', () => {
  const plan = planFor(profileWithVersion('three-hosts', '1.35.2'));

  it('every flag exists in flanneld v0.28 on every worker', () => {
    for (const host of plan.hosts) {
      const flags = flagMap(optionsWords(file(host, defaultsPath('flanneld')).content).words);
      expect(problems(flags, flagList('flanneld-v0.28.json'))).toEqual([]);
      expect(flags.get('kube-subnet-mgr')).toBe('true');
      expect(flags.get('ip-masq')).toBe('true');
      expect(flags.get('iface')).toBe(host.address);
      expect(flags.get('kubeconfig-file')).toBe('/etc/kubernetes/flannel.kubeconfig');
    }
  });
});

describe('containerd flags', () => {
  it('every flag is one the real containerd accepts (containerd --help)', () => {
    const plan = planFor(profileWithVersion('three-hosts', '1.35.2'));
    const flags = flagMap(optionsWords(file(plan.hosts[1]!, defaultsPath('containerd')).content).words);
    const help = execFileSync('containerd', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const known = new Set([...help.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]));
    expect([...flags.keys()].filter((f) => !known.has(f))).toEqual([]);
  });
});

describe('kube-apiserver audit log and encryption at rest', () => {
  const withAudit = (audit: Record<string, unknown>) => {
    const base = profileWithVersion('three-hosts', '1.35.2');
    return planFor({ ...base, audit: { ...base.audit, ...audit } });
  };
  const apiFlags = (plan: Plan) => flagMap(optionsWords(file(plan.hosts[0]!, defaultsPath('kube-apiserver')).content).words);

  it('by default: the audit log with the policy file and CIS rotation values, Secrets encrypted with kubeup\'s file', () => {
    const plan = withAudit({});
    const f = apiFlags(plan);
    expect(f.get('audit-log-path')).toBe('/var/log/kubernetes/audit/audit.log');
    expect(f.get('audit-policy-file')).toBe('/etc/kubernetes/audit-policy.yaml');
    expect([f.get('audit-log-maxage'), f.get('audit-log-maxbackup'), f.get('audit-log-maxsize')]).toEqual(['30', '10', '100']);
    expect(f.get('encryption-provider-config')).toBe('/etc/kubernetes/encryption-config.yaml');
    const policy = file(plan.hosts[0]!, '/etc/kubernetes/audit-policy.yaml');
    expect(policy.mode).toBe(0o600);
    expect(policy.content).not.toMatch(/level: Request/);
    expect(policy.content).toMatch(/resources:\n\s+- secrets/);
  });

  it('audit.enabled: false drops the flags and the policy; audit.logPath moves the log', () => {
    const off = withAudit({ enabled: false });
    expect([...apiFlags(off).keys()].filter((k) => k.startsWith('audit-'))).toEqual([]);
    expect(off.hosts[0]!.files.some((x) => x.path === '/etc/kubernetes/audit-policy.yaml')).toBe(false);
    expect(apiFlags(withAudit({ logPath: '/srv/audit/api.log' })).get('audit-log-path')).toBe('/srv/audit/api.log');
  });
});
