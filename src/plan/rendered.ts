import type { Plan } from './types.js';

export interface RenderedOutput {
  /** Host id (hostId in src/profile/types.ts). */
  host: string;
  /** The host id as a directory name: every character other than letters, digits, `.`, `_`, `-` becomes `_`. */
  hostDir: string;
  /** Absolute path on the host; `kubeup render --out DIR` writes it as DIR/<hostDir>/<path>. */
  path: string;
  mode: number;
  content: string;
}

export const hostDirName = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, '_');

/** Every rendered file of every host, hosts in plan order, files by path. */
export function writeRendered(plan: Plan): RenderedOutput[] {
  return plan.hosts.flatMap((h) => h.files.map((f) => ({ host: h.id, hostDir: hostDirName(h.id), path: f.path, mode: f.mode, content: f.content })));
}
