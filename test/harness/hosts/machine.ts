// How much of a real machine a test host gets. `restricted` is systemd-nspawn's default, like an unprivileged
// LXC/nspawn container: no /dev/kmsg, /proc/sys and /sys read-only (except /proc/sys/net), cgroup controllers
// read-only. `full` gives what kind gives its node containers (kubernetes-sigs/kind
// pkg/cluster/internal/providers/docker/provision.go: --privileged, own cgroup namespace; images/base/files/usr/
// local/bin/entrypoint fix_kmsg), as far as nspawn allows without touching the rest of this machine:
// - /dev/kmsg: the kernel's own, bound in (kind falls back to a symlink to /dev/console; a real one is better);
// - /proc/sys writable, made so once the host runs, with systemd-sysctl masked: the kernel.* and vm.* settings are
//   this machine's, and Debian's sysctl.d defaults must not change them. /sys stays read-only as kind keeps it
//   (its entrypoint remounts it so): with a writable /sys, systemd-networkd waits for a udev that containers do not
//   run, and the host never gets its address (SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 does exactly that);
// - its own cgroup in every v1 controller (next to the systemd and unified ones every host has), made writable
//   inside once the host runs (nspawn mounts the controllers read-only and has no option against that);
// - CAP_SYSLOG, CAP_IPC_LOCK, CAP_SYS_RESOURCE on top of nspawn's set. Not CAP_SYS_TIME (a host could set this
//   machine's clock) nor CAP_SYS_MODULE (modules are this machine's).
// What no configuration can give: net.netfilter.nf_conntrack_max is read-only in every network namespace but the
// first (the kernel makes it so), and the hosts need their own network namespace on the bridge.

import fs from 'node:fs';
import path from 'node:path';
import { TestHostsError } from './errors.js';
import { run } from './run.js';

export type MachineKind = 'full' | 'restricted';
export const MACHINE_KINDS: readonly MachineKind[] = ['full', 'restricted'];
/** What e2e suites get unless they ask: the closest to a real machine this machine can give. */
export const DEFAULT_MACHINE: MachineKind = 'full';

const EXTRA_CAPABILITIES: Record<string, number> = { CAP_IPC_LOCK: 14, CAP_SYS_RESOURCE: 24, CAP_SYSLOG: 34 };

/** Only what this machine itself holds can be handed on (here CAP_SYS_RESOURCE is not in its bounding set). */
function grantable(): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  const bounding = BigInt(`0x${m?.[1] ?? '0'}`);
  return Object.entries(EXTRA_CAPABILITIES)
    .filter(([, bit]) => (bounding >> BigInt(bit)) & 1n)
    .map(([name]) => name);
}

/** Extra systemd-nspawn arguments for a kind of machine. */
export function nspawnMachineArgs(kind: MachineKind): string[] {
  if (kind === 'restricted') return [];
  const caps = grantable();
  const args = caps.length > 0 ? [`--capability=${caps.join(',')}`] : [];
  if (fs.existsSync('/dev/kmsg')) args.push('--bind=/dev/kmsg');
  // nspawn's /sys has no /sys/module; kube-proxy reads nf_conntrack's hashsize there and exits without it.
  if (fs.existsSync('/sys/module')) args.push('--bind-ro=/sys/module');
  return args;
}

/** Files written into a host's overlay before it boots. */
export function prepareMachineRoot(kind: MachineKind, rootDir: string): void {
  if (kind === 'restricted') return;
  const unit = path.join(rootDir, 'etc/systemd/system/systemd-sysctl.service');
  fs.mkdirSync(path.dirname(unit), { recursive: true });
  fs.rmSync(unit, { force: true });
  fs.symlinkSync('/dev/null', unit);
}

/** v1 controller hierarchies mounted on this machine (cpu, memory, pids, ...), not the named systemd one. */
export function v1Controllers(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[f.indexOf('-') + 1] === 'cgroup' && !(f[f.indexOf('-') + 3] ?? '').includes('name='))
    .map((f) => f[4] ?? '')
    .filter((mp) => mp.startsWith('/sys/fs/cgroup/'))
    .sort();
}

/** A host's own cgroup in each v1 controller: the folders to make before it starts (`full` machines only). */
export function controllerCgroupDirs(kind: MachineKind, cgroupName: string): string[] {
  if (kind === 'restricted') return [];
  return v1Controllers().map((mp) => path.join(mp, cgroupName));
}

/** cpuset refuses a task until the cgroup has CPUs and memory nodes: copy the parent's. */
export function initControllerCgroup(dir: string): void {
  if (!fs.existsSync(path.join(dir, 'cpuset.cpus'))) return;
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    if (fs.readFileSync(path.join(dir, f), 'utf8').trim() === '') {
      fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(path.dirname(dir), f), 'utf8'));
    }
  }
}

/** PID 1 of the container that systemd-nspawn `nspawnPid` runs. */
function containerInit(nspawnPid: number): number | undefined {
  const children = fs.readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').trim().split(/\s+/);
  const pid = Number(children[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Read-only mounts inside the container that a full machine has writable: /proc/sys and the cgroup controllers. */
function mountsToOpen(initPid: number): string[] {
  return fs
    .readFileSync(`/proc/${initPid}/mountinfo`, 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => (f[5] ?? '').split(',').includes('ro'))
    .filter((f) => {
      const mp = f[4] ?? '';
      const type = f[f.indexOf('-') + 1];
      return (type === 'proc' && mp === '/proc/sys') || (type === 'cgroup' && mp.startsWith('/sys/fs/cgroup/') && !mp.endsWith('/systemd'));
    })
    .map((f) => f[4] ?? '');
}

/**
 * Once a `full` host runs: remounts /proc/sys and its cgroup controllers writable inside it. Each controller shows
 * only the host's own cgroup (nspawn gives it a cgroup namespace), so the host can make kubepods there and nothing
 * above.
 */
export async function finishMachine(kind: MachineKind, name: string, nspawnPid: number): Promise<void> {
  if (kind === 'restricted') return;
  const init = containerInit(nspawnPid);
  if (init === undefined) throw new TestHostsError(`test host ${name}: systemd-nspawn (pid ${nspawnPid}) has no container process`, { host: name });
  for (const mp of mountsToOpen(init)) {
    await run(['nsenter', '-t', String(init), '-m', 'mount', '-o', 'remount,bind,rw,nosuid,nodev,noexec', mp], {
      hint: `a full machine needs writable /proc/sys and cgroup controllers; start the host with machine: 'restricted' instead`,
    });
  }
}
