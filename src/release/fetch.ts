// HTTP(S) downloads: redirects, proxies, an idle timeout, retries with delay on network errors and 5xx only, and
// checks on what arrived (status 200, full Content-Length, not a web page, the right magic bytes).
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CancelledError, DownloadError } from '../errors.js';
import { proxyAuthorization, proxyFor, redactUrl, TunnelAgent, type Env } from './proxy.js';

export interface HttpOptions {
  /** profile.download.proxy; else HTTPS_PROXY / HTTP_PROXY / NO_PROXY from `env`. */
  proxy?: string;
  env?: Env;
  /** Give up on a connection that sends nothing for this long. */
  idleTimeoutMs?: number;
  /** Tries in all, for network errors and 5xx answers. */
  attempts?: number;
  /** Wait before the n-th retry: retryDelayMs * n. */
  retryDelayMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Extra CA certificates (PEM) to trust, e.g. a mirror's own CA. */
  ca?: string | Buffer;
}

export interface DownloadFileOptions extends HttpOptions {
  /** What the first bytes must be. */
  expect?: 'gzip' | 'elf' | 'any';
  onProgress?: (done: number, total: number | undefined) => void;
  /** Runs on the complete temporary file before it is renamed into place; what it throws is not retried. */
  verify?: (tmpPath: string) => Promise<void>;
}

const DEFAULTS = { idleTimeoutMs: 30_000, attempts: 4, retryDelayMs: 1_000, maxRedirects: 10 };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'kubeup (release download)';
const NOT_FOUND_HINT = 'check the version in the profile and, if set, the mirror URL in download.mirrors: the mirror must serve the upstream paths';
const CHECKSUM_NOT_FOUND_HINT = `${NOT_FOUND_HINT}; a mirror without the checksum files needs the file's sha256 in download.checksums`;

/** Reached the server and it answered, but the answer is wrong in a way a retry cannot fix. */
class Final extends Error {
  constructor(readonly error: DownloadError) {
    super(error.message);
  }
}

/** A failure worth another try: connection trouble, timeouts, 5xx, a cut-short body. */
class Transient extends Error {}

interface Response {
  res: http.IncomingMessage;
  url: URL;
}

function describeNetworkError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : String(e.message ?? err);
}

function cancelled(fileName: string): CancelledError {
  return new CancelledError(`download of ${fileName} was cancelled`, { file: fileName });
}

