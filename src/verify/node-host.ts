// What kubelet and kube-proxy need from a node's machine that containers (LXC/LXD, systemd-nspawn, ...) often lack,
// read from preflight's probe. Each finding says what the real binary does without it and how to get past it.
// Upstream: kubelet's OOM watcher opens /dev/kmsg (pkg/kubelet/oom/oom_watcher_linux.go, fatal in NewMainKubelet);
// its container manager sets kernel tunables and makes kubepods in every cgroup controller
// (pkg/kubelet/cm/container_manager_linux.go setupKernelTunables/setupNode); kube-proxy raises nf_conntrack_max to
// max(maxPerCore x CPUs, min) and exits when it cannot (cmd/kube-proxy/app/server_linux.go setupConntrack).
import type { PreflightFinding } from './preflight.js';

/** Lines of the preflight probe (sh) that gather these facts; each prints KEY=value. Read-only, no sudo. */
export const NODE_HOST_PROBE: readonly string[] = [
  'v=$(systemd-detect-virt -c 2>/dev/null); [ -n "$v" ] || v=$(cat /run/systemd/container 2>/dev/null); echo "virt=${v:-none}"',
  'echo "kmsg=$([ -e /dev/kmsg ] && echo yes || echo no)"',
  'echo "procsys=$(findmnt -n -o OPTIONS --target /proc/sys 2>/dev/null | cut -d, -f1)"',
  'for k in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do echo "sysctl_$(echo $k | tr / .)=$(cat /proc/sys/$k 2>/dev/null)"; done',
  'echo "cgroupfs=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)"',
  'echo "cgroup=$( (findmnt -n -o OPTIONS /sys/fs/cgroup/memory || findmnt -n -o OPTIONS /sys/fs/cgroup) 2>/dev/null | head -n 1 | cut -d, -f1)"',
  'echo "ctmax=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null)"',
  'echo "ctmode=$(stat -L -c %a /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null)"',
  'echo "cthash=$([ -e /sys/module/nf_conntrack/parameters/hashsize ] && echo yes || echo no)"',
  'echo "cpus=$(nproc 2>/dev/null)"',
];

/** kubelet's desired kernel tunables (k8s.io/component-helpers/node/util/sysctl). */
export const KUBELET_SYSCTLS: readonly [string, number][] = [
  ['vm.overcommit_memory', 1],
  ['vm.panic_on_oom', 0],
  ['kernel.panic', 10],
  ['kernel.panic_on_oops', 1],
  ['kernel.keys.root_maxkeys', 1000000],
  ['kernel.keys.root_maxbytes', 25000000],
];

/** kube-proxy's default conntrack.maxPerCore and conntrack.min (v1alpha1 defaults). */
const CONNTRACK_MAX_PER_CORE = 32768;
const CONNTRACK_MIN = 131072;

export interface NodeHostInput {
  /** `hosts[i]`, for hints that name a profile field. */
  field: string;
  /** The profile marks the host as a container (`hosts[i].container`). */
  container: boolean;
  /** The profile's `extraArgs.kubelet`. */
  kubeletArgs: readonly string[];
}

