// What a release artefact is: where it comes from, how it is checked, which binaries it yields and where they go.
import type { Component, Role } from '../profile/types.js';

export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

/** `local` = needed on the operator's machine only (kubectl). */
export type ArtifactRole = Role | 'local';

/**
 * How the expected sha256 is known:
 * - `file`: upstream publishes a checksum file; `hex` holds only the digest, `sums` holds `<hex>  <file>` lines.
 * - `pinned`: a value kubeup ships (pinned-checksums.ts) or the profile's `download.checksums`; `source` says which.
 * - `missing`: nothing known; fetching refuses it and tells the user to add `download.checksums`.
 */
export type ChecksumSource =
  | { kind: 'file'; url: string; format: 'hex' | 'sums' }
  | { kind: 'pinned'; sha256: string; source: string }
  | { kind: 'missing' };

export interface ArtifactBinary {
  /** The binary's name on the host, e.g. `kubelet`. */
  name: string;
  /** Path of the member inside the tarball; absent for a bare binary download. */
  member?: string;
  /** Absolute path on the host: `/opt/bin/<name>` or `/opt/cni/bin/<name>`. */
  installAs: string;
}

export interface Artifact {
  /** Unique and stable: `<component>/<arch>/<fileName>`. */
  id: string;
  component: Component;
  version: string;
  arch: Arch;
  url: string;
  fileName: string;
  /** What the first bytes must look like: a gzip archive or an ELF executable. */
  content: 'gzip' | 'elf';
  checksum: ChecksumSource;
  binaries: ArtifactBinary[];
  roles: ArtifactRole[];
}

/** A verified artefact in the local cache, with the local path of each of its binaries. */
export interface FetchedArtifact {
  artifact: Artifact;
  /** The downloaded file (tarball or bare binary) in the cache. */
  file: string;
  sha256: string;
  /** True when nothing was downloaded because the cache already held a verified copy. */
  fromCache: boolean;
  binaries: (ArtifactBinary & { path: string })[];
}
