// The release mirror: plain node:http on 127.0.0.1 serving the built artefacts under upstream paths, with faults.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_VERSIONS } from '../../../src/profile/defaults.js';
import { COMPONENTS, type Component, type Versions } from '../../../src/profile/types.js';
import { fileOnDisk, prepareArtefacts, type MirrorManifest, type StandinBuilder } from './build.js';
import { FaultSwitches, type Fault } from './faults.js';
import { BRIDGE_ADDRESS } from '../hosts/paths.js';
import { baseName, checksumFileText, COMPONENT_PREFIX, type Arch, type ChecksumSpec } from './layout.js';

export interface StartMirrorOptions {
  /** Versions to serve; unset ones come from DEFAULT_VERSIONS. */
  versions?: Partial<Versions>;
  /** Shorthands for versions.kubernetes and versions.etcd. */
  k8sVersion?: string;
  etcdVersion?: string;
  /**
   * More Kubernetes releases to serve beside versions.kubernetes, each with stand-ins built for it (they report it
   * in --version, /version and the Node's kubeletVersion). Default: the next patch release (1.35.2 -> 1.35.3), so
   * that an upgrade can be tested against the same mirror; [] serves one release.
   */
  extraKubernetes?: string[];
  /** Default ['amd64']. arm64 binaries are placeholder scripts (Debian's binaries here are amd64 only). */
  arches?: Arch[];
  /** Pad the Kubernetes stand-ins to the real binaries' sizes (transfer benchmarks). */
  pad?: boolean;
  /** Replaces test/harness/standins/build.ts's buildStandin (tests of the mirror itself). */
  buildStandin?: StandinBuilder;
  /** Replaces .cache/mirror (or $KUBEUP_MIRROR_CACHE_DIR). */
  cacheRoot?: string;
  /**
   * Where the mirror listens: loopback (default, this machine only), or the test bridge's own address, which this
   * machine and the test hosts both reach (download.from: hosts).
   */
  listen?: 'loopback' | 'bridge';
}

export interface MirrorArtefact {
  component: Component;
  /** Below the component's base URL. */
  path: string;
  url: string;
  fileName: string;
  sha256: string;
  size: number;
}

export interface ServedRequest {
  method: string;
  /** Full request path, e.g. /kubernetes/v1.35.2/bin/linux/amd64/kubelet. */
  path: string;
  status: number;
  /** Body bytes actually written. */
  bytes: number;
  faults: Fault['kind'][];
  /** Address the request came from (127.0.0.1 for this machine, a host's address for its own download). */
  from: string;
}

export interface Mirror {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Per component, the value for profile download.mirrors.<component>. */
  baseUrls: Record<Component, string>;
  versions: Versions;
  /** Every Kubernetes release served (versions.kubernetes first); each one's artefacts are in `artefacts`. */
  kubernetesVersions: string[];
  arches: Arch[];
  /** file name -> sha256, for artefacts whose upstream publishes no checksum file (flannel tarballs). */
  checksums: Record<string, string>;
  /** Every artefact served (checksum files excluded), sorted by component then path. */
  artefacts: MirrorArtefact[];
  faults: FaultSwitches;
  requests: ServedRequest[];
  cache: { key: string; dir: string; hit: boolean };
  stop(): Promise<void>;
}

type Route =
  | { kind: 'artefact'; file: string; size: number; contentType: string }
  | { kind: 'checksum'; file: string; spec: ChecksumSpec };

const HTML_ERROR_PAGE = `<!DOCTYPE html>
<html><head><title>503 Service Temporarily Unavailable</title></head>
<body><h1>Service Temporarily Unavailable</h1><p>The release server is down for maintenance. (kubeup test mirror: html fault)</p></body>
</html>
`;

function contentTypeOf(path: string): string {
  return /\.(tar\.gz|tgz)$/.test(path) ? 'application/gzip' : 'application/octet-stream';
}