/** The value of `--name=value` (or `true` for a bare `--name`) in a flag list. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (const a of args) {
    if (a === `--${name}`) return 'true';
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Findings for a worker: problems stop the deploy (the real binary would exit), warnings only inform. */
export function nodeHostFindings(f: Record<string, string>, input: NodeHostInput): { problems: PreflightFinding[]; warnings: PreflightFinding[] } {
  const problems: PreflightFinding[] = [];
  const warnings: PreflightFinding[] = [];
  const virt = f.virt && f.virt !== 'none' ? f.virt : undefined;
  if (virt && !input.container) {
    warnings.push({
      check: 'container',
      message: `the host is a container (${virt}); kubelet and kube-proxy need things containers often lack`,
      hint: `set ${input.field}.container: true in the profile: it renders what a container needs, kube-proxy conntrack.maxPerCore: 0`,
    });
  }

  if (f.kmsg === 'no') {
    problems.push({
      check: 'kmsg',
      message: '/dev/kmsg is missing: kubelet exits at start (its OOM watcher opens it: "failed to create kubelet: open /dev/kmsg: no such file or directory")',
      hint:
        'give the host the kernel\'s /dev/kmsg (LXC/LXD: lxc.mount.entry = /dev/kmsg dev/kmsg none bind,optional,create=file; systemd-nspawn: --bind=/dev/kmsg), ' +
        'or link it to the console as kind does (ln -s /dev/console /dev/kmsg); no kubelet setting skips it outside a user namespace',
    });
  }

  if (f.procsys === 'ro') {
    const off = KUBELET_SYSCTLS.filter(([k, want]) => f[`sysctl_${k}`] !== undefined && f[`sysctl_${k}`] !== '' && Number(f[`sysctl_${k}`]) !== want);
    if (off.length > 0) {
      problems.push({
        check: 'kernel tunables',
        message: `/proc/sys is read-only and kubelet must set ${off.map(([k, want]) => `${k}=${want} (is ${f[`sysctl_${k}`]})`).join(', ')}: its container manager stops it ("Failed to start ContainerManager")`,
        hint:
          `set them on the machine that runs this container (sysctl -w ${off.map(([k, want]) => `${k}=${want}`).join(' ')}) or make /proc/sys writable in it; ` +
          'no kubelet setting skips them (protectKernelDefaults: true only turns the write into an error)',
      });
    }
  }

  const cgroupsPerQos = flagValue(input.kubeletArgs, 'cgroups-per-qos');
  if (f.cgroup === 'ro' && cgroupsPerQos !== 'false') {
    problems.push({
      check: 'cgroups',
      message: `the cgroup controllers (${f.cgroupfs === 'cgroup2fs' ? 'cgroup v2' : 'cgroup v1'}) are read-only: kubelet cannot make kubepods.slice and stops ("Failed to start ContainerManager"); pods could not run either`,
      hint:
        'delegate writable cgroups to the container (LXD: security.nesting=true; systemd-nspawn: its own writable cgroup), ' +
        'or, for a node that only registers and runs no pods, add --cgroups-per-qos=false and --enforce-node-allocatable= to extraArgs.kubelet',
    });
  }

  const ctmax = Number(f.ctmax);
  const cpus = Number(f.cpus);
  if (!input.container && f.ctmode === '444' && Number.isFinite(ctmax) && f.ctmax !== '' && cpus > 0) {
    const wanted = Math.max(CONNTRACK_MAX_PER_CORE * cpus, CONNTRACK_MIN);
    if (ctmax < wanted) {
      problems.push({
        check: 'conntrack',
        message: `net.netfilter.nf_conntrack_max is read-only here (a network namespace of its own) and ${ctmax}, below the ${wanted} kube-proxy sets for ${cpus} CPUs: kube-proxy exits ("open /proc/sys/net/netfilter/nf_conntrack_max: permission denied")`,
        hint: `set ${input.field}.container: true in the profile (kube-proxy conntrack.maxPerCore: 0 leaves the value as it is), or raise it on the machine that runs this container (sysctl -w net.netfilter.nf_conntrack_max=${wanted})`,
      });
    } else if (f.cthash === 'no') {
      problems.push({
        check: 'conntrack',
        message: 'the host has no /sys/module/nf_conntrack/parameters/hashsize (its /sys shows no /sys/module): kube-proxy reads it after nf_conntrack_max and exits ("open /sys/module/nf_conntrack/parameters/hashsize: no such file or directory")',
        hint: `set ${input.field}.container: true in the profile (kube-proxy conntrack.maxPerCore: 0 skips both), or give the container /sys/module (systemd-nspawn: --bind-ro=/sys/module)`,
      });
    }
  }
  return { problems, warnings };
}
