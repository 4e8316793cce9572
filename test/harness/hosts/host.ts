// One test host: an overlay on the shared root filesystem, booted by systemd-nspawn with systemd as PID 1, on the
// bridge with its own address, host keys and machine-id.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createHostCgroups, hostCgroupDirs, removeHostCgroups } from './cgroups.js';
import { TestHostsError } from './errors.js';
import { fingerprintOfPublicKeyLine } from './keys.js';
import { nspawnMachineArgs, prepareMachineRoot, type MachineKind } from './machine.js';
import { BRIDGE, PREFIX_LENGTH, hostDir } from './paths.js';
import { isOurNspawn, signalAndWait } from './processes.js';
import { readHostRecord, writeHostRecord, type HostRecord } from './record.js';
import { run } from './run.js';

export const SUDO_USER = 'deploy';
const POWEROFF_WAIT_MS = 10_000;

export interface HostSpec {
  clusterId: string;
  index: number;
  name: string;
  address: string;
  port: number;
  /** Set for the variant whose login is the non-root `deploy` user with a password-protected sudo. */
  sudoPassword?: string;
  machine: MachineKind;
}

function writeFile(root: string, rel: string, content: string, mode = 0o644): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode); // the umask must not loosen or tighten it
}

function authorize(root: string, home: string, publicKey: string, uid: number, gid: number): void {
  const sshDir = path.join(root, home, '.ssh');
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(sshDir, 0o700);
  writeFile(root, path.join(home, '.ssh/authorized_keys'), `${publicKey}\n`, 0o600);
  fs.chownSync(sshDir, uid, gid);
  fs.chownSync(path.join(sshDir, 'authorized_keys'), uid, gid);
}

