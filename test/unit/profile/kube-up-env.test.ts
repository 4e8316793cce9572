import { describe, expect, it } from 'vitest';
import { ProfileError } from '../../../src/errors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importKubeUpEnv, readKubeUpConfig, withReplacements } from '../../../src/profile/kube-up-env.js';
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
    const { vars } = readKubeUpConfig('#!/bin/bash\nexport nodes=${nodes:-"x"}\nexport roles="ai i"\nNUM_NODES=2 # workers\nexport FLANNEL_NET=172.16.0.0/16\n', 'c.sh', {});
    expect(vars).toMatchObject({ nodes: 'x', roles: 'ai i', NUM_NODES: '2', FLANNEL_NET: '172.16.0.0/16' });
  });
});

const FIXTURE = readFileSync(join(import.meta.dirname, '../../fixtures/kube-up/config-default.sh'), 'utf8');

describe('kube-up\'s own config-default.sh', () => {
  it('reads its ${VAR:-"default"} lines, comments and quotes (seen: nodes mis-parsed, the others refused)', () => {
    const { vars, warnings } = readKubeUpConfig(FIXTURE, 'config-default.sh', {});
    expect(vars).toMatchObject({
      nodes: 'vcap@10.10.103.250 vcap@10.10.103.162',
      roles: 'ai i',
      NUM_NODES: '2',
      SERVICE_CLUSTER_IP_RANGE: '192.168.3.0/24',
      FLANNEL_NET: '172.16.0.0/16',
      FLANNEL_BACKEND: '',
      DNS_SERVER_IP: '192.168.3.10',
      DNS_DOMAIN: 'cluster.local',
      SERVICE_NODE_PORT_RANGE: '30000-32767',
      KUBE_PROXY_EXTRA_OPTS: '',
      ENABLE_CLUSTER_MONITORING: 'true',
      SSH_OPTS: '-oPort=22 -oStrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null -oLogLevel=ERROR',
    });
    // The bash array is not read, and said so with its line number; nothing is run.
    expect(warnings).toEqual([expect.stringMatching(/^config-default\.sh:15: an array or subshell \(\.\.\.\) is not read; skipped .*export roles_array=\(\$roles\)$/)]);
    expect(vars.roles_array).toBeUndefined();
    const { profile, issues } = validateProfile(importKubeUpEnv(vars, 'ubuntu').input);
    expect(issues).toEqual([]);
    expect(profile!.hosts.map((h) => [h.user, h.address, h.roles])).toEqual([
      ['vcap', '10.10.103.250', ['master', 'worker']],
      ['vcap', '10.10.103.162', ['worker']],
    ]);
    expect(profile!.network).toMatchObject({ serviceCidr: '192.168.3.0/24', podCidr: '172.16.0.0/16', clusterDns: '192.168.3.10' });
  });

  it('lets the environment win over the file\'s defaults, and a plain assignment win over the environment, as the shell does', () => {
    const env = { nodes: 'root@192.168.4.218 root@192.168.4.217 root@192.168.4.216', roles: 'a i i', NUM_NODES: '2', ADMISSION_CONTROL: 'X', DNS_DOMAIN: '' };
    const { vars } = readKubeUpConfig(FIXTURE, 'config-default.sh', env);
    expect(vars.nodes).toBe(env.nodes);
    expect(vars.roles).toBe('a i i');
    expect(vars.NUM_NODES).toBe('2');
    expect(vars.ADMISSION_CONTROL).toBe('NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota');
    // ${VAR:-default}: an empty value counts as unset.
    expect(vars.DNS_DOMAIN).toBe('cluster.local');
    expect(readKubeUpConfig('X=${Y-dflt}\n', 'f', { Y: '' }).vars.X).toBe('');
    expect(readKubeUpConfig('X=${Y:=dflt} Z=$Y\n', 'f', {}).vars).toMatchObject({ X: 'dflt', Y: 'dflt', Z: 'dflt' });
  });

  it('never runs anything: commands, substitutions and the like are reported with their line, kube-up variables as errors', () => {
    const text = ['# a comment', 'echo hello', 'FOO=$(id -u)', 'BAR=`hostname`', 'source ./other.sh', 'if true; then', 'A=1; B=2', ''].join('\n');
    const { vars, warnings } = readKubeUpConfig(text, 'c.sh', {});
    expect(warnings.map((w) => w.split('; skipped')[0])).toEqual([
      'c.sh:2: "echo" is a command, and kubeup runs none',
      'c.sh:3: command substitution $(...) is not run',
      'c.sh:4: command substitution `...` is not run',
      'c.sh:5: "source" is a command, and kubeup runs none',
      'c.sh:6: "if" is a command, and kubeup runs none',
      'c.sh:7: ";" (a command list, pipe or redirection) is not run',
    ]);
    expect(vars).not.toHaveProperty('FOO');
    expect(vars).not.toHaveProperty('A');
    let err: unknown;
    try {
      readKubeUpConfig('export nodes=$(cat hosts.txt)\nroles="ai i\n', 'c.sh', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as ProfileError).issues.map((i) => i.path)).toEqual(['c.sh:1', 'c.sh:2']);
    expect((err as ProfileError).issues[0]!.message).toMatch(/nodes is set by a line kubeup cannot read \(command substitution \$\(\.\.\.\) is not run\)/);
    expect((err as ProfileError).issues[1]!.message).toMatch(/roles is set by a line kubeup cannot read \(a quote \("\) is not closed\)/);
  });

  it('joins backslash-continued lines, keeps # inside quotes, and takes CRLF files', () => {
    const { vars } = readKubeUpConfig('nodes="root@10.0.0.1 \\\n root@10.0.0.2" # two\r\nX="a#b" Y=\'c d\'\r\n', 'f', {});
    expect(vars).toMatchObject({ nodes: 'root@10.0.0.1  root@10.0.0.2', X: 'a#b', Y: 'c d' });
  });
});
