// Where the test hosts live on this machine. One set of hosts at a time: they share the bridge and the addresses.

import path from 'node:path';

export const BRIDGE = 'kbr0';
export const BRIDGE_ADDRESS = '192.168.213.1';
export const PREFIX_LENGTH = 24;
export const MAX_HOSTS = 16;

/** Cached shared root filesystems, one per recipe hash. */
export const CACHE_DIR = process.env.KUBEUP_TEST_CACHE_DIR ?? '/var/cache/kubeup-test';

/** State of the running hosts: the client key, known_hosts, one folder per host (overlay, console log, record). */
export const STATE_DIR = process.env.KUBEUP_TEST_HOSTS_DIR ?? '/var/lib/kubeup-test-hosts';

/** Held briefly by whoever changes the state (start, stop, down). */
export const STATE_LOCK = path.join(STATE_DIR, '.lock');
/** Held by the process whose test hosts run, for as long as they run: the next one waits its turn. */
export const LEASE_LOCK = path.join(STATE_DIR, '.lease');
export const HOSTS_DIR = path.join(STATE_DIR, 'hosts');
export const CLUSTER_DIR = path.join(STATE_DIR, 'cluster');
export const CLUSTER_RECORD = path.join(CLUSTER_DIR, 'cluster.json');

export const CGROUP_ROOTS_V1_HYBRID = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];

export function hostName(index: number): string {
  return `h${index}`;
}

export function hostAddress(index: number): string {
  return `192.168.213.${10 + index}`;
}

export function hostDir(name: string): string {
  return path.join(HOSTS_DIR, name);
}

export function cgroupName(name: string): string {
  return `kubeup-${name}`;
}
