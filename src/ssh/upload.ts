// Atomic, idempotent file upload. One exec first reads sha256, mode and owner of the existing file; when they all
// match, nothing is sent. Otherwise the bytes go to a private temporary file (0600 before any byte is written), get
// their owner and mode, and are renamed over the target, so readers never see a half-written file.
// Root writes the temporary file next to the target; other users stage it in a private /tmp folder and sudo moves it.

import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { DeployError, KubeupError, RemoteCommandError } from '../errors.js';
import { localFileSha256 } from './local-hash.js';
import type { Encoding, ExecOptions, UploadContent, UploadOptions, UploadResult } from './session.js';
import type { ChannelOutcome } from './exec.js';
import type { CommandArg } from './quote.js';

export interface UploadContext {
  host: string;
  user: string;
  /** Non-root user: stage in /tmp, then place the file with sudo. */
  useSudo: boolean;
  run(argv: readonly CommandArg[], opts?: ExecOptions): Promise<ChannelOutcome>;
  /** Runs task with an SFTP channel (counted against the channel limit). */
  sftp<T>(task: (sftp: SFTPWrapper) => Promise<T>): Promise<T>;
  /**
   * Fills the existing file `remotePath` with a local file of at least BULK_MIN_BYTES over another connection (a
   * transfer worker, transfer-pool.ts); unset: over sftp(). An SFTP failure rejects with a plain Error (the server's
   * message), as fastPut does; aborting `signal` stops the transfer.
   */
  putFile?(localPath: string, remotePath: string, opts: { concurrency: number; chunkSize: number; onProgress: (sent: number) => void; signal: AbortSignal }): Promise<void>;
}

// Prints "<sha256> <octal mode> <user>:<group>" of $1, or "absent"; then the free bytes of the file system of $2 (the
// folder an encoded upload is expanded in, or its nearest existing parent), or "?".
const STAT_SCRIPT = `if [ -e "$1" ]; then
  sum=$(sha256sum -- "$1") || exit 1
  printf '%s %s\\n' "\${sum%% *}" "$(stat -L -c '%a %U:%G' -- "$1")"
else
  echo absent
fi
d=$2
while [ ! -d "$d" ]; do d=$(dirname -- "$d"); done
stat -f -c '%a %S' -- "$d" 2>/dev/null || echo '?'`;

// Creates the folder ($1) and empty private temp files ($2...) for SFTP or the host to fill.
const PREPARE_SCRIPT = `set -e
umask 077
mkdir -p -- "$1"
shift
for f do : > "$f"; done`;

// $1 format $2 the encoded file (removed in any case) $3 the private temp file to fill $4 the sha256 it must have.
// A corrupted encoding fails the decoder; one that expands to other bytes fails the check. The temp file is then
// emptied (the caller removes it): the target is never touched.
export const EXPAND_SCRIPT = `set -e
trap 'rm -f -- "$2"' EXIT
case $1 in
  zstd) zstd -dcq -- "$2" > "$3" ;;
  xz) xz -dc -- "$2" > "$3" ;;
  gzip) gzip -dc -- "$2" > "$3" ;;
  *) echo "unknown encoding $1" >&2; exit 2 ;;
esac || { : > "$3"; echo "cannot expand the $1 upload (corrupted)" >&2; exit 3; }
sum=$(sha256sum -- "$3"); sum=\${sum%% *}
if [ "$sum" != "$4" ]; then : > "$3"; echo "the expanded file has sha256 $sum, expected $4: refused" >&2; exit 3; fi`;

