// The sha256 of a local file, computed once per version of the file (device, inode, size and times): the same
// binary goes to every host and is compared with every host's copy, also when the hosts ask at the same moment.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const hashes = new Map<string, { version: string; sha256: Promise<string> }>();
const HASHES_KEPT = 512;

export async function localFileSha256(path: string): Promise<string> {
  const st = await stat(path);
  const version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = hashes.get(path);
  if (known?.version === version) return known.sha256;
  const sha256 = (async () => {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  })();
  hashes.delete(path);
  if (hashes.size >= HASHES_KEPT) hashes.delete(hashes.keys().next().value!);
  hashes.set(path, { version, sha256 });
  // A failed read is not remembered: the next call tries again.
  sha256.catch(() => hashes.get(path)?.sha256 === sha256 && hashes.delete(path));
  return sha256;
}
