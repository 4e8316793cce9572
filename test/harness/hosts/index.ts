// Real SSH hosts with systemd for end-to-end tests: systemd-nspawn containers on a private bridge (see README.md in
// test/, section "Test hosts").

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureBridge, removeBridge } from './bridge.js';
import { TestHostsError } from './errors.js';
import { SUDO_USER, launchHost, powerOffHost, powerOnHost, prepareHost, teardownHost, type HostSpec, type TeardownOptions } from './host.js';
import { generateClientKey, hostPublicKeys, knownHostsPattern } from './keys.js';
import { DEFAULT_MACHINE, MACHINE_KINDS, finishMachine, type MachineKind } from './machine.js';
import { acquireFileLock, withFileLock } from './lock.js';
import { CLUSTER_DIR, LEASE_LOCK, MAX_HOSTS, STATE_LOCK, hostAddress, hostName } from './paths.js';
import { isAlive, isOurNspawn, startTime } from './processes.js';
import {
  hostFolderNames,
  readClusterRecord,
  readHostRecord,
  writeClusterRecord,
  type HostRecord,
} from './record.js';
import { waitUntilReady } from './ready.js';
import { ensureRootfs } from './rootfs.js';
import { hostsUnavailableReason } from './requirements.js';

export { TestHostsError } from './errors.js';
export { hostsUnavailableReason } from './requirements.js';
export { HarnessSsh } from './ssh.js';
export { BRIDGE, BRIDGE_ADDRESS, MAX_HOSTS, hostAddress } from './paths.js';
export { DEFAULT_MACHINE, type MachineKind } from './machine.js';

export interface HostVariant {
  /** Log in as the non-root user `deploy`, whose sudo asks for a (random) password; root login is refused. */
  sudoPassword?: boolean;
  /** sshd listens on this port instead of 22. */
  sshPort?: number;
  /** Overrides the start's `machine` for this host. */
  machine?: MachineKind;
}

export interface StartHostsOptions {
  count: number;
  /**
   * How much of a real machine each host gets (see machine.ts and test/README.md): `full` (default; /dev/kmsg,
   * writable sysctls and cgroup controllers) or `restricted` (nspawn's defaults, like an unprivileged container).
   * `KUBEUP_TEST_HOSTS_MACHINE` sets the default.
   */
  machine?: MachineKind;
  /** Keyed by host number (1 = h1). */
  variants?: Record<number, HostVariant>;
  /** Hosts stay after this process exits, until `npm run hosts -- down` (the CLI's `up`). */
  persistent?: boolean;
  log?: (line: string) => void;
}

export interface TestHost {
  name: string;
  address: string;
  port: number;
  user: string;
  sudoPassword?: string;
  hostKeySha256: string;
  pid: number;
  dir: string;
  machine: MachineKind;
  /** Powers off just this host (like a host dying mid-deploy) and removes its overlay and folder. */
  stop(opts?: TeardownOptions): Promise<void>;
  /** Powers off just this host and keeps its disk (abrupt: the plug pulled); powerOn() boots it again. */
  powerOff(opts?: TeardownOptions): Promise<void>;
  /** Boots a host that powerOff() stopped, from the same disk; resolves once it answers SSH again. */
  powerOn(): Promise<void>;
}

export interface TestCluster {
  hosts: TestHost[];
  privateKeyPath: string;
  publicKey: string;
  /** Lists every host's real keys: for clients that should trust exactly these hosts. */
  knownHostsPath: string;
  stop(): Promise<void>;
}

export interface HostStatus {
  name: string;
  address: string;
  port: number;
  user: string;
  pid: number;
  running: boolean;
  hostKeySha256: string;
  machine: MachineKind;
  sudoPasswordFile?: string;
}

function machineOf(value: string | undefined, field: string): MachineKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(MACHINE_KINDS as readonly string[]).includes(value)) {
    throw new TestHostsError(`machine must be ${MACHINE_KINDS.join(' or ')}, got ${value}`, { field });
  }
  return value as MachineKind;
}

function defaultMachine(opts: StartHostsOptions): MachineKind {
  return machineOf(opts.machine, 'machine') ?? machineOf(process.env.KUBEUP_TEST_HOSTS_MACHINE, 'KUBEUP_TEST_HOSTS_MACHINE') ?? DEFAULT_MACHINE;
}

