// The upgrade through `up` (issue 12): one cluster (a, i, i) deployed at the mirror's first Kubernetes patch release,
// then its profile's versions block moved to the second. `kubeup plan` shows the upgrade's steps old → new per host
// and changes nothing; `up` runs the upgrade first and is stopped by a Ctrl-C (SIGINT to the CLI) during the first
// worker's step: that step finishes, the next does not start, and every host is on one version (its binaries alike,
// its units active); `up` again finishes the upgrade without touching the hosts already upgraded, then converges.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { e2eProfile, onHost, runCli, startCli, writeProfile, type CliRun } from './helpers.js';
import { upgradeProbes } from './upgrade-probes.js';

const esc = (s: string) => s.replace(/[.[\]/()]/g, '\\$&');

describeWithHosts('upgrade through up: plan, a Ctrl-C mid-way, and up again', () => {
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
  const profileAt = (kubernetes: string) => writeProfile(dir, e2eProfile('upup', cluster, mirror, ['a', 'i', 'i'], join(dir, 'cache'), { versions: { kubernetes } }));
  const versions = (i: number, bins: string[]) => bins.map((b) => onHost(cluster, i, `/opt/bin/${b} --version`).trim().replace(/^Kubernetes v/, ''));
  const active = (i: number, units: string) => onHost(cluster, i, `systemctl is-active ${units}; true`).trim().split('\n');
  const MASTER_UNITS = 'etcd kube-apiserver kube-controller-manager kube-scheduler';
  const WORKER_UNITS = 'containerd flanneld kubelet kube-proxy';
  const CONTROL_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
  const NODE_BINARIES = ['kubelet', 'kube-proxy'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-upup-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 3 }), startMirror()]);
    [from, to] = mirror.kubernetesVersions as [string, string];
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig'), KUBEUP_VERIFY_TIMEOUT_MS: '60000' };
    probes = upgradeProbes(cluster, env.KUBECONFIG!, 'upup');
    file = profileAt(from);
    deployed = await cli(['up', '--file', file, '--yes']);
  }, 400_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plan shows the upgrade steps old → new per host when the versions block moved, and changes nothing', async () => {
    expect(deployed.code, `${deployed.out}\n${deployed.err}`).toBe(0);
    profileAt(to);
    const plan = await cli(['plan', '--file', file]);
    expect(plan.code, `${plan.out}\n${plan.err}`).toBe(0);
    expect(plan.out).toContain(`Upgrade to Kubernetes ${to}: 4 steps`);
    expect(plan.out).toContain(`1. ${probes.addr(0)}: kube-apiserver ${from} → ${to}`);
    expect(plan.out).toContain(`2. ${probes.addr(0)}: kube-controller-manager, kube-scheduler ${from} → ${to}`);
    expect(plan.out).toContain(`3. worker ${probes.addr(1)} ${from} → ${to}`);
    expect(plan.out).toContain(`4. worker ${probes.addr(2)} ${from} → ${to}`);
    expect(plan.out).toContain(`(up runs these steps first, in this order; or: kubeup upgrade --file ${file} --to ${to})`);
    expect(probes.serverVersion()).toBe(`v${from}`);
    expect(versions(1, NODE_BINARIES)).toEqual([from, from]);
  }, 180_000);

  it('up upgrades first; a Ctrl-C in the first worker step lets it finish, leaves every host on one version, and up again finishes without redoing them', async () => {
    const run = startCli(['up', '--file', file, '--yes'], env);
    await run.when(new RegExp(`\\[3/4\\] worker ${esc(probes.addr(1))}: converge host`));
    run.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code, `${stopped.out}\n${stopped.err}`).toBe(130);
    expect(stopped.err).toContain('SIGINT: cancelling after the steps under way');
    expect(stopped.out).toContain('it is upgraded first, in order');
    // The step under way ran to its end; the next did not start.
    expect(stopped.out, stopped.err).toContain(`[3/4] worker ${probes.addr(1)}: at ${to}`);
    expect(stopped.out).not.toContain('[4/4]');

    // Every host on one version: the master and the first worker on the new one, the second worker on the old one,
    // all units active, no node left cordoned.
    expect(probes.serverVersion()).toBe(`v${to}`);
    expect(versions(0, CONTROL_BINARIES)).toEqual([to, to, to]);
    expect(versions(1, NODE_BINARIES)).toEqual([to, to]);
    expect(versions(2, NODE_BINARIES)).toEqual([from, from]);
    expect(active(0, MASTER_UNITS)).toEqual(['active', 'active', 'active', 'active']);
    for (const i of [1, 2]) expect(active(i, WORKER_UNITS), probes.addr(i)).toEqual(['active', 'active', 'active', 'active']);
    let n = probes.nodes();
    expect(n.get(probes.nodeName(1))!.status.nodeInfo.kubeletVersion).toBe(`v${to}`);
    expect(n.get(probes.nodeName(2))!.status.nodeInfo.kubeletVersion).toBe(`v${from}`);
    for (const i of [1, 2]) {
      expect(n.get(probes.nodeName(i))!.spec?.unschedulable, probes.nodeName(i)).toBeFalsy();
      expect(n.get(probes.nodeName(i))!.metadata.annotations?.['kubeup.io/cordoned-for-upgrade'], probes.nodeName(i)).toBeUndefined();
    }

    const before = { apiserver: probes.started(0, 'kube-apiserver.service'), kcm: probes.started(0, 'kube-controller-manager.service'), kubelet1: probes.started(1, 'kubelet.service'), proxy1: probes.started(1, 'kube-proxy.service') };
    const resumed = await cli(['up', '--file', file, '--yes']);
    expect(resumed.code, `${resumed.out}\n${resumed.err}`).toBe(0);
    const out = resumed.out;
    expect(out).toContain(`Upgrade to Kubernetes ${to}: 1 step; already at ${to}: ${probes.addr(0)}, ${probes.addr(1)}`);
    expect(out).not.toMatch(new RegExp(`worker ${esc(probes.addr(1))}:`));
    // The upgrade first, then up's own run (its phases), which converges the rest.
    const lineOf = (p: RegExp) => out.split('\n').findIndex((l) => p.test(l));
    const upgraded = lineOf(new RegExp(`\\[1/1\\] worker ${esc(probes.addr(2))}: at ${esc(to)}`));
    expect(upgraded).toBeGreaterThan(-1);
    expect(lineOf(/^== Preflight/)).toBeGreaterThan(upgraded);
    // Neither the upgrade nor up's converge touched the hosts already at the new version.
    expect({ apiserver: probes.started(0, 'kube-apiserver.service'), kcm: probes.started(0, 'kube-controller-manager.service'), kubelet1: probes.started(1, 'kubelet.service'), proxy1: probes.started(1, 'kube-proxy.service') }).toEqual(before);
    expect(versions(2, NODE_BINARIES)).toEqual([to, to]);
    n = probes.nodes();
    for (const i of [1, 2]) {
      expect(n.get(probes.nodeName(i))!.status.nodeInfo.kubeletVersion, probes.nodeName(i)).toBe(`v${to}`);
      expect(n.get(probes.nodeName(i))!.status.conditions?.find((c) => c.type === 'Ready')?.status, probes.nodeName(i)).toBe('True');
      expect(n.get(probes.nodeName(i))!.spec?.unschedulable, probes.nodeName(i)).toBeFalsy();
    }
  }, 480_000);
});