// $1 curl|wget $2 url $3 sha256 of the download $4 the private temp file to fill $5 tarball member or "" $6 the sha256
// the file must have $7 the folder for downloads; the proxy (or an empty line) on stdin. Each download is made once per host (flock per sha256),
// checked, and kept under its sha256 for the other members of the same tarball; a mismatch leaves nothing.
export const FETCH_SCRIPT = `set -e
IFS= read -r proxy || true
if [ -n "$proxy" ]; then export http_proxy="$proxy" https_proxy="$proxy" HTTPS_PROXY="$proxy"; fi
umask 077
mkdir -p -- "$7"
dl=$7/$3
exec 9>"$dl.lock"
flock 9
want=$3
have() { [ -f "$dl" ] && s=$(sha256sum -- "$dl") && [ "\${s%% *}" = "$want" ]; }
if ! have; then
  rm -f -- "$dl.part"
  case $1 in
    curl) curl -fsSL --retry 2 --connect-timeout 10 -o "$dl.part" "$2" ;;
    wget) wget -q -T 30 -t 3 -O "$dl.part" "$2" ;;
    *) false ;;
  esac || { rm -f -- "$dl.part"; echo "$1 could not download $2" >&2; exit 4; }
  s=$(sha256sum -- "$dl.part"); s=\${s%% *}
  if [ "$s" != "$3" ]; then rm -f -- "$dl.part"; echo "sha256 mismatch for $2: expected $3, got $s; the download was deleted" >&2; exit 3; fi
  mv -f -- "$dl.part" "$dl"
fi
# Tar writers spell a member "a/b" or "./a/b": the second is tried when the first is not there.
if [ -n "$5" ]; then tar -xOf "$dl" -- "$5" > "$4" 2>/dev/null || tar -xOf "$dl" -- "./$5" > "$4"; else cat -- "$dl" > "$4"; fi
s=$(sha256sum -- "$4"); s=\${s%% *}
if [ "$s" != "$6" ]; then : > "$4"; echo "\${5:-the download} has sha256 $s, expected $6: refused" >&2; exit 3; fi`;

// $1 source (staged file or the temp file itself) $2 target $3 temp name next to the target $4 owner $5 mode.
// The temp file is removed on any failure; after mv it no longer exists.
const PLACE_SCRIPT = `set -e
tmp=$3
trap 'rm -f -- "$tmp"' EXIT
umask 077
mkdir -p -- "$(dirname -- "$2")"
if [ "$1" != "$tmp" ]; then cp -- "$1" "$tmp"; fi
chown -- "$4" "$tmp"
chmod -- "$5" "$tmp"
mv -fT -- "$tmp" "$2"`;

const OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;
const ENCODED_SUFFIX: Record<Encoding, string> = { zstd: '.zst', xz: '.xz', gzip: '.gz' };

