// sha256 values kubeup ships for release files whose upstream publishes no checksum file (flannel).
//
// Only values found in public material for exactly the file named may go here, each with its source
// (pinned-checksums-table.ts). Research notes (Dec 2026):
// - flannel's release workflow (flannel-io/flannel .github/workflows/release.yml, `make release`) uploads
//   `flannel-v<F>-linux-<arch>.tar.gz` and the bare `flanneld-<arch>` binary, but no checksum file.
// - Public deployment code pins the bare `flanneld-<arch>` binaries: sysoperator/kubernetes-formula
//   pillar/flannel.sls has amd64 and arm64 values for v0.25.0, v0.26.3, v0.27.3 and v0.27.4 (its flannel/install.sls
//   fetches `{source_url}/{source_version}/flanneld-{osarch}` with them). So kubeup downloads that asset form, and the
//   default flannel version is the newest one pinned there.
// - No public pin was found for any tarball, nor for any v0.28.x file: such a version needs download.checksums.
import { SHIPPED_PINS } from './pinned-checksums-table.js';

export interface PinnedChecksum {
  sha256: string;
  /** Where the value was published: repository and path, or URL. */
  source: string;
}

/** Keyed by `<component>/<upstream path below the release base>`, e.g. `flannel/v0.27.4/flanneld-amd64`. */
export const PINNED_CHECKSUMS: Readonly<Record<string, PinnedChecksum>> = Object.freeze({ ...SHIPPED_PINS });

export const pinKey = (component: string, path: string): string => `${component}/${path}`;

export function pinnedChecksum(
  key: string,
  table: Readonly<Record<string, PinnedChecksum>> = PINNED_CHECKSUMS,
): PinnedChecksum | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The versions of a component that have a shipped pin (for every arch kubeup supports), newest first. */
export function pinnedVersions(component: string, table: Readonly<Record<string, PinnedChecksum>> = PINNED_CHECKSUMS): string[] {
  const versions = new Set<string>();
  for (const key of Object.keys(table)) {
    const m = /^([^/]+)\/v([^/]+)\//.exec(key);
    if (m && m[1] === component) versions.add(m[2]!);
  }
  return [...versions].sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
}