function checkOptions(opts: StartHostsOptions): void {
  defaultMachine(opts);
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > MAX_HOSTS) {
    throw new TestHostsError(`host count must be a whole number from 1 to ${MAX_HOSTS}, got ${opts.count}`, {
      field: 'count',
    });
  }
  for (const [key, variant] of Object.entries(opts.variants ?? {})) {
    const n = Number(key);
    if (!Number.isInteger(n) || n < 1 || n > opts.count) {
      throw new TestHostsError(`variant for host ${key}, but hosts are numbered 1 to ${opts.count}`, {
        field: `variants.${key}`,
      });
    }
    const port = variant.sshPort;
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new TestHostsError(`sshPort must be 1-65535, got ${port}`, { field: `variants.${key}.sshPort` });
    }
    machineOf(variant.machine, `variants.${key}.machine`);
  }
}

/** The hosts this process runs (a second start here would wait for its own lease forever). */
let clusterOfThisProcess: string | undefined;

/** How long a start waits for the test hosts of another process (another suite, another developer) to stop. */
const LEASE_WAIT_SECONDS = Number(process.env.KUBEUP_TEST_HOSTS_WAIT_SECONDS ?? 420);

function ownerAlive(): { alive: boolean; persistent: boolean; ownerPid: number } | undefined {
  const cluster = readClusterRecord();
  if (!cluster) return undefined;
  const alive = isAlive(cluster.ownerPid) && startTime(cluster.ownerPid) === cluster.ownerStartTime;
  return { alive, persistent: cluster.persistent, ownerPid: cluster.ownerPid };
}

function runningHosts(): HostRecord[] {
  return hostFolderNames()
    .map(readHostRecord)
    .filter((r): r is HostRecord => r !== undefined && r.pid > 0 && isOurNspawn(r.pid, r.rootDir));
}

/**
 * Removes hosts, bridge and key of earlier runs whose owner is gone; refuses while they are in use. Hosts of
 * `npm run hosts -- up` are always in use (until `down`); those of a live test process too, though with the lease
 * held that process has already stopped them.
 */
async function clearLeftovers(): Promise<void> {
  const owner = ownerAlive();
  const running = runningHosts();
  if (running.length > 0 && owner && (owner.persistent || (owner.alive && owner.ownerPid !== process.pid))) {
    const by = owner.persistent ? '`npm run hosts -- up`' : `process ${owner.ownerPid}`;
    throw new TestHostsError(`test hosts ${running.map((r) => r.name).join(', ')} are already running (started by ${by})`, {
      hint: 'stop them with `npm run hosts -- down` (only one set of test hosts can run on a machine)',
    });
  }
  await teardownEverything();
}

async function teardownEverything(): Promise<void> {
  await Promise.all(hostFolderNames().map((name) => teardownHost(name)));
  await removeBridge();
  fs.rmSync(CLUSTER_DIR, { recursive: true, force: true });
}

/** Removes the hosts of one start, and the bridge and key when nothing else is left. Call with STATE_LOCK held. */
async function teardownClusterLocked(clusterId: string): Promise<void> {
  const mine = hostFolderNames().filter((name) => readHostRecord(name)?.clusterId === clusterId);
  await Promise.all(mine.map((name) => teardownHost(name)));
  if (hostFolderNames().length > 0) return;
  await removeBridge();
  if (readClusterRecord()?.clusterId === clusterId) fs.rmSync(CLUSTER_DIR, { recursive: true, force: true });
}

function hostSpecs(opts: StartHostsOptions, clusterId: string): HostSpec[] {
  return Array.from({ length: opts.count }, (_, i) => {
    const index = i + 1;
    const variant = opts.variants?.[index] ?? {};
    return {
      clusterId,
      index,
      name: hostName(index),
      address: hostAddress(index),
      port: variant.sshPort ?? 22,
      sudoPassword: variant.sudoPassword ? randomBytes(12).toString('base64url') : undefined,
      machine: variant.machine ?? defaultMachine(opts),
    };
  });
}

function writeKnownHosts(records: readonly HostRecord[]): string {
  const file = path.join(CLUSTER_DIR, 'known_hosts');
  const lines = records.flatMap((r) => hostPublicKeys(r.rootDir).map((k) => `${knownHostsPattern(r.address, r.port)} ${k}`));
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o644 });
  return file;
}

/** Stops every test host (also those of an earlier run that was killed, or of another process) and removes all traces. */
export async function stopAllHosts(): Promise<void> {
  await withFileLock(STATE_LOCK, teardownEverything);
}

export function hostsStatus(): HostStatus[] {
  return hostFolderNames()
    .map(readHostRecord)
    .filter((r): r is HostRecord => r !== undefined)
    .map((r) => ({
      name: r.name,
      address: r.address,
      port: r.port,
      user: r.user,
      pid: r.pid,
      running: r.pid > 0 && isOurNspawn(r.pid, r.rootDir),
      hostKeySha256: r.hostKeySha256,
      machine: r.machine ?? 'restricted',
      sudoPasswordFile: r.sudoPasswordFile,
    }));
}

