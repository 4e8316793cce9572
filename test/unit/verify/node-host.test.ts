import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/profile/types.js';
import type { HostSession } from '../../../src/ssh/session.js';
import { nodeHostFindings } from '../../../src/verify/node-host.js';
import { preflightHost } from '../../../src/verify/preflight.js';

/** A real machine as the probe sees it: no container, kmsg, writable /proc/sys and cgroups, conntrack writable. */
const REAL: Record<string, string> = {
  virt: 'none',
  kmsg: 'yes',
  procsys: 'rw',
  'sysctl_vm.overcommit_memory': '0',
  'sysctl_vm.panic_on_oom': '0',
  'sysctl_kernel.panic': '1',
  'sysctl_kernel.panic_on_oops': '0',
  'sysctl_kernel.keys.root_maxkeys': '1000000',
  'sysctl_kernel.keys.root_maxbytes': '25000000',
  cgroupfs: 'tmpfs',
  cgroup: 'rw',
  ctmax: '65536',
  ctmode: '644',
  cthash: 'yes',
  cpus: '2',
};
/** An unprivileged container: what the harness's restricted hosts show. */
const RESTRICTED = { ...REAL, virt: 'lxc', kmsg: 'no', procsys: 'ro', cgroup: 'ro', ctmode: '444', cthash: 'no' };
const input = { field: 'hosts[1]', container: false, kubeletArgs: [] as string[] };

describe('preflight: what a container lacks for kubelet and kube-proxy', () => {
  it('finds nothing on a real machine, whatever its sysctls and conntrack limit (kubelet and kube-proxy set them)', () => {
    expect(nodeHostFindings(REAL, input)).toEqual({ problems: [], warnings: [] });
  });

  it('reports each missing capability with what the real binary does and what works around it', () => {
    const { problems, warnings } = nodeHostFindings(RESTRICTED, input);
    expect(warnings).toEqual([
      {
        check: 'container',
        message: 'the host is a container (lxc); kubelet and kube-proxy need things containers often lack',
        hint: 'set hosts[1].container: true in the profile: it renders what a container needs, kube-proxy conntrack.maxPerCore: 0',
      },
    ]);
    expect(problems.map((p) => p.check)).toEqual(['kmsg', 'kernel tunables', 'cgroups', 'conntrack']);
    const [kmsg, tunables, cgroups, conntrack] = problems;
    expect(kmsg?.message).toBe('/dev/kmsg is missing: kubelet exits at start (its OOM watcher opens it: "failed to create kubelet: open /dev/kmsg: no such file or directory")');
    expect(kmsg?.hint).toContain('lxc.mount.entry = /dev/kmsg dev/kmsg none bind,optional,create=file');
    expect(kmsg?.hint).toContain('ln -s /dev/console /dev/kmsg');
    expect(tunables?.message).toBe(
      '/proc/sys is read-only and kubelet must set vm.overcommit_memory=1 (is 0), kernel.panic=10 (is 1), kernel.panic_on_oops=1 (is 0): its container manager stops it ("Failed to start ContainerManager")',
    );
    expect(tunables?.hint).toContain('sysctl -w vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1');
    expect(cgroups?.message).toBe(
      'the cgroup controllers (cgroup v1) are read-only: kubelet cannot make kubepods.slice and stops ("Failed to start ContainerManager"); pods could not run either',
    );
    expect(cgroups?.hint).toContain('--cgroups-per-qos=false and --enforce-node-allocatable= to extraArgs.kubelet');
    expect(conntrack?.message).toBe(
      'net.netfilter.nf_conntrack_max is read-only here (a network namespace of its own) and 65536, below the 131072 kube-proxy sets for 2 CPUs: kube-proxy exits ("open /proc/sys/net/netfilter/nf_conntrack_max: permission denied")',
    );
    expect(conntrack?.hint).toBe(
      'set hosts[1].container: true in the profile (kube-proxy conntrack.maxPerCore: 0 leaves the value as it is), or raise it on the machine that runs this container (sysctl -w net.netfilter.nf_conntrack_max=131072)',
    );
  });

  it('lets each workaround clear its own finding', () => {
    // Tunables already at kubelet's values: read-only /proc/sys does not matter.
    const tuned = { ...RESTRICTED, 'sysctl_vm.overcommit_memory': '1', 'sysctl_kernel.panic': '10', 'sysctl_kernel.panic_on_oops': '1' };
    expect(nodeHostFindings(tuned, input).problems.map((p) => p.check)).toEqual(['kmsg', 'cgroups', 'conntrack']);
    // kind's symlink to the console, the kubelet flags for read-only cgroups, and the profile's container switch.
    const rest = nodeHostFindings({ ...tuned, kmsg: 'yes' }, { ...input, container: true, kubeletArgs: ['--cgroups-per-qos=false', '--enforce-node-allocatable='] });
    expect(rest).toEqual({ problems: [], warnings: [] });
    // A conntrack limit at or above what kube-proxy wants is left alone: nothing to raise; but kube-proxy then reads
    // nf_conntrack's hashsize, which a /sys without /sys/module lacks (the harness's restricted hosts).
    const high = { ...tuned, kmsg: 'yes', ctmax: '262144' };
    expect(nodeHostFindings({ ...high, cthash: 'yes' }, { ...input, kubeletArgs: ['--cgroups-per-qos=false'] }).problems).toEqual([]);
    const noModule = nodeHostFindings(high, { ...input, kubeletArgs: ['--cgroups-per-qos=false'] }).problems;
    expect(noModule.map((p) => p.message)).toEqual([
      'the host has no /sys/module/nf_conntrack/parameters/hashsize (its /sys shows no /sys/module): kube-proxy reads it after nf_conntrack_max and exits ("open /sys/module/nf_conntrack/parameters/hashsize: no such file or directory")',
    ]);
    expect(nodeHostFindings(high, { ...input, container: true, kubeletArgs: ['--cgroups-per-qos=false'] }).problems).toEqual([]);
  });

  it('names cgroup v2 when the controllers are a read-only cgroup2 mount', () => {
    const p = nodeHostFindings({ ...REAL, cgroupfs: 'cgroup2fs', cgroup: 'ro' }, input).problems;
    expect(p.map((x) => x.message)).toEqual([expect.stringContaining('the cgroup controllers (cgroup v2) are read-only')]);
  });
});

