/**
 * A small Kubernetes API client for stand-ins: HTTPS with the kubeconfig's client certificate (or bearer token),
 * the server verified against the kubeconfig's CA. JSON in and out; non-2xx answers throw ApiError carrying the
 * server's Status object.
 */
import { Agent, request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientConfig } from './kubeconfig.js';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: unknown[] };
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly code: number,
    readonly status: Status | undefined,
    body: string,
  ) {
    super(status?.message ?? `the server responded with HTTP ${code} to ${method} ${url}: ${body.slice(0, 200)}`);
    this.name = 'ApiError';
  }

  get reason(): string {
    return this.status?.reason ?? '';
  }
}

export interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export interface ObjectRef {
  /** '' for the core group */
  readonly group?: string;
  readonly version?: string;
  /** plural resource, e.g. nodes */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** /api/v1/namespaces/ns/pods/x/status and /apis/g/v/... */
export function resourcePath(ref: ObjectRef): string {
  const group = ref.group ?? '';
  const version = ref.version ?? 'v1';
  let p = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  if (ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  p += `/${ref.resource}`;
  if (ref.name !== undefined) p += `/${encodeURIComponent(ref.name)}`;
  if (ref.subresource) p += `/${ref.subresource}`;
  return p;
}

/** Go's net/http error text for a failed dial, which kubectl and the components print. */
function dialError(method: string, url: string, err: NodeJS.ErrnoException): string {
  const u = new URL(url);
  const addr = `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || '443'}`;
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  if (err.code === 'ECONNREFUSED') return `${verb} "${url}": dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'ETIMEDOUT') return `${verb} "${url}": dial tcp ${addr}: i/o timeout`;
  if (err.code === 'EHOSTUNREACH') return `${verb} "${url}": dial tcp ${addr}: connect: no route to host`;
  return `${verb} "${url}": ${err.message}`;
}

/**
 * Go's client-side check that Node's TLS leaves out: a server certificate whose extended key usage does not include
 * serverAuth (nor any) is refused (crypto/x509 Verify with the default ExtKeyUsageServerAuth); no EKU at all is any.
 */
export function serverCertificateProblem(host: string, cert: PeerCertificate): Error | undefined {
  const identity = checkServerIdentity(host, cert);
  if (identity) return identity;
  const eku = cert.ext_key_usage ?? [];
  if (eku.length > 0 && !eku.includes('1.3.6.1.5.5.7.3.1') && !eku.includes('2.5.29.37.0')) {
    return new Error('tls: failed to verify certificate: x509: certificate specifies an incompatible key usage');
  }
  return undefined;
}

export class ApiClient {
  private readonly agent: Agent;

  constructor(
    readonly config: ClientConfig,
    private readonly opts: { userAgent?: string; timeoutMs?: number; token?: string } = {},
  ) {
    this.agent = new Agent({
      keepAlive: true,
      ...(config.caPem ? { ca: config.caPem } : {}),
      ...(config.certPem ? { cert: config.certPem } : {}),
      ...(config.keyPem ? { key: config.keyPem } : {}),
      ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
      rejectUnauthorized: !config.insecureSkipTlsVerify,
      checkServerIdentity: serverCertificateProblem,
    });
  }

  /** The same server and CA, authenticating with a bearer token instead (service-account credentials). */
  withToken(token: string, userAgent?: string): ApiClient {
    const { certPem: _c, keyPem: _k, ...rest } = this.config;
    return new ApiClient({ ...rest, token }, { ...this.opts, token, ...(userAgent ? { userAgent } : {}) });
  }

  close(): void {
    this.agent.destroy();
  }

  raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = `${this.config.server}${path}`;
    const token = this.opts.token ?? this.config.token;
    return new Promise((resolvePromise, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            'User-Agent': this.opts.userAgent ?? 'kubeup-standin',
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
          timeout: this.opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} "${url}": net/http: request canceled (Client.Timeout exceeded while awaiting headers)`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ? dialError(method, url, err) : err.message)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.raw(method, path, payload, payload === undefined ? {} : { 'Content-Type': contentType });
    if (res.status < 200 || res.status >= 300) {
      let status: Status | undefined;
      try {
        const parsed = JSON.parse(res.body) as Status;
        if (parsed.kind === 'Status') status = parsed;
      } catch {
        status = undefined;
      }
      throw new ApiError(method, `${this.config.server}${path}`, res.status, status, res.body);
    }
    return JSON.parse(res.body) as T;
  }

  get<T = KubeObject>(ref: ObjectRef | string): Promise<T> {
    return this.json<T>('GET', typeof ref === 'string' ? ref : resourcePath(ref));
  }

  list<T = KubeObject>(ref: ObjectRef | string, query = ''): Promise<KubeList<T>> {
    const path = typeof ref === 'string' ? ref : resourcePath(ref);
    return this.json<KubeList<T>>('GET', query ? `${path}?${query}` : path);
  }

  create<T = KubeObject>(ref: ObjectRef | string, obj: unknown): Promise<T> {
    return this.json<T>('POST', typeof ref === 'string' ? ref : resourcePath(ref), obj);
  }

  update<T = KubeObject>(ref: ObjectRef | string, obj: unknown): Promise<T> {
    return this.json<T>('PUT', typeof ref === 'string' ? ref : resourcePath(ref), obj);
  }

  patch<T = KubeObject>(ref: ObjectRef | string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.json<T>('PATCH', typeof ref === 'string' ? ref : resourcePath(ref), patch, patchContentType[type]);
  }

  delete<T = KubeObject>(ref: ObjectRef | string): Promise<T> {
    return this.json<T>('DELETE', typeof ref === 'string' ? ref : resourcePath(ref));
  }
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generateName?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string };
  items: T[];
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
}
