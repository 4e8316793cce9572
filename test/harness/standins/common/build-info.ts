/**
 * What build.ts embedded into a bundled stand-in: its name, the Kubernetes (or other) version it pretends to be,
 * and the flag reference of that version. Read only at run time of the bundle.
 */
import type { FlagReference } from './flags.js';

export interface StandinBuildInfo {
  /** e.g. kube-apiserver */
  readonly name: string;
  /** e.g. v1.35.2 (always with the leading v) */
  readonly version: string;
  /** The flag list of that component and minor version, or null for programs without one (CNI plugins). */
  readonly flags: FlagReference | null;
}

declare const __KUBEUP_STANDIN_BUILD__: StandinBuildInfo | undefined;

export function buildInfo(): StandinBuildInfo {
  if (typeof __KUBEUP_STANDIN_BUILD__ === 'undefined') {
    throw new Error('stand-in run without build info: bundle it with buildStandin() (test/harness/standins/build.ts)');
  }
  return __KUBEUP_STANDIN_BUILD__;
}

/** "v1.35.2" -> { major: "1", minor: "35" } */
export function versionParts(version: string): { major: string; minor: string; patch: string } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a semantic version: ${version}`);
  return { major: m[1] as string, minor: m[2] as string, patch: m[3] as string };
}
