// The skew rules and the upgrade order are pure functions of versions and roles: each rule of the version skew
// policy has an allowed and a refused case, and the order is checked step by step.
import { describe, expect, it } from 'vitest';
import { controlPlaneMove, formatUpgradeSteps, nodeSkew, upgradeActions, upgradeOrder, upgradePreflight, type UpgradeHost } from '../../../src/plan/upgrade.js';

const rules = (v: { rule: string }[]) => v.map((x) => x.rule);

describe('control plane moves (version skew policy: API servers within one minor)', () => {
  it('allows a patch upgrade and the next minor', () => {
    expect(controlPlaneMove('1.35.2', '1.35.6')).toEqual([]);
    expect(controlPlaneMove('1.34.7', '1.35.0')).toEqual([]);
  });
  it('refuses skipping a minor, naming the release to go through', () => {
    const [v] = controlPlaneMove('1.34.7', '1.36.1');
    expect(v?.rule).toBe('skip-minor');
    expect(v?.hint).toContain('1.35.x first');
    expect(rules(controlPlaneMove('1.33.1', '1.36.0'))).toEqual(['skip-minor']);
    expect(controlPlaneMove('1.33.1', '1.36.0')[0]?.message).toContain('skips 2 minor releases');
  });
  it('refuses a downgrade, also within a minor', () => {
    expect(rules(controlPlaneMove('1.35.6', '1.35.2'))).toEqual(['downgrade']);
    expect(rules(controlPlaneMove('1.35.0', '1.34.9'))).toEqual(['downgrade']);
  });
  it('says there is nothing to do at the same version', () => {
    expect(rules(controlPlaneMove('1.35.6', '1.35.6'))).toEqual(['same-version']);
  });
});

describe('node skew (kubelet and kube-proxy: never newer than the API server, at most three minors older)', () => {
  it('allows the same version and up to three minors older', () => {
    expect(nodeSkew('1.35.6', '1.35.6')).toEqual([]);
    expect(nodeSkew('1.32.0', '1.35.6')).toEqual([]);
  });
  it('refuses a kubelet newer than the API server, by patch or minor', () => {
    expect(rules(nodeSkew('1.35.6', '1.35.2'))).toEqual(['kubelet-newer-than-apiserver']);
    expect(rules(nodeSkew('1.35.0', '1.34.9'))).toEqual(['kubelet-newer-than-apiserver']);
  });
  it('refuses a kubelet four minors older', () => {
    expect(rules(nodeSkew('1.31.9', '1.35.0'))).toEqual(['kubelet-too-old']);
  });
});

describe('upgrade order', () => {
  const old = '1.35.2';
  const hosts: UpgradeHost[] = [
    { id: 'h1', roles: ['master', 'worker'], apiserverRunning: old, kubeletRunning: old, etcdRunning: '3.6.14' },
    { id: 'h2', roles: ['worker'], kubeletRunning: old },
    { id: 'h3', roles: ['worker'], kubeletRunning: old },
    { id: 'h4', roles: ['worker'], kubeletRunning: old },
  ];
  const order = (over: Partial<Parameters<typeof upgradeOrder>[0]> = {}) =>
    upgradeOrder({ hosts, kubernetes: '1.35.6', etcd: '3.6.14', maxUnavailable: 1, ...over });

  it('moves the API server, then the controllers, then one worker at a time, the master-worker last', () => {
    expect(order().map((s) => (s.kind === 'workers' ? `workers:${s.hosts.join(',')}` : `${s.kind}:${s.host}`))).toEqual([
      'apiserver:h1', 'controllers:h1', 'workers:h2', 'workers:h3', 'workers:h4', 'workers:h1',
    ]);
    expect(order()[0]).toEqual({ kind: 'apiserver', host: 'h1', from: old, to: '1.35.6' });
  });
  it('moves etcd first, only when its version changes', () => {
    expect(order({ etcd: '3.6.15' })[0]).toEqual({ kind: 'etcd', host: 'h1', from: '3.6.14', to: '3.6.15' });
    expect(order().some((s) => s.kind === 'etcd')).toBe(false);
  });
  it('drains in batches of --max-unavailable', () => {
    const batches = order({ maxUnavailable: 2 }).filter((s) => s.kind === 'workers');
    expect(batches.map((s) => (s.kind === 'workers' ? s.hosts : []))).toEqual([['h2', 'h3'], ['h4', 'h1']]);
  });
  it('skips hosts already at the target, so a re-run continues where an interrupted one stopped', () => {
    const resumed = hosts.map((h) => (h.id === 'h1' ? { ...h, apiserverRunning: '1.35.6' } : h.id === 'h2' ? { ...h, kubeletRunning: '1.35.6' } : h));
    const steps = upgradeOrder({ hosts: resumed, kubernetes: '1.35.6', etcd: '3.6.14', maxUnavailable: 1 });
    expect(steps.map((s) => (s.kind === 'workers' ? s.hosts.join(',') : s.kind))).toEqual(['h3', 'h4', 'h1']);
  });
  it('refuses a batch size below one', () => {
    expect(() => order({ maxUnavailable: 0 })).toThrow(RangeError);
  });
});

