// sha256 values kubeup ships for release files whose upstream publishes no checksum file (flannel).
//
// Only values found in public material for exactly the file named may go here, each with its source. Research
// notes (Nov 2026):
// - flannel's release workflow (flannel-io/flannel .github/workflows/release.yml, `make release`) uploads
//   `flannel-v<F>-linux-<arch>.tar.gz` and `flanneld-<arch>` but no checksum file, for every 0.2x release.
// - The public pins found (e.g. sysoperator/kubernetes-formula pillar/flannel.sls, v0.22.1 to v0.27.4) are for the
//   bare `flanneld-<arch>` binaries, not for the tarballs kubeup downloads, so they cannot be used here.
// - No public pin was found for any `flannel-v0.28.x-linux-<arch>.tar.gz`.
// So the table is empty for now: a profile supplies the value with `download.checksums` (GitHub's release page
// shows a sha256 digest beside every asset), and kubeup refuses a file it cannot verify.

export interface PinnedChecksum {
  sha256: string;
  /** Where the value was published: repository and path, or URL. */
  source: string;
}

/** Keyed by the exact upstream file name, e.g. `flannel-v0.28.9-linux-amd64.tar.gz`. */
export const PINNED_CHECKSUMS: Readonly<Record<string, PinnedChecksum>> = Object.freeze({});

export function pinnedChecksum(
  fileName: string,
  table: Readonly<Record<string, PinnedChecksum>> = PINNED_CHECKSUMS,
): PinnedChecksum | undefined {
  return Object.hasOwn(table, fileName) ? table[fileName] : undefined;
}
