import { describe, expect, it } from 'vitest';
import { assumedFacts, buildPlan } from '../../../src/plan/index.js';
import { requireValidProfile } from '../../../src/profile/validate.js';
import { parse } from 'yaml';

const plan = (extraArgs: Record<string, string[]>) => {
  const profile = requireValidProfile({ name: 'x', hosts: [{ address: '10.0.0.1', roles: 'ai' }], extraArgs }, 'test');
  return buildPlan(profile, assumedFacts(profile));
};
const optionsOf = (p: ReturnType<typeof plan>, daemon: string) => p.hosts[0]!.files.find((f) => f.path === `/etc/default/${daemon}`)!.content;

describe('extraArgs', () => {
  it('adds the profile flags to the daemon options, sorted, overriding kubeup values', () => {
    expect(optionsOf(plan({}), 'kubelet')).toMatch(/--node-ip=10\.0\.0\.1"/);
    const text = optionsOf(plan({ kubelet: ['--v=5', '--node-ip=10.0.0.9', '--fail-swap-on'] }), 'kubelet');
    expect(text).toContain("# with the profile's extraArgs.kubelet");
    expect(text).toMatch(/--v=5/);
    expect(text).toMatch(/--node-ip=10\.0\.0\.9/);
    expect(text).not.toMatch(/--node-ip=10\.0\.0\.1/);
    expect(text).toMatch(/--fail-swap-on=true/);
    const flags = [...text.matchAll(/--([a-z0-9-]+)=/g)].map((m) => m[1]);
    expect(flags).toEqual([...flags].sort());
  });

  it('leaves the other daemons as they were', () => {
    expect(optionsOf(plan({ kubelet: ['--v=5'] }), 'kube-apiserver')).toBe(optionsOf(plan({}), 'kube-apiserver'));
  });
});

describe('extraArgs of daemons that read a config file', () => {
  const fileOf = (p: ReturnType<typeof plan>, path: string) => p.hosts[0]!.files.find((f) => f.path === path)!.content;

  it('writes kube-proxy flags into its config file, where kube-proxy reads them (it ignores them next to --config)', () => {
    const p = plan({ 'kube-proxy': ['--masquerade-all', '--conntrack-max-per-core=0', '--proxy-mode=nftables', '--feature-gates=A=true,B=false', '--v=3'] });
    const options = optionsOf(p, 'kube-proxy');
    expect(options.slice(options.indexOf('KUBE_PROXY_OPTS'))).not.toMatch(/masquerade-all|conntrack|proxy-mode|feature-gates/);
    expect(options).toMatch(/--v=3/);
    expect(options).toContain('--masquerade-all as iptables.masqueradeAll, nftables.masqueradeAll');
    const config = parse(fileOf(p, '/etc/kubernetes/kube-proxy-config.yaml')) as Record<string, Record<string, unknown>>;
    expect(config.iptables).toEqual({ masqueradeAll: true });
    expect(config.nftables).toEqual({ masqueradeAll: true });
    expect(config.conntrack).toEqual({ maxPerCore: 0 });
    expect(config.mode).toBe('nftables');
    expect(config.featureGates).toEqual({ A: true, B: false });
    expect(config.clientConnection).toEqual({ kubeconfig: '/etc/kubernetes/kube-proxy.kubeconfig' });
  });

  it('writes the deprecated kube-scheduler flags into its config file and keeps the others as flags', () => {
    const p = plan({ 'kube-scheduler': ['--kube-api-qps=50', '--v=2'] });
    expect(optionsOf(p, 'kube-scheduler')).toMatch(/--v=2/);
    expect(optionsOf(p, 'kube-scheduler')).not.toMatch(/kube-api-qps=/);
    const config = parse(fileOf(p, '/etc/kubernetes/kube-scheduler-config.yaml')) as Record<string, Record<string, unknown>>;
    expect(config.clientConnection).toEqual({ kubeconfig: '/etc/kubernetes/kube-scheduler.kubeconfig', qps: 50 });
  });

  it('keeps kubelet flags as flags: kubelet lets them win over its config file', () => {
    expect(optionsOf(plan({ kubelet: ['--max-pods=50'] }), 'kubelet')).toMatch(/--max-pods=50/);
  });
});
