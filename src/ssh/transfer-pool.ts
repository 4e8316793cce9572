// The main thread's side of the transfer workers (transfer-worker.ts): a few worker threads (one per core, at most
// MAX_WORKERS), shared by every session of the process; each session that sends a big file gets one connection in
// one of them, opened on first use and closed with the session.
//
// Used only for sessions without a jump host: the forwarded channel to the target lives on the jump connection in the
// main thread, and a worker cannot use it (it would need a jump connection of its own, one more login on the bastion).

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConnectError } from '../errors.js';
import type { Credentials } from './auth.js';
import { hostKeyError } from './host-key.js';
import { fingerprint, keyTypeOf } from './known-hosts.js';
import type { FromWorker, OpenRequest, ToWorker } from './transfer-worker.js';

export const MAX_WORKERS = 8;

/** What a session needs to open its transfer connection (credentials stay in memory; they are posted, never logged). */
export interface TransferEndpoint {
  host: string;
  port: number;
  user: string;
  auth: Credentials;
  agentSocket?: string;
  /** The host key the main connection accepted. */
  hostKey: Buffer;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** For the host key error's hint, as the main connection has them. */
  knownHostsFile: string;
  pinField: string;
}

interface Job {
  onProgress: (sent: number) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  links: Map<number, TransferLink>;
  failed?: Error;
}

/** The worker file beside this module: .ts when run from source (tests, tsx), the bundled .js in dist. */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./transfer-worker.ts', import.meta.url) : new URL('./transfer-worker.js', import.meta.url);
}

export class TransferPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;

  constructor(readonly size = Math.max(1, Math.min(availableParallelism(), MAX_WORKERS))) {}

  /** A connection for one session, in the least used worker (a new worker while there are fewer than `size`). */
  link(endpoint: TransferEndpoint): TransferLink {
    let slot = this.slots.reduce<Slot | undefined>((best, s) => (!best || s.links.size < best.links.size ? s : best), undefined);
    if (!slot || (slot.links.size > 0 && this.slots.length < this.size)) slot = this.spawn();
    const link = new TransferLink(this.nextId++, endpoint, slot, () => this.forget(slot, link));
    slot.links.set(link.id, link);
    return link;
  }

  get workers(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    const url = workerUrl();
    // From source (tests, `npm run bench`) the worker registers tsx in its own thread first, to load TypeScript.
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true })
      : new Worker(url);
    worker.unref();
    const slot: Slot = { worker, links: new Map() };
    worker.on('message', (message: FromWorker) => slot.links.get(message.conn)?.receive(message));
    const fail = (err: Error) => {
      slot.failed = err;
      this.slots.splice(this.slots.indexOf(slot), 1);
      for (const link of slot.links.values()) link.workerFailed(err);
    };
    worker.once('error', fail);
    worker.once('exit', (code) => {
      if (!slot.failed) fail(new Error(`the transfer worker exited (code ${code})`));
    });
    this.slots.push(slot);
    return slot;
  }

  private forget(slot: Slot, link: TransferLink): void {
    slot.links.delete(link.id);
    if (slot.links.size === 0 && this.slots.length > 1 && this.slots.includes(slot)) {
      // Keep one idle worker for the next session; the others end.
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.failed = new Error('ended');
      void slot.worker.terminate();
    }
  }
}

let shared: TransferPool | undefined;

/** The process's pool, made on first use. */
export function transferPool(): TransferPool {
  shared ??= new TransferPool();
  return shared;
}

