// downloadFile / fetchText against misbehaving servers: status codes, retries, cut-short bodies, web pages, slow
// servers, redirects, proxies and cancellation.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, DownloadError } from '../../../src/errors.js';
import { downloadFile, fetchText, sniff } from '../../../src/release/fetch.js';
import { FixtureServer, fakeElf, makeTarball, sendBytes, sendStatus } from './fixture-server.js';
import { TestProxy } from './test-proxy.js';

let server: FixtureServer;
let dir: string;
const noEnv = {};
const fast = { attempts: 3, retryDelayMs: 5, idleTimeoutMs: 5_000, env: noEnv };

beforeEach(async () => {
  server = new FixtureServer();
  await server.start();
  dir = await mkdtemp(join(tmpdir(), 'kubeup-dl-'));
});

afterEach(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const leftovers = async () => (await readdir(dir)).sort();

describe('downloadFile', () => {
  it('writes the body to the destination and reports progress up to the total', async () => {
    const body = fakeElf('kubelet');
    server.set('/kubelet', sendBytes(body));
    const progress: [number, number | undefined][] = [];
    const dest = join(dir, 'kubelet');
    const out = await downloadFile(`${server.base}/kubelet`, dest, { ...fast, expect: 'elf', onProgress: (d, t) => progress.push([d, t]) });
    expect(await readFile(dest)).toEqual(body);
    expect(out.bytes).toBe(body.length);
    expect(progress.at(-1)).toEqual([body.length, body.length]);
    expect(await leftovers()).toEqual(['kubelet']);
  });

  it('follows redirects, relative and absolute, to the file', async () => {
    const body = await makeTarball({ a: Buffer.from('a') });
    server.set('/release/x.tgz', (_req, res) => {
      res.writeHead(302, { location: '/objects/1' });
      res.end();
    });
    server.set('/objects/1', (_req, res) => {
      res.writeHead(307, { location: `${server.base}/objects/2?sig=abc` });
      res.end();
    });
    server.set('/objects/2', sendBytes(body));
    const out = await downloadFile(`${server.base}/release/x.tgz`, join(dir, 'x.tgz'), { ...fast, expect: 'gzip' });
    expect(server.requests).toEqual(['/release/x.tgz', '/objects/1', '/objects/2']);
    expect(out.url).toBe(`${server.base}/objects/2?sig=abc`);
    expect(await readFile(join(dir, 'x.tgz'))).toEqual(body);
  });

  it('gives up on a redirect loop', async () => {
    server.set('/loop', (_req, res) => {
      res.writeHead(302, { location: '/loop' });
      res.end();
    });
    const err = await downloadFile(`${server.base}/loop`, join(dir, 'loop'), { ...fast, maxRedirects: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toContain('redirected more than 3 times');
    expect(server.requests.length).toBe(4);
  });

  it('does not retry a 404 and says to check version and mirror', async () => {
    const err = (await downloadFile(`${server.base}/v9.9.9/kubelet`, join(dir, 'kubelet'), fast).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`${server.base}/v9.9.9/kubelet answered HTTP 404 Not Found`);
    expect(err.file).toBe('kubelet');
    expect(err.hint).toContain('download.mirrors');
    expect(server.requests).toEqual(['/v9.9.9/kubelet']);
    expect(await leftovers()).toEqual([]);
  });

  it('retries a 500 with a delay, then fails naming the file and the last answer', async () => {
    server.set('/etcd.tar.gz', sendStatus(500));
    const err = (await downloadFile(`${server.base}/etcd.tar.gz`, join(dir, 'etcd.tar.gz'), fast).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`download of etcd.tar.gz failed after 3 tries: ${server.base}/etcd.tar.gz answered HTTP 500`);
    expect(server.countOf('/etcd.tar.gz')).toBe(3);
  });

  it('succeeds when a 503 is followed by the file', async () => {
    const body = fakeElf('runc');
    let calls = 0;
    server.set('/runc.amd64', (req, res) => (++calls === 1 ? sendStatus(503)(req, res) : sendBytes(body)(req, res)));
    await downloadFile(`${server.base}/runc.amd64`, join(dir, 'runc.amd64'), { ...fast, expect: 'elf' });
    expect(calls).toBe(2);
    expect(await readFile(join(dir, 'runc.amd64'))).toEqual(body);
  });

  it('treats a body shorter than its Content-Length as cut short, retries, and leaves no file', async () => {
    const body = fakeElf('kube-proxy');
    server.set('/kube-proxy', (_req, res) => {
      res.writeHead(200, { 'content-length': body.length * 10 });
      res.write(body, () => res.socket?.destroy());
    });
    const err = (await downloadFile(`${server.base}/kube-proxy`, join(dir, 'kube-proxy'), fast).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain('download of kube-proxy failed after 3 tries');
    expect(err.message).toContain('cut short');
    expect(server.countOf('/kube-proxy')).toBe(3);
    expect(await leftovers()).toEqual([]);
  });

  it('recognises an HTML page served as a tarball and does not retry it', async () => {
    server.set('/flannel.tar.gz', sendBytes('\n  <!DOCTYPE html><html><body>Sign in to continue</body></html>', { 'content-type': 'text/html' }));
    const err = (await downloadFile(`${server.base}/flannel.tar.gz`, join(dir, 'flannel.tar.gz'), { ...fast, expect: 'gzip' }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe('the server sent a web page instead of flannel.tar.gz: check the mirror URL');
    expect(server.countOf('/flannel.tar.gz')).toBe(1);
    expect(await leftovers()).toEqual([]);
  });

  it('rejects a tarball that is not gzip and a binary that is not ELF', async () => {
    server.set('/a.tgz', sendBytes('plain text, not an archive'));
    server.set('/kubectl', sendBytes(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])));
    await expect(downloadFile(`${server.base}/a.tgz`, join(dir, 'a.tgz'), { ...fast, expect: 'gzip' })).rejects.toThrow('a.tgz from');
    await expect(downloadFile(`${server.base}/a.tgz`, join(dir, 'a.tgz'), { ...fast, expect: 'gzip' })).rejects.toThrow('is not a gzip archive');
    await expect(downloadFile(`${server.base}/kubectl`, join(dir, 'kubectl'), { ...fast, expect: 'elf' })).rejects.toThrow('is not a Linux executable');
    expect(await leftovers()).toEqual([]);
  });

  it('keeps going with a slow server and reports progress as bytes arrive', async () => {
    const chunks = Array.from({ length: 5 }, (_, i) => (i === 0 ? fakeElf('slow') : Buffer.alloc(1000, i)));
    const total = chunks.reduce((n, c) => n + c.length, 0);
    server.set('/slow', (_req, res) => {
      res.writeHead(200, { 'content-length': total });
      let i = 0;
      const next = () => {
        if (i === chunks.length) return res.end();
        res.write(chunks[i++]);
        setTimeout(next, 60);
      };
      next();
    });
    const seen: number[] = [];
    await downloadFile(`${server.base}/slow`, join(dir, 'slow'), { ...fast, idleTimeoutMs: 2_000, expect: 'elf', onProgress: (d) => seen.push(d) });
    expect(new Set(seen).size).toBeGreaterThanOrEqual(5);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(total);
    expect(await readFile(join(dir, 'slow'))).toEqual(Buffer.concat(chunks));
  });

  it('reports progress in steps of about 1%, not per chunk', async () => {
    const body = Buffer.concat([fakeElf('big'), Buffer.alloc(4 << 20, 7)]);
    server.set('/big', sendBytes(body));
    const seen: number[] = [];
    await downloadFile(`${server.base}/big`, join(dir, 'big'), { ...fast, onProgress: (d) => seen.push(d) });
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(body.length);
    expect(seen.length).toBeLessThanOrEqual(102);
    expect(seen.length).toBeGreaterThan(10);
  });

  it('gives up on a server that stops sending, after the idle timeout, on every try', async () => {
    server.set('/stuck', (_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write(fakeElf('x').subarray(0, 10));
    });
    const err = (await downloadFile(`${server.base}/stuck`, join(dir, 'stuck'), { ...fast, attempts: 2, idleTimeoutMs: 150 }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain('failed after 2 tries');
    expect(server.countOf('/stuck')).toBe(2);
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    server.set('/big', (_req, res) => {
      res.writeHead(200, { 'content-length': 1_000_000 });
      // Cancel once the body has started to flow.
      res.write(fakeElf('big'), () => setTimeout(() => ac.abort(), 20));
    });
    const p = downloadFile(`${server.base}/big`, join(dir, 'big'), { ...fast, signal: ac.signal });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(server.countOf('/big')).toBe(1);
    expect(await leftovers()).toEqual([]);
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    const open = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const err = (await downloadFile(`http://127.0.0.1:${port}/kubelet`, join(dir, 'kubelet'), { ...fast, attempts: 2, idleTimeoutMs: 150 }).catch((e: unknown) => e)) as DownloadError;
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.message).toContain('failed after 2 tries');
      expect(err.message).toContain('ETIMEDOUT');
    } finally {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports a proxy setting that is not an http proxy at its field, without a request', async () => {
    server.set('/kubelet', sendBytes(fakeElf('k')));
    const err = (await downloadFile(`${server.base}/kubelet`, join(dir, 'kubelet'), { ...fast, proxy: 'socks5://u:pw@127.0.0.1:1080' }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.field).toBe('download.proxy');
    expect(err.message).not.toContain('pw');
    expect(server.requests).toEqual([]);
  });

  it('says a URL that is not http(s) is not one', async () => {
    await expect(downloadFile('ftp://127.0.0.1/x', join(dir, 'x'), fast)).rejects.toThrow('is not an http(s) URL');
  });
});

describe('fetchText', () => {
  it('returns a checksum file and rejects a web page served in its place', async () => {
    server.set('/SHA256SUMS', sendBytes(`${'a'.repeat(64)}  x.tar.gz\n`));
    server.set('/kubelet.sha256', sendBytes('<html><body>404</body></html>'));
    expect(await fetchText(`${server.base}/SHA256SUMS`, fast)).toBe(`${'a'.repeat(64)}  x.tar.gz\n`);
    await expect(fetchText(`${server.base}/kubelet.sha256`, fast)).rejects.toThrow('the server sent a web page instead of kubelet.sha256');
  });

  it('says a missing checksum file can be replaced by download.checksums', async () => {
    const err = (await fetchText(`${server.base}/v1/SHA256SUMS`, fast).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`${server.base}/v1/SHA256SUMS answered HTTP 404 Not Found`);
    expect(err.hint).toContain('download.checksums');
    expect(server.requests).toEqual(['/v1/SHA256SUMS']);
  });
});

describe('sniff', () => {
  it('tells gzip, ELF, HTML and anything else apart', () => {
    expect(sniff(Buffer.from([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(sniff(fakeElf('x'))).toBe('elf');
    expect(sniff(Buffer.from('\uFEFF<!doctype HTML>'))).toBe('html');
    expect(sniff(Buffer.from('  <HTML lang="en">'))).toBe('html');
    expect(sniff(Buffer.from('abc'))).toBe('other');
  });
});

describe('through a proxy', () => {
  let proxy: TestProxy;
  let tlsDir: string;
  let tlsServer: https.Server;
  let tlsBase: string;
  let cert: string;

  beforeAll(async () => {
    // A real TLS server with a throwaway certificate for 127.0.0.1, so the CONNECT tunnel carries real TLS.
    tlsDir = await mkdtemp(join(tmpdir(), 'kubeup-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = await readFile(join(tlsDir, 'cert.pem'), 'utf8');
    const body = fakeElf('over-tls');
    tlsServer = https.createServer({ key: await readFile(join(tlsDir, 'key.pem')), cert }, (req, res) => {
      if (req.url === '/bin/kubelet') sendBytes(body)(req, res);
      else sendStatus(404)(req, res);
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    tlsServer.closeAllConnections();
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    await rm(tlsDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    proxy = new TestProxy();
    await proxy.start();
  });

  afterEach(async () => {
    await proxy.stop();
  });

  it('sends a plain http download through the profile proxy, with its credentials', async () => {
    const body = fakeElf('kubelet');
    server.set('/kubelet', sendBytes(body));
    const withAuth = proxy.url.replace('http://', 'http://alice:s%3Acret@');
    await downloadFile(`${server.base}/kubelet`, join(dir, 'kubelet'), { ...fast, proxy: withAuth, expect: 'elf' });
    expect(proxy.forwarded).toEqual([`${server.base}/kubelet`]);
    expect(proxy.authorizations).toEqual([`Basic ${Buffer.from('alice:s:cret').toString('base64')}`]);
    expect(await readFile(join(dir, 'kubelet'))).toEqual(body);
  });

  it('does not follow a redirect from https down to plain http', async () => {
    server.set('/bin/kubelet', sendBytes(fakeElf('plain')));
    const downgrade = https.createServer({ key: await readFile(join(tlsDir, 'key.pem')), cert }, (_req, res) => {
      res.writeHead(302, { location: `${server.base}/bin/kubelet` });
      res.end();
    });
    await new Promise<void>((resolve) => downgrade.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(downgrade.address() as AddressInfo).port}/bin/kubelet`;
      const err = (await downloadFile(url, join(dir, 'kubelet'), { ...fast, ca: cert }).catch((e: unknown) => e)) as DownloadError;
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.message).toContain('redirected to plain http');
      expect(server.requests).toEqual([]);
    } finally {
      downgrade.closeAllConnections();
      await new Promise<void>((resolve) => downgrade.close(() => resolve()));
    }
  });

  it('tunnels https with CONNECT when HTTPS_PROXY is set', async () => {
    const dest = join(dir, 'kubelet');
    await downloadFile(`${tlsBase}/bin/kubelet`, dest, { ...fast, env: { HTTPS_PROXY: proxy.url }, ca: cert, expect: 'elf' });
    expect(proxy.tunnels).toEqual([new URL(tlsBase).host]);
    expect((await readFile(dest)).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    server.set('/kubelet', sendBytes(fakeElf('direct')));
    await downloadFile(`${server.base}/kubelet`, join(dir, 'kubelet'), { ...fast, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,127.0.0.1' } });
    expect(proxy.forwarded).toEqual([]);
    expect(server.requests).toEqual(['/kubelet']);
  });

  it('reports a proxy that refuses the tunnel without retrying, and hides the proxy password', async () => {
    proxy.refuseConnectWith = 403;
    const withAuth = proxy.url.replace('http://', 'http://bob:hunter2@');
    const err = (await downloadFile(`${tlsBase}/bin/kubelet`, join(dir, 'kubelet'), { ...fast, proxy: withAuth, ca: cert }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain('refused to tunnel');
    expect(err.message).toContain('HTTP 403');
    expect(err.message).not.toContain('hunter2');
    expect(proxy.tunnels.length).toBe(1);
  });
});
