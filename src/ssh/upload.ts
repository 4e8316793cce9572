// Atomic, idempotent file upload. One exec first reads sha256, mode and owner of the existing file; when they all
// match, nothing is sent. Otherwise the bytes go to a private temporary file (0600 before any byte is written), get
// their owner and mode, and are renamed over the target, so readers never see a half-written file.
// Root writes the temporary file next to the target; other users stage it in a private /tmp folder and sudo moves it.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { DeployError, KubeupError, RemoteCommandError } from '../errors.js';
import type { ExecOptions, UploadOptions, UploadResult } from './session.js';
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
}

// Prints "<sha256> <octal mode> <user>:<group>" of $1, or "absent".
const STAT_SCRIPT = `if [ -e "$1" ]; then
  sum=$(sha256sum -- "$1") || exit 1
  printf '%s %s\\n' "\${sum%% *}" "$(stat -L -c '%a %U:%G' -- "$1")"
else
  echo absent
fi`;

// Creates the folder and an empty private temp file ($2) for SFTP to fill.
const PREPARE_SCRIPT = `set -e
umask 077
mkdir -p -- "$1"
: > "$2"`;

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

export async function uploadFile(
  ctx: UploadContext,
  remotePath: string,
  content: Buffer | { localPath: string },
  opts: UploadOptions,
): Promise<UploadResult> {
  const owner = opts.owner ?? 'root:root';
  checkArguments(ctx, remotePath, owner, opts.mode);
  const local = await describeLocal(content);
  const sudo = ctx.useSudo;

  const step = stepRunner(ctx, remotePath);
  const current = await step('read the existing file', ['sh', '-c', STAT_SCRIPT, 'sh', remotePath], { sudo });
  if (isSame(current.stdout.toString('utf8').trim(), local.sha256, opts.mode, owner)) {
    return { changed: false, bytes: local.size };
  }

  const dir = posix.dirname(remotePath);
  const temp = posix.join(dir, `.${posix.basename(remotePath)}.kubeup-${randomBytes(6).toString('hex')}`);
  const mode = `0${(opts.mode & 0o7777).toString(8)}`;
  if (!sudo) {
    await step('create the folder and a temporary file', ['sh', '-c', PREPARE_SCRIPT, 'sh', dir, temp]);
    await withCleanup(
      async () => {
        await send(ctx, temp, remotePath, content, local.size, opts);
        await step('set owner and mode and rename into place', ['sh', '-c', PLACE_SCRIPT, 'sh', temp, remotePath, temp, owner, mode]);
      },
      // After a successful rename the temp name is gone and rm -f has nothing to do.
      () => ctx.run(['rm', '-f', '--', temp], { allowFailure: true }),
    );
  } else {
    // mktemp -d makes a 0700 folder only this user can enter.
    const staging = (await step('make a private staging folder', ['mktemp', '-d', '/tmp/kubeup-upload.XXXXXXXX'])).stdout.toString('utf8').trim();
    await withCleanup(
      async () => {
        const staged = posix.join(staging, 'content');
        await step('create the staging file', ['sh', '-c', PREPARE_SCRIPT, 'sh', staging, staged]);
        await send(ctx, staged, remotePath, content, local.size, opts);
        await step('copy into place with sudo', ['sh', '-c', PLACE_SCRIPT, 'sh', staged, remotePath, temp, owner, mode], { sudo: true });
      },
      () => ctx.run(['rm', '-rf', '--', staging], { allowFailure: true }),
    );
  }
  return { changed: true, bytes: local.size };
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

async function describeLocal(content: Buffer | { localPath: string }): Promise<LocalContent> {
  if (Buffer.isBuffer(content)) return { sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(content.localPath)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), size: (await stat(content.localPath)).size };
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

/** Sends the bytes to `remotePath` (a temporary or staging name); messages name `target`, the file being replaced. */
async function send(ctx: UploadContext, remotePath: string, target: string, content: Buffer | { localPath: string }, size: number, opts: UploadOptions) {
  let progress: ((sent: number, total: number) => void) | undefined;
  // The diagnosis runs after the SFTP channel is given back (it needs a channel of its own).
  const failure = await ctx.sftp(async (sftp): Promise<Error | undefined> => {
    try {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(() => reject(new Error(`no progress for ${UPLOAD_STALL_MS / 1000} s, gave up`)), UPLOAD_STALL_MS);
        };
        progress = (sent, total) => {
          arm();
          opts.onProgress?.(sent, total);
        };
        arm();
        sendWith(sftp).then(resolve, reject).finally(() => clearTimeout(timer));
      });
    } catch (err) {
      if (err instanceof KubeupError) throw err;
      return err as Error;
    }
    return undefined;
  });
  if (failure) throw await sendFailure(ctx, remotePath, target, size, failure);

  async function sendWith(sftp: SFTPWrapper): Promise<void> {
    if (!Buffer.isBuffer(content)) {
      // The remote file already exists (0600), so fastPut's open keeps that mode.
      await new Promise<void>((resolve, reject) =>
        sftp.fastPut(content.localPath, remotePath, { concurrency: IN_FLIGHT, chunkSize: CHUNK, step: (sent) => progress?.(sent, size) }, (err) =>
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
  const dir = posix.dirname(remotePath);
  const where = { host: ctx.host, file: target, cause: err };
  const df = await ctx.run(['stat', '-f', '-c', '%a %S', '--', dir], { allowFailure: true }).catch(() => undefined);
  const [blocks, blockSize] = (df?.code === 0 ? df.stdout.toString('utf8').trim() : '').split(' ').map(Number);
  if (blocks !== undefined && blockSize !== undefined && Number.isFinite(blocks * blockSize) && blocks * blockSize < Math.max(size, 1)) {
    return new DeployError(`no space left on ${ctx.host} for ${target}: ${formatKiB(blocks * blockSize)} free in ${dir} when the write failed, the file needs ${formatKiB(size)} (SFTP: ${err.message})`, {
      ...where,
      hint: `free space in ${dir} on the host (df -h ${dir}), then run again: ${target} was left as it was`,
    });
  }
  return new DeployError(`cannot write ${target} on ${ctx.host} over SFTP (to ${remotePath}): ${err.message}`, { ...where, hint: 'check free disk space and permissions on the host' });
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
