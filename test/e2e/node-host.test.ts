// Nodes in containers, on both kinds of test host (test/README.md, "Machines"): preflight reports what a restricted
// host lacks and passes a full one; the kubelet and kube-proxy stand-ins stop exactly where the real binaries would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { daemonOptionsVariable } from '../../src/render/units.js';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { e2eProfile, kubectl, onHost, runCli, writeProfile } from './helpers.js';

describeWithHosts('nodes in containers: full and restricted test hosts', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let env: Record<string, string>;
  /** A command's output and exit code on a host (stderr included), for commands expected to fail. */
  const tryOnHost = (i: number, command: string): { out: string; rc: number } => {
    const out = onHost(cluster, i, `( ${command} ) 2>&1; echo "rc=$?"`);
    const m = /rc=(\d+)\s*$/.exec(out);
    return { out, rc: Number(m?.[1] ?? -1) };
  };
  /** Runs a deployed daemon by hand with its unit's options plus `extra`, for at most `seconds` (rc 124 = still up). */
  const runDaemon = (i: number, daemon: 'kubelet' | 'kube-proxy', extra: string, seconds = 15) =>
    tryOnHost(i, `set -a; . /etc/default/${daemon}; set +a; eval timeout ${seconds} /opt/bin/${daemon} \\$${daemonOptionsVariable(daemon)} ${extra}`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-e2e-nodehost-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 3, variants: { 3: { machine: 'restricted' } } }), startMirror()]);
    env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('preflight passes the full host and stops at the restricted one, naming each missing capability and its way around', async () => {
    // As a user would write it, without hosts[].container (e2eProfile sets it): preflight finds out by itself.
    const base = e2eProfile('mixed', cluster, mirror, ['ai', 'i'], join(dir, 'cache'));
    const profile = { ...base, hosts: base.hosts.map(({ container: _, ...h }) => h) };
    profile.hosts[1] = { ...profile.hosts[1]!, address: cluster.hosts[2]!.address };
    const r = await runCli(['up', '--file', writeProfile(dir, profile), '--yes'], env);
    expect(r.code, `${r.out}\n${r.err}`).toBe(4);
    expect(r.err).toMatch(/preflight found 4 problems/);
    const h3 = cluster.hosts[2]!.address;
    expect(r.err).toContain(`${h3}: kmsg: /dev/kmsg is missing: kubelet exits at start`);
    expect(r.err).toMatch(new RegExp(`${h3.replace(/\./g, '\\.')}: kernel tunables: /proc/sys is read-only and kubelet must set vm\\.overcommit_memory=1 \\(is \\d\\)`));
    expect(r.err).toContain(`${h3}: cgroups: the cgroup controllers (cgroup v1) are read-only`);
    expect(r.err).toContain(`${h3}: conntrack: the host has no /sys/module/nf_conntrack/parameters/hashsize`);
    // The full host has what kubelet and kube-proxy need; nf_conntrack_max is read-only on both, but high enough here.
    expect(r.err).not.toContain(`- ${cluster.hosts[0]!.address}:`);
    // One warning per host: each names its own profile field, and the host after it (by name once preflight knows it).
    expect(r.err).toMatch(/^warning: container: the host is a container \(systemd-nspawn\); .*\(set hosts\[0\]\.container: true in the profile: .*\) \(h1\)$/m);
    expect(r.err).toMatch(new RegExp(`^warning: container: the host is a container \\(systemd-nspawn\\); .*\\(set hosts\\[1\\]\\.container: true in the profile: .*\\) \\(${cluster.hosts[2]!.address.replace(/\./g, '\\.')}\\)$`, 'm'));
    expect(onHost(cluster, 0, 'ls /etc/systemd/system | grep -c kube || true').trim()).toBe('0');
  });

  it('deploys onto full hosts marked container: true, kube-proxy leaving nf_conntrack_max alone; kubelet makes kubepods', async () => {
    const profile = e2eProfile('nodes', cluster, mirror, ['a', 'i'], join(dir, 'cache'));
    profile.hosts[1] = { ...profile.hosts[1]!, container: true } as (typeof profile.hosts)[number];
    const up = await runCli(['up', '--file', writeProfile(dir, profile), '--yes'], env);
    expect(up.code, `${up.out}\n${up.err}`).toBe(0);
    expect(`${up.out}\n${up.err}`).not.toMatch(/container: the host is a container/);
    expect(kubectl(env.KUBECONFIG!, ['--context', 'nodes', 'get', 'nodes', '--no-headers'])).toMatch(/^h2\s+Ready\s/);
    expect(onHost(cluster, 1, 'cat /etc/kubernetes/kube-proxy-config.yaml')).toMatch(/^conntrack:\n {2}maxPerCore: 0$/m);
    // The container manager made the pod cgroups in every controller, like the real one.
    expect(onHost(cluster, 1, 'ls -d /sys/fs/cgroup/memory/kubepods.slice/kubepods-besteffort.slice /sys/fs/cgroup/cpu/kubepods.slice')).toMatch(/besteffort/);
  });

  it('kubelet stops at its container manager: protectKernelDefaults with other values, or a read-only /proc/sys', () => {
    onHost(cluster, 1, 'systemctl stop kubelet');
    try {
      const protect = runDaemon(1, 'kubelet', '--protect-kernel-defaults=true');
      expect(protect.rc, protect.out).toBe(1);
      expect(protect.out).toMatch(/"Failed to start ContainerManager" err="\[invalid kernel flag: vm\/overcommit_memory, expected value: 1, actual value: \d/);
      const ro = runDaemon(1, 'kubelet', '', 15);
      expect(ro.rc, ro.out).toBe(124); // writable: it stays up
      onHost(cluster, 1, 'mount -o remount,bind,ro /proc/sys');
      const stopped = runDaemon(1, 'kubelet', '');
      expect(stopped.rc, stopped.out).toBe(1);
      expect(stopped.out).toMatch(/"Failed to start ContainerManager" err="\[open \/proc\/sys\/vm\/overcommit_memory: read-only file system, /);
    } finally {
      onHost(cluster, 1, 'mount -o remount,bind,rw /proc/sys; systemctl start kubelet');
    }
  });

  it('kubelet without /dev/kmsg exits at start; kind\'s link to the console gets it past the OOM watcher', () => {
    // The deployed binary onto the restricted host, and a configuration that only passes the earlier checks.
    execFileSync('bash', ['-c', `ssh ${sshArgs(cluster, 1)} cat /opt/bin/kubelet | ssh ${sshArgs(cluster, 2)} 'cat > /tmp/kubelet && chmod 755 /tmp/kubelet'`]);
    onHost(cluster, 2, "printf 'apiVersion: kubelet.config.k8s.io/v1beta1\\nkind: KubeletConfiguration\\nfailCgroupV1: false\\nfailSwapOn: false\\n' > /tmp/kubelet.yaml");
    const missing = tryOnHost(2, 'timeout 15 /tmp/kubelet --config /tmp/kubelet.yaml');
    expect(missing.rc, missing.out).toBe(1);
    expect(missing.out).toContain('"command failed" err="failed to run Kubelet: failed to create kubelet: open /dev/kmsg: no such file or directory"');
    onHost(cluster, 2, 'ln -s /dev/console /dev/kmsg');
    const linked = tryOnHost(2, 'timeout 5 /tmp/kubelet --config /tmp/kubelet.yaml');
    expect(linked.out).not.toContain('/dev/kmsg');
    expect(linked.rc, linked.out).toBe(124);
  });

  it('kube-proxy stops when it must raise nf_conntrack_max in its network namespace; maxPerCore 0 leaves it alone', () => {
    const current = Number(onHost(cluster, 1, 'cat /proc/sys/net/netfilter/nf_conntrack_max').trim());
    // Flags only (no --config), on other ports than the running kube-proxy's.
    const base = '--kubeconfig=/etc/kubernetes/kube-proxy.kubeconfig --hostname-override=h2 --healthz-bind-address=127.0.0.1:10266 --metrics-bind-address=127.0.0.1:10265';
    const raise = tryOnHost(1, `timeout 15 /opt/bin/kube-proxy ${base} --conntrack-max-per-core=1 --conntrack-min=${current * 2}`);
    expect(raise.rc, raise.out).toBe(1);
    expect(raise.out).toContain('"Error running ProxyServer" err="open /proc/sys/net/netfilter/nf_conntrack_max: permission denied"');
    const leave = tryOnHost(1, `timeout 5 /opt/bin/kube-proxy ${base} --conntrack-max-per-core=0 --conntrack-min=${current * 2}`);
    expect(leave.rc, leave.out).toBe(124);
    expect(Number(onHost(cluster, 1, 'cat /proc/sys/net/netfilter/nf_conntrack_max').trim())).toBe(current);
  });
});

function sshArgs(cluster: TestCluster, i: number): string {
  const h = cluster.hosts[i]!;
  return `-i ${cluster.privateKeyPath} -o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes -o BatchMode=yes -p ${h.port} root@${h.address}`;
}
