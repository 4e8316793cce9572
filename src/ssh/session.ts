// The one interface the engine uses to act on a host. One ssh2 implementation (client.ts) and
// strict fakes in tests. Commands are argv arrays, quoted in one place (quote.ts).

import type { CommandArg } from './quote.js';

export type { CommandArg } from './quote.js';

export interface ExecOptions {
  /** Run through sudo (non-root users). The password, when one is needed, comes from the session's options. */
  sudo?: boolean;
  /** Bytes for the command's stdin. */
  stdin?: string | Buffer;
  /** Called with each complete line of stdout/stderr as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Give up after this many ms (the remote command is signalled). */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit: return the result. */
  allowFailure?: boolean;
  /**
   * Secret strings that must not show: replaced by `[redacted]` in onLine output, in the result and in errors.
   * Prefer passing secrets through stdin; this is the safety net for the ones that end up in argv or output.
   */
  redact?: readonly string[];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface UploadOptions {
  /** Octal file mode, e.g. 0o600. */
  mode: number;
  /** `user:group`; default root:root. */
  owner?: string;
  /** Content is secret: never logged, written 0600 before it holds the bytes. */
  sensitive?: boolean;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

export interface UploadResult {
  /** False when the file was already there with the same sha256, mode and owner. */
  changed: boolean;
  /** Size of the file on the host (delivered). */
  bytes: number;
  /** Bytes kubeup sent for it (compressed size; 0 when the host fetched it, or nothing changed). */
  wireBytes: number;
  /** The format the bytes travelled in; unset: as they are. */
  encoding?: Encoding;
}

/** How the host expands an encoded upload: the command is `<format> -dc`. */
export const ENCODINGS = ['zstd', 'xz', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** A download the host makes itself, with a tool it has. */
export interface HostFetch {
  tool: 'curl' | 'wget';
  url: string;
  /** sha256 of what the URL serves: checked on the host before anything is taken from it. */
  sha256: string;
  /** Take this member out of the downloaded tarball; else the download is the file. */
  member?: string;
  /** Folder on the host where downloads are kept under their sha256 while the run needs them (root-only). */
  downloadsDir: string;
  /** http(s) proxy URL for the download (given on stdin, never on the command line). */
  proxy?: string;
}

/**
 * What becomes the file on the host. Encoded and fetched content is expanded or downloaded on the host into the
 * private temporary file, whose sha256 is checked against `sha256` (the file's) before the rename.
 */
export type UploadContent =
  | Buffer
  | { localPath: string }
  /** plainPath: the file as it is, sent instead when the host has too little room for the packed and expanded file at once. */
  | { encoded: { localPath: string; format: Encoding }; plainPath: string; sha256: string; size: number }
  | { fetch: HostFetch; sha256: string; size: number };

export interface HostSession {
  /** `user@address:port`, for messages. */
  readonly target: string;
  exec(argv: readonly CommandArg[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Atomic, idempotent write: compares sha256/mode/owner on the host first; when different, uploads to a temporary
   * name in the same directory, sets mode and owner, then renames over the target. Missing folders are created.
   * A non-root user stages the bytes in a private /tmp folder and sudo puts them in place.
   */
  upload(remotePath: string, content: UploadContent, opts: UploadOptions): Promise<UploadResult>;
  /** Reads a remote file (through sudo for a non-root user); undefined when it does not exist. */
  read(remotePath: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
