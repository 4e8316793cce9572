import { describe, expect, it } from 'vitest';
import { assumedFacts, buildPlan } from '../../../src/plan/index.js';
import { requireValidProfile } from '../../../src/profile/validate.js';

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
