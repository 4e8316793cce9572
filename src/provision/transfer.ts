// How a binary that must change reaches a host (profile download.transfer and download.from): compressed (the
// default) in the best format both this machine and the host have, from the one compressed copy in the download
// cache; as it is; or downloaded by the host itself from the mirror the release came from (download.from: hosts).
import { stat } from 'node:fs/promises';
import { KubeupError } from '../errors.js';
import type { Profile, Role } from '../profile/types.js';
import { DEFAULT_DOWNLOAD } from '../profile/defaults.js';
import { artifactsForRoles, chooseEncoding, encodedCopy, releaseManifest, type Arch, type FetchedArtifact } from '../release/index.js';
import type { Encoding, HostSession, UploadContent } from '../ssh/session.js';
import type { ExecuteOptions } from './execute.js';

/** Where a host keeps its own downloads (download.from: hosts) while a run provisions it; removed afterwards. */
export const HOST_DOWNLOADS_DIR = '/var/lib/kubeup/downloads';

/** Removes the host's downloads (download.from: hosts) once its files are written; a failure is only a warning. */
export async function removeHostDownloads(session: HostSession, warn: (message: string) => void): Promise<void> {
  await session.exec(['rm', '-rf', '--', HOST_DOWNLOADS_DIR], { sudo: true }).catch((e: unknown) => warn(`could not remove ${HOST_DOWNLOADS_DIR}: ${e instanceof KubeupError ? e.describe() : e instanceof Error ? e.message : String(e)}`));
}

export interface BinaryTransferInput {
  profile: Pick<Profile, 'download'>;
  cacheDir: string;
  /** What the host expands (preflight). */
  hostEncodings: readonly Encoding[];
  /** What this machine writes (release/encode.ts operatorEncodings). */
  operatorEncodings: readonly Encoding[];
  /** download.from: hosts: what the host downloads with, preferred first (preflight). */
  hostFetchers?: readonly ('curl' | 'wget')[];
  /** download.from: hosts: the verified artefacts in the cache, to find the URL and sha256 each binary came from. */
  artifacts?: readonly FetchedArtifact[];
}

/** The format binaries go to this host in; undefined: as they are (plain mode, or no format both sides have). */
export function transferEncoding(input: Omit<BinaryTransferInput, 'cacheDir'>): Encoding | undefined {
  if ((input.profile.download.transfer ?? DEFAULT_DOWNLOAD.transfer) === 'plain') return undefined;
  return chooseEncoding(input.hostEncodings, input.operatorEncodings);
}

export const hostsDownload = (profile: Pick<Profile, 'download'>) => (profile.download.from ?? DEFAULT_DOWNLOAD.from) === 'hosts';

/** ExecuteOptions.binaryContent for one host, or undefined when its binaries go as they are. */
export function binaryContent(input: BinaryTransferInput): ExecuteOptions['binaryContent'] {
  const format = transferEncoding(input);
  const fromOperator = format
    ? async (source: { localPath: string }, sha256: string): Promise<UploadContent> => {
        const [copy, { size }] = await Promise.all([encodedCopy(input.cacheDir, source.localPath, sha256, format), stat(source.localPath)]);
        // A file that does not get smaller (already compressed, or tiny) goes as it is.
        if (copy.size >= size) return { localPath: source.localPath };
        return { encoded: { localPath: copy.path, format }, plainPath: source.localPath, sha256, size };
      }
    : undefined;
  if (!hostsDownload(input.profile)) return fromOperator;

  const tool = input.hostFetchers?.[0];
  // Preflight refuses such a host first; this guards the engine's own use.
  if (!tool) throw new KubeupError('the host has neither curl nor wget to download its releases with', { field: 'download.from', hint: 'install curl or wget on the host, or leave download.from out' });
  const origin = new Map<string, { url: string; sha256: string; member?: string }>();
  for (const a of input.artifacts ?? []) {
    for (const b of a.binaries) origin.set(b.path, { url: a.artifact.url, sha256: a.sha256, ...(b.member !== undefined && { member: b.member }) });
  }
  const proxy = input.profile.download.proxy;
  return async (source, sha256): Promise<UploadContent> => {
    const from = origin.get(source.localPath);
    // Not from a release artefact: this machine sends it.
    if (!from) return fromOperator ? fromOperator(source, sha256) : { localPath: source.localPath };
    const { size } = await stat(source.localPath);
    return { fetch: { tool, ...from, downloadsDir: HOST_DOWNLOADS_DIR, ...(proxy !== undefined && { proxy }) }, sha256, size };
  };
}

/** `{ binaryContent }` to spread into ExecuteOptions, or nothing when the host's binaries go as they are. */
export function withBinaryContent(input: BinaryTransferInput): Pick<ExecuteOptions, 'binaryContent'> {
  const f = binaryContent(input);
  return f ? { binaryContent: f } : {};
}

/** download.from: hosts: one artefact URL per mirror (scheme, host and port) a host of these roles downloads from. */
export function downloadOrigins(profile: Profile, roles: readonly Role[], arch: Arch): string[] {
  const byOrigin = new Map<string, string>();
  for (const a of artifactsForRoles(releaseManifest(profile, [arch]), roles, arch)) {
    const origin = new URL(a.url).origin;
    if (!byOrigin.has(origin)) byOrigin.set(origin, a.url);
  }
  return [...byOrigin.values()];
}

/** Preflight's input for a host that downloads its own binaries (download.from: hosts): what it must reach, how. */
export function hostDownloadsCheck(profile: Profile, roles: readonly Role[]): { hostDownloads?: { urls: (arch: Arch) => string[]; proxy?: string } } {
  if (!hostsDownload(profile)) return {};
  return { hostDownloads: { urls: (arch: Arch) => downloadOrigins(profile, roles, arch), ...(profile.download.proxy !== undefined && { proxy: profile.download.proxy }) } };
}