export async function startHosts(opts: StartHostsOptions): Promise<TestCluster> {
  checkOptions(opts);
  const unavailable = hostsUnavailableReason();
  if (unavailable) throw new TestHostsError(`cannot start test hosts: ${unavailable}`);
  if (clusterOfThisProcess) {
    throw new TestHostsError('this process already runs test hosts', {
      hint: 'call stop() on the cluster that startHosts returned before starting another one',
    });
  }
  const log = opts.log ?? (() => {});
  const rootfs = await ensureRootfs(log);
  const clusterId = randomBytes(6).toString('hex');
  const specs = hostSpecs(opts, clusterId);

  // One set of hosts per machine: wait while another process's hosts run (its lease ends when it stops or dies).
  const lease = await acquireFileLock(LEASE_LOCK, {
    waitSeconds: LEASE_WAIT_SECONDS,
    detached: true,
    onWait: () => log(`waiting for the test hosts of process ${readClusterRecord()?.ownerPid ?? '?'} to stop`),
    hint: `test hosts of process ${readClusterRecord()?.ownerPid ?? '?'} are still running; wait for it, or stop them with \`npm run hosts -- down\``,
  });
  const teardown = () => withFileLock(STATE_LOCK, () => teardownClusterLocked(clusterId));

  let started: { key: { privateKeyPath: string; publicKey: string }; knownHostsPath: string; records: HostRecord[] };
  try {
    started = await withFileLock(STATE_LOCK, async () => {
      await clearLeftovers();
      try {
        await ensureBridge();
        const key = await generateClientKey(CLUSTER_DIR);
        const knownHostsPath = path.join(CLUSTER_DIR, 'known_hosts');
        writeClusterRecord({
          clusterId,
          ownerPid: process.pid,
          ownerStartTime: startTime(process.pid) ?? '',
          persistent: opts.persistent ?? false,
          privateKeyPath: key.privateKeyPath,
          knownHostsPath,
        });
        const prepared = await Promise.all(specs.map((s) => prepareHost(s, rootfs.path, key.publicKey)));
        const records = prepared.map(launchHost);
        writeKnownHosts(records);
        return { key, knownHostsPath, records };
      } catch (e) {
        await teardownClusterLocked(clusterId);
        throw e;
      }
    });
    const upAndFinished = async (r: HostRecord) => {
      await waitUntilReady(r, started.key.privateKeyPath);
      await finishMachine(r.machine ?? 'restricted', r.name, r.pid);
    };
    await Promise.all(started.records.map(upAndFinished)).catch(
      async (e: unknown) => {
        await teardown();
        throw e;
      },
    );
  } catch (e) {
    await lease.release();
    throw e;
  }
  // Hosts of `up` outlive this process: whoever starts next finds them and is told to run `down`.
  if (opts.persistent) await lease.release();
  else clusterOfThisProcess = clusterId;
  log(`test hosts up: ${started.records.map((r) => r.name).join(', ')}`);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (clusterOfThisProcess === clusterId) clusterOfThisProcess = undefined;
    try {
      await teardown();
    } finally {
      await lease.release();
    }
  };
  const sudoPasswords = new Map(specs.map((s) => [s.name, s.sudoPassword]));
  return {
    hosts: started.records.map((r) => ({
      name: r.name,
      address: r.address,
      port: r.port,
      user: r.user,
      sudoPassword: sudoPasswords.get(r.name),
      hostKeySha256: r.hostKeySha256,
      pid: r.pid,
      dir: r.dir,
      machine: r.machine ?? 'restricted',
      // After the cluster's stop() the names may belong to someone else's hosts: then there is nothing to do.
      stop: async (stopOpts?: TeardownOptions) => {
        if (stopped) return;
        await withFileLock(STATE_LOCK, async () => {
          if (readHostRecord(r.name)?.clusterId === clusterId) await teardownHost(r.name, stopOpts);
        });
      },
      powerOff: async (offOpts?: TeardownOptions) => {
        await withFileLock(STATE_LOCK, async () => {
          if (readHostRecord(r.name)?.clusterId === clusterId) await powerOffHost(r.name, offOpts);
        });
      },
      powerOn: async () => {
        const booted = await withFileLock(STATE_LOCK, async () => powerOnHost(r.name));
        await waitUntilReady(booted, started.key.privateKeyPath);
        await finishMachine(booted.machine ?? 'restricted', booted.name, booted.pid);
      },
    })),
    privateKeyPath: started.key.privateKeyPath,
    publicKey: started.key.publicKey,
    knownHostsPath: started.knownHostsPath,
    stop,
  };
}

export { SUDO_USER };
