// A worker thread that sends big files over SSH connections of its own, so their encryption runs on another core than
// the main thread (ssh2 is JavaScript: one thread would cipher every host's bytes). The main thread keeps everything
// else: the checks, the staging and the rename (upload.ts); the worker only fills a file that already exists.
//
// Each connection accepts exactly the host key the session's main connection verified (never skipped): another key is
// refused before any credential is offered. Credentials come in the `open` message (memory only, never argv, env or a
// log line); the worker prepares them with the same code as the main thread (auth.ts).

import { parentPort } from 'node:worker_threads';
import ssh2, { type Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { authHandler, prepareAuth, type AuthProgress, type Credentials } from './auth.js';
import { preferredHostKeyAlgorithms } from './host-key.js';
import { keyTypeOf } from './known-hosts.js';

export interface OpenRequest {
  op: 'open';
  conn: number;
  host: string;
  port: number;
  user: string;
  auth: Credentials;
  /** SSH_AUTH_SOCK of the main thread's environment, when the agent is used. */
  agentSocket?: string;
  /** Wire blob of the host key the main connection accepted: the only one this connection takes. */
  hostKey: Uint8Array;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

export type ToWorker =
  | OpenRequest
  | { op: 'put'; conn: number; job: number; localPath: string; remotePath: string; concurrency: number; chunkSize: number }
  | { op: 'cancel'; conn: number; job: number }
  | { op: 'close'; conn: number };

export type FromWorker =
  | { kind: 'opened'; conn: number }
  | { kind: 'open-failed'; conn: number; message: string; level?: string; code?: string; offeredKey?: Uint8Array; tried?: string[] }
  | { kind: 'lost'; conn: number; message: string }
  | { kind: 'progress'; conn: number; job: number; sent: number }
  | { kind: 'done'; conn: number; job: number }
  | { kind: 'failed'; conn: number; job: number; message: string };

/** Progress is posted at most this often per job (and always at the end), not once per 32 KiB. */
const PROGRESS_EVERY_MS = 100;

interface Connection {
  client: Client;
  ready: boolean;
  jobs: Map<number, SFTPWrapper | undefined>;
}

const port = parentPort;
if (!port) throw new Error('transfer-worker.ts runs as a worker thread');
const post = (message: FromWorker) => port.postMessage(message);
const connections = new Map<number, Connection>();

port.on('message', (message: ToWorker) => {
  switch (message.op) {
    case 'open':
      void open(message);
      break;
    case 'put':
      put(message.conn, message.job, message.localPath, message.remotePath, message.concurrency, message.chunkSize);
      break;
    case 'cancel': {
      const sftp = connections.get(message.conn)?.jobs.get(message.job);
      connections.get(message.conn)?.jobs.delete(message.job);
      sftp?.end();
      break;
    }
    case 'close': {
      const c = connections.get(message.conn);
      connections.delete(message.conn);
      // Transfers under way are given up (a cancel, a closed session): stop sending at once instead of flushing.
      if (c && c.jobs.size > 0) c.client.destroy();
      else c?.client.end();
      // A peer that does not answer the close must not keep this thread's socket (and the host's sshd) busy.
      setTimeout(() => c?.client.destroy(), 2000).unref();
      break;
    }
  }
});

async function open(req: OpenRequest): Promise<void> {
  let offered: Buffer | undefined;
  const expected = Buffer.from(req.hostKey);
  const progress: AuthProgress = { tried: [], serverAccepts: [] };
  let attempts;
  try {
    const env = req.agentSocket ? { SSH_AUTH_SOCK: req.agentSocket } : {};
    attempts = (await prepareAuth({ host: req.host, user: req.user }, req.auth, env)).attempts;
  } catch (err) {
    post({ kind: 'open-failed', conn: req.conn, message: (err as Error).message });
    return;
  }
  const keyType = keyTypeOf(expected);
  const algorithms = keyType ? preferredHostKeyAlgorithms([keyType]) : undefined;
  const config: ConnectConfig = {
    host: req.host,
    port: req.port,
    username: req.user,
    readyTimeout: req.readyTimeoutMs,
    keepaliveInterval: req.keepaliveIntervalMs,
    keepaliveCountMax: req.keepaliveCountMax,
    ...(algorithms ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
    hostVerifier: (key: Buffer) => {
      offered = key;
      return key.equals(expected);
    },
    authHandler: authHandler(attempts, progress),
  };
  const client = new ssh2.Client();
  const conn: Connection = { client, ready: false, jobs: new Map() };
  connections.set(req.conn, conn);
  client.once('ready', () => {
    conn.ready = true;
    post({ kind: 'opened', conn: req.conn });
  });
  client.on('error', (err: Error & { level?: string; code?: string }) => {
    if (!conn.ready) {
      const mismatch = offered && !offered.equals(expected) ? { offeredKey: new Uint8Array(offered) } : {};
      post({ kind: 'open-failed', conn: req.conn, message: err.message, ...(err.level ? { level: err.level } : {}), ...(err.code ? { code: err.code } : {}), ...mismatch, tried: progress.tried });
      conn.ready = true; // reported: the close below says nothing more
      connections.delete(req.conn);
    } else if (connections.get(req.conn) === conn) {
      post({ kind: 'lost', conn: req.conn, message: err.message });
      connections.delete(req.conn);
    }
  });
  client.once('close', () => {
    if (connections.get(req.conn) !== conn) return;
    connections.delete(req.conn);
    post(conn.ready ? { kind: 'lost', conn: req.conn, message: 'the connection was closed' } : { kind: 'open-failed', conn: req.conn, message: 'the host closed the connection during the SSH handshake' });
  });
  client.connect(config);
  // As in open-client.ts: without it, small packets wait for delayed ACKs.
  client.setNoDelay(true);
}

function put(connId: number, job: number, localPath: string, remotePath: string, concurrency: number, chunkSize: number): void {
  const conn = connections.get(connId);
  if (!conn?.ready) {
    post({ kind: 'failed', conn: connId, job, message: 'the transfer connection is not open' });
    return;
  }
  conn.jobs.set(job, undefined);
  const settle = (message?: string) => {
    const sftp = conn.jobs.get(job);
    const live = conn.jobs.delete(job);
    sftp?.end();
    if (!live) return; // cancelled: the main thread has moved on
    post(message === undefined ? { kind: 'done', conn: connId, job } : { kind: 'failed', conn: connId, job, message });
  };
  conn.client.sftp((err, sftp) => {
    if (err) return settle(err.message);
    if (!conn.jobs.has(job)) return sftp.end();
    conn.jobs.set(job, sftp);
    let last = 0;
    // The remote file already exists (0600, made by the main thread), so fastPut's open keeps that mode.
    sftp.fastPut(
      localPath,
      remotePath,
      {
        concurrency,
        chunkSize,
        step: (sent, _chunk, total) => {
          const now = Date.now();
          if (sent === total || now - last >= PROGRESS_EVERY_MS) {
            last = now;
            post({ kind: 'progress', conn: connId, job, sent });
          }
        },
      },
      (putErr) => settle(putErr ? putErr.message : undefined),
    );
  });
}
