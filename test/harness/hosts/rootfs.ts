// The shared, read-only Debian root filesystem under every test host's overlay. Built once with mmdebstrap and cached
// under a name derived from a hash of the package list and the setup recipe, so a change to either builds a new one.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TestHostsError } from './errors.js';
import { withFileLock } from './lock.js';
import { CACHE_DIR, MAX_HOSTS, hostAddress, hostName } from './paths.js';
import { run } from './run.js';

const SUITE = 'bookworm';
const VARIANT = 'apt';

/** Debian packages in every host. The stand-ins for the Kubernetes daemons run on Debian's nodejs. */
export const ROOTFS_PACKAGES = [
  'ca-certificates',
  'conntrack',
  // The hosts' own tools for kubeup's transfers: expanding compressed uploads and fetching releases themselves.
  'curl',
  'dbus',
  'iproute2',
  'iptables',
  'kmod',
  'nodejs',
  'openssh-server',
  'procps',
  'socat',
  'sudo',
  'systemd',
  'systemd-sysv',
  'xz-utils',
  'zstd',
] as const;

function etcHosts(): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (let i = 1; i <= MAX_HOSTS; i++) lines.push(`${hostAddress(i)}\t${hostName(i)}`);
  return `${lines.join('\n')}\n`;
}

/** What is changed in the freshly bootstrapped tree. Pure data, so that it is part of the cache key. */
export const ROOTFS_RECIPE = {
  // Host keys and machine-id must be unique per host: made per host at start.
  removeGlobs: [{ dir: 'etc/ssh', prefix: 'ssh_host_' }],
  files: {
    'etc/machine-id': '',
    // No DNS inside the hosts; names come from /etc/hosts (etcd looks `localhost` up and fails without it).
    'etc/resolv.conf': '',
    'etc/hosts': etcHosts(),
  } as Record<string, string>,
  links: {
    'etc/systemd/system/multi-user.target.wants/systemd-networkd.service': '/lib/systemd/system/systemd-networkd.service',
    'etc/systemd/system/sockets.target.wants/systemd-networkd.socket': '/lib/systemd/system/systemd-networkd.socket',
    // Masked: a getty on the read-only console, and timers that would reach for the network or the disk.
    'etc/systemd/system/console-getty.service': '/dev/null',
    'etc/systemd/system/apt-daily.timer': '/dev/null',
    'etc/systemd/system/apt-daily-upgrade.timer': '/dev/null',
    'etc/systemd/system/dpkg-db-backup.timer': '/dev/null',
    'etc/systemd/system/e2scrub_all.timer': '/dev/null',
    'etc/systemd/system/fstrim.timer': '/dev/null',
  } as Record<string, string>,
};

export function rootfsKey(
  packages: readonly string[] = ROOTFS_PACKAGES,
  recipe: typeof ROOTFS_RECIPE = ROOTFS_RECIPE,
): string {
  const text = JSON.stringify({ suite: SUITE, variant: VARIANT, packages, recipe });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function rootfsPath(): string {
  return path.join(CACHE_DIR, `rootfs-${SUITE}-${rootfsKey()}`);
}

export interface EnsureRootfsResult {
  path: string;
  /** False when the cached tree was reused. */
  built: boolean;
}

/** Returns the cached root filesystem, building it first when missing. Safe when several processes call it at once. */
export async function ensureRootfs(log: (line: string) => void = () => {}): Promise<EnsureRootfsResult> {
  const target = rootfsPath();
  if (fs.existsSync(target)) return { path: target, built: false };
  return withFileLock(path.join(CACHE_DIR, '.build.lock'), async () => {
    // Another process may have finished it while we waited for the lock.
    if (fs.existsSync(target)) return { path: target, built: false };
    const partial = `${target}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    log(`building the test hosts' root filesystem in ${target} (mmdebstrap ${SUITE}, once)`);
    await run(
      [
        'mmdebstrap',
        `--variant=${VARIANT}`,
        `--include=${ROOTFS_PACKAGES.join(',')}`,
        SUITE,
        partial,
      ],
      { hint: "mmdebstrap needs Debian's package mirror as configured for apt on this machine; check `apt-get update`" },
    );
    applyRecipe(partial);
    // The rename is the commit point: a half-built tree never has the final name.
    fs.renameSync(partial, target);
    return { path: target, built: true };
  });
}

function applyRecipe(root: string): void {
  for (const { dir, prefix } of ROOTFS_RECIPE.removeGlobs) {
    const full = path.join(root, dir);
    for (const name of fs.readdirSync(full)) {
      if (name.startsWith(prefix)) fs.rmSync(path.join(full, name));
    }
  }
  for (const [rel, content] of Object.entries(ROOTFS_RECIPE.files)) {
    const file = path.join(root, rel);
    fs.rmSync(file, { force: true }); // resolv.conf may be a symlink
    fs.writeFileSync(file, content, { mode: 0o644 });
  }
  for (const [rel, target] of Object.entries(ROOTFS_RECIPE.links)) {
    const link = path.join(root, rel);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true });
    fs.symlinkSync(target, link);
  }
  const missing = Object.values(ROOTFS_RECIPE.links)
    .filter((t) => t !== '/dev/null')
    .filter((t) => !fs.existsSync(path.join(root, t)));
  if (missing.length > 0) {
    throw new TestHostsError(`the root filesystem lacks ${missing.join(', ')}`, {
      file: root,
      hint: 'the package list in test/harness/hosts/rootfs.ts must install systemd',
    });
  }
}
