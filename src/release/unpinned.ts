// Files kubeup cannot verify (no checksum file upstream, no shipped pin, nothing in download.checksums), and the
// fix offered for them. One text for every place that says so: the error before connecting, the plan, the wizard.
import { stringify } from 'yaml';
import { DownloadError } from '../errors.js';
import type { Profile } from '../profile/types.js';
import { releaseManifest } from './manifest.js';
import { pinnedVersions } from './pinned-checksums.js';
import type { Arch, Artifact } from './types.js';

/** The artefacts nobody knows a sha256 for: kubeup will not fetch them. */
export function missingChecksums(artifacts: readonly Artifact[]): Artifact[] {
  return artifacts.filter((a) => a.checksum.kind === 'missing');
}

/** The files of a profile (for these arches; the plan assumes amd64) that kubeup would refuse to download. */
export function unverifiableFiles(profile: Pick<Profile, 'versions' | 'download'>, arches: readonly Arch[] = ['amd64']): Artifact[] {
  return missingChecksums(releaseManifest(profile, arches).filter((a) => a.roles.some((r) => r !== 'local')));
}

/**
 * YAML to paste at the top level of a profile that has no `download.checksums` yet (built with the YAML library, so
 * its indentation is right by construction).
 */
export function checksumSnippet(files: readonly string[], sha256 = '<sha256 of the file>'): string {
  return stringify({ download: { checksums: Object.fromEntries(files.map((f) => [f, sha256])) } }).trimEnd();
}

/**
 * What to do about unverifiable files, as lines: use a pinned version, or add the sha256. The YAML lines start at
 * column 0 so that they can be pasted as they are.
 */
export function unverifiableAdvice(missing: readonly Artifact[]): string[] {
  const files = [...new Set(missing.map((a) => a.fileName))].sort();
  const lines: string[] = [];
  for (const component of [...new Set(missing.map((a) => a.component))].sort()) {
    const pinned = pinnedVersions(component);
    if (pinned.length) lines.push(`use a ${component} version kubeup ships the sha256 for (versions.${component}: ${pinned.join(', ')}), or`);
  }
  lines.push(
    'add each file\'s sha256 (the GitHub release page shows a digest beside each file) to the profile, under download.checksums:',
    ...checksumSnippet(files).split('\n'),
  );
  return lines;
}

export function missingChecksumError(missing: readonly Artifact[]): DownloadError {
  const files = [...new Set(missing.map((a) => a.fileName))].sort();
  const them = files.length === 1 ? 'it' : 'them';
  return new DownloadError(
    `no sha256 is known for ${files.join(', ')}: upstream publishes no checksum file for ${them} and kubeup ships no pin for this version, so kubeup will not download ${them} unverified`,
    { field: 'download.checksums', file: files[0], hint: unverifiableAdvice(missing).join('\n') },
  );
}

/** The warning `kubeup plan` prints first when a file cannot be verified (undefined when all can). */
export function unverifiableWarning(profile: Pick<Profile, 'versions' | 'download'>): string | undefined {
  const missing = unverifiableFiles(profile);
  if (!missing.length) return undefined;
  const files = [...new Set(missing.map((a) => a.fileName))].sort().join(', ');
  return `Warning: no sha256 is known for ${files}; \`kubeup up\` stops before connecting until it is. To fix it:\n${unverifiableAdvice(missing).join('\n')}\n`;
}
