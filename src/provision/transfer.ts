// How a binary that must change reaches a host (profile download.transfer): compressed (the default) in the best
// format both this machine and the host have, from the one compressed copy in the download cache; or as it is.
import { stat } from 'node:fs/promises';
import type { Profile } from '../profile/types.js';
import { DEFAULT_DOWNLOAD } from '../profile/defaults.js';
import { chooseEncoding, encodedCopy } from '../release/encode.js';
import type { Encoding, UploadContent } from '../ssh/session.js';
import type { ExecuteOptions } from './execute.js';

export interface BinaryTransferInput {
  profile: Pick<Profile, 'download'>;
  cacheDir: string;
  /** What the host expands (preflight). */
  hostEncodings: readonly Encoding[];
  /** What this machine writes (release/encode.ts operatorEncodings). */
  operatorEncodings: readonly Encoding[];
}

/** The format binaries go to this host in; undefined: as they are (plain mode, or no format both sides have). */
export function transferEncoding(input: Omit<BinaryTransferInput, 'cacheDir'>): Encoding | undefined {
  if ((input.profile.download.transfer ?? DEFAULT_DOWNLOAD.transfer) === 'plain') return undefined;
  return chooseEncoding(input.hostEncodings, input.operatorEncodings);
}

/** ExecuteOptions.binaryContent for one host, or undefined when its binaries go as they are. */
export function binaryContent(input: BinaryTransferInput): ExecuteOptions['binaryContent'] {
  const format = transferEncoding(input);
  if (!format) return undefined;
  return async (source, sha256): Promise<UploadContent> => {
    const [copy, { size }] = await Promise.all([encodedCopy(input.cacheDir, source.localPath, sha256, format), stat(source.localPath)]);
    // A file that does not get smaller (already compressed, or tiny) goes as it is.
    if (copy.size >= size) return { localPath: source.localPath };
    return { encoded: { localPath: copy.path, format }, plainPath: source.localPath, sha256, size };
  };
}

/** `{ binaryContent }` to spread into ExecuteOptions, or nothing when the host's binaries go as they are. */
export function withBinaryContent(input: BinaryTransferInput): Pick<ExecuteOptions, 'binaryContent'> {
  const f = binaryContent(input);
  return f ? { binaryContent: f } : {};
}
