// The ssh2 implementation of HostSession: connect (host-key check, auth, optional jump host), exec with sudo,
// atomic uploads, reads. Every failure is a typed error naming the host, what was tried and what to do.

import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';
import { ConnectError, KubeupError, RemoteCommandError } from '../errors.js';
import { authFailure, authHandler, expandHome, prepareAuth, type AuthProgress, type Credentials } from './auth.js';
import { SudoError } from './errors.js';
import { runOnChannel, type ChannelOutcome } from './exec.js';
import { hostKeyError, preferredHostKeyAlgorithms, verifyHostKey, type HostKeyVerdict } from './host-key.js';
import { appendKnownHost, lookupKnownHosts, readKnownHostsFile } from './known-hosts.js';
import { ChannelLimiter } from './limiter.js';
import { displayArgv, type CommandArg } from './quote.js';
import type { ExecOptions, ExecResult, HostSession, UploadOptions, UploadResult } from './session.js';
import { buildCommand, newSudoMarkers, type SudoMarkers, type SudoMode } from './sudo.js';
import { uploadFile } from './upload.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** Pinned host key `SHA256:...`; when set, known_hosts is not consulted for this host. */
  hostKey?: string;
  /** Profile path of this endpoint for messages: `hosts[0]`, or `ssh.jumpHost`. */
  field?: string;
  /** Profile field that pins the key, for hints: `hosts[0].hostKey` (default `<field>.hostKey`). */
  hostKeyField?: string;
  auth: Credentials;
}

export interface ConnectSpec extends SshEndpoint {
  /** Bastion to reach the host through (`forwardOut`); its key is checked under its own name. */
  jump?: SshEndpoint;
  /** Given when sudo needs a password; never logged. */
  sudoPassword?: string;
}