describe('upgrade preflight (what the cluster runs against the target)', () => {
  it('allows a patch upgrade, and a re-run whose API server is already at the target', () => {
    expect(upgradePreflight({ apiserver: '1.35.2', kubelets: { n1: '1.35.2', n2: '1.35.2' } }, '1.35.3')).toEqual([]);
    expect(upgradePreflight({ apiserver: '1.35.3', kubelets: { n1: '1.35.3', n2: '1.35.2' } }, '1.35.3')).toEqual([]);
  });
  it('refuses a downgrade and a skipped minor, with the way forward', () => {
    const [down] = upgradePreflight({ apiserver: '1.35.3', kubelets: {} }, '1.35.2');
    expect(down?.rule).toBe('downgrade');
    expect(down?.hint).toContain('newer than 1.35.3');
    expect(rules(upgradePreflight({ apiserver: '1.34.7', kubelets: {} }, '1.36.1'))).toEqual(['skip-minor']);
  });
  it('refuses a target older than a kubelet (it would be newer than the API server), naming the node', () => {
    const v = upgradePreflight({ apiserver: '1.35.2', kubelets: { n1: '1.35.2', n2: '1.35.4' } }, '1.35.3');
    expect(rules(v)).toEqual(['kubelet-newer-than-apiserver']);
    expect(v[0]?.message).toContain('node n2');
    expect(v[0]?.hint).toContain('1.35.4');
  });
  it('refuses a target that would leave a kubelet more than three minors behind', () => {
    expect(rules(upgradePreflight({ apiserver: '1.34.0', kubelets: { old: '1.31.0' } }, '1.35.0'))).toEqual(['kubelet-too-old']);
  });
});

describe('upgrade steps as data', () => {
  const hosts: UpgradeHost[] = [
    { id: 'a', roles: ['master'], apiserverRunning: '1.35.2', etcdRunning: '3.6.14' },
    { id: 'b', roles: ['worker'], kubeletRunning: '1.35.2' },
    { id: 'c', roles: ['worker'], kubeletRunning: '1.35.3', workerUnfinished: true },
    { id: 'd', roles: ['worker'], kubeletRunning: '1.35.3' },
  ];
  const steps = upgradeOrder({ hosts, kubernetes: '1.35.3', etcd: '3.6.14', maxUnavailable: 1 });

  it('redoes a worker left cordoned (or half replaced) although its kubelet is new, and skips a finished one', () => {
    expect(steps.filter((s) => s.kind === 'workers').map((s) => (s.kind === 'workers' ? s.hosts : []))).toEqual([['b'], ['c']]);
  });
  it('redoes the controllers when only they are behind', () => {
    const only = upgradeOrder({ hosts: [{ ...hosts[0]!, apiserverRunning: '1.35.3', controllersUnfinished: true }], kubernetes: '1.35.3', etcd: '3.6.14', maxUnavailable: 1 });
    expect(only.map((s) => s.kind)).toEqual(['controllers']);
  });
  it('drains a worker before replacing anything and uncordons it last, after Ready at the new version', () => {
    const w = upgradeActions(steps.find((s) => s.kind === 'workers')!);
    expect(w.indexOf('cordon')).toBeLessThan(w.indexOf('drain'));
    expect(w.indexOf('drain')).toBeLessThan(w.indexOf('converge host'));
    expect(w.indexOf('wait for Ready at the new version')).toBeLessThan(w.indexOf('uncordon'));
    expect(w.at(-1)).toBe('uncordon');
    expect(upgradeActions({ kind: 'apiserver', host: 'a', to: '1.35.3' })).toContain('wait for /readyz');
    expect(upgradeActions({ kind: 'etcd', host: 'a', to: '3.6.15' })).toContain('wait for etcd health');
  });
  it('prints old → new per host', () => {
    expect(formatUpgradeSteps(steps, hosts)).toEqual([
      '1. a: kube-apiserver 1.35.2 → 1.35.3 (replace binaries, restart, wait for /readyz)',
      '2. a: kube-controller-manager, kube-scheduler 1.35.2 → 1.35.3 (replace binaries, restart, wait for units)',
      '3. worker b 1.35.2 → 1.35.3: node (kubelet, kube-proxy, runtime, CNI) (check skew, cordon, drain, converge host, wait for units, wait for Ready at the new version, uncordon)',
      '4. worker c 1.35.3 → 1.35.3: node (kubelet, kube-proxy, runtime, CNI) (check skew, cordon, drain, converge host, wait for units, wait for Ready at the new version, uncordon)',
    ]);
  });
});