function request(url: URL, proxy: URL | undefined, opts: HttpOptions, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { 'user-agent': USER_AGENT, accept: '*/*' };
    let req: http.ClientRequest;
    if (proxy && url.protocol === 'http:') {
      // Plain http through a proxy: the absolute URL goes to the proxy.
      const auth = proxyAuthorization(proxy);
      req = (proxy.protocol === 'https:' ? https : http).request({
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
        path: url.toString(),
        headers: { ...headers, host: url.host, ...(auth && { 'proxy-authorization': auth }) },
        agent: false,
        ...(opts.ca !== undefined && { ca: opts.ca }),
      });
    } else {
      const agent = proxy ? new TunnelAgent(proxy, { ...(opts.ca !== undefined && { ca: opts.ca }) }) : undefined;
      req = (url.protocol === 'https:' ? https : http).request(url, {
        headers,
        ...(agent && { agent }),
        ...(opts.ca !== undefined && { ca: opts.ca }),
      });
    }
    const timedOut = () => req.destroy(Object.assign(new Error(`no answer for ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    // The socket's idle timeout starts only once it is connected; this one also covers connecting (and the proxy).
    const untilAnswer = setTimeout(timedOut, idleTimeoutMs);
    req.setTimeout(idleTimeoutMs, timedOut);
    const onAbort = () => req.destroy(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => {
      clearTimeout(untilAnswer);
      opts.signal?.removeEventListener('abort', onAbort);
    });
    req.once('response', (res) => {
      clearTimeout(untilAnswer);
      resolve(res);
    });
    req.once('error', (err) => {
      clearTimeout(untilAnswer);
      reject(err);
    });
    req.end();
  });
}

/** GET with redirects followed; resolves with a 200 response, throws Final / Transient otherwise. */
async function get(url: URL, fileName: string, opts: HttpOptions, notFoundHint = NOT_FOUND_HINT): Promise<Response> {
  const idle = opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  const maxRedirects = opts.maxRedirects ?? DEFAULTS.maxRedirects;
  let current = url;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new Final(
        new DownloadError(`${redactUrl(current)} is not an http(s) URL`, {
          file: fileName,
          hint: 'mirror base URLs in download.mirrors must start with http:// or https://',
        }),
      );
    }
    let proxy: URL | undefined;
    try {
      proxy = proxyFor(current, { ...(opts.proxy !== undefined && { proxy: opts.proxy }), ...(opts.env && { env: opts.env }) });
    } catch (err) {
      throw new Final(
        new DownloadError((err as Error).message, {
          file: fileName,
          field: opts.proxy !== undefined ? 'download.proxy' : undefined,
          hint: 'use an http:// proxy URL such as http://proxy.example.com:3128 (in download.proxy or HTTPS_PROXY/HTTP_PROXY)',
        }),
      );
    }
    let res: http.IncomingMessage;
    try {
      res = await request(current, proxy, opts, idle);
    } catch (err) {
      if (opts.signal?.aborted) throw cancelled(fileName);
      if ((err as NodeJS.ErrnoException).code === 'EPROXYREFUSED') {
        throw new Final(new DownloadError((err as Error).message, { file: fileName, hint: 'check download.proxy or HTTPS_PROXY, and that the proxy allows CONNECT to that host' }));
      }
      throw new Transient(`could not fetch ${redactUrl(current)}: ${describeNetworkError(err)}`);
    }
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && res.headers.location) {
      res.resume();
      if (hop >= maxRedirects) {
        throw new Final(new DownloadError(`${redactUrl(url)} redirected more than ${maxRedirects} times`, { file: fileName, hint: 'check the mirror URL' }));
      }
      const next = new URL(res.headers.location, current);
      if (current.protocol === 'https:' && next.protocol === 'http:') {
        // The checksum files are what every download is trusted against: never let a redirect drop TLS.
        throw new Final(
          new DownloadError(`${redactUrl(current)} redirected to plain http (${redactUrl(next)}); kubeup does not follow that`, {
            file: fileName,
            hint: 'use an https mirror that does not redirect to http, or an http:// mirror URL on purpose in download.mirrors',
          }),
        );
      }
      current = next;
      continue;
    }
    if (status === 200) return { res, url: current };
    res.resume();
    if (status >= 500) throw new Transient(`${redactUrl(current)} answered HTTP ${status}`);
    throw new Final(
      new DownloadError(`${redactUrl(current)} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, {
        file: fileName,
        hint:
          status === 404
            ? notFoundHint
            : status === 407
              ? 'the proxy wants credentials: put them in the proxy URL (http://user:password@proxy:3128)'
              : 'check the mirror URL and that the server allows the download',
      }),
    );
  }
}

async function withRetries<T>(fileName: string, opts: HttpOptions, attempt: () => Promise<T>): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? DEFAULTS.attempts);
  const delay = opts.retryDelayMs ?? DEFAULTS.retryDelayMs;
  let last = '';
  for (let n = 1; n <= attempts; n++) {
    if (opts.signal?.aborted) throw cancelled(fileName);
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof Final) throw err.error;
      if (!(err instanceof Transient)) throw err;
      last = err.message;
      if (n < attempts) await sleep(delay * n, opts.signal, fileName);
    }
  }
  throw new DownloadError(`download of ${fileName} failed after ${attempts} tries: ${last}`, {
    file: fileName,
    hint: 'check the network, the proxy settings (download.proxy, HTTPS_PROXY, NO_PROXY) and the mirror, then run again',
  });
}

function sleep(ms: number, signal: AbortSignal | undefined, fileName: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled(fileName));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(fileName));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What kind of content the first bytes show. */
export function sniff(head: Buffer): 'html' | 'gzip' | 'elf' | 'other' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x7f && head.subarray(1, 4).toString('latin1') === 'ELF') return 'elf';
  const text = head.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().slice(0, 64).toLowerCase();
  if (text.startsWith('<!doctype') || text.startsWith('<html') || text.startsWith('<head') || text.startsWith('<?xml')) return 'html';
  return 'other';
}

