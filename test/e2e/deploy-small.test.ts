// Smaller clusters: 2 hosts (a, i), then 1 host (ai), on one set of test hosts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { e2eProfile, kubectl, onHost, runCli, writeProfile } from './helpers.js';

// Every unit came up at its first start: none was restarted by systemd (NRestarts counts those since kubeup started it).
const restartedUnits = (cluster: TestCluster, i: number) =>
  onHost(cluster, i, "systemctl show -p Id,NRestarts etcd.service kube-apiserver.service kube-controller-manager.service kube-scheduler.service containerd.service flanneld.service kubelet.service kube-proxy.service | paste - - - | awk '$2 != \"NRestarts=0\" && $1 != \"\" {print}'")
    .split('\n')
    .filter((l) => /NRestarts=[1-9]/.test(l));

const activeKubeupUnits = (cluster: TestCluster, i: number) =>
  onHost(cluster, i, "systemctl list-units --type=service --state=active --no-legend --plain etcd.service 'kube-*.service' kubelet.service containerd.service flanneld.service | awk '{print $1}' | sort")
    .split('\n')
    .filter(Boolean);

describeWithHosts('kubeup up on 2 hosts (a, i) and on 1 host (ai)', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-small-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 3 }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('2 hosts: a dedicated control plane and one worker', async () => {
    // Through the saved-profile path this time: import, then up --profile.
    const file = writeProfile(dir, e2eProfile('two', cluster, mirror, ['a', 'i'], join(dir, 'cache')));
    expect((await runCli(['profiles', 'import', file], env)).code).toBe(0);
    const up = await runCli(['up', '--profile', 'two', '--yes'], env);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    expect(activeKubeupUnits(cluster, 0)).toEqual(['etcd.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-scheduler.service']);
    expect(activeKubeupUnits(cluster, 1)).toEqual(['containerd.service', 'flanneld.service', 'kube-proxy.service', 'kubelet.service']);
    expect(restartedUnits(cluster, 0)).toEqual([]);
    expect(restartedUnits(cluster, 1)).toEqual([]);
    // Only the worker runs a kubelet, so only it is a node.
    const nodes = kubectl(env.KUBECONFIG!, ['--context', 'two', 'get', 'nodes', '--no-headers']).trim().split('\n');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatch(/^h2\s+Ready\s+worker\s/);
    // down with one host that cannot be reached: it is reported, the reachable ones are cleaned anyway.
    const withDeadHost = writeProfile(dir, {
      ...e2eProfile('two', cluster, mirror, ['a', 'i'], join(dir, 'cache')),
      hosts: [...e2eProfile('two', cluster, mirror, ['a', 'i'], join(dir, 'cache')).hosts, { address: '127.0.0.1', port: 1, roles: 'i' }],
    });
    const partial = await runCli(['down', '--file', withDeadHost, '--yes'], env);
    expect(partial.code).toBe(5);
    expect(partial.err).toMatch(/could not clean 1 host:\n {2}- 127\.0\.0\.1:1: .*connection refused/);
    // The phase says it failed (listr2 alone would call it done), and the host's own log is named, whole.
    expect(partial.out).toMatch(/^FAILED: Remove kubeup from 3 hosts \(/m);
    const failedLog = /^Log of the failed host: (\S+)$/m.exec(partial.err)?.[1];
    expect(failedLog, partial.err).toMatch(/\/runs\/[^/]+\/127\.0\.0\.1_1\.log$/);
    expect(readFileSync(failedLog!, 'utf8')).toMatch(/down failed: .*connection refused/);
    expect(activeKubeupUnits(cluster, 0)).toEqual([]);
    expect(activeKubeupUnits(cluster, 1)).toEqual([]);
    // Cleaning again is harmless.
    const down = await runCli(['down', '--profile', 'two', '--yes'], env);
    expect(down.code, `${down.out}\n${down.err}`).toBe(0);
  });

  it('1 host: control plane and worker on one machine', async () => {
    // The README's example: kube-proxy ignores flags next to --config, so this must reach its config file.
    const file = writeProfile(dir, { ...e2eProfile('one', cluster, mirror, ['ai'], join(dir, 'cache')), hosts: [{ address: cluster.hosts[2]!.address, roles: 'ai', container: true }], extraArgs: { 'kube-proxy': ['--masquerade-all'] } });
    const up = await runCli(['up', '--file', file, '--yes'], env);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    // The cache filled by the first cluster: nothing downloaded again.
    expect(up.out).toMatch(/0 downloaded/);
    expect(activeKubeupUnits(cluster, 2)).toHaveLength(8);
    expect(restartedUnits(cluster, 2)).toEqual([]);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'one', 'get', 'nodes', '--no-headers'])).toMatch(/^h3\s+Ready\s+control-plane,worker\s/);
    const configz = JSON.parse(onHost(cluster, 2, `node -e "fetch('http://127.0.0.1:10249/configz').then((r) => r.text()).then(console.log)"`));
    expect(configz['kubeproxy.config.k8s.io'].Linux).toEqual({ MasqueradeAll: true });
    const down = await runCli(['down', '--file', file, '--yes', '--purge'], env);
    expect(down.code, `${down.out}\n${down.err}`).toBe(0);
    expect(down.out).toMatch(/Local CA removed/);
    expect(activeKubeupUnits(cluster, 2)).toEqual([]);
  });
});