export async function uploadFile(ctx: UploadContext, remotePath: string, content: UploadContent, opts: UploadOptions): Promise<UploadResult> {
  const owner = opts.owner ?? 'root:root';
  checkArguments(ctx, remotePath, owner, opts.mode);
  const local = await describeLocal(content);
  const sudo = ctx.useSudo;

  const step = stepRunner(ctx, remotePath);
  const dir = posix.dirname(remotePath);
  // A sudo user expands in its /tmp staging folder, root next to the target.
  const current = await step('read the existing file', ['sh', '-c', STAT_SCRIPT, 'sh', remotePath, sudo ? '/tmp' : dir], { sudo });
  const [existing = '', freeLine = ''] = current.stdout.toString('utf8').trim().split('\n');
  if (isSame(existing.trim(), local.sha256, opts.mode, owner)) {
    return { changed: false, bytes: local.size, wireBytes: 0 };
  }

  const temp = posix.join(dir, `.${posix.basename(remotePath)}.kubeup-${randomBytes(6).toString('hex')}`);
  const mode = `0${(opts.mode & 0o7777).toString(8)}`;
  const place = (source: string, asRoot: boolean) =>
    step(asRoot ? 'copy into place with sudo' : 'set owner and mode and rename into place', ['sh', '-c', PLACE_SCRIPT, 'sh', source, remotePath, temp, owner, mode], { sudo: asRoot });

  if ('fetch' in content) {
    // Nothing to send: the host writes the temp file next to the target itself (as root), checks it and renames.
    const f = content.fetch;
    await step('create the folder and a temporary file', ['sh', '-c', PREPARE_SCRIPT, 'sh', dir, temp], { sudo });
    await withCleanup(
      async () => {
        await fetchStep(ctx, remotePath, ['sh', '-c', FETCH_SCRIPT, 'sh', f.tool, f.url, f.sha256, temp, f.member ?? '', local.sha256, f.downloadsDir], { sudo, stdin: `${f.proxy ?? ''}\n` });
        await place(temp, sudo);
      },
      () => ctx.run(['rm', '-f', '--', temp], { allowFailure: true, sudo }),
    );
    return { changed: true, bytes: local.size, wireBytes: 0 };
  }

  const packedSize = 'encoded' in content ? (await stat(content.encoded.localPath)).size : 0;
  // The packed copy and the expanded file are on the host at once: with less room than both need, the file goes as
  // it is, so that a disk with room for the file alone still takes it.
  const encoded = 'encoded' in content && roomFor(freeLine, packedSize + local.size) ? content.encoded : undefined;
  const sent: Buffer | { localPath: string } = encoded ? { localPath: encoded.localPath } : 'encoded' in content ? { localPath: content.plainPath } : (content as Buffer | { localPath: string });
  const wireBytes = encoded ? packedSize : local.size;
  // Fills `file` (a temp or staging name): the bytes go there directly, or encoded next to it and expanded.
  const fill = async (file: string) => {
    if (!encoded) return send(ctx, file, remotePath, sent, wireBytes, opts);
    const packed = `${file}${ENCODED_SUFFIX[encoded.format]}`;
    await send(ctx, packed, remotePath, sent, wireBytes, opts);
    try {
      await step(`expand the ${encoded.format} upload and check its sha256`, ['sh', '-c', EXPAND_SCRIPT, 'sh', encoded.format, packed, file, local.sha256]);
    } catch (err) {
      // A full disk fails the decoder too: say so, not "corrupted".
      throw (await noSpaceError(ctx, file, remotePath, local.size, err as Error, 'expand')) ?? err;
    }
  };
  const packedOf = (file: string) => (encoded ? [`${file}${ENCODED_SUFFIX[encoded.format]}`] : []);
  if (!sudo) {
    await step('create the folder and a temporary file', ['sh', '-c', PREPARE_SCRIPT, 'sh', dir, temp, ...packedOf(temp)]);
    await withCleanup(
      async () => {
        await fill(temp);
        await place(temp, false);
      },
      // After a successful rename the temp name is gone and rm -f has nothing to do.
      () => ctx.run(['rm', '-f', '--', temp, ...packedOf(temp)], { allowFailure: true }),
    );
  } else {
    // mktemp -d makes a 0700 folder only this user can enter.
    const staging = (await step('make a private staging folder', ['mktemp', '-d', '/tmp/kubeup-upload.XXXXXXXX'])).stdout.toString('utf8').trim();
    await withCleanup(
      async () => {
        const staged = posix.join(staging, 'content');
        await step('create the staging file', ['sh', '-c', PREPARE_SCRIPT, 'sh', staging, staged, ...packedOf(staged)]);
        await fill(staged);
        await place(staged, true);
      },
      () => ctx.run(['rm', '-rf', '--', staging], { allowFailure: true }),
    );
  }
  return { changed: true, bytes: local.size, wireBytes, ...(encoded ? { encoding: encoded.format } : {}) };
}

/** Room left over on top of what an encoded upload needs (file system blocks, metadata, other writers). */
export const ENCODED_SLACK_BYTES = 1024 * 1024;

/** True unless STAT_SCRIPT's free-space line ("<blocks> <block size>") says fewer than `bytes` + slack are free. */
export function roomFor(freeLine: string, bytes: number): boolean {
  const [blocks, blockSize] = freeLine.trim().split(' ').map(Number);
  if (blocks === undefined || blockSize === undefined || !Number.isFinite(blocks * blockSize)) return true;
  return blocks * blockSize >= bytes + ENCODED_SLACK_BYTES;
}

