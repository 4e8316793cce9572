import type { Plan } from './types.js';

export interface RenderedOutput {
  /** Host id (hostId in src/profile/types.ts). */
  host: string;
  /** Absolute path on the host; `kubeup render --out DIR` writes it as DIR/<host>/<path>. */
  path: string;
  mode: number;
  content: string;
}

/** Every rendered file of every host, hosts in plan order, files by path. */
export function writeRendered(plan: Plan): RenderedOutput[] {
  return plan.hosts.flatMap((h) => h.files.map((f) => ({ host: h.id, path: f.path, mode: f.mode, content: f.content })));
}
