// Reads a file the user named, up to a bound: a device (/dev/zero, /dev/urandom) or a pipe has no size to check
// first, and reading it whole would fill the memory. Only regular files are read at all.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class TooLargeError extends Error {}
export class NotAFileError extends Error {
  constructor(
    path: string,
    /** "a folder", or "not a regular file (a device, pipe or socket)". */
    readonly what: string,
  ) {
    super(`${path} is ${what}`);
  }
}

/**
 * The file's bytes; TooLargeError past `maxBytes`, NotAFileError for a folder, device or pipe; fs errors (ENOENT,
 * EACCES) as they come.
 */
export function readFileAtMost(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotAFileError(path, st.isDirectory() ? 'a folder' : 'not a regular file (a device, pipe or socket)');
    if (st.size > maxBytes) throw new TooLargeError(`${path} is larger than ${maxBytes} bytes`);
    // The size may grow while reading (a log being written): never more than the bound plus one byte.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > maxBytes) throw new TooLargeError(`${path} is larger than ${maxBytes} bytes`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