function userIds(root: string, user: string): { uid: number; gid: number; home: string } {
  const line = fs
    .readFileSync(path.join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const f = line?.split(':');
  if (!f || f.length < 7) throw new TestHostsError(`user ${user} missing from ${root}/etc/passwd`);
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${user}` };
}

async function addSudoUser(root: string, password: string, publicKey: string): Promise<void> {
  await run(['chroot', root, 'useradd', '--create-home', '--shell', '/bin/bash', SUDO_USER]);
  await run(['chroot', root, 'chpasswd'], { stdin: `${SUDO_USER}:${password}\n` });
  const { uid, gid, home } = userIds(root, SUDO_USER);
  authorize(root, home, publicKey, uid, gid);
  writeFile(root, `etc/sudoers.d/${SUDO_USER}`, `${SUDO_USER} ALL=(ALL:ALL) ALL\n`, 0o440);
  // Like a hardened host: the deploy user is the only way in, and root work goes through sudo.
  writeFile(root, 'etc/ssh/sshd_config.d/20-kubeup-test-no-root.conf', 'PermitRootLogin no\n');
}

async function isMountPoint(dir: string): Promise<boolean> {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return mounts.some((l) => l.split(' ')[4] === dir);
}

/** Makes the host's folder and overlay and writes its identity; returns its record (not yet started). */
export async function prepareHost(spec: HostSpec, lowerDir: string, publicKey: string): Promise<HostRecord> {
  const dir = hostDir(spec.name);
  const rootDir = path.join(dir, 'root');
  for (const sub of ['upper', 'work', 'root']) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o755 });
  const record: HostRecord = {
    clusterId: spec.clusterId,
    index: spec.index,
    name: spec.name,
    address: spec.address,
    port: spec.port,
    user: spec.sudoPassword === undefined ? 'root' : SUDO_USER,
    dir,
    rootDir,
    pid: 0,
    cgroupDirs: hostCgroupDirs(spec.name, spec.machine),
    machine: spec.machine,
    hostKeySha256: '',
  };
  // Written before anything is mounted, so that an interrupted start can still be cleaned up.
  writeHostRecord(record);
  await run([
    'mount',
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lowerDir},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`,
    rootDir,
  ]);
  writeFile(rootDir, 'etc/hostname', `${spec.name}\n`);
  writeFile(rootDir, 'etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);
  writeFile(
    rootDir,
    'etc/systemd/network/10-host0.network',
    `[Match]\nName=host0\n\n[Network]\nAddress=${spec.address}/${PREFIX_LENGTH}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
  );
  prepareMachineRoot(spec.machine, rootDir);
  await run(['ssh-keygen', '-q', '-A', '-f', rootDir]);
  authorize(rootDir, 'root', publicKey, 0, 0);
  if (spec.port !== 22) writeFile(rootDir, 'etc/ssh/sshd_config.d/10-kubeup-test-port.conf', `Port ${spec.port}\n`);
  if (spec.sudoPassword !== undefined) {
    await addSudoUser(rootDir, spec.sudoPassword, publicKey);
    record.sudoPasswordFile = path.join(dir, 'sudo-password');
    fs.writeFileSync(record.sudoPasswordFile, `${spec.sudoPassword}\n`, { mode: 0o600 });
  }
  const ed25519 = fs.readFileSync(path.join(rootDir, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8');
  record.hostKeySha256 = fingerprintOfPublicKeyLine(ed25519);
  writeHostRecord(record);
  return record;
}

/** Boots the prepared host in its own cgroups; returns as soon as systemd-nspawn runs (not when the host is up). */
export function launchHost(record: HostRecord): HostRecord {
  const machine = record.machine ?? 'restricted';
  const cgroupDirs = createHostCgroups(record.name, machine);
  
  const consoleFd = fs.openSync(path.join(record.dir, 'console.log'), 'w');
  // The shell joins the host's cgroups before it becomes nspawn, so that every process of the container starts there.
  const child = spawn(
    'sh',
    [
      '-c',
      'for f in $KUBEUP_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; exec "$@"',
      'kubeup-test-host',
      'systemd-nspawn',
      '--boot',
      '-D',
      record.rootDir,
      '--machine',
      record.name,
      '--register=no',
      '--keep-unit',
      `--network-bridge=${BRIDGE}`,
      '--resolv-conf=off',
      '--timezone=off',
      '--console=read-only',
      ...nspawnMachineArgs(machine),
    ],
    {
      detached: true,
      stdio: ['ignore', consoleFd, consoleFd],
      env: { ...process.env, KUBEUP_CGROUP_PROCS: cgroupDirs.map((d) => path.join(d, 'cgroup.procs')).join(' ') },
    },
  );
  fs.closeSync(consoleFd);
  child.unref();
  if (child.pid === undefined) throw new TestHostsError(`could not start systemd-nspawn for ${record.name}`);
  const started = { ...record, pid: child.pid, cgroupDirs };
  writeHostRecord(started);
  return started;
}

export function consoleTail(record: Pick<HostRecord, 'dir'>, lines = 25): string {
  try {
    return fs.readFileSync(path.join(record.dir, 'console.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no console log)';
  }
}

export interface TeardownOptions {
  /** SIGKILL at once, like pulling the plug, instead of a clean poweroff. */
  abrupt?: boolean;
}

/**
 * Powers the host off and removes everything it had: processes, cgroups, the overlay mount, its folder.
 * Works from the record alone, so it also cleans what a killed run left behind; a PID is signalled only while it is
 * still the systemd-nspawn of this host's root folder.
 */
/** Stops the machine (a clean poweroff, or SIGKILL when abrupt) and its cgroups; its disk (the overlay) stays. */
async function stopMachine(name: string, record: HostRecord | undefined, rootDir: string, opts: TeardownOptions): Promise<void> {
  if (record && record.pid > 0 && isOurNspawn(record.pid, rootDir)) {
    const gone = !opts.abrupt && (await signalAndWait(record.pid, 'SIGTERM', POWEROFF_WAIT_MS));
    if (!gone && !(await signalAndWait(record.pid, 'SIGKILL', 5_000))) {
      throw new TestHostsError(`systemd-nspawn (pid ${record.pid}) of test host ${name} does not die`, { host: name });
    }
  }
  await removeHostCgroups(name, record?.cgroupDirs ?? hostCgroupDirs(name, 'full'));
}

/**
 * Powers the host off and keeps its disk, like a machine that loses power: its processes end (at once when abrupt),
 * what it wrote to disk stays, /run and memory do not. powerOnHost boots it again from the same disk.
 */
export async function powerOffHost(name: string, opts: TeardownOptions = {}): Promise<void> {
  const record = readHostRecord(name);
  if (!record) throw new TestHostsError(`no test host ${name} to power off`, { host: name });
  await stopMachine(name, record, record.rootDir, opts);
  writeHostRecord({ ...record, pid: 0 });
}

/** Boots a powered-off host from its disk; returns its record once systemd-nspawn runs (not when it is up). */
export function powerOnHost(name: string): HostRecord {
  const record = readHostRecord(name);
  if (!record) throw new TestHostsError(`no test host ${name} to power on`, { host: name });
  if (record.pid > 0 && isOurNspawn(record.pid, record.rootDir)) throw new TestHostsError(`test host ${name} is running already`, { host: name });
  return launchHost(record);
}

export async function teardownHost(name: string, opts: TeardownOptions = {}): Promise<void> {
  const dir = hostDir(name);
  const record = readHostRecord(name);
  const rootDir = record?.rootDir ?? path.join(dir, 'root');
  await stopMachine(name, record, rootDir, opts);
  if (await isMountPoint(rootDir)) {
    const r = await run(['umount', rootDir], { allowFailure: true });
    if (r.code !== 0) await run(['umount', '--lazy', rootDir]);
  }
  // Never delete through a mounted overlay: that would reach into the shared root filesystem.
  if (await isMountPoint(rootDir)) {
    throw new TestHostsError(`overlay of test host ${name} is still mounted at ${rootDir}`, {
      host: name,
      hint: `find what holds it (fuser -vm ${rootDir}), stop it, then run \`npm run hosts -- down\``,
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