describe('preflight of a worker on a container host', () => {
  /** A session whose probe answers with `facts`; sudo answers root. */
  const session = (facts: Record<string, string>) =>
    ({
      exec: async (argv: string[]) => ({
        code: 0,
        stdout: argv[0] === 'id' ? '0\n' : Object.entries({ os: 'Linux', machine: 'x86_64', hostname: 'h3', systemd: 'yes', epoch: '100', tool_iptables: 'yes', tool_conntrack: 'yes', tool_socat: 'yes', tool_openssl: 'yes', ...facts }).map(([k, v]) => `${k}=${v}`).join('\n'),
        stderr: '',
      }),
    }) as unknown as HostSession;
  const run = (facts: Record<string, string>, roles: Role[], kubeletArgs: string[] = []) =>
    preflightHost(session(facts), { roles, apiServerPort: 6443, localEpochSeconds: 100, node: { field: 'hosts[2]', container: false, kubeletArgs } });

  it('checks workers only, and honours the kubelet flags that work around swap and read-only cgroups', async () => {
    const restricted = { ...RESTRICTED, swap: '1' };
    expect((await run(restricted, ['master'])).problems).toEqual([]);
    expect((await run(restricted, ['worker'])).problems.map((p) => p.check)).toEqual(['swap', 'kmsg', 'kernel tunables', 'cgroups', 'conntrack']);
    const flags = ['--fail-swap-on=false', '--cgroups-per-qos=false', '--enforce-node-allocatable='];
    expect((await run(restricted, ['worker'], flags)).problems.map((p) => p.check)).toEqual(['kmsg', 'kernel tunables', 'conntrack']);
  });
});
