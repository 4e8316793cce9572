// Day 2 on one cluster that grows and shrinks: add a worker, hand-edit a file (plan shows it, status reports it, up
// puts it back), take a host out of the profile, remove-node a live worker (with a pod to drain), remove a
// powered-off worker with --force, and refuse to remove the control plane.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { localLockPath, newHolder } from '../../src/lock/index.js';
import { TmuxTerminal } from '../terminal/helpers.js';
import { e2eProfile, kubectl, onHost, REPO, runCli, writeProfile, type CliRun } from './helpers.js';

const UNITS = ['etcd.service', 'kube-apiserver.service', 'kube-controller-manager.service', 'kube-scheduler.service', 'containerd.service', 'flanneld.service', 'kube-proxy.service', 'kubelet.service'];
const KUBEUP_PATHS =
  '/etc/systemd/system/kube*.service /etc/systemd/system/containerd.service /etc/systemd/system/flanneld.service /etc/default/kube* /etc/default/flanneld /etc/default/containerd /opt/bin /opt/cni /etc/kubernetes /etc/cni /etc/kube-flannel /etc/containerd /var/lib/kubelet /run/flannel /etc/modules-load.d/kubeup.conf /etc/sysctl.d/99-kubeup.conf';

describeWithHosts('day 2: add, drift, remove', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  let first: CliRun;

  const cli = (args: string[]) => runCli(args, env);
  const importProfile = (roles: string[], only?: number[]) => {
    const p = e2eProfile('grow', cluster, mirror, roles, join(dir, 'cache'));
    if (only) p.hosts = only.map((i) => ({ ...p.hosts[i]!, roles: roles[i]! }));
    return cli(['profiles', 'import', writeProfile(dir, p), '--force']);
  };
  const startTimes = (i: number, units = UNITS) => onHost(cluster, i, `systemctl show -p ActiveEnterTimestampMonotonic --value ${units.join(' ')}`);
  const summaryOf = (run: CliRun) => JSON.parse(readFileSync(/Summary: (.*)summary\.txt/.exec(run.out)![1] + 'summary.json', 'utf8'));
  const nodes = () => kubectl(env.KUBECONFIG!, ['--context', 'grow', 'get', 'nodes', '--no-headers', '-o', 'custom-columns=N:.metadata.name']).trim().split('\n').sort();
  const leftOn = (i: number) => onHost(cluster, i, `ls -d ${KUBEUP_PATHS} 2>/dev/null; systemctl list-units --no-legend --plain 'kube*' containerd.service flanneld.service | awk '{print $1}'; true`).trim();
  const addr = (i: number) => cluster.hosts[i]!.address;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-day2-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 4 }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
    expect((await importProfile(['ai', 'i', 'i'])).code).toBe(0);
    first = await cli(['up', '--profile', 'grow', '--yes']);
  }, 600_000);
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deploys h1 (ai), h2, h3; plan then says nothing would change', async () => {
    expect(first.code, `${first.out}\n${first.err}`).toBe(0);
    const plan = await cli(['plan', '--profile', 'grow']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/0 to add, 0 to change, 0 to remove, 3 unchanged/);
    expect(plan.out).toMatch(/No changes/);
    // Same cluster state, same bytes.
    expect((await cli(['plan', '--profile', 'grow'])).out).toBe(plan.out);
  });

  it('adding h4 provisions only h4: no file written and no unit restarted elsewhere, h4 gets its own kubelet certificate', async () => {
    const before = [0, 1, 2].map((i) => startTimes(i, i === 0 ? UNITS : UNITS.slice(4)));
    const caBefore = onHost(cluster, 1, 'sha256sum /etc/kubernetes/pki/ca.crt');
    const certBefore = onHost(cluster, 1, 'sha256sum /etc/kubernetes/pki/kubelet.crt');
    expect((await importProfile(['ai', 'i', 'i', 'i'])).code).toBe(0);
    const plan = await cli(['plan', '--profile', 'grow']);
    expect(plan.out).toMatch(/1 to add, 0 to change, 0 to remove, 3 unchanged/);
    expect(plan.out).toContain(`+ ${addr(3)} (node h4): new host`);

    const up = await cli(['up', '--profile', 'grow', '--yes']);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    const summary = summaryOf(up);
    for (const i of [0, 1, 2]) {
      expect(summary.hosts[addr(i)].record).toMatchObject({ filesChanged: [], unitsRestarted: [], unitsStarted: [] });
    }
    expect(summary.hosts[addr(3)].record.filesChanged.length).toBeGreaterThan(20);
    expect([0, 1, 2].map((i) => startTimes(i, i === 0 ? UNITS : UNITS.slice(4)))).toEqual(before);
    expect(nodes()).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(onHost(cluster, 3, 'openssl x509 -noout -subject -in /etc/kubernetes/pki/kubelet.crt')).toMatch(/CN ?= ?system:node:h4/);
    expect(onHost(cluster, 1, 'sha256sum /etc/kubernetes/pki/ca.crt')).toBe(caBefore);
    expect(onHost(cluster, 3, 'sha256sum /etc/kubernetes/pki/ca.crt').split(' ')[0]).toBe(caBefore.split(' ')[0]);
    expect(onHost(cluster, 1, 'sha256sum /etc/kubernetes/pki/kubelet.crt')).toBe(certBefore);
  });

  it('a hand edit of h2\'s kubelet options: plan shows the diff, status reports drift (exit 10)', async () => {
    onHost(cluster, 1, "echo '--max-pods=7 # edited by hand' >> /etc/default/kubelet");
    const plan = await cli(['plan', '--profile', 'grow']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain(`~ ${addr(1)} (node h2): 1 file to write (1 drifted); restart kubelet.service`);
    expect(plan.out).toMatch(/~ \/etc\/default\/kubelet {2}\(content; drift: changed on the host since kubeup wrote it\)/);
    expect(plan.out).toMatch(/^ +--- .*:\/etc\/default\/kubelet \(on the host\)$/m);
    expect(plan.out).toMatch(/^ +---max-pods=7 # edited by hand$/m);
    const status = await cli(['status', '--profile', 'grow']);
    expect(status.code, `${status.out}\n${status.err}`).toBe(10);
    expect(status.out).toMatch(/drift: \/etc\/default\/kubelet changed \(content\)/);
    expect(status.out).toMatch(/-+max-pods=7 # edited by hand/);
  });

  it('up in a terminal shows the same summary first and asks; "n" changes nothing', async () => {
    const t = await TmuxTerminal.start({ argv: [process.execPath, '--import', 'tsx', join(REPO, 'src/cli.ts'), 'up', '--profile', 'grow'], cwd: REPO, env: { ...env, TERM: 'xterm-256color' }, width: 160, height: 50 });
    try {
      const screen = await t.waitFor('Apply these changes to cluster grow? [y/N]', 120_000);
      expect(screen).toContain(`~ ${addr(1)} (node h2): 1 file to write (1 drifted); restart kubelet.service`);
      expect(screen).toMatch(/---max-pods=7 # edited by hand/);
      await t.keys('n', 'Enter');
      expect(await t.waitFor(/\[exit \d+\]/, 30_000)).toMatch(/Nothing done\.\s+\[exit 0\]/);
    } finally {
      t.stop();
    }
    expect(onHost(cluster, 1, 'cat /etc/default/kubelet')).toMatch(/edited by hand/);
  });

  it('h4 out of the profile: up puts h2\'s file back (saying so) and removes h4; status is clean after', async () => {
    const h2file = () => createHash('sha256').update(onHost(cluster, 1, 'cat /etc/default/kubelet')).digest('hex');
    const edited = h2file();
    expect((await importProfile(['ai', 'i', 'i'])).code).toBe(0);
    const plan = await cli(['plan', '--profile', 'grow']);
    expect(plan.out).toContain(`- ${addr(3)} (node h4): remove from the cluster`);
    const up = await cli(['up', '--profile', 'grow', '--yes']);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    expect(up.err).toMatch(new RegExp(`drift: /etc/default/kubelet on ${addr(1).replace(/\./g, '\\.')} changed \\(content\\) since kubeup wrote it; putting it back`));
    expect(h2file()).not.toBe(edited);
    expect(onHost(cluster, 1, 'cat /etc/default/kubelet')).not.toMatch(/edited by hand/);
    expect(up.out).toMatch(/Removed .*\(node h4\)/);
    expect(nodes()).toEqual(['h1', 'h2', 'h3']);
    expect(leftOn(3)).toBe('');
    const status = await cli(['status', '--profile', 'grow']);
    expect(status.code, `${status.out}\n${status.err}`).toBe(0);
    expect(status.out).toMatch(/^Clean:/m);
  });

  it('remove-node h3: a pod without a controller stops the drain until --force; then nothing of kubeup is left on h3', async () => {
    const manifest = join(dir, 'pods.yaml');
    const pod = (name: string, owner?: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...(owner && { ownerReferences: [owner] }) }, spec: { nodeName: 'h3', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } });
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: '8d9f3c1e-0000-4000-8000-000000000001', controller: true };
    // kubectl reads a YAML stream; JSON documents are YAML.
    writeFileSync(manifest, [pod('bare'), pod('agent-x', ds)].map((d) => JSON.stringify(d)).join('\n---\n'));
    kubectl(env.KUBECONFIG!, ['--context', 'grow', 'create', '-f', manifest]);
    // Another run of this machine holds the cluster's lock (this test process is alive): remove-node waits for it.
    const lockFile = localLockPath(join(dir, 'state', 'clusters', 'grow'));
    writeFileSync(lockFile, `${JSON.stringify(newHolder('kubeup up --profile grow'))}\n`, { mode: 0o600 });
    const locked = await cli(['remove-node', '--profile', 'grow', 'h3', '--yes']);
    rmSync(lockFile);
    expect(locked.code, `${locked.out}\n${locked.err}`).toBe(4);
    expect(locked.err).toMatch(/another kubeup run holds the lock of this cluster: kubeup up --profile grow \(pid \d+ on \S+\), since /);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'grow', 'get', 'node', 'h3', '-o', 'jsonpath={.spec.unschedulable}'])).toBe('');
    const refused = await cli(['remove-node', '--profile', 'grow', 'h3', '--yes']);
    expect(refused.code, refused.out).toBe(5);
    expect(refused.err).toMatch(/default\/bare is not managed by a controller \(use --force to delete it\)/);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'grow', 'get', 'node', 'h3', '-o', 'jsonpath={.spec.unschedulable}'])).toBe('true');

    const r = await cli(['remove-node', '--profile', 'grow', 'h3', '--yes', '--force', '--grace-period', '5', '--timeout', '60']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/drain: cordoned; 1 pod\(s\) evicted, 1 ignored \(default\/agent-x \(DaemonSet\)\)/);
    expect(r.out).toMatch(/Profile grow: .* removed/);
    expect(nodes()).toEqual(['h1', 'h2']);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'grow', 'get', 'pods', '-o', 'name'])).not.toMatch(/pod\/bare/);
    expect(leftOn(2)).toBe('');
    expect((await cli(['profiles', 'show', 'grow'])).out).not.toContain(addr(2));
  });

  it('a powered-off h2: remove-node refuses without --force, removes it from the cluster with --force (host step skipped)', async () => {
    const manifest = join(dir, 'stuck.yaml');
    writeFileSync(manifest, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stuck', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: '8d9f3c1e-0000-4000-8000-000000000002', controller: true }] }, spec: { nodeName: 'h2', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } }));
    kubectl(env.KUBECONFIG!, ['--context', 'grow', 'create', '-f', manifest]);
    await cluster.hosts[1]!.stop();
    const started = Date.now();
    const refused = await cli(['remove-node', '--profile', 'grow', 'h2', '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.err).toMatch(/cannot reach .*nothing was changed/s);
    expect(nodes()).toContain('h2');
    const r = await cli(['remove-node', '--profile', 'grow', 'h2', '--yes', '--force']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/- clean: skipped: .* could not be reached \(--force\)/);
    expect(r.out).toMatch(/✓ delete node: Node h2 deleted/);
    // Its pod was evicted, but no kubelet will confirm it stopped: reported, not waited for.
    expect(r.out).toMatch(/warning: pods still terminating on the unreachable node h2: default\/stuck/);
    expect(nodes()).toEqual(['h1']);
    expect(Date.now() - started).toBeLessThan(150_000);
  });

  it('the control-plane host cannot be removed: says why and what it would need', async () => {
    const r = await cli(['remove-node', '--profile', 'grow', 'h1', '--yes']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is the control-plane host of grow: remove-node cannot remove it/);
    expect(r.err).toMatch(/etcd member add/);
  });
});

