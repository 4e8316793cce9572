// Names of CPU architectures: what `uname -m` and Node say, mapped to the release names kubeup downloads.
import type { Arch } from './types.js';

const UNAME: Readonly<Record<string, Arch>> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64' };

/** `uname -m` output -> release arch; undefined for an arch kubeup has no releases for. */
export function archFromUname(machine: string): Arch | undefined {
  const key = machine.trim().toLowerCase();
  return Object.hasOwn(UNAME, key) ? UNAME[key] : undefined;
}

/** The arch of this machine (for kubectl), from Node's process.arch. */
export function localArch(nodeArch: string = process.arch): Arch | undefined {
  return nodeArch === 'x64' ? 'amd64' : nodeArch === 'arm64' ? 'arm64' : undefined;
}
