// Opens one ssh2 connection: known_hosts check in hostVerifier (ssh2 accepts any key without one), auth methods in
// order, and a typed error for every way it can fail.

import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';
import { CancelledError, ConnectError, type KubeupError } from '../errors.js';
import { authFailure, authHandler, expandHome, prepareAuth, type AuthProgress } from './auth.js';
import { DEFAULT_KNOWN_HOSTS, endpointLabel, GLOBAL_KNOWN_HOSTS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS, type ConnectOptions, type SshEndpoint } from './endpoint.js';
import { trackClose } from './end-client.js';
import { hostKeyError, preferredHostKeyAlgorithms, verifyHostKey, type HostKeyVerdict } from './host-key.js';
import { appendKnownHost, lookupKnownHosts, readKnownHostsFile, type KnownHosts } from './known-hosts.js';

const acceptedKeys = new WeakMap<Client, Buffer>();

/** The host key this connection verified (pinned or known_hosts): a second connection to the host must get the same. */
export function acceptedHostKey(client: Client): Buffer | undefined {
  return acceptedKeys.get(client);
}

export async function openClient(endpoint: SshEndpoint, opts: ConnectOptions, sock?: Duplex): Promise<Client> {
  const knownHostsFile = expandHome(opts.knownHostsFile ?? DEFAULT_KNOWN_HOSTS);
  // The user's file and the system's, as OpenSSH reads them (UserKnownHostsFile, GlobalKnownHostsFile).
  const files = [knownHostsFile, opts.globalKnownHostsFile ?? GLOBAL_KNOWN_HOSTS];
  const loaded = endpoint.hostKey === undefined ? await Promise.all(files.map((f) => loadKnownHosts(f, endpoint.host))) : [];
  const knownHosts: KnownHosts = { entries: loaded.flatMap((k) => k.entries), problems: [] };
  loaded.forEach((k, i) => k.problems.forEach((problem) => opts.onWarning?.(`${files[i]}:${problem.line}: skipped: ${problem.message}`)));
  const auth = await prepareAuth({ host: endpoint.host, user: endpoint.user, ...(endpoint.field ? { field: endpoint.field } : {}) }, endpoint.auth, opts.env);
  for (const warning of auth.warnings) opts.onWarning?.(`${endpoint.host}: ${warning}`);

  const progress: AuthProgress = { tried: [], serverAccepts: [] };
  let verdict: HostKeyVerdict | undefined;
  let offeredKey: Buffer | undefined;
  const readyTimeout = opts.readyTimeoutMs ?? 20_000;
  const keepaliveInterval = opts.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
  const knownTypes = lookupKnownHosts(knownHosts.entries, endpoint.host, endpoint.port).keys.map((e) => e.keyType);
  const hostKeyAlgorithms = preferredHostKeyAlgorithms(knownTypes);
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout,
    keepaliveInterval,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
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
  trackClose(client);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', cancelled);
      client.end();
      client.destroy();
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
    const cancelled = () => fail(new CancelledError(`cancelled while connecting to ${endpointLabel(endpoint)}`, { host: endpoint.host }));
    if (opts.signal?.aborted) return cancelled();
    opts.signal?.addEventListener('abort', cancelled, { once: true });
    client.once('ready', () => opts.signal?.removeEventListener('abort', cancelled));
    client.once('close', () =>
      fail(new ConnectError(`${endpointLabel(endpoint)} closed the connection during the SSH handshake`, {
        host: endpoint.host,
        hint: 'check sshd on the host (MaxStartups, AllowUsers, its log)',
      })),
    );
    client.connect(config);
    // Each command is a handful of small packets (channel open, exec request, data, close), each waiting for the
    // other side: with Nagle's algorithm on, a packet can wait for the peer's delayed ACK (40 ms on Linux), and a
    // command took 55 ms on loopback instead of 10 (measured 2026-12-02). A jump host's channel has no such setting.
    client.setNoDelay(true);
  });

  if (offeredKey) acceptedKeys.set(client, offeredKey);
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
    return new ConnectError(`no SSH handshake from ${target} within ${Number((readyTimeoutMs / 1000).toFixed(1))} s`, {
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

async function loadKnownHosts(file: string, host: string): Promise<KnownHosts> {
  try {
    return await readKnownHostsFile(file);
  } catch (err) {
    throw new ConnectError(`cannot read known_hosts file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      host,
      file,
      cause: err,
      hint: 'check its permissions, or point ssh.knownHosts in the profile at another file',
    });
  }
}
