// A live connection to one host: the ssh2 implementation of HostSession.

import type { Client, SFTPWrapper } from 'ssh2';
import { ConnectError, KubeupError, RemoteCommandError } from '../errors.js';
import { endClient } from './end-client.js';
import { endpointLabel, type ConnectSpec } from './endpoint.js';
import { SudoError } from './errors.js';
import { runOnChannel, type ChannelOutcome } from './exec.js';
import { ChannelLimiter } from './limiter.js';
import { displayArgv, type CommandArg } from './quote.js';
import { redactor } from './redact.js';
import type { ExecOptions, ExecResult, HostSession, UploadContent, UploadOptions, UploadResult } from './session.js';
import { buildCommand, newSudoMarkers, type SudoMarkers, type SudoMode } from './sudo.js';
import { transferPool, type TransferEndpoint, type TransferLink } from './transfer-pool.js';
import { uploadFile, type UploadContext } from './upload.js';

export interface SessionSettings {
  maxChannels: number;
  sudoPromptWaitMs?: number;
  /** Set: big files go over a second connection in a transfer worker (transfer-pool.ts). */
  transfer?: TransferEndpoint;
}

/** A live connection to one host. Created by connect(). */
export class SshSession implements HostSession {
  readonly target: string;
  private readonly limiter: ChannelLimiter;
  /** The transfer worker's connection has a channel limit of its own (same sshd, same MaxSessions). */
  private readonly bulkLimiter: ChannelLimiter;
  private link?: TransferLink;
  private readonly markers: SudoMarkers = newSudoMarkers();
  private sudoMode?: Promise<SudoMode>;
  private closed = false;
  /** Why the connection went away on its own (keepalive timeout, reset), for the errors that follow. */
  private lost?: string;
  /** Rejects when the connection goes away on its own; every operation races against it. */
  private readonly gone: Promise<never>;
  private rejectGone!: (err: Error) => void;

  constructor(
    private readonly spec: ConnectSpec,
    private readonly client: Client,
    private readonly releaseJump: (() => Promise<void>) | undefined,
    private readonly settings: SessionSettings,
  ) {
    this.target = endpointLabel(spec);
    this.limiter = new ChannelLimiter(settings.maxChannels);
    this.bulkLimiter = new ChannelLimiter(settings.maxChannels);
    this.gone = new Promise<never>((_, reject) => (this.rejectGone = reject));
    this.gone.catch(() => {}); // only raced against, never awaited alone
    client.on('error', (err: Error) => {
      this.lost ??= err.message;
    });
    client.once('close', () => {
      this.lost ??= 'the connection was closed';
      // ssh2 does not always fail the operations still waiting on a dead connection (an SFTP write to a host that
      // powered off): fail them here, so a dead host cannot hang the run.
      if (!this.closed) this.rejectGone(this.lostError());
      this.link?.close(this.lostError());
      // A session whose connection is gone has no use for its jump host either.
      void this.releaseJump?.();
    });
  }

  get host(): string {
    return this.spec.host;
  }

  get isRoot(): boolean {
    return this.spec.user === 'root';
  }

  async exec(argv: readonly CommandArg[], opts: ExecOptions = {}): Promise<ExecResult> {
    const outcome = await this.run(argv, opts);
    const hide = redactor(opts.redact ?? []);
    // code is null only after a signal, and run() has thrown for that unless allowFailure: report it as -1.
    return { code: outcome.code ?? -1, stdout: hide(outcome.stdout.toString('utf8')), stderr: outcome.stderr };
  }