async function readHead(path: string, bytes = 512): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function checkContent(kind: ReturnType<typeof sniff>, expect: DownloadFileOptions['expect'], fileName: string, url: URL): void {
  if (kind === 'html') {
    throw new DownloadError(`the server sent a web page instead of ${fileName}: check the mirror URL`, {
      file: fileName,
      hint: `${redactUrl(url)} returned HTML (an error or login page); point download.mirrors at a server that serves the release files themselves`,
    });
  }
  if (expect === 'gzip' && kind !== 'gzip') {
    throw new DownloadError(`${fileName} from ${redactUrl(url)} is not a gzip archive`, {
      file: fileName,
      hint: 'the mirror serves something else under this name: check the mirror URL and the version',
    });
  }
  if (expect === 'elf' && kind !== 'elf') {
    throw new DownloadError(`${fileName} from ${redactUrl(url)} is not a Linux executable (no ELF header)`, {
      file: fileName,
      hint: 'the mirror serves something else under this name: check the mirror URL and the version',
    });
  }
}

/**
 * Downloads `url` to `dest` (written to a temporary name beside it, renamed into place only when every check
 * passed). Returns the final URL after redirects.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadFileOptions = {}): Promise<{ url: string; bytes: number }> {
  const fileName = basename(dest);
  const target = new URL(url);
  return withRetries(fileName, opts, async () => {
    const part = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
    // The temporary file is open before the request starts (the response flows as soon as it has a data listener)
    // and closed before it is removed (removing it earlier races with a stream still writing it).
    const out = (await open(part, 'w', 0o644)).createWriteStream();
    const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
    try {
      const { res, url: finalUrl } = await get(target, fileName, opts);
      const lengthHeader = res.headers['content-length'];
      const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      let done = 0;
      let reported = 0;
      // Report every 1% (or 1 MiB without a known size) and the end, not every 16 KiB chunk: a UI re-renders on each.
      const step = total !== undefined ? Math.max(1, Math.floor(total / 100)) : 1 << 20;
      opts.onProgress?.(0, total);
      res.on('data', (chunk: Buffer) => {
        done += chunk.length;
        if (done - reported >= step || done === total) {
          reported = done;
          opts.onProgress?.(done, total);
        }
      });
      res.once('end', () => {
        if (reported !== done) opts.onProgress?.(done, total);
      });
      try {
        await pipeline(res, out);
      } catch (err) {
        if (opts.signal?.aborted) throw cancelled(fileName);
        throw new Transient(
          `the download of ${redactUrl(finalUrl)} was cut short after ${done}${total !== undefined ? ` of ${total}` : ''} bytes (${describeNetworkError(err)})`,
        );
      }
      if (total !== undefined && done !== total) {
        throw new Transient(`the download of ${redactUrl(finalUrl)} was cut short: got ${done} of ${total} bytes`);
      }
      await closed;
      const head = await readHead(part);
      try {
        checkContent(sniff(head), opts.expect ?? 'any', fileName, finalUrl);
      } catch (err) {
        throw new Final(err as DownloadError);
      }
      await opts.verify?.(part);
      await rename(part, dest);
      return { url: finalUrl.toString(), bytes: done };
    } finally {
      out.destroy();
      await closed;
      await rm(part, { force: true });
    }
  });
}

/** A small text file (a checksum file), held in memory. */
export async function fetchText(url: string, opts: HttpOptions = {}, maxBytes = 1 << 20): Promise<string> {
  const target = new URL(url);
  const fileName = basename(target.pathname);
  return withRetries(fileName, opts, async () => {
    const { res, url: finalUrl } = await get(target, fileName, opts, CHECKSUM_NOT_FOUND_HINT);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.destroy();
          throw new Final(new DownloadError(`${redactUrl(finalUrl)} is larger than ${maxBytes} bytes; it is not a checksum file`, { file: fileName, hint: 'check the mirror URL' }));
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof Final) throw err;
      if (opts.signal?.aborted) throw cancelled(fileName);
      throw new Transient(`the download of ${redactUrl(finalUrl)} was cut short (${describeNetworkError(err)})`);
    }
    const body = Buffer.concat(chunks);
    const lengthHeader = res.headers['content-length'];
    if (lengthHeader !== undefined && Number(lengthHeader) !== body.length) {
      throw new Transient(`the download of ${redactUrl(finalUrl)} was cut short: got ${body.length} of ${lengthHeader} bytes`);
    }
    if (sniff(body.subarray(0, 512)) === 'html') {
      throw new Final(
        new DownloadError(`the server sent a web page instead of ${fileName}: check the mirror URL`, {
          file: fileName,
          hint: `${redactUrl(finalUrl)} returned HTML; the mirror must serve the upstream checksum files`,
        }),
      );
    }
    return body.toString('utf8');
  });
}
