// A minimal Kubernetes API client: HTTPS with the admin client certificate, the cluster CA pinned.
// Used for RBAC objects at the end of provisioning and for validate-cluster. No kubectl needed on this machine.
import { request } from 'node:https';

export interface ApiCredentials {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export class ApiClient {
  constructor(private readonly creds: ApiCredentials, private readonly timeoutMs = 10_000) {}

  get server(): string {
    return this.creds.server;
  }

  request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse<T>> {
    const url = new URL(path, this.creds.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.creds.caPem,
          cert: this.creds.certPem,
          key: this.creds.keyPem,
          timeout: this.timeoutMs,
          headers: {
            accept: 'application/json',
            ...(payload && { 'content-type': contentType, 'content-length': String(payload.length) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // /healthz and /readyz answer plain text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Server-side apply of an object into its collection (RBAC objects): see serverSideApply. */
  async apply(collectionPath: string, obj: { metadata: { name: string } }): Promise<ApplyOutcome> {
    return (await this.serverSideApply(`${collectionPath}/${encodeURIComponent(obj.metadata.name)}`, obj)).outcome;
  }

  /**
   * PATCH application/apply-patch+yaml with kubeup's field manager: the server merges kubeup's fields in, keeps
   * fields others set, refuses unknown fields (fieldValidation=Strict) and, when nothing changed, writes nothing:
   * the resourceVersion tells created / updated / unchanged apart. force=true: the profile's values win over an
   * edit of a field kubeup sets.
   */
  async serverSideApply(itemPath: string, obj: object): Promise<{ outcome: ApplyOutcome; response: ApiResponse }> {
    const before = await this.request<ObjectMeta>('GET', itemPath);
    if (before.status !== 200 && before.status !== 404) throw new ApiRefusal('GET', itemPath, before);
    const r = await this.request<ObjectMeta>('PATCH', `${itemPath}?fieldManager=${FIELD_MANAGER}&fieldValidation=Strict&force=true`, obj, 'application/apply-patch+yaml');
    if (r.status >= 300) throw new ApiRefusal('PATCH', itemPath, r);
    const outcome = before.status === 404 ? 'created' : r.body.metadata?.resourceVersion === before.body.metadata?.resourceVersion ? 'unchanged' : 'updated';
    return { outcome, response: r };
  }
}

export const FIELD_MANAGER = 'kubeup';
export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

interface ObjectMeta {
  metadata?: { resourceVersion?: string };
}

/** A non-2xx answer, with the Status the server sent. */
export class ApiRefusal extends Error {
  readonly status: number;
  readonly reason: string;
  readonly serverMessage: string;
  constructor(method: string, path: string, r: ApiResponse) {
    const s = (typeof r.body === 'object' && r.body !== null ? r.body : {}) as { message?: string; reason?: string };
    const message = s.message ?? r.text.slice(0, 300);
    super(`${method} ${path}: HTTP ${r.status}${s.reason ? ` ${s.reason}` : ''}: ${message}`);
    this.status = r.status;
    this.reason = s.reason ?? '';
    this.serverMessage = message;
  }
}
