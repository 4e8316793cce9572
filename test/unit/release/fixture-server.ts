// A release mirror for tests: a node:http server on 127.0.0.1 that serves fake release files (ELF-headed binaries,
// gzip tarballs made with npm tar) under the upstream paths, records every request, and can misbehave per path.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tar from 'tar';
import { releaseManifest, UPSTREAM_BASES } from '../../../src/release/manifest.js';
import type { Arch, Artifact } from '../../../src/release/types.js';
import type { Component, Profile } from '../../../src/profile/types.js';
import { DEFAULT_ADDONS, DEFAULT_AUDIT, DEFAULT_NETWORK, DEFAULT_VERSIONS } from '../../../src/profile/defaults.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Bytes that start like a Linux executable. */
export function fakeElf(label: string): Buffer {
  return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.from(`fake ${label}\n`), randomBytes(64)]);
}

export async function makeTarball(members: Record<string, Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeup-tarsrc-'));
  try {
    for (const [name, body] of Object.entries(members)) {
      const path = join(dir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body, { mode: 0o644 });
    }
    const out = join(dir, '..', `${dir.split('/').pop()}.tgz`);
    await tar.c({ gzip: true, cwd: dir, file: out, portable: true }, Object.keys(members));
    const bytes = await readFile(out);
    await rm(out, { force: true });
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function sendBytes(body: Buffer | string, headers: http.OutgoingHttpHeaders = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': Buffer.byteLength(body), 'content-type': 'application/octet-stream', ...headers });
    res.end(body);
  };
}

export function sendStatus(status: number, body = `status ${status}`): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

export class FixtureServer {
  readonly requests: string[] = [];
  readonly routes = new Map<string, Handler>();
  #server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push(path);
    const handler = this.routes.get(path);
    if (handler) handler(req, res);
    else sendStatus(404, 'not found')(req, res);
  });
  #sockets = new Set<import('node:net').Socket>();
  base = '';

  async start(): Promise<string> {
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  set(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  countOf(path: string): number {
    return this.requests.filter((p) => p === path).length;
  }
}

export interface MirrorRelease {
  profile: Profile;
  artifacts: Artifact[];
  /** Contents of every binary by artefact id and binary name. */
  binaries: Map<string, Map<string, Buffer>>;
  /** The bytes served for each artefact id. */
  files: Map<string, Buffer>;
}

export function testProfile(mirrors: Partial<Record<Component, string>>, extra: Partial<Profile['download']> = {}): Profile {
  return {
    name: 'test',
    hosts: [{ address: '192.168.213.10', user: 'root', port: 22, roles: ['master', 'worker'] }],
    ssh: { agent: true, password: false, sudoPassword: false, knownHosts: '~/.ssh/known_hosts' },
    versions: { ...DEFAULT_VERSIONS },
    extraArgs: {},
    addons: structuredClone(DEFAULT_ADDONS),
    audit: structuredClone(DEFAULT_AUDIT),
    network: { ...DEFAULT_NETWORK },
    download: { mirrors, ...extra },
  };
}

/**
 * Serves a whole fake release for `arches` on `server`, one mirror base per component (`<base>/<component>`), with
 * upstream-shaped checksum files. flannel (no checksum file upstream; the shipped pin is for the real file) gets its
 * sha256 through download.checksums, as a user would give it.
 */
export async function serveRelease(server: FixtureServer, arches: Arch[]): Promise<MirrorRelease> {
  const mirrors = Object.fromEntries(Object.keys(UPSTREAM_BASES).map((c) => [c, `${server.base}/${c}/`])) as Record<Component, string>;
  const draftProfile = testProfile(mirrors);
  const draft = releaseManifest(draftProfile, arches);
  const files = new Map<string, Buffer>();
  const binaries = new Map<string, Map<string, Buffer>>();
  for (const a of draft) {
    const bins = new Map(a.binaries.map((b) => [b.name, fakeElf(`${a.id} ${b.name}`)]));
    binaries.set(a.id, bins);
    const members = a.binaries.filter((b) => b.member !== undefined);
    const body =
      members.length > 0
        ? await makeTarball(Object.fromEntries([...members.map((b) => [b.member!, bins.get(b.name)!]), ...extraMembers(a)]))
        : bins.get(a.binaries[0]!.name)!;
    files.set(a.id, body);
    server.set(new URL(a.url).pathname, sendBytes(body));
  }
  // Checksum files, grouped the way upstream publishes them.
  const sums = new Map<string, string[]>();
  for (const a of draft) {
    if (a.checksum.kind !== 'file') continue;
    const line = a.checksum.format === 'hex' ? sha256(files.get(a.id)!) : `${sha256(files.get(a.id)!)}  ${a.fileName}`;
    const path = new URL(a.checksum.url).pathname;
    sums.set(path, [...(sums.get(path) ?? []), line]);
  }
  for (const [path, lines] of sums) server.set(path, sendBytes(`${lines.join('\n')}\n`));
  const checksums = Object.fromEntries(draft.filter((a) => a.component === 'flannel').map((a) => [a.fileName, sha256(files.get(a.id)!)]));
  const profile = testProfile(mirrors, { checksums });
  return { profile, artifacts: releaseManifest(profile, arches), binaries, files };
}

/** Members upstream ships beside the binaries kubeup takes, so extraction has to pick. */
function extraMembers(a: Artifact): [string, Buffer][] {
  switch (a.component) {
    case 'etcd':
      return [[`etcd-v${a.version}-linux-${a.arch}/etcdutl`, fakeElf('etcdutl')], [`etcd-v${a.version}-linux-${a.arch}/README.md`, Buffer.from('# etcd\n')]];
    case 'cniPlugins':
      return [['./vlan', fakeElf('vlan')]];
    default:
      return [];
  }
}
