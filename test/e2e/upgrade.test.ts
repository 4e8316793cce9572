// Upgrade in place (issue 12): one cluster (a, i, i) deployed at the mirror's first Kubernetes patch release and
// upgraded to its second. The skew rules refuse what they must; the steps run in order (API server, controllers,
// then one worker at a time, each drained and uncordoned before the next is cordoned), as the real kubectl, the
// hosts' unit start times and the binaries themselves show. A worker powered off in the middle of its step leaves
// the run failed and every host on one version; the same command after the host is back finishes without redoing
// the hosts already upgraded.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { e2eProfile, onHost, runCli, startCli, writeProfile, type CliRun } from './helpers.js';
import { upgradeProbes } from './upgrade-probes.js';

describeWithHosts('upgrade between two patch releases', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  let file: string;
  let from: string;
  let to: string;
  let deployed: CliRun;

  let probes: ReturnType<typeof upgradeProbes>;

  const cli = (args: string[]) => runCli(args, env);
  const lineIndex = (out: string, pattern: RegExp) => out.split('\n').findIndex((l) => pattern.test(l));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-upgrade-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 3 }), startMirror()]);
    [from, to] = mirror.kubernetesVersions as [string, string];
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig'), KUBEUP_VERIFY_TIMEOUT_MS: '60000' };
    probes = upgradeProbes(cluster, env.KUBECONFIG!, 'upgrade');
    file = writeProfile(dir, e2eProfile('upgrade', cluster, mirror, ['a', 'i', 'i'], join(dir, 'cache'), { versions: { kubernetes: from } }));
    deployed = await cli(['up', '--file', file, '--yes']);
  }, 400_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a downgrade with the rule and the way forward, and a minor kubeup does not know; the dry run shows old → new per host', async () => {
    expect(deployed.code, `${deployed.out}\n${deployed.err}`).toBe(0);
    expect(probes.serverVersion()).toBe(`v${from}`);
    const older = from.replace(/\d+$/, (p) => String(Number(p) - 1));
    const down = await cli(['upgrade', '--file', file, '--to', older, '--yes']);
    expect(down.code, down.err).toBe(4);
    expect(down.err).toMatch(new RegExp(`version skew \\(downgrade\\): Kubernetes ${older.replace(/\./g, '\\.')} is older than the ${from.replace(/\./g, '\\.')} the cluster runs`));
    expect(down.err).toMatch(/hint: pick a release newer than/);
    const unknown = await cli(['upgrade', '--file', file, '--to', '1.37.0', '--yes']);
    expect(unknown.code, unknown.err).toBe(2);
    expect(unknown.err).toMatch(/kubeup knows the flags of Kubernetes 1\.34 and 1\.35 only/);

    const dry = await cli(['upgrade', '--file', file, '--to', to, '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain(`Upgrade to Kubernetes ${to}: 4 steps`);
    expect(dry.out).toContain(`1. ${probes.addr(0)}: kube-apiserver ${from} → ${to}`);
    expect(dry.out).toContain(`2. ${probes.addr(0)}: kube-controller-manager, kube-scheduler ${from} → ${to}`);
    expect(dry.out).toContain(`3. worker ${probes.addr(1)} ${from} → ${to}`);
    expect(dry.out).toContain(`4. worker ${probes.addr(2)} ${from} → ${to}`);
    // Nothing moved.
    expect(probes.serverVersion()).toBe(`v${from}`);
    expect(probes.binaryVersion(1, 'kubelet')).toBe(`Kubernetes v${from}`);
  }, 120_000);

  it('upgrades in order, one worker at a time; a worker powered off mid-way leaves the run failed, a re-run after it is back finishes it alone', async () => {
    const before = { apiserver: probes.started(0, 'kube-apiserver.service'), kubelet1: probes.started(1, 'kubelet.service') };
    const run = startCli(['upgrade', '--file', file, '--to', to, '--yes'], env);
    // The second worker dies (plug pulled) while its step replaces its binaries.
    await run.when(new RegExp(`\\[4/4\\] worker ${probes.addr(2).replace(/\./g, '\\.')}: converge host`));
    await cluster.hosts[2]!.powerOff({ abrupt: true });
    const stopped = await run.done;
    expect(stopped.code, `${stopped.out}\n${stopped.err}`).toBe(5);
    expect(stopped.err).toContain(probes.addr(2));
    // The way forward names the profile as it was given (a file here), with the same target.
    expect(stopped.err).toContain(`run kubeup upgrade --file ${file} --to ${to} again: hosts already upgraded are skipped`);

    // Order, from the run's own lines: API server, controllers, then each worker cordoned, drained, upgraded and
    // uncordoned before the next one is cordoned.
    const out = stopped.out;
    const at = (p: string) => lineIndex(out, new RegExp(p.replace(/[.[\]/]/g, '\\$&')));
    expect(at(`[1/4] ${probes.addr(0)}: wait for /readyz`)).toBeGreaterThan(-1);
    expect(at(`[1/4] ${probes.addr(0)}: kube-apiserver at ${to}`)).toBeLessThan(at(`[2/4] ${probes.addr(0)}: replace binaries`));
    expect(at(`[2/4] ${probes.addr(0)}: kube-controller-manager, kube-scheduler at ${to}`)).toBeLessThan(at(`[3/4] worker ${probes.addr(1)}: cordon`));
    const w1 = ['cordon', 'drain node', 'converge host', `wait for node ${probes.nodeName(1)} Ready at v${to}`, 'uncordon', `at ${to}`].map((a) => at(`[3/4] worker ${probes.addr(1)}: ${a}`));
    expect(w1.every((x) => x > -1)).toBe(true);
    expect([...w1].sort((a, b) => a - b)).toEqual(w1);
    expect(w1.at(-1)!).toBeLessThan(at(`[4/4] worker ${probes.addr(2)}: cordon`));

    // The hosts agree: the API server restarted before the first worker's kubelet, each at the new version.
    const after = { apiserver: probes.started(0, 'kube-apiserver.service'), kcm: probes.started(0, 'kube-controller-manager.service'), kubelet1: probes.started(1, 'kubelet.service') };
    expect(after.apiserver).toBeGreaterThan(before.apiserver);
    expect(after.kubelet1).toBeGreaterThan(before.kubelet1);
    expect(after.apiserver).toBeLessThan(after.kcm);
    expect(after.kcm).toBeLessThan(after.kubelet1);
    expect(probes.serverVersion()).toBe(`v${to}`);
    for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) expect(probes.binaryVersion(0, b)).toBe(`Kubernetes v${to}`);
    for (const b of ['kubelet', 'kube-proxy']) expect(probes.binaryVersion(1, b)).toBe(`Kubernetes v${to}`);
    // The new binaries went as `up` sends them (download.transfer: compressed, the default): in every run's log of
    // the first worker (the deploy and this upgrade), kubelet was written from a zstd-compressed copy.
    const worker1Log = `${probes.addr(1).replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
    const kubeletWrites = readdirSync(env.KUBEUP_STATE_DIR!, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(`/${worker1Log}`))
      .flatMap((f) => readFileSync(join(env.KUBEUP_STATE_DIR!, f), 'utf8').split('\n').filter((l) => l.includes('wrote /opt/bin/kubelet ')));
    expect(kubeletWrites.length).toBeGreaterThanOrEqual(2);
    for (const l of kubeletWrites) expect(l).toMatch(/bytes sent zstd-compressed/);
    let n = probes.nodes();
    expect(n.get(probes.nodeName(1))!.status.nodeInfo.kubeletVersion).toBe(`v${to}`);
    expect(n.get(probes.nodeName(1))!.spec?.unschedulable).toBeFalsy();
    // The dead worker is still the old node, cordoned by the upgrade (marked so), never between versions.
    expect(n.get(probes.nodeName(2))!.status.nodeInfo.kubeletVersion).toBe(`v${from}`);
    expect(n.get(probes.nodeName(2))!.spec?.unschedulable).toBe(true);
    expect(n.get(probes.nodeName(2))!.metadata.annotations?.['kubeup.io/cordoned-for-upgrade']).toBe(to);

    // Back on: whatever its disk holds, one version for both binaries.
    await cluster.hosts[2]!.powerOn();
    const kubelet2 = probes.binaryVersion(2, 'kubelet');
    expect(probes.binaryVersion(2, 'kube-proxy')).toBe(kubelet2);
    const masterBefore = { apiserver: probes.started(0, 'kube-apiserver.service'), kcm: probes.started(0, 'kube-controller-manager.service'), kubelet1: probes.started(1, 'kubelet.service') };

    const resumed = await cli(['upgrade', '--file', file, '--to', to, '--yes']);
    expect(resumed.code, `${resumed.out}\n${resumed.err}`).toBe(0);
    expect(resumed.out).toContain(`Upgrade to Kubernetes ${to}: 1 step; already at ${to}: ${probes.addr(0)}, ${probes.addr(1)}`);
    expect(resumed.out).toContain(`[1/1] worker ${probes.addr(2)}: uncordon node ${probes.nodeName(2)}`);
    expect(resumed.out).not.toMatch(new RegExp(`worker ${probes.addr(1).replace(/\./g, '\\.')}:`));
    // The finished hosts were not touched again.
    expect({ apiserver: probes.started(0, 'kube-apiserver.service'), kcm: probes.started(0, 'kube-controller-manager.service'), kubelet1: probes.started(1, 'kubelet.service') }).toEqual(masterBefore);
    n = probes.nodes();
    for (const i of [1, 2]) {
      expect(n.get(probes.nodeName(i))!.status.nodeInfo.kubeletVersion, probes.nodeName(i)).toBe(`v${to}`);
      expect(n.get(probes.nodeName(i))!.spec?.unschedulable, probes.nodeName(i)).toBeFalsy();
      expect(n.get(probes.nodeName(i))!.metadata.annotations?.['kubeup.io/cordoned-for-upgrade']).toBeUndefined();
    }
    for (const b of ['kubelet', 'kube-proxy']) expect(probes.binaryVersion(2, b)).toBe(`Kubernetes v${to}`);
    for (const [i, units] of [[0, 'etcd kube-apiserver kube-controller-manager kube-scheduler'], [2, 'containerd flanneld kubelet kube-proxy']] as const) {
      expect(onHost(cluster, i, `systemctl is-active ${units}`).trim().split('\n')).toEqual(units.split(' ').map(() => 'active'));
    }

    // Again: nothing left to do.
    const again = await cli(['upgrade', '--file', file, '--to', to, '--yes']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`every host already runs Kubernetes ${to}: nothing to upgrade`);
  }, 360_000);
});
