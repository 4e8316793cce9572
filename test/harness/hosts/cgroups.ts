// One cgroup per host. Where PID 1 is not systemd (this kind of machine), nothing gives a container its own cgroup,
// and all containers would share one and trip over each other; so the harness makes them and moves nspawn in.

import fs from 'node:fs';
import path from 'node:path';
import { controllerCgroupDirs, initControllerCgroup, type MachineKind } from './machine.js';
import { CGROUP_ROOTS_V1_HYBRID, cgroupName } from './paths.js';
import { isAlive, signalAndWait } from './processes.js';
import { TestHostsError } from './errors.js';

/** The cgroup hierarchies to place a host in: the v1 `systemd` and v2 `unified` ones, or the v2 root alone. */
export function cgroupRoots(): string[] {
  const hybrid = CGROUP_ROOTS_V1_HYBRID.filter((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
  if (hybrid.length > 0) return hybrid;
  return fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : [];
}

/** The host's cgroups: in the systemd and unified hierarchies always, in every v1 controller for a full machine. */
export function hostCgroupDirs(name: string, machine: MachineKind = 'restricted'): string[] {
  return [...cgroupRoots().map((root) => path.join(root, cgroupName(name))), ...controllerCgroupDirs(machine, cgroupName(name))];
}

export function createHostCgroups(name: string, machine: MachineKind): string[] {
  const dirs = hostCgroupDirs(name, machine);
  for (const dir of dirs) {
    fs.mkdirSync(dir, { recursive: true });
    initControllerCgroup(dir);
  }
  return dirs;
}

/** Every cgroup under `dir` (itself included), deepest first. */
function subtreeBottomUp(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const children = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(dir, e.name))
    .sort();
  return [...children.flatMap(subtreeBottomUp), dir];
}

function pidsIn(dir: string): number[] {
  try {
    return fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Processes still inside a host's cgroups: they all belong to that container. */
export function processesInHostCgroups(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) for (const sub of subtreeBottomUp(dir)) for (const pid of pidsIn(sub)) pids.add(pid);
  return [...pids].filter(isAlive).sort((a, b) => a - b);
}

/** Kills what is left of a container (after nspawn itself is gone) and removes its cgroups bottom-up. */
export async function removeHostCgroups(name: string, dirs: readonly string[]): Promise<void> {
  for (const pid of processesInHostCgroups(dirs)) await signalAndWait(pid, 'SIGKILL', 5_000);
  for (const dir of dirs) {
    for (const sub of subtreeBottomUp(dir)) {
      try {
        fs.rmdirSync(sub);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        throw new TestHostsError(`cannot remove cgroup ${sub} of test host ${name}: ${code}`, {
          host: name,
          file: sub,
          hint: `processes still in it: ${pidsIn(sub).join(' ') || 'none'}; run \`npm run hosts -- down\` again`,
        });
      }
    }
  }
}
