// Which proxy a download goes through, and a CONNECT tunnel for https through an http proxy.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ProxySettings {
  /** profile.download.proxy: used for every URL (NO_PROXY still applies). */
  proxy?: string;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read; process.env unless given. */
  env?: Env;
}

function envValue(env: Env, name: string): string | undefined {
  const v = env[name] ?? env[name.toLowerCase()];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** NO_PROXY: comma/space separated host names, `.domain` or `*.domain` suffixes, optional `:port`, or `*`. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || defaultPort(target.protocol);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    // `[v6]:port`, bare `v6` (two or more colons, no port), or `name[:port]`.
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const bareV6 = !bracketed && (entry.match(/:/g) ?? []).length > 1;
    const m = bracketed ?? (bareV6 ? [entry, entry, undefined] : /^(.*?)(?::(\d+))?$/.exec(entry)!);
    let name = m[1]!.replace(/^\*\./, '.');
    if (m[2] !== undefined && m[2] !== port) continue;
    if (name.startsWith('.')) {
      if (host.endsWith(name) || host === name.slice(1)) return true;
      continue;
    }
    name = name.replace(/^\[|\]$/g, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy for `url`, or undefined for a direct connection. */
export function proxyFor(url: URL, settings: ProxySettings = {}): URL | undefined {
  const env = settings.env ?? process.env;
  const noProxy = envValue(env, 'NO_PROXY');
  if (bypassesProxy(url, noProxy)) return undefined;
  const chosen =
    settings.proxy ?? (url.protocol === 'https:' ? envValue(env, 'HTTPS_PROXY') : envValue(env, 'HTTP_PROXY'));
  if (!chosen) return undefined;
  // A bare `host:port` is what many people put in HTTPS_PROXY.
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? chosen : `http://${chosen}`);
  } catch {
    throw new Error(`proxy setting "${chosen.replace(/\/\/[^@/]*@/, '//***@')}" is not a URL`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new Error(`proxy ${redactUrl(proxy)} is not an http:// or https:// URL`);
  }
  return proxy;
}

/** The URL with any user name and password replaced, for messages and logs. */
export function redactUrl(url: URL | string): string {
  const u = new URL(String(url));
  if (u.username || u.password) {
    u.username = '***';
    u.password = '';
  }
  return u.toString();
}

export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

function connectToProxy(proxy: URL): (opts: http.RequestOptions) => http.ClientRequest {
  return proxy.protocol === 'https:' ? https.request : http.request;
}

/**
 * An https Agent whose sockets are CONNECT tunnels through an http(s) proxy; TLS to the target runs inside the
 * tunnel, so the proxy never sees the request.
 */
export class TunnelAgent extends https.Agent {
  readonly #proxy: URL;

  constructor(proxy: URL, options: https.AgentOptions = {}) {
    super({ keepAlive: false, ...options });
    this.#proxy = proxy;
  }

  override createConnection(
    options: tls.ConnectionOptions & { host?: string; port?: number | string },
    callback: (err: Error | null, socket?: Duplex) => void,
  ): undefined {
    const host = String(options.host ?? 'localhost');
    const port = Number(options.port ?? 443);
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const auth = proxyAuthorization(this.#proxy);
    const req = connectToProxy(this.#proxy)({
      method: 'CONNECT',
      host: this.#proxy.hostname.replace(/^\[|\]$/g, ''),
      port: this.#proxy.port || defaultPort(this.#proxy.protocol),
      path: authority,
      headers: { host: authority, ...(auth && { 'proxy-authorization': auth }) },
      agent: false,
    });
    let settled = false;
    const done = (err: Error | null, socket?: Duplex) => {
      if (settled) return;
      settled = true;
      callback(err, socket);
    };
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        done(
          Object.assign(new Error(`proxy ${redactUrl(this.#proxy)} refused to tunnel to ${authority}: HTTP ${res.statusCode}`), {
            code: 'EPROXYREFUSED',
          }),
        );
        return;
      }
      const secure = tls.connect({ ...options, socket, servername: options.servername ?? (isIpLiteral(host) ? undefined : host) });
      secure.once('secureConnect', () => done(null, secure));
      secure.once('error', (err) => done(err));
    });
    req.once('error', (err) => done(err));
    req.end();
    return undefined;
  }
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