/** The host's own download: its failures name the URL and what to check (the mirror, the proxy, the host's route). */
async function fetchStep(ctx: UploadContext, remotePath: string, argv: readonly CommandArg[], opts: ExecOptions): Promise<void> {
  try {
    await ctx.run(argv, opts);
  } catch (err) {
    if (!(err instanceof RemoteCommandError)) throw err;
    const reason = err.stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${err.code ?? 'signal'}`;
    throw new DeployError(`${ctx.host} could not fetch ${remotePath} itself (download.from: hosts): ${reason}`, {
      host: ctx.host,
      file: remotePath,
      field: 'download.from',
      cause: err,
      hint: 'check that the host reaches the mirror (download.mirrors) directly or through download.proxy, or set download.from: operator; the target was left as it was',
    });
  }
}

/**
 * Runs work, then cleanup. When work failed, its error is the one reported (a clean-up that fails too, e.g. on a lost
 * connection, would only hide the cause); when work succeeded, a failed clean-up is reported.
 */
async function withCleanup(work: () => Promise<void>, cleanup: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  await cleanup();
}

/** Runs one remote step of an upload; a failure names the file and the step instead of the helper script. */
function stepRunner(ctx: UploadContext, remotePath: string) {
  return async (what: string, argv: readonly CommandArg[], opts: ExecOptions = {}): Promise<ChannelOutcome> => {
    try {
      return await ctx.run(argv, opts);
    } catch (err) {
      if (!(err instanceof RemoteCommandError)) throw err;
      const reason = err.stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${err.code ?? 'signal'}`;
      throw new DeployError(`upload of ${remotePath} failed (${what}): ${reason}`, {
        host: ctx.host,
        file: remotePath,
        cause: err,
        hint: 'check the owner (user and group must exist on the host), free disk space and permissions',
      });
    }
  };
}

function checkArguments(ctx: UploadContext, remotePath: string, owner: string, mode: number): void {
  const where = { host: ctx.host, file: remotePath };
  if (!remotePath.startsWith('/') || /[\n\0]/.test(remotePath) || remotePath.endsWith('/')) {
    throw new KubeupError(`upload target must be an absolute file path: ${JSON.stringify(remotePath)}`, { ...where, hint: 'this is a bug in kubeup' });
  }
  if (!OWNER.test(owner)) throw new KubeupError(`bad owner ${JSON.stringify(owner)} for an upload`, { ...where, hint: 'owner must be user or user:group' });
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new KubeupError(`bad mode ${mode} for an upload`, { ...where, hint: 'mode is an octal number such as 0o644' });
}

interface LocalContent {
  sha256: string;
  size: number;
}

async function describeLocal(content: UploadContent): Promise<LocalContent> {
  if ('sha256' in content && !Buffer.isBuffer(content)) return { sha256: content.sha256, size: content.size };
  if (Buffer.isBuffer(content)) return { sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
  const [sha256, st] = await Promise.all([localFileSha256(content.localPath), stat(content.localPath)]);
  return { sha256, size: st.size };
}

export function isSame(remote: string, sha256: string, mode: number, owner: string): boolean {
  const match = /^([0-9a-f]{64}) ([0-7]+) (\S+):(\S+)$/.exec(remote);
  if (!match) return false;
  const [, remoteSha, remoteMode, remoteUser, remoteGroup] = match;
  const [wantUser, wantGroup] = owner.split(':');
  return (
    remoteSha === sha256 &&
    parseInt(remoteMode!, 8) === (mode & 0o7777) &&
    remoteUser === wantUser &&
    (wantGroup === undefined || remoteGroup === wantGroup)
  );
}

const CHUNK = 32 * 1024;
const IN_FLIGHT = 16;

/**
 * An upload that gets no acknowledgement for this long has stalled (a live connection whose SFTP server no longer
 * writes, e.g. a hung disk). A slow upload that still moves is never stopped; a dead host is found by keepalive.
 */
export const UPLOAD_STALL_MS = 25_000;

/** Files at least this big go through ctx.putFile when the session has one; smaller ones are not worth a second connection. */
export const BULK_MIN_BYTES = 1024 * 1024;

/** Sends the bytes to `remotePath` (a temporary or staging name); messages name `target`, the file being replaced. */
async function send(ctx: UploadContext, remotePath: string, target: string, content: Buffer | { localPath: string }, size: number, opts: UploadOptions) {
  const putFile = ctx.putFile && !Buffer.isBuffer(content) && size >= BULK_MIN_BYTES ? ctx.putFile.bind(ctx) : undefined;
  // The diagnosis runs after the SFTP channel is given back (it needs a channel of its own).
  const failure = putFile
    ? await watched((progress, signal) =>
        putFile((content as { localPath: string }).localPath, remotePath, { concurrency: IN_FLIGHT, chunkSize: CHUNK, onProgress: (sent) => progress(sent, size), signal }),
      )
    : await ctx.sftp((sftp) => watched((progress) => sendWith(sftp, progress)));
  if (failure) throw await sendFailure(ctx, remotePath, target, size, failure);

  /** Runs the transfer under the stall watchdog; its SFTP error is returned (the project's own errors are thrown). */
  async function watched(transfer: (progress: (sent: number, total: number) => void, signal: AbortSignal) => Promise<void>): Promise<Error | undefined> {
    const stop = new AbortController();
    try {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            const stalled = new Error(`no progress for ${UPLOAD_STALL_MS / 1000} s, gave up`);
            stop.abort(stalled);
            reject(stalled);
          }, UPLOAD_STALL_MS);
        };
        const progress = (sent: number, total: number) => {
          arm();
          opts.onProgress?.(sent, total);
        };
        arm();
        transfer(progress, stop.signal).then(resolve, reject).finally(() => clearTimeout(timer));
      });
    } catch (err) {
      if (err instanceof KubeupError) throw err;
      return err as Error;
    }
    return undefined;
  }

  async function sendWith(sftp: SFTPWrapper, progress: (sent: number, total: number) => void): Promise<void> {
    if (!Buffer.isBuffer(content)) {
      // The remote file already exists (0600), so fastPut's open keeps that mode.
      await new Promise<void>((resolve, reject) =>
        sftp.fastPut(content.localPath, remotePath, { concurrency: IN_FLIGHT, chunkSize: CHUNK, step: (sent) => progress(sent, size) }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      return;
    }
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(remotePath, 'w', (err, h) => (err ? reject(err) : resolve(h))));
    try {
      await writeAll(sftp, handle, content, progress);
    } finally {
      await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
    }
  }
}

