/**
 * What the real kubelet and kube-proxy need from their machine, checked where and as they check it, so that a host
 * that would stop the real binaries stops the stand-ins too (test/README.md, "Modelled behaviours"):
 * - kubelet's OOM watcher opens /dev/kmsg when the kubelet is created (pkg/kubelet/oom/oom_watcher_linux.go, through
 *   cadvisor's utils/oomparser); an error is fatal outside a user namespace (pkg/kubelet/kubelet.go NewMainKubelet);
 * - kubelet's container manager, once the runtime is up, sets six kernel tunables (or, with protectKernelDefaults,
 *   refuses values that differ) and makes the kubepods cgroup with its QoS children in every controller
 *   (pkg/kubelet/cm/container_manager_linux.go setupKernelTunables/setupNode, node_container_manager_linux.go,
 *   qos_container_manager_linux.go);
 * - kube-proxy raises nf_conntrack_max and the conntrack timeouts before it makes its proxier
 *   (cmd/kube-proxy/app/server_linux.go setupConntrack, cmd/kube-proxy/app/conntrack.go).
 * One deliberate difference: kernel.* and vm.* are global settings of the machine under the test hosts, so where the
 * real kubelet writes its value, the stand-in writes back the value it read. The write fails or succeeds exactly as
 * the real one would; the machine is left as it was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { klog } from './klog.js';
import { goOpenError, goPathError } from './pki.js';

/** Opens /dev/kmsg for reading as the OOM watcher does; the Go error text when it cannot. */
export function openKmsg(): string | undefined {
  try {
    fs.closeSync(fs.openSync('/dev/kmsg', 'r'));
    return undefined;
  } catch (err) {
    return goOpenError('/dev/kmsg', err);
  }
}

/** kubelet's desired kernel tunables (k8s.io/component-helpers/node/util/sysctl), in a fixed order. */
const KERNEL_TUNABLES: readonly [string, number][] = [
  ['vm/overcommit_memory', 1],
  ['vm/panic_on_oom', 0],
  ['kernel/panic', 10],
  ['kernel/panic_on_oops', 1],
  ['kernel/keys/root_maxkeys', 1000000],
  ['kernel/keys/root_maxbytes', 25000000],
];

export type KernelTunableBehavior = 'modify' | 'error';

/** setupKernelTunables: the errors the real one would aggregate (empty when it would pass). */
export function kernelTunables(behavior: KernelTunableBehavior, procSys = '/proc/sys'): string[] {
  const log = klog('container_manager_linux.go:458');
  const errors: string[] = [];
  for (const [flag, expected] of KERNEL_TUNABLES) {
    const file = path.join(procSys, flag);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      errors.push(goOpenError(file, err));
      continue;
    }
    const actual = Number(text);
    if (actual === expected) continue;
    if (behavior === 'error') {
      errors.push(`invalid kernel flag: ${flag}, expected value: ${expected}, actual value: ${actual}`);
      continue;
    }
    log.v(2, 'Updating kernel flag', { flag, expectedValue: expected, actualValue: actual });
    try {
      // The real kubelet writes `expected`; this one proves it could, without changing the machine (see above).
      fs.writeFileSync(file, text);
    } catch (err) {
      errors.push(goOpenError(file, err));
    }
  }
  return errors;
}

/** v1 controllers in the order the systemd cgroup manager creates them (opencontainers/cgroups systemd/v1.go). */
const V1_SUBSYSTEMS = ['cpuset', 'devices', 'memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'hugetlb', 'perf_event', 'freezer', 'net_prio', 'net_cls', 'rdma', 'misc'];

function mkdirCgroup(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  // cpuset takes no task until it has CPUs and memory nodes: libcontainer copies them from the parent.
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const file = path.join(dir, f);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() === '') {
      fs.writeFileSync(file, fs.readFileSync(path.join(path.dirname(dir), f), 'utf8'));
    }
  }
}

/**
 * Makes the pod cgroup root and its QoS cgroups (kubepods.slice, kubepods-burstable.slice, kubepods-besteffort.slice
 * for the systemd driver; kubepods, burstable, besteffort for cgroupfs) in every mounted controller, or in the one
 * cgroup v2 hierarchy. Returns the Go error of the first that cannot be made.
 */