export interface ConnectOptions {
  /** Default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** --accept-new-host-keys: learn hosts that have no known_hosts entry (never a changed key). */
  acceptNewHostKeys?: boolean;
  /** Handshake and auth must finish within this time. Default 20 s. */
  readyTimeoutMs?: number;
  /** SSH keepalive every N ms; the connection drops after 4 unanswered. Default 15 s; 0 turns it off. */
  keepaliveIntervalMs?: number;
  /** Channels open at once on this connection (sshd's MaxSessions is 10). Default 4. */
  maxChannels?: number;
  /** Things the user should see that did not stop the connection (dead agent socket, learned host key). */
  onWarning?: (message: string) => void;
  /** Called after a new host key was written to known_hosts (acceptNewHostKeys). */
  onHostKeyLearned?: (learned: LearnedHostKey) => void;
  /** Environment to read SSH_AUTH_SOCK from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface LearnedHostKey {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  knownHostsFile: string;
}

const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';

/** Opens an SSH connection (through the jump host, if any) and returns a session for it. */
export async function connect(spec: ConnectSpec, opts: ConnectOptions = {}): Promise<SshSession> {
  let jumpClient: Client | undefined;
  let sock: Duplex | undefined;
  if (spec.jump) {
    jumpClient = await openClient(spec.jump, opts);
    try {
      sock = await forward(jumpClient, spec.jump, spec);
    } catch (err) {
      jumpClient.end();
      throw err;
    }
  }
  try {
    const client = await openClient(spec, opts, sock);
    return new SshSession(spec, client, jumpClient, opts.maxChannels ?? 4);
  } catch (err) {
    jumpClient?.end();
    throw err;
  }
}

function label(endpoint: SshEndpoint): string {
  return `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
}

function forward(jump: Client, jumpSpec: SshEndpoint, target: SshEndpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, target.host, target.port, (err, stream) => {
      if (err) {
        reject(
          new ConnectError(`jump host ${label(jumpSpec)} cannot reach ${target.host}:${target.port} (${err.message})`, {
            host: target.host,
            ...(target.field ? { field: target.field } : {}),
            cause: err,
            hint: `check ${target.field ?? 'the host'} address and port as seen from the jump host, and that the jump host allows TCP forwarding (AllowTcpForwarding)`,
          }),
        );
      } else resolve(stream);
    });
  });
}

async function openClient(endpoint: SshEndpoint, opts: ConnectOptions, sock?: Duplex): Promise<Client> {
  const knownHostsFile = expandHome(opts.knownHostsFile ?? DEFAULT_KNOWN_HOSTS);
  const knownHosts = endpoint.hostKey === undefined ? await readKnownHostsFile(knownHostsFile) : { entries: [], problems: [] };
  for (const problem of knownHosts.problems) opts.onWarning?.(`${knownHostsFile}:${problem.line}: skipped: ${problem.message}`);
  const auth = await prepareAuth({ host: endpoint.host, user: endpoint.user, ...(endpoint.field ? { field: endpoint.field } : {}) }, endpoint.auth, opts.env);
  for (const warning of auth.warnings) opts.onWarning?.(`${endpoint.host}: ${warning}`);

  const progress: AuthProgress = { tried: [], serverAccepts: [] };
  let verdict: HostKeyVerdict | undefined;
  let offeredKey: Buffer | undefined;
  const readyTimeout = opts.readyTimeoutMs ?? 20_000;
  const keepaliveInterval = opts.keepaliveIntervalMs ?? 15_000;
  const knownTypes = lookupKnownHosts(knownHosts.entries, endpoint.host, endpoint.port).keys.map((e) => e.keyType);
  const hostKeyAlgorithms = preferredHostKeyAlgorithms(knownTypes);
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout,
    keepaliveInterval,
    keepaliveCountMax: 4,
    ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
    ...(hostKeyAlgorithms ? { algorithms: { serverHostKey: hostKeyAlgorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
    hostVerifier: (key: Buffer) => {
      offeredKey = key;
      verdict = verifyHostKey({
        host: endpoint.host,
        port: endpoint.port,
        key,
        knownHosts: knownHosts.entries,
        ...(endpoint.hostKey !== undefined ? { pinned: endpoint.hostKey } : {}),
        acceptNew: opts.acceptNewHostKeys ?? false,
      });
      return verdict.status === 'ok' || verdict.status === 'new';
    },
    authHandler: authHandler(auth.attempts, progress),
  };

  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.once('ready', () => {
      settled = true;
      resolve();
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (!settled) {
        const authError = () =>
          authFailure({ host: endpoint.host, port: endpoint.port, user: endpoint.user, ...(endpoint.field ? { field: endpoint.field } : {}) }, endpoint.auth, progress, auth.warnings);
        fail(connectFailure(err, endpoint, verdict, knownHostsFile, readyTimeout, authError));
      }
    });
    client.once('close', () =>
      fail(new ConnectError(`${label(endpoint)} closed the connection during the SSH handshake`, {
        host: endpoint.host,
        hint: 'check sshd on the host (MaxStartups, AllowUsers, its log)',
      })),
    );
    client.connect(config);
  });

  if (verdict?.status === 'new' && offeredKey) {
    try {
      await appendKnownHost(knownHostsFile, endpoint.host, endpoint.port, offeredKey);
    } catch (err) {
      client.end();
      throw new ConnectError(`cannot add the host key of ${endpoint.host} to ${knownHostsFile} (${(err as Error).message})`, {
        host: endpoint.host,
        file: knownHostsFile,
        cause: err,
        hint: 'check that the folder and file are writable, or pin the key in the profile instead',
      });
    }
    opts.onWarning?.(`${endpoint.host}: learned host key ${verdict.keyType} ${verdict.fingerprint}, added to ${knownHostsFile}`);
    opts.onHostKeyLearned?.({ host: endpoint.host, port: endpoint.port, keyType: verdict.keyType, fingerprint: verdict.fingerprint, knownHostsFile });
  }
  return client;
}

function connectFailure(
  err: Error & { level?: string; code?: string },
  endpoint: SshEndpoint,
  verdict: HostKeyVerdict | undefined,
  knownHostsFile: string,
  readyTimeoutMs: number,
  authError: () => KubeupError,
): KubeupError {
  const where = { host: endpoint.host, ...(endpoint.field ? { field: endpoint.field } : {}), cause: err };
  const target = `${endpoint.host}:${endpoint.port}`;
  if (verdict && verdict.status !== 'ok' && verdict.status !== 'new') {
    return hostKeyError(verdict, {
      host: endpoint.host,
      port: endpoint.port,
      knownHostsFile,
      pinField: endpoint.hostKeyField ?? (endpoint.field ? `${endpoint.field}.hostKey` : 'hostKey'),
    });
  }
  if (err.level === 'client-authentication') return authError();
  if (err.level === 'client-timeout') {
    return new ConnectError(`no SSH handshake from ${target} within ${Math.round(readyTimeoutMs / 1000)} s`, {
      ...where,
      hint: 'check the address and port, that sshd runs there, and that no firewall drops the packets',
    });
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConnectError(`connection refused by ${target}`, {
        ...where,
        hint: `check that sshd runs on the host and listens on port ${endpoint.port}${endpoint.field ? ` (${endpoint.field}.port)` : ''}`,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(`cannot resolve host name ${endpoint.host}`, { ...where, hint: 'check the address, or use an IP address' });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new ConnectError(`${target} is unreachable (${err.code})`, { ...where, hint: 'check the address, routes and firewalls' });
    case 'ECONNRESET':
      return new ConnectError(`${target} reset the connection during the SSH handshake`, {
        ...where,
        hint: 'check that this port is sshd (not another service), and sshd limits such as MaxStartups',
      });
  }
  return new ConnectError(`SSH connection to ${endpoint.user}@${target} failed: ${err.message}`, {
    ...where,
    hint: 'check the host, its sshd log and the profile settings for it',
  });
}

/** A live connection to one host. Created by connect(). */
export class SshSession implements HostSession {
  readonly target: string;
  private readonly limiter: ChannelLimiter;
  private readonly markers: SudoMarkers = newSudoMarkers();
  private sudoMode?: Promise<SudoMode>;
  private closed = false;

  constructor(
    private readonly spec: ConnectSpec,
    private readonly client: Client,
    private readonly jumpClient: Client | undefined,
    maxChannels: number,
  ) {
    this.target = label(spec);
    this.limiter = new ChannelLimiter(maxChannels);
  }

  get host(): string {
    return this.spec.host;
  }

  get isRoot(): boolean {
    return this.spec.user === 'root';
  }

  async exec(argv: readonly CommandArg[], opts: ExecOptions = {}): Promise<ExecResult> {
    const outcome = await this.run(argv, opts);
    // code is null only after a signal, and run() has thrown for that unless allowFailure: report it as -1.
    return { code: outcome.code ?? -1, stdout: outcome.stdout.toString('utf8'), stderr: outcome.stderr };
  }

  /** exec with stdout as bytes; the same checks and errors. */
  async run(argv: readonly CommandArg[], opts: ExecOptions = {}): Promise<ChannelOutcome> {
    if (argv.length === 0) throw new TypeError('exec needs a command');
    const mode = opts.sudo ? await this.sudo() : undefined;
    const command = buildCommand(argv, { ...(mode ? { sudo: mode } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) }, this.markers);
    const stdin = typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : opts.stdin;
    const outcome = await this.channel(() =>
      runOnChannel(this.client, {
        command,
        ...(stdin ? { stdin } : {}),
        ...(opts.onLine ? { onLine: opts.onLine } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(mode === 'password' ? { sudoPassword: { markers: this.markers, password: this.spec.sudoPassword! } } : {}),
      }),
    );
    const shown = displayArgv(argv);
    if (outcome.sudoRejected) {
      throw new SudoError(`sudo password rejected on ${this.spec.host} (user ${this.spec.user})`, {
        host: this.spec.host,
        hint: `type the sudo password of ${this.spec.user} again; check it by logging in and running sudo -v`,
      });
    }
    if (outcome.timedOut) {
      throw new RemoteCommandError(this.spec.host, shown, null, outcome.stderr, `the command did not finish within ${opts.timeoutMs} ms and was stopped`);
    }
    if (outcome.code !== 0 && !opts.allowFailure) {
      throw new RemoteCommandError(this.spec.host, shown, outcome.code, outcome.stderr, outcome.signal ? `the command was killed by ${outcome.signal}` : undefined);
    }
    return outcome;
  }

  async upload(remotePath: string, content: Buffer | { localPath: string }, opts: UploadOptions): Promise<UploadResult> {
    return uploadFile(
      {
        host: this.spec.host,
        user: this.spec.user,
        useSudo: !this.isRoot,
        run: (argv, runOpts) => this.run(argv, runOpts),
        sftp: (task) => this.channel(() => this.withSftp(task)),
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
    await endClient(this.client);
    if (this.jumpClient) await endClient(this.jumpClient);
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
      throw new SudoError(`user ${user} cannot use sudo on ${host}: ${probe.stderr.trim() || `exit ${probe.code}`}`, {
        host,
        hint: `give ${user} sudo rights (a file in /etc/sudoers.d), or connect as root`,
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

  private channel<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ConnectError(`the session to ${this.target} is closed`, { host: this.spec.host }));
    return this.limiter.run(task).catch((err: unknown) => {
      if (err instanceof KubeupError) throw err;
      throw new ConnectError(`SSH channel to ${this.target} failed: ${(err as Error).message}`, {
        host: this.spec.host,
        cause: err,
        hint: 'the connection may have dropped; run again',
      });
    });
  }

  private withSftp<T>(task: (sftp: ssh2.SFTPWrapper) => Promise<T>): Promise<T> {
    return new Promise<ssh2.SFTPWrapper>((resolve, reject) => this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)))).then(
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

function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    client.once('close', () => resolve());
    client.end();
  });
}