/**
 * OpenSSH's SFTP server reports a full disk as a bare "Failure": look at the free space of the target's file system
 * to say what happened.
 */
async function sendFailure(ctx: UploadContext, remotePath: string, target: string, size: number, err: Error): Promise<DeployError> {
  const full = await noSpaceError(ctx, remotePath, target, size, err, 'SFTP');
  if (full) return full;
  return new DeployError(`cannot write ${target} on ${ctx.host} over SFTP (to ${remotePath}): ${err.message}`, { host: ctx.host, file: target, cause: err, hint: 'check free disk space and permissions on the host' });
}

/** The "no space left" error when the target's file system has less free space than the file needs; else undefined. */
async function noSpaceError(ctx: UploadContext, remotePath: string, target: string, size: number, err: Error, via: string): Promise<DeployError | undefined> {
  const dir = posix.dirname(remotePath);
  const where = { host: ctx.host, file: target, cause: err };
  const df = await ctx.run(['stat', '-f', '-c', '%a %S', '--', dir], { allowFailure: true }).catch(() => undefined);
  const [blocks, blockSize] = (df?.code === 0 ? df.stdout.toString('utf8').trim() : '').split(' ').map(Number);
  if (blocks !== undefined && blockSize !== undefined && Number.isFinite(blocks * blockSize) && blocks * blockSize < Math.max(size, 1)) {
    return new DeployError(`no space left on ${ctx.host} for ${target}: ${formatKiB(blocks * blockSize)} free in ${dir} when the write failed, the file needs ${formatKiB(size)} (${via}: ${err.message})`, {
      ...where,
      hint: `free space in ${dir} on the host (df -h ${dir}), then run again: ${target} was left as it was`,
    });
  }
  return undefined;
}

const formatKiB = (bytes: number) => `${Math.ceil(bytes / 1024)} KiB`;

/** Writes the buffer in chunks with several requests in flight; reports bytes as they are acknowledged. */
function writeAll(sftp: SFTPWrapper, handle: Buffer, content: Buffer, progress?: (sent: number, total: number) => void): Promise<void> {
  const total = content.length;
  if (total === 0) {
    progress?.(0, 0);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    let next = 0;
    let acknowledged = 0;
    let inFlight = 0;
    let failed = false;
    const pump = () => {
      while (!failed && inFlight < IN_FLIGHT && next < total) {
        const offset = next;
        const length = Math.min(CHUNK, total - offset);
        next += length;
        inFlight++;
        sftp.write(handle, content, offset, length, offset, (err) => {
          inFlight--;
          if (failed) return;
          if (err) {
            failed = true;
            reject(err);
            return;
          }
          acknowledged += length;
          progress?.(acknowledged, total);
          if (acknowledged === total) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}
