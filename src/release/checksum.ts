// sha256 of local files, and reading the expected value for one file out of an upstream checksum file.
import { DownloadError } from '../errors.js';
import { localFileSha256 } from '../ssh/local-hash.js';

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** The one local sha256 memo (ssh/local-hash.ts): a binary checked in the cache is not read again for the hosts. */
export function sha256File(path: string): Promise<string> {
  return localFileSha256(path);
}

/** `*name` (binary mode) and `./name` both mean `name`. */
function entryName(raw: string): string {
  return raw.trim().replace(/^\*/, '').replace(/^\.\//, '');
}

/**
 * The expected sha256 of `fileName` from a checksum file's text.
 * - `hex`: the digest alone (dl.k8s.io `<binary>.sha256`); a `<hex>  <name>` line is accepted when the name matches.
 * - `sums`: `<hex>  <name>` lines (sha256sum output); only the line for exactly this file name counts.
 */
export function expectedSha256(text: string, fileName: string, format: 'hex' | 'sums', url: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^([0-9a-fA-F]{64})(?:\s+(.+))?$/.exec(line);
    if (!m) continue;
    const name = m[2] === undefined ? undefined : entryName(m[2]);
    if (name === fileName || (format === 'hex' && name === undefined && lines.length === 1)) return m[1]!.toLowerCase();
  }
  const what = format === 'hex' ? `holds no sha256 (64 hex digits) for ${fileName}` : `has no "<sha256>  ${fileName}" line`;
  throw new DownloadError(`the checksum file ${url} ${what}`, {
    file: fileName,
    hint: 'check that the mirror serves the upstream checksum files unchanged, or pin the file with download.checksums',
  });
}

export function isSha256(s: string): boolean {
  return HEX64.test(s);
}
