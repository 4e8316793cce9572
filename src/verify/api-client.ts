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

  /** Creates an object, or replaces it when it exists (keeps kubeup's objects as rendered on every run). */
  async apply(collectionPath: string, obj: { metadata: { name: string } }): Promise<'created' | 'updated' | 'unchanged'> {
    const itemPath = `${collectionPath}/${encodeURIComponent(obj.metadata.name)}`;
    const current = await this.request<Record<string, unknown> & { metadata?: { resourceVersion?: string } }>('GET', itemPath);
    if (current.status === 404) {
      const r = await this.request('POST', collectionPath, obj);
      if (r.status >= 300) throw new Error(`POST ${collectionPath}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
      return 'created';
    }
    if (current.status >= 300) throw new Error(`GET ${itemPath}: HTTP ${current.status}: ${current.text.slice(0, 300)}`);
    if (sameContent(current.body, obj)) return 'unchanged';
    const r = await this.request('PUT', itemPath, { ...obj, metadata: { ...obj.metadata, resourceVersion: current.body.metadata?.resourceVersion } });
    if (r.status >= 300) throw new Error(`PUT ${itemPath}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    return 'updated';
  }
}

/** True when every field kubeup sets (outside metadata bookkeeping) already has that value on the server. */
function sameContent(server: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== 'object') return server === wanted;
  if (Array.isArray(wanted)) {
    return Array.isArray(server) && server.length === wanted.length && wanted.every((w, i) => sameContent(server[i], w));
  }
  if (server === null || typeof server !== 'object') return false;
  return Object.entries(wanted as Record<string, unknown>).every(([k, v]) => sameContent((server as Record<string, unknown>)[k], v));
}
