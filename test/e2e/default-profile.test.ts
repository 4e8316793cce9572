// A profile made by the wizard's own code (its draft, with only what a user types into it) deploys with no
// checksum added: the default flannel's sha256 comes from the shipped pin table, under the key the release code looks
// up. The test bundle (test-bundle.ts) points that key at the mirror's stand-in, because the mirror cannot serve
// upstream's bytes; the profile itself names only the hosts, the SSH login and the mirror.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { draftFromInput, draftToInput, newHostDraft } from '../../components/wizard/draft.js';
import { DEFAULT_VERSIONS } from '../../src/profile/defaults.js';
import { validateProfile } from '../../src/profile/validate.js';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { kubectl, runCli } from './helpers.js';
import { buildTestCli, TEST_PIN_SOURCE } from './test-bundle.js';

describeWithHosts('a wizard-made default profile deploys with no checksum added', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let cli: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-default-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 1 }), startMirror()]);
    cli = await buildTestCli(mirror);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig'), XDG_CACHE_HOME: join(dir, 'cache') };
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deploys a default profile, the flannel sha256 taken from the pin table', async () => {
    const h = cluster.hosts[0]!;
    const draft = draftFromInput(undefined);
    // What a user types: one host (its default roles), how to log in; the rest stays as the wizard proposes it.
    draft.hosts = [{ ...newHostDraft(), address: h.address, user: h.user, port: String(h.port) }];
    draft.ssh = { ...draft.ssh, agent: false, identityFile: cluster.privateKeyPath, knownHosts: cluster.knownHostsPath };
    draft.name = 'default';
    const input = draftToInput(draft) as Record<string, unknown>;
    // No internet here: the mirror stands in for the upstream release sites. No checksum goes with it.
    input.download = { mirrors: mirror.baseUrls };
    const { profile, issues } = validateProfile(input);
    expect(issues).toEqual([]);
    expect(profile!.versions).toEqual(DEFAULT_VERSIONS);
    expect(profile!.download.checksums ?? {}).toEqual({});
    const file = join(dir, 'default.yaml');
    writeFileSync(file, stringify(input));

    const plan = await runCli(['plan', '--offline', '--file', file], env, 120_000, cli);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).not.toMatch(/Warning: no sha256/);
    expect(plan.out).toMatch(new RegExp(`flannel/amd64/flanneld-amd64  \\S+/v${DEFAULT_VERSIONS.flannel}/flanneld-amd64  sha256 [0-9a-f]{64} \\(${TEST_PIN_SOURCE.replace(/[()]/g, '\\$&')}\\)`));

    const up = await runCli(['up', '--file', file, '--yes'], env, 600_000, cli);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'default', 'get', 'nodes', '--no-headers'])).toMatch(/\sReady\s+control-plane,worker\s/);
    const down = await runCli(['down', '--file', file, '--yes', '--purge'], env, 300_000, cli);
    expect(down.code, `${down.out}\n${down.err}`).toBe(0);
  });
});
