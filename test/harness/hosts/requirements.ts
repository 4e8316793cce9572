// Whether this machine can run the test hosts at all, and if not, one line saying why.

import fs from 'node:fs';
import path from 'node:path';
import { cgroupRoots } from './cgroups.js';

const PROGRAMS = [
  { name: 'systemd-nspawn', pkg: 'systemd-container' },
  { name: 'mmdebstrap', pkg: 'mmdebstrap' },
  { name: 'ssh-keygen', pkg: 'openssh-client' },
  { name: 'ip', pkg: 'iproute2' },
  { name: 'flock', pkg: 'util-linux' },
  { name: 'mount', pkg: 'mount' },
  { name: 'chroot', pkg: 'coreutils' },
] as const;

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      fs.accessSync(path.join(dir, program), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function hostsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `test hosts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'test hosts need root (mounts, bridge, cgroups, systemd-nspawn)';
  const missing = PROGRAMS.filter((p) => !onPath(p.name));
  if (missing.length > 0) {
    const names = missing.map((p) => p.name).join(', ');
    const pkgs = [...new Set(missing.map((p) => p.pkg))].sort().join(' ');
    return `test hosts need ${names}: apt-get install -y --no-install-recommends ${pkgs}`;
  }
  if (!fs.readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n')) {
    return 'test hosts need overlayfs: modprobe overlay';
  }
  if (cgroupRoots().length === 0) return 'test hosts need a cgroup v2 or hybrid cgroup hierarchy under /sys/fs/cgroup';
  return undefined;
}
