/**
 * etcd v3 through its JSON gateway (POST /v3/kv/range, /v3/kv/txn, /v3/kv/deleterange; served by etcd 3.4+),
 * over TLS with the API server's --etcd-certfile/--etcd-keyfile/--etcd-cafile. Keys and values travel base64;
 * int64 fields arrive as strings.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { serverCertificateProblem } from '../client.js';

export interface KeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
}

interface RawKV {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
}

interface RawHeader {
  revision?: string;
}

export interface EtcdTls {
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

function toKV(raw: RawKV): KeyValue {
  return {
    key: Buffer.from(raw.key, 'base64').toString('utf8'),
    value: Buffer.from(raw.value ?? '', 'base64'),
    createRevision: Number(raw.create_revision ?? 0),
    modRevision: Number(raw.mod_revision ?? 0),
  };
}

/** The end of the key range that covers every key starting with `prefix` (etcd's clientv3.GetPrefixRangeEnd). */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

export class EtcdError extends Error {
  constructor(message: string, readonly unavailable: boolean) {
    super(message);
    this.name = 'EtcdError';
  }
}

export interface TxnResult {
  readonly succeeded: boolean;
  readonly revision: number;
  /** The current value when the comparison failed (absent if the key does not exist). */
  readonly current?: KeyValue;
}

export class EtcdClient {
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });

  constructor(
    readonly endpoints: readonly string[],
    tls: EtcdTls,
    private readonly timeoutMs = 5000,
  ) {
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      ...(tls.caPem ? { ca: tls.caPem } : {}),
      ...(tls.certPem ? { cert: tls.certPem } : {}),
      ...(tls.keyPem ? { key: tls.keyPem } : {}),
      // Go's etcd client refuses a server certificate not meant for servers: so does this one.
      checkServerIdentity: serverCertificateProblem,
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private postOne(endpoint: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const url = `${endpoint.replace(/\/+$/, '')}${path}`;
    const secure = url.startsWith('https:');
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(new EtcdError(`etcd ${endpoint}${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`, (res.statusCode ?? 0) >= 500));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new EtcdError(`etcd ${endpoint}${path}: answer is not JSON: ${text.slice(0, 100)}`, true));
            }
          });
          res.on('error', (err) => reject(new EtcdError(`etcd ${endpoint}: ${err.message}`, true)));
        },
      );
      req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'ECONNREFUSED' ? `dial tcp ${new URL(endpoint).host}: connect: connection refused` : err.message;
        reject(new EtcdError(`etcd ${endpoint}: ${why}`, true));
      });
      req.end(payload);
    });
  }

  /** Tries each endpoint in turn while they are unreachable. */
  private async post(path: string, body: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    let last: unknown;
    for (const endpoint of this.endpoints) {
      try {
        return await this.postOne(endpoint, path, body, timeoutMs);
      } catch (err) {
        last = err;
        if (!(err instanceof EtcdError) || !err.unavailable) throw err;
      }
    }
    throw last;
  }

  async get(key: string): Promise<{ kv?: KeyValue; revision: number }> {
    const res = (await this.post('/v3/kv/range', { key: b64(key) })) as { header?: RawHeader; kvs?: RawKV[] };
    const first = res.kvs?.[0];
    return { ...(first ? { kv: toKV(first) } : {}), revision: Number(res.header?.revision ?? 0) };
  }

  async list(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    const res = (await this.post('/v3/kv/range', { key: b64(prefix), range_end: b64(prefixEnd(prefix)) })) as {
      header?: RawHeader;
      kvs?: RawKV[];
    };
    return { kvs: (res.kvs ?? []).map(toKV), revision: Number(res.header?.revision ?? 0) };
  }

  private async txn(key: string, compare: Record<string, unknown>, success: Record<string, unknown>): Promise<TxnResult> {
    const res = (await this.post('/v3/kv/txn', {
      compare: [{ key: b64(key), result: 'EQUAL', ...compare }],
      success: [success],
      failure: [{ request_range: { key: b64(key) } }],
    })) as { header?: RawHeader; succeeded?: boolean; responses?: { response_range?: { kvs?: RawKV[] } }[] };
    const revision = Number(res.header?.revision ?? 0);
    if (res.succeeded) return { succeeded: true, revision };
    const cur = res.responses?.[0]?.response_range?.kvs?.[0];
    return { succeeded: false, revision, ...(cur ? { current: toKV(cur) } : {}) };
  }

  /** Puts only when the key does not exist yet. */
  create(key: string, value: string | Buffer): Promise<TxnResult> {
    return this.txn(key, { target: 'CREATE', create_revision: '0' }, { request_put: { key: b64(key), value: b64(value) } });
  }

  /** Puts only when the key's mod_revision is `modRevision` (optimistic concurrency). */
  update(key: string, value: string | Buffer, modRevision: number): Promise<TxnResult> {
    return this.txn(key, { target: 'MOD', mod_revision: String(modRevision) }, { request_put: { key: b64(key), value: b64(value) } });
  }

  delete(key: string, modRevision: number): Promise<TxnResult> {
    return this.txn(key, { target: 'MOD', mod_revision: String(modRevision) }, { request_delete_range: { key: b64(key) } });
  }

  /** The API server's etcd health check: a read that must answer within the timeout. */
  async healthy(timeoutMs = 2000): Promise<string | null> {
    try {
      await this.post('/v3/kv/range', { key: b64('health'), serializable: false }, timeoutMs);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }
}