function routes(manifest: MirrorManifest, filesDir: string): Map<string, Route> {
  const table = new Map<string, Route>();
  for (const a of manifest.artefacts) {
    table.set(`/${COMPONENT_PREFIX[a.component]}/${a.path}`, {
      kind: 'artefact',
      file: fileOnDisk(filesDir, a.component, a.path),
      size: a.size,
      contentType: contentTypeOf(a.path),
    });
  }
  for (const c of manifest.checksumFiles) {
    table.set(`/${COMPONENT_PREFIX[c.component]}/${c.path}`, { kind: 'checksum', file: fileOnDisk(filesDir, c.component, c.path), spec: c });
  }
  return table;
}

const wrongDigest = (hex: string) => createHash('sha256').update(`wrong:${hex}`).digest('hex');

type Body = { file: string; size: number } | { bytes: Buffer; size: number };

/** 1.35.2 -> 1.35.3: the release an upgrade test moves to. */
export function nextPatch(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`release mirror: cannot name the patch release after ${version}; pass extraKubernetes`);
  return `${m[1]}.${m[2]}.${Number(m[3]) + 1}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startMirror(opts: StartMirrorOptions = {}): Promise<Mirror> {
  const versions: Versions = {
    ...DEFAULT_VERSIONS,
    ...opts.versions,
    ...(opts.k8sVersion ? { kubernetes: opts.k8sVersion } : {}),
    ...(opts.etcdVersion ? { etcd: opts.etcdVersion } : {}),
  };
  const arches = [...new Set(opts.arches ?? (['amd64'] as Arch[]))].sort();
  const prepared = await prepareArtefacts({
    versions,
    arches,
    pad: opts.pad ?? false,
    extraKubernetes: opts.extraKubernetes ?? [nextPatch(versions.kubernetes)],
    buildStandin: opts.buildStandin,
    cacheRoot: opts.cacheRoot,
  });
  const { manifest, filesDir } = prepared;
  const table = routes(manifest, filesDir);
  const sha256ByPath = new Map(manifest.artefacts.map((a) => [`/${COMPONENT_PREFIX[a.component]}/${a.path}`, a.sha256]));
  const faults = new FaultSwitches();
  const requests: ServedRequest[] = [];
  let stopping = false;

  async function checksumText(urlPath: string, spec: ChecksumSpec): Promise<string> {
    const onFile = faults.has(urlPath, 'wrong-checksum');
    const prefix = `/${COMPONENT_PREFIX[spec.component]}/`;
    if (!onFile && !spec.covers.some((p) => faults.has(prefix + p, 'wrong-checksum'))) {
      return readFile(table.get(urlPath)!.file, 'utf8');
    }
    return checksumFileText(spec, (p) => {
      const real = sha256ByPath.get(prefix + p)!;
      return onFile || faults.has(prefix + p, 'wrong-checksum') ? wrongDigest(real) : real;
    });
  }

  /** Writes the first `length` bytes of the body, no faster than `bytesPerSecond`. Returns the bytes written. */
  async function sendSlowly(res: http.ServerResponse, body: Body, length: number, bytesPerSecond: number): Promise<number> {
    const tick = 100;
    const chunk = Math.max(1, Math.floor((bytesPerSecond * tick) / 1000));
    const fh = 'file' in body ? await open(body.file, 'r') : undefined;
    let sent = 0;
    try {
      while (sent < length && !stopping && !res.destroyed) {
        const n = Math.min(chunk, length - sent);
        let buf: Buffer;
        if (fh) {
          buf = Buffer.alloc(n);
          const { bytesRead } = await fh.read(buf, 0, n, sent);
          if (bytesRead === 0) break;
          buf = buf.subarray(0, bytesRead);
        } else {
          buf = (body as { bytes: Buffer }).bytes.subarray(sent, sent + n);
        }
        res.write(buf);
        sent += buf.length;
        if (sent < length) await sleep(tick);
      }
    } finally {
      await fh?.close();
    }
    return sent;
  }

  async function sendFast(res: http.ServerResponse, body: Body, length: number): Promise<number> {
    if (length === 0) return 0;
    if ('bytes' in body) {
      res.write(body.bytes.subarray(0, length));
      return length;
    }
    let sent = 0;
    for await (const chunk of createReadStream(body.file, { start: 0, end: length - 1 })) {
      if (res.destroyed) break;
      const buf = chunk as Buffer;
      sent += buf.length;
      if (!res.write(buf)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done).off('close', done);
            resolve();
          };
          res.on('drain', done).on('close', done);
        });
      }
    }
    return sent;
  }

  /** Sends a 200 with the body, applying the truncate and slow faults. Returns the body bytes written. */
  async function sendBody(res: http.ServerResponse, method: string, body: Body, contentType: string, active: Fault[]): Promise<number> {
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.size });
    if (method === 'HEAD') {
      res.end();
      return 0;
    }
    const truncate = active.find((f): f is Fault & { kind: 'truncate' } => f.kind === 'truncate');
    const slow = active.find((f): f is Fault & { kind: 'slow' } => f.kind === 'slow');
    const length = truncate ? Math.min(body.size, truncate.afterBytes ?? Math.floor(body.size / 2)) : body.size;
    const sent = slow ? await sendSlowly(res, body, length, slow.bytesPerSecond) : await sendFast(res, body, length);
    if (truncate) {
      // Close the connection short of the announced Content-Length: the client must see an incomplete body.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      res.socket?.end();
      res.socket?.destroySoon();
    } else {
      res.end();
    }
    return sent;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<ServedRequest> {
    const method = req.method ?? 'GET';
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname);
    const active = faults.match(urlPath);
    const record: ServedRequest = { method, path: urlPath, status: 0, bytes: 0, faults: active.map((f) => f.kind), from: remoteOf(req) };
    const route = table.get(urlPath);
    const text = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      record.status = status;
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(method === 'HEAD' ? undefined : body);
      record.bytes = method === 'HEAD' ? 0 : Buffer.byteLength(body);
      return record;
    };

    if (method !== 'GET' && method !== 'HEAD') return text(405, `method ${method} not allowed\n`);
    const status = active.find((f): f is Fault & { kind: 'status' } => f.kind === 'status');
    if (status) return text(status.status, status.status === 404 ? 'Not Found\n' : 'Internal Server Error (kubeup test mirror fault)\n');
    if (!route) return text(404, 'Not Found\n');
    if (active.some((f) => f.kind === 'html')) return text(200, HTML_ERROR_PAGE, 'text/html; charset=utf-8');

    record.status = 200;
    if (route.kind === 'checksum') {
      const bytes = Buffer.from(await checksumText(urlPath, route.spec));
      record.bytes = await sendBody(res, method, { bytes, size: bytes.length }, 'text/plain; charset=utf-8', active);
    } else {
      record.bytes = await sendBody(res, method, { file: route.file, size: route.size }, route.contentType, active);
    }
    return record;
  }

  const listenAddress = opts.listen === 'bridge' ? BRIDGE_ADDRESS : '127.0.0.1';
  const server = http.createServer((req, res) => {
    handle(req, res)
      .then((r) => requests.push(r))
      .catch((err: Error) => {
        requests.push({ method: req.method ?? 'GET', path: req.url ?? '', status: 500, bytes: 0, faults: [], from: remoteOf(req) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`mirror error: ${err.message}\n`);
        else res.destroy(err);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenAddress, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${listenAddress}:${port}`;
  const baseUrls = Object.fromEntries(COMPONENTS.map((c) => [c, `${url}/${COMPONENT_PREFIX[c]}`])) as Record<Component, string>;

  const covered = new Set(manifest.checksumFiles.flatMap((c) => c.covers.map((p) => `${c.component}/${p}`)));
  const checksums = Object.fromEntries(
    manifest.artefacts
      .filter((a) => !covered.has(`${a.component}/${a.path}`))
      .map((a) => [baseName(a.path), a.sha256])
      .sort(([a], [b]) => a!.localeCompare(b!)),
  ) as Record<string, string>;

  return {
    url,
    baseUrls,
    versions,
    kubernetesVersions: manifest.kubernetesVersions,
    arches,
    checksums,
    artefacts: manifest.artefacts.map((a) => ({
      component: a.component,
      path: a.path,
      url: `${baseUrls[a.component]}/${a.path}`,
      fileName: baseName(a.path),
      sha256: a.sha256,
      size: a.size,
    })),
    faults,
    requests,
    cache: { key: manifest.key, dir: prepared.cacheDir, hit: prepared.cacheHit },
    stop: async () => {
      stopping = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const remoteOf = (req: http.IncomingMessage) => (req.socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