/** One session's transfer connection in a worker. */
export class TransferLink {
  private opened?: Promise<void>;
  private openWaiters?: { resolve: () => void; reject: (err: Error) => void };
  private readonly jobs = new Map<number, Job>();
  private nextJob = 1;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly endpoint: TransferEndpoint,
    private readonly slot: Slot,
    private readonly release: () => void,
  ) {}

  private get target(): string {
    return `${this.endpoint.user}@${this.endpoint.host}:${this.endpoint.port}`;
  }

  /**
   * Fills the existing file `remotePath` with the bytes of `localPath`. An SFTP failure rejects with a plain Error
   * carrying the server's message (as fastPut in the main thread would); connection problems reject with ConnectError.
   * `signal` stops the transfer (the stall watchdog, a closed session).
   */
  async put(localPath: string, remotePath: string, opts: { concurrency: number; chunkSize: number; onProgress: (sent: number) => void; signal: AbortSignal }): Promise<void> {
    await this.open();
    const job = this.nextJob++;
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        this.jobs.delete(job);
        this.send({ op: 'cancel', conn: this.id, job });
        this.idle();
        reject(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('cancelled'));
      };
      if (opts.signal.aborted) return stop();
      opts.signal.addEventListener('abort', stop, { once: true });
      const settled = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
        opts.signal.removeEventListener('abort', stop);
        fn(...a);
      };
      this.jobs.set(job, { onProgress: opts.onProgress, resolve: settled(resolve), reject: settled(reject) });
      this.slot.worker.ref(); // a transfer under way keeps the process alive, as a socket of its own would
      this.send({ op: 'put', conn: this.id, job, localPath, remotePath, concurrency: opts.concurrency, chunkSize: opts.chunkSize });
    });
  }

  /** Ends the connection; transfers under way fail with `reason`. */
  close(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(reason);
    if (!this.slot.failed) this.send({ op: 'close', conn: this.id });
    this.release();
  }

  receive(message: FromWorker): void {
    switch (message.kind) {
      case 'opened':
        this.openWaiters?.resolve();
        break;
      case 'open-failed':
        this.openWaiters?.reject(this.openError(message));
        break;
      case 'lost':
        this.opened = undefined; // the next transfer opens a new connection
        this.failAll(
          new ConnectError(`lost the transfer connection to ${this.target} (${message.message})`, {
            host: this.endpoint.host,
            hint: 'check that the host is up and reachable, then run again (finished steps are skipped)',
          }),
        );
        break;
      case 'progress':
        this.jobs.get(message.job)?.onProgress(message.sent);
        break;
      case 'done':
      case 'failed': {
        const job = this.jobs.get(message.job);
        this.jobs.delete(message.job);
        this.idle();
        if (message.kind === 'done') job?.resolve();
        else job?.reject(new Error(message.message));
        break;
      }
    }
  }

  workerFailed(err: Error): void {
    this.opened = undefined;
    const reason = new ConnectError(`the transfer worker for ${this.target} stopped: ${err.message}`, { host: this.endpoint.host, cause: err, hint: 'this is a bug in kubeup; set KUBEUP_SSH_WORKERS=0 to send files from the main thread' });
    this.openWaiters?.reject(reason);
    this.failAll(reason);
  }

  private open(): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectError(`the session to ${this.target} is closed`, { host: this.endpoint.host }));
    if (this.slot.failed) return Promise.reject(new ConnectError(`the transfer worker for ${this.target} stopped: ${this.slot.failed.message}`, { host: this.endpoint.host }));
    this.opened ??= new Promise<void>((resolve, reject) => {
      this.openWaiters = { resolve, reject };
      const e = this.endpoint;
      const req: OpenRequest = {
        op: 'open',
        conn: this.id,
        host: e.host,
        port: e.port,
        user: e.user,
        auth: e.auth,
        ...(e.agentSocket ? { agentSocket: e.agentSocket } : {}),
        hostKey: new Uint8Array(e.hostKey),
        readyTimeoutMs: e.readyTimeoutMs,
        keepaliveIntervalMs: e.keepaliveIntervalMs,
        keepaliveCountMax: e.keepaliveCountMax,
      };
      this.send(req);
    }).finally(() => (this.openWaiters = undefined));
    // A failed open is not kept: the next transfer tries again.
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  private openError(m: Extract<FromWorker, { kind: 'open-failed' }>): ConnectError {
    const e = this.endpoint;
    if (m.offeredKey) {
      const offered = Buffer.from(m.offeredKey);
      return hostKeyError(
        {
          status: 'changed',
          fingerprint: fingerprint(offered),
          keyType: keyTypeOf(offered) ?? 'unknown-type',
          expected: [{ fingerprint: fingerprint(e.hostKey), where: "accepted by this run's first connection to the host" }],
        },
        { host: e.host, port: e.port, knownHostsFile: e.knownHostsFile, pinField: e.pinField },
      );
    }
    const why = m.level === 'client-authentication' ? `the host refused the credentials it accepted on the first connection (tried ${m.tried?.join(', ') || 'nothing'})` : m.message;
    return new ConnectError(`cannot open the transfer connection to ${this.target}: ${why}`, {
      host: e.host,
      hint: 'check sshd limits on the host (MaxStartups, MaxSessions) and its log; KUBEUP_SSH_WORKERS=0 sends files over the first connection instead',
    });
  }

  private failAll(err: Error): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    this.idle();
    for (const job of jobs) job.reject(err);
  }

  private idle(): void {
    if (![...this.slot.links.values()].some((l) => l.jobs.size > 0)) this.slot.worker.unref();
  }

  private send(message: ToWorker): void {
    this.slot.worker.postMessage(message);
  }
}
