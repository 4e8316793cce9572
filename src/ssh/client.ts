// connect(): the way in to the SSH layer. Opens the connection (through a jump host when the profile has one,
// checking the target's key under the target's own name) and returns a HostSession.

import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { CancelledError, ConnectError } from '../errors.js';
import { endpointLabel, type ConnectOptions, type ConnectSpec, type SshEndpoint } from './endpoint.js';
import { openJumpAlone, type JumpLease } from './jump-pool.js';
import { expandHome } from './auth.js';
import { DEFAULT_KNOWN_HOSTS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS } from './endpoint.js';
import { acceptedHostKey, openClient } from './open-client.js';
import { SshSession } from './ssh-session.js';
import type { TransferEndpoint } from './transfer-pool.js';

export type { ConnectOptions, ConnectSpec, LearnedHostKey, SshEndpoint } from './endpoint.js';
export type { Credentials } from './auth.js';
export { JumpHostPool } from './jump-pool.js';
export { SshSession } from './ssh-session.js';

export async function connect(spec: ConnectSpec, opts: ConnectOptions = {}): Promise<SshSession> {
  let jump: JumpLease | undefined;
  let sock: Duplex | undefined;
  if (spec.jump) {
    jump = opts.jumpHosts ? await opts.jumpHosts.acquire(spec.jump, opts) : await openJumpAlone(spec.jump, opts);
    try {
      sock = await forward(jump.client, spec.jump, spec, opts.signal);
    } catch (err) {
      await jump.release();
      throw err;
    }
  }
  try {
    const client = await openClient(spec, opts, sock);
    const transfer = spec.jump ? undefined : transferEndpoint(spec, opts, acceptedHostKey(client));
    return new SshSession(spec, client, jump?.release, {
      maxChannels: opts.maxChannels ?? 4,
      ...(opts.sudoPromptWaitMs ? { sudoPromptWaitMs: opts.sudoPromptWaitMs } : {}),
      ...(transfer ? { transfer } : {}),
    });
  } catch (err) {
    await jump?.release();
    throw err;
  }
}

/** Whether this session sends big files from a worker thread, and what the worker needs to connect. */
function transferEndpoint(spec: ConnectSpec, opts: ConnectOptions, hostKey: Buffer | undefined): TransferEndpoint | undefined {
  const env = opts.env ?? process.env;
  if (!(opts.transferWorkers ?? env.KUBEUP_SSH_WORKERS === '1') || !hostKey) return undefined;
  const agentSocket = typeof spec.auth.agent === 'string' ? spec.auth.agent : spec.auth.agent ? env.SSH_AUTH_SOCK : undefined;
  return {
    host: spec.host,
    port: spec.port,
    user: spec.user,
    auth: spec.auth,
    ...(agentSocket ? { agentSocket } : {}),
    hostKey,
    readyTimeoutMs: opts.readyTimeoutMs ?? 20_000,
    keepaliveIntervalMs: opts.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    knownHostsFile: expandHome(opts.knownHostsFile ?? DEFAULT_KNOWN_HOSTS),
    pinField: spec.hostKeyField ?? (spec.field ? `${spec.field}.hostKey` : 'hostKey'),
  };
}

/**
 * A TCP channel to the target through the jump host. The bastion answers only once its own connect to the target is
 * done (a silent target: minutes), so a cancel gives up at once; a channel that opens after it is closed.
 */
function forward(jump: Client, jumpSpec: SshEndpoint, target: SshEndpoint, signal?: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      reject(new CancelledError(`cancelled while connecting to ${endpointLabel(target)} through jump host ${endpointLabel(jumpSpec)}`, { host: target.host }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    jump.forwardOut('127.0.0.1', 0, target.host, target.port, (err, stream) => {
      signal?.removeEventListener('abort', onAbort);
      if (cancelled) {
        stream?.destroy();
        return;
      }
      if (err) {
        reject(
          new ConnectError(`jump host ${endpointLabel(jumpSpec)} cannot reach ${target.host}:${target.port} (${err.message})`, {
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
