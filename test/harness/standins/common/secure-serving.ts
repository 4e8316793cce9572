/**
 * The HTTPS port of kube-controller-manager / kube-scheduler (and similar daemons): --bind-address, --secure-port,
 * --tls-cert-file/--tls-private-key-file or, without them, a self-signed certificate made in memory like the real
 * ones do. /healthz, /livez and /readyz are always allowed (--authorization-always-allow-paths default); other
 * paths answer 403 to callers the stand-in cannot authenticate.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { StandinExit } from './errors.js';
import { loadKeyPair } from './pki.js';
import { selfSignedServing } from './mint.js';
import { klog } from './klog.js';

const log = klog('secure_serving.go:213');

export interface SecureServingOptions {
  readonly component: string;
  readonly bindAddress: string;
  readonly port: number;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Extra handlers by exact path. Return true when handled. */
  readonly handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Named health checks; each returns null when healthy or a failure reason. */
  readonly checks?: () => Record<string, string | null>;
}

export interface SecureServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

function healthBody(path: string, url: URL, checks: Record<string, string | null>): { code: number; body: string } {
  const names = Object.keys(checks).sort();
  const failed = names.filter((n) => checks[n] !== null);
  const verbose = url.searchParams.has('verbose') || failed.length > 0;
  const kind = path.slice(1);
  if (!verbose) return { code: 200, body: 'ok' };
  const lines = ['[+]ping ok', '[+]log ok', ...names.map((n) => (checks[n] === null ? `[+]${n} ok` : `[-]${n} failed: reason withheld`))];
  lines.push(failed.length === 0 ? `${kind} check passed` : `${kind} check failed`);
  return { code: failed.length === 0 ? 200 : 500, body: `${lines.join('\n')}\n` };
}

export async function serveSecure(opts: SecureServingOptions): Promise<SecureServer> {
  let certPem: string;
  let keyPem: string;
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) {
      throw new StandinExit('--tls-cert-file and --tls-private-key-file must be given together');
    }
    const pair = loadKeyPair(opts.certFile, opts.keyFile, 'failed to load serving certificate');
    certPem = pair.certPem;
    keyPem = pair.keyPem;
  } else {
    const host = hostname();
    const minted = selfSignedServing(host, ['127.0.0.1'], ['localhost', host]);
    certPem = minted.certPem;
    keyPem = minted.keyPem;
    log.info('Generated self-signed cert in-memory');
  }
  const server = createServer({ cert: certPem, key: keyPem, requestCert: false }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname;
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      const { code, body } = healthBody(path, url, opts.checks?.() ?? {});
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(body);
      return;
    }
    if (opts.handle?.(req, res)) return;
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `forbidden: User "system:anonymous" cannot get path "${path}"`,
      reason: 'Forbidden',
      details: {},
      code: 403,
    }));
  });
  const address = opts.bindAddress === '' ? '0.0.0.0' : opts.bindAddress;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hostPort = address.includes(':') ? `[${address}]:${opts.port}` : `${address}:${opts.port}`;
      const why = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : err.message;
      reject(new StandinExit(`failed to create listener: failed to listen on ${hostPort}: listen tcp ${hostPort}: ${why}`));
    });
    server.listen(opts.port, address, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  log.info('Serving securely on', { address: `${address}:${port}` });
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}