export function podCgroupRoot(driver: 'systemd' | 'cgroupfs', root = '/sys/fs/cgroup'): string | undefined {
  const names =
    driver === 'systemd'
      ? ['kubepods.slice', 'kubepods.slice/kubepods-burstable.slice', 'kubepods.slice/kubepods-besteffort.slice']
      : ['kubepods', 'kubepods/burstable', 'kubepods/besteffort'];
  const unified = fs.existsSync(path.join(root, 'cgroup.controllers'));
  const hierarchies = unified ? [root] : V1_SUBSYSTEMS.map((s) => path.join(root, s)).filter((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
  for (const name of names) {
    for (const h of hierarchies) {
      const dir = path.join(h, name);
      try {
        mkdirCgroup(dir);
      } catch (err) {
        return goPathError('mkdir', dir, err);
      }
    }
  }
  return undefined;
}

export interface ConntrackConfig {
  maxPerCore: number;
  min: number;
  /** Seconds; 0 = leave as is. */
  tcpEstablishedTimeout: number;
  tcpCloseWaitTimeout: number;
}

/** KubeProxyConntrackConfiguration defaults of v1alpha1 (pkg/proxy/apis/config/v1alpha1/defaults.go). */
export const CONNTRACK_DEFAULTS: ConntrackConfig = { maxPerCore: 32768, min: 131072, tcpEstablishedTimeout: 86400, tcpCloseWaitTimeout: 3600 };

/** conntrack.go setIntSysCtl: writes only when the value is lower than wanted. */
export function raiseConntrackSysctl(name: string, value: number, procSys = '/proc/sys'): string | undefined {
  const entry = `net/netfilter/${name}`;
  const file = path.join(procSys, entry);
  let current = 0;
  try {
    current = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    // The real one ignores a read error and then fails on the write.
  }
  if (current === value || current > value) return undefined;
  klog('conntrack.go:120').info('Set sysctl', { entry, value });
  try {
    fs.writeFileSync(file, String(value));
    return undefined;
  } catch (err) {
    return goOpenError(file, err);
  }
}

/** Whether the first sysfs mount is read-write (conntrack.go isSysFSWritable). */
function sysfsWritable(): boolean {
  const line = fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[2] === 'sysfs');
  return (line?.split(' ')[3] ?? '').split(',')[0] === 'rw';
}

/**
 * server_linux.go setupConntrack: nf_conntrack_max = max(maxPerCore x CPUs, min) when maxPerCore > 0 (0 = leave
 * the machine's value), then the two TCP timeouts. Returns the error that stops kube-proxy, or undefined.
 */
export function setupConntrack(c: ConntrackConfig, procSys = '/proc/sys'): string | undefined {
  const log = klog('server_linux.go:278');
  if (c.maxPerCore > 0) {
    const scaled = c.maxPerCore * os.cpus().length;
    const max = scaled > c.min ? scaled : c.min;
    const err = raiseConntrackSysctl('nf_conntrack_max', max, procSys);
    if (err) return err;
    klog('conntrack.go:67').info('Setting nf_conntrack_max', { nfConntrackMax: max });
    const hashsizeFile = '/sys/module/nf_conntrack/parameters/hashsize';
    let hashsize: number;
    try {
      hashsize = Number(fs.readFileSync(hashsizeFile, 'utf8').trim());
    } catch (err) {
      // conntrack.go returns the read error: fatal, as for the real one in a container without /sys/module.
      return goOpenError(hashsizeFile, err);
    }
    if (hashsize < max / 4) {
      if (!sysfsWritable()) {
        // errReadOnlySysFS: an event, not a failure.
        log.warning('CRI error: /sys is read-only: cannot modify conntrack limits, problems may arise later (If running Docker, see docker issue #24000)');
      } else {
        klog('conntrack.go:96').info('Setting conntrack hashsize', { conntrackHashsize: max / 4 });
        fs.writeFileSync('/sys/module/nf_conntrack/parameters/hashsize', String(max / 4));
      }
    }
  }
  if (c.tcpEstablishedTimeout > 0) {
    const err = raiseConntrackSysctl('nf_conntrack_tcp_timeout_established', c.tcpEstablishedTimeout, procSys);
    if (err) return err;
  }
  if (c.tcpCloseWaitTimeout > 0) {
    const err = raiseConntrackSysctl('nf_conntrack_tcp_timeout_close_wait', c.tcpCloseWaitTimeout, procSys);
    if (err) return err;
  }
  return undefined;
}
