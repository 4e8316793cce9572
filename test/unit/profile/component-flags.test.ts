import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagFate } from '../../../src/profile/component-flags.js';
import { validateProfile } from '../../../src/profile/validate.js';

const issuesFor = (extraArgs: Record<string, string[]>) =>
  validateProfile({ name: 'x', hosts: [{ address: '10.0.0.1', roles: 'ai' }], extraArgs }).issues;

const fixtureFlags = (daemon: string, minor: string): string[] =>
  Object.keys((JSON.parse(readFileSync(`test/fixtures/k8s-flags/${daemon}-${minor}.json`, 'utf8')) as { flags: Record<string, unknown> }).flags);

describe('extra flags of daemons that read a config file', () => {
  it('knows what becomes of every kube-proxy flag of 1.34 and 1.35', () => {
    for (const minor of ['1.34', '1.35']) {
      const names = fixtureFlags('kube-proxy', minor);
      expect(names.length).toBeGreaterThan(50);
      for (const name of names) {
        const fate = flagFate('kube-proxy', name);
        expect(fate.kind === 'refused' && fate.why.startsWith('is not a kube-proxy flag'), `${minor} --${name}`).toBe(false);
      }
    }
  });

  it('accepts what it can honour (README example, kube-up KUBE_PROXY_EXTRA_OPTS)', () => {
    expect(issuesFor({ 'kube-proxy': ['--masquerade-all', '--v=3', '--hostname-override=n1'], kubelet: ['--max-pods=50'] })).toEqual([]);
  });

  it('refuses, with the field path, a flag kube-proxy would ignore or does not have, and a bad value', () => {
    const issues = issuesFor({ 'kube-proxy': ['--cleanup', '--no-such-flag=1', '--conntrack-min=many', '--masquerade-all=maybe', '--healthz-port=1'] });
    expect(issues.map((i) => i.path)).toEqual(['extraArgs.kube-proxy[0]', 'extraArgs.kube-proxy[1]', 'extraArgs.kube-proxy[2]', 'extraArgs.kube-proxy[3]', 'extraArgs.kube-proxy[4]']);
    expect(issues[1]!.message).toMatch(/--no-such-flag is not a kube-proxy flag/);
    expect(issues[2]!.message).toMatch(/"many" is not a whole number/);
    expect(issues[2]!.hint).toMatch(/conntrack\.min/);
    expect(issues[3]!.message).toMatch(/"maybe" is not true or false/);
    expect(issues[4]!.hint).toMatch(/--healthz-bind-address/);
  });

  it('refuses a kube-scheduler flag that is ignored next to --config and has no field', () => {
    expect(issuesFor({ 'kube-scheduler': ['--pod-max-in-unschedulable-pods-duration=5m'] })[0]).toMatchObject({ path: 'extraArgs.kube-scheduler[0]' });
  });
});