  /** exec with stdout as bytes (not redacted: for file contents); the same checks and errors. */
  async run(argv: readonly CommandArg[], opts: ExecOptions = {}): Promise<ChannelOutcome> {
    if (argv.length === 0) throw new TypeError('exec needs a command');
    const mode = opts.sudo ? await this.sudo() : undefined;
    const command = buildCommand(argv, { ...(mode ? { sudo: mode } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }, this.markers);
    const stdin = typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : opts.stdin;
    const hide = redactor([...(opts.redact ?? []), this.spec.sudoPassword]);
    const onLine = opts.onLine;
    const outcome = await this.channel(() =>
      runOnChannel(this.client, {
        command,
        ...(stdin ? { stdin } : {}),
        ...(onLine ? { onLine: (line: string, stream: 'stdout' | 'stderr') => onLine(hide(line), stream) } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(mode === 'password' ? { sudoPassword: { markers: this.markers, password: this.spec.sudoPassword! } } : {}),
        ...(this.settings.sudoPromptWaitMs ? { sudoPromptWaitMs: this.settings.sudoPromptWaitMs } : {}),
      }),
    );
    outcome.stderr = hide(outcome.stderr);
    const shown = displayArgv(argv).map(hide);
    if (outcome.sudoRejected) {
      throw new SudoError(`sudo password rejected on ${this.spec.host} (user ${this.spec.user})`, {
        host: this.spec.host,
        hint: `type the sudo password of ${this.spec.user} again; check it by logging in and running sudo -v`,
      });
    }
    if (outcome.sudoStuck) {
      throw new SudoError(`sudo on ${this.spec.host} did not show kubeup's password prompt (user ${this.spec.user})`, {
        host: this.spec.host,
        hint: 'sudo waits for something else here (a PAM second factor, another prompt): allow NOPASSWD for this user, or connect as root',
      });
    }
    if (outcome.timedOut) {
      throw new RemoteCommandError(this.spec.host, shown, null, outcome.stderr, `the command did not finish within ${opts.timeoutMs} ms and was stopped`);
    }
    if (outcome.code === null && this.lost && !opts.allowFailure) throw this.lostError();
    if (outcome.code !== 0 && !opts.allowFailure) {
      throw new RemoteCommandError(this.spec.host, shown, outcome.code, outcome.stderr, outcome.signal ? `the command was killed by ${outcome.signal}` : undefined);
    }
    return outcome;
  }

  async upload(remotePath: string, content: UploadContent, opts: UploadOptions): Promise<UploadResult> {
    return uploadFile(
      {
        host: this.spec.host,
        user: this.spec.user,
        useSudo: !this.isRoot,
        run: (argv, runOpts) => this.run(argv, runOpts),
        sftp: (task) => this.channel(() => this.withSftp(task)),
        ...(this.settings.transfer ? { putFile: (localPath, remote, opts) => this.putFile(localPath, remote, opts) } : {}),
      },
      remotePath,
      content,
      opts,
    );
  }

  async read(remotePath: string): Promise<Buffer | undefined> {
    const outcome = await this.run(['sh', '-c', READ_SCRIPT, 'sh', remotePath], { sudo: !this.isRoot, allowFailure: true });
    if (outcome.code === 0) return outcome.stdout;
    if (outcome.code === READ_ABSENT && outcome.stderr === '') return undefined;
    throw new RemoteCommandError(this.spec.host, displayArgv(['cat', remotePath]), outcome.code, outcome.stderr);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.link?.close(this.closedError());
    await endClient(this.client);
    await this.releaseJump?.();
  }

  /** How sudo runs for this user, asked once per session with `sudo -n true`. */
  private sudo(): Promise<SudoMode> {
    this.sudoMode ??= this.detectSudo();
    return this.sudoMode;
  }

  private async detectSudo(): Promise<SudoMode> {
    if (this.isRoot) return 'root';
    const { host, user } = this.spec;
    const probe = await this.channel(() => runOnChannel(this.client, { command: 'sudo -n true' }));
    if (probe.code === 0) return 'nopasswd';
    if (probe.code === 127) {
      throw new SudoError(`sudo is not installed on ${host}, and user ${user} is not root`, {
        host,
        hint: 'install sudo on the host, or connect as root',
      });
    }
    if (!/password is required/i.test(probe.stderr)) {
      const needsTty = /tty/i.test(probe.stderr);
      throw new SudoError(`user ${user} cannot use sudo on ${host}: ${probe.stderr.trim() || `exit ${probe.code}`}`, {
        host,
        hint: needsTty
          ? `sudoers requires a terminal: add "Defaults:${user} !requiretty" in /etc/sudoers.d, or connect as root`
          : `give ${user} sudo rights (a file in /etc/sudoers.d), or connect as root`,
      });
    }
    if (this.spec.sudoPassword === undefined) {
      throw new SudoError(`sudo on ${host} needs the password of ${user}, and none was given`, {
        host,
        hint: 'set ssh.sudoPassword: true in the profile so kubeup asks for it, or allow NOPASSWD for this user',
      });
    }
    return 'password';
  }

  /** A big file through the transfer worker: its errors are not wrapped (upload.ts tells SFTP failures apart). */
  private putFile(...[localPath, remotePath, opts]: Parameters<NonNullable<UploadContext['putFile']>>): Promise<void> {
    return this.guarded(this.bulkLimiter, () => {
      this.link ??= transferPool().link(this.settings.transfer!);
      return this.link.put(localPath, remotePath, opts);
    });
  }

  /** Runs task under a channel limit, failing at once when the session is closed or its connection is gone. */
  private guarded<T>(limiter: ChannelLimiter, task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.lost) return Promise.reject(this.lostError());
    return Promise.race([limiter.run(task), this.gone]);
  }

  private closedError(): ConnectError {
    return new ConnectError(`the session to ${this.target} is closed`, { host: this.spec.host });
  }

  private channel<T>(task: () => Promise<T>): Promise<T> {
    return this.guarded(this.limiter, task).catch((err: unknown) => {
      if (err instanceof KubeupError) throw err;
      if (this.lost) throw this.lostError();
      throw new ConnectError(`SSH channel to ${this.target} failed: ${(err as Error).message}`, {
        host: this.spec.host,
        cause: err,
        hint: 'check sshd limits on the host (MaxSessions) and its log; run again',
      });
    });
  }

  private lostError(): ConnectError {
    return new ConnectError(`lost the SSH connection to ${this.target} (${this.lost})`, {
      host: this.spec.host,
      hint: 'check that the host is up and reachable, then run again (finished steps are skipped)',
    });
  }

  private withSftp<T>(task: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    return Promise.race([this.sftpSession(task), this.gone]);
  }

  private sftpSession<T>(task: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    return new Promise<SFTPWrapper>((resolve, reject) => this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)))).then(
      async (sftp) => {
        try {
          return await task(sftp);
        } finally {
          sftp.end();
        }
      },
    );
  }
}

// Prints the file, or exits READ_ABSENT with nothing on stderr when there is no such file.
const READ_ABSENT = 44;
const READ_SCRIPT = `if [ -e "$1" ]; then exec cat -- "$1"; else exit ${READ_ABSENT}; fi`;

