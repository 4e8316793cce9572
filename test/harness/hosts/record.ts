// What the harness writes down about each host, so that a later process (`npm run hosts -- down`, the next test run)
// can find and clean up what an earlier, possibly killed, process started.

import fs from 'node:fs';
import path from 'node:path';
import type { MachineKind } from './machine.js';
import { CLUSTER_RECORD, HOSTS_DIR, hostDir } from './paths.js';

export interface HostRecord {
  /** The start that made this host: a cluster's stop() removes only its own hosts. */
  clusterId: string;
  index: number;
  name: string;
  address: string;
  port: number;
  user: string;
  dir: string;
  rootDir: string;
  /** PID of systemd-nspawn; 0 until it is started. */
  pid: number;
  cgroupDirs: string[];
  /** How much of a real machine it gets (machine.ts); records of older runs have none: restricted. */
  machine?: MachineKind;
  hostKeySha256: string;
  /** File (mode 0600) holding the sudo password, for the variant whose sudo needs one. */
  sudoPasswordFile?: string;
}

export interface ClusterRecord {
  clusterId: string;
  /** The process that started the hosts; they are leftovers once it is gone, unless `persistent`. */
  ownerPid: number;
  ownerStartTime: string;
  /** Started by `npm run hosts -- up`: hosts outlive their starter and stay until `down`. */
  persistent: boolean;
  privateKeyPath: string;
  knownHostsPath: string;
}

function recordFile(name: string): string {
  return path.join(hostDir(name), 'host.json');
}

export function writeHostRecord(record: HostRecord): void {
  fs.writeFileSync(recordFile(record.name), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function readHostRecord(name: string): HostRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordFile(name), 'utf8')) as HostRecord;
  } catch {
    return undefined;
  }
}

/** Names of the host folders present, in host order (h1, h2, ..., h10). */
export function hostFolderNames(): string[] {
  if (!fs.existsSync(HOSTS_DIR)) return [];
  return fs
    .readdirSync(HOSTS_DIR)
    .filter((n) => /^h\d+$/.test(n))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

export function writeClusterRecord(record: ClusterRecord): void {
  fs.mkdirSync(path.dirname(CLUSTER_RECORD), { recursive: true, mode: 0o700 });
  fs.writeFileSync(CLUSTER_RECORD, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function readClusterRecord(): ClusterRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(CLUSTER_RECORD, 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}
