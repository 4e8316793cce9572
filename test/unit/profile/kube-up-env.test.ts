import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.js';
import { importKubeUpEnv, parseEnvFile, withReplacements } from '../../../src/profile/kube-up-env.js';
import { validateProfile } from '../../../src/profile/validate.js';

const classic = {
  nodes: 'root@192.168.4.218 root@192.168.4.217',
  roles: 'ai i',
  NUM_NODES: '2',
  SERVICE_CLUSTER_IP_RANGE: '192.168.3.0/24',
  FLANNEL_NET: '172.16.0.0/16',
  DNS_SERVER_IP: '192.168.3.10',
  DNS_DOMAIN: 'cluster.local',
  SERVICE_NODE_PORT_RANGE: '30000-32767',
};

function thrown(fn: () => unknown): ProfileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProfileError) return e;
    throw e;
  }
  throw new Error('expected a ProfileError');
}

describe('importKubeUpEnv', () => {
  it('turns the classic kube-up variables into a valid profile', () => {
    const imp = importKubeUpEnv(classic, 'classic');
    expect(imp.outdated).toEqual([]);
    const r = validateProfile(imp.input);
    expect(r.issues).toEqual([]);
    expect(r.profile!.hosts.map((h) => [h.user, h.address, h.roles])).toEqual([
      ['root', '192.168.4.218', ['master', 'worker']],
      ['root', '192.168.4.217', ['worker']],
    ]);
    expect(r.profile!.network).toMatchObject({ serviceCidr: '192.168.3.0/24', podCidr: '172.16.0.0/16', clusterDns: '192.168.3.10' });
  });

  it('accepts the older `role` variable', () => {
    const { roles: _r, ...rest } = classic;
    const imp = importKubeUpEnv({ ...rest, role: 'ai i' }, 'x');
    expect(validateProfile(imp.input).profile?.hosts[1]!.roles).toEqual(['worker']);
  });

  it('rejects a NUM_NODES that disagrees with the roles, naming both', () => {
    const e = thrown(() => importKubeUpEnv({ ...classic, NUM_NODES: '3' }, 'x'));
    expect(e.issues).toEqual([
      expect.objectContaining({ path: 'NUM_NODES', message: expect.stringMatching(/is 3 but roles="ai i" has 2 nodes/) }),
    ]);
  });

  it('rejects roles that do not match the nodes', () => {
    expect(thrown(() => importKubeUpEnv({ ...classic, roles: 'ai' }, 'x')).issues[0]).toMatchObject({ path: 'roles', message: 'has 1 entries but nodes has 2' });
    expect(thrown(() => importKubeUpEnv({ ...classic, roles: 'ai x' }, 'x')).issues[0]).toMatchObject({ path: 'roles[1]' });
    expect(thrown(() => importKubeUpEnv({}, 'x')).issues.map((i) => i.path)).toEqual(['nodes', 'roles']);
  });

  it('reports versions too old for today and replaces them only when asked', () => {
    const imp = importKubeUpEnv({ ...classic, KUBE_VERSION: '1.2.0', ETCD_VERSION: '2.3.1', FLANNEL_VERSION: '0.5.5' }, 'old');
    expect(imp.outdated.map((o) => [o.variable, o.found])).toEqual([
      ['KUBE_VERSION', '1.2.0'],
      ['ETCD_VERSION', '2.3.1'],
      ['FLANNEL_VERSION', '0.5.5'],
    ]);
    // Without consent the input keeps the old versions, and validation refuses them.
    expect(validateProfile(imp.input).issues.map((i) => i.path)).toEqual(['versions.kubernetes', 'versions.etcd', 'versions.flannel']);
    const upgraded = validateProfile(withReplacements(imp));
    expect(upgraded.issues).toEqual([]);
    expect(upgraded.profile!.versions.etcd).toMatch(/^3\./);
  });

  it('keeps supported versions as given', () => {
    const imp = importKubeUpEnv({ ...classic, KUBE_VERSION: 'v1.34.5' }, 'x');
    expect(imp.outdated).toEqual([]);
    expect(validateProfile(imp.input).profile!.versions.kubernetes).toBe('1.34.5');
  });

  it('takes the download proxy from PROXY_SETTING', () => {
    const imp = importKubeUpEnv({ ...classic, PROXY_SETTING: 'http_proxy=http://proxy.lab:3128 https_proxy=http://proxy.lab:3128' }, 'x');
    expect(validateProfile(imp.input).profile!.download.proxy).toBe('http://proxy.lab:3128');
  });

  it('carries KUBE_PROXY_EXTRA_OPTS into extraArgs', () => {
    const imp = importKubeUpEnv({ ...classic, KUBE_PROXY_EXTRA_OPTS: '--masquerade-all --v=3' }, 'x');
    expect(validateProfile(imp.input).profile!.extraArgs).toEqual({ 'kube-proxy': ['--masquerade-all', '--v=3'] });
  });

  it('reads variables from a kube-up config file', () => {
    const env = parseEnvFile('#!/bin/bash\nexport nodes=${nodes:-"x"}\nexport roles="ai i"\nNUM_NODES=2 # workers\nexport FLANNEL_NET=172.16.0.0/16\n');
    expect(env).toMatchObject({ roles: 'ai i', NUM_NODES: '2', FLANNEL_NET: '172.16.0.0/16' });
  });
});
