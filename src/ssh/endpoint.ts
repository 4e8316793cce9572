// What to connect to and how: endpoints (from the profile), credentials, and per-run options.

import type { Credentials } from './auth.js';
import type { JumpHostPool } from './jump-pool.js';

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
  /** The system-wide file OpenSSH also reads; default /etc/ssh/ssh_known_hosts (a missing file is an empty one). */
  globalKnownHostsFile?: string;
  /** --accept-new-host-keys: learn hosts that have no known_hosts entry (never a changed key). */
  acceptNewHostKeys?: boolean;
  /** Handshake and auth must finish within this time. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * SSH keepalive every N ms (answered by sshd itself, so a long command on a live host never trips it); the
   * connection is declared lost after KEEPALIVE_COUNT_MAX more go unanswered. Default 5 s: a host that stops answering
   * is reported within about 20 s. 0 turns it off.
   */
  keepaliveIntervalMs?: number;
  /** Aborting gives up at once, also in the middle of the handshake (a cancel during preflight). */
  signal?: AbortSignal;
  /** Channels open at once on this connection (sshd's MaxSessions is 10). Default 4. */
  maxChannels?: number;
  /** How long sudo may stay silent before its password prompt or the command starts. Default 20 s. */
  sudoPromptWaitMs?: number;
  /** Things the user should see that did not stop the connection (dead agent socket, learned host key). */
  onWarning?: (message: string) => void;
  /** Called after a new host key was written to known_hosts (acceptNewHostKeys). */
  onHostKeyLearned?: (learned: LearnedHostKey) => void;
  /**
   * Send big files (at least 1 MiB) over a second connection in a worker thread (transfer-pool.ts), so that several
   * hosts' encryption uses several cores. Default: KUBEUP_SSH_WORKERS=1 turns it on. Sessions through a jump host
   * always send from the main thread.
   */
  transferWorkers?: boolean;
  /** Environment to read SSH_AUTH_SOCK (and KUBEUP_SSH_WORKERS) from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Shares one connection per jump host between the sessions of a run (else each session opens its own), so a
   * bastion sees one login instead of one per node. The pool closes a jump connection when its last session closes.
   */
  jumpHosts?: JumpHostPool;
}

export interface LearnedHostKey {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  knownHostsFile: string;
}

export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';
export const GLOBAL_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';
export const KEEPALIVE_INTERVAL_MS = 5_000;
/** ssh2 gives up when this many keepalives in a row go unanswered, one interval after the last: 4 x 5 s = 20 s. */
export const KEEPALIVE_COUNT_MAX = 3;

/** `user@host:port`, for messages. */
export function endpointLabel(endpoint: Pick<SshEndpoint, 'user' | 'host' | 'port'>): string {
  return `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
}
