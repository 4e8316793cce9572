// The transfer half of `npm run bench` (`npm run bench -- --only transfer`): the session primitives kubeup sends a
// worker's binaries with (HostSession.upload: plain, encoded, fetched by the host), to 3 and to 8 hosts at once, with
// the transfer workers on and off, against OpenSSH scp of the same raw files; then the same through a rate-limited
// link (tc tbf on the test bridge kbr0). Prints figures with the machine's load average next to each; asserts nothing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { chooseEncoding, ENCODING_PREFERENCE, encodedCopy, operatorEncodings } from '../src/release/encode.js';
import { connect } from '../src/ssh/client.js';
import type { Encoding, HostSession, UploadContent } from '../src/ssh/session.js';
import { BRIDGE, BRIDGE_ADDRESS, startHosts, type TestCluster } from '../test/harness/hosts/index.js';
import { DEBIAN_BINARIES } from '../test/harness/mirror/layout.js';
import { startMirror, type Mirror } from '../test/harness/mirror/index.js';

const MB = 1024 * 1024;

export interface TransferBenchDeps {
  say: (line?: string) => void;
  /** bench/run.ts's OpenSSH scp of the files to the first `hosts` hosts, one scp per host, all at once; returns ms. */
  scpParallel: (cluster: TestCluster, hosts: number, files: string[]) => Promise<number>;
  /** A temp folder of the bench run (removed by run.ts). */
  dir: string;
}

interface Raw {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

interface Prepared extends Raw {
  /** Compressed copy (bench cache folder) and its format. */
  packed?: { path: string; format: Encoding; size: number };
}

type Mode = 'plain' | 'encoded' | 'fetch';

interface Figure {
  ms: number[];
  /** Bytes kubeup counted as sent per host (UploadResult.wireBytes), and what kbr0 carried per host. */
  sentPerHost: number;
  wirePerHost: number;
  load: string;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const txBytes = () => Number(readFileSync(`/sys/class/net/${BRIDGE}/statistics/tx_bytes`, 'utf8'));
/** Rates are from each figure's fastest run (the runs are listed, so the spread shows). */
const best = (xs: number[]) => Math.min(...xs);
const REPEAT = Math.max(1, Number(process.env.KUBEUP_BENCH_REPEAT ?? 2));
/** The rate-limited link: all traffic from this machine to the hosts through one 100 Mbit/s queue on kbr0. */
const RATE = '100mbit';

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The files a worker node gets, as the mirror serves them: kubelet and kube-proxy (stand-ins padded to the real sizes), containerd, its shim and runc (Debian's real binaries). */
async function workerFiles(mirror: Mirror, dir: string): Promise<Raw[]> {
  const out: Raw[] = [];
  mkdirSync(join(dir, 'raw'), { recursive: true });
  for (const name of ['kubelet', 'kube-proxy']) {
    const a = mirror.artefacts.find((x) => x.component === 'kubernetes' && x.fileName === name && x.path === `v${mirror.versions.kubernetes.replace(/^v/, '')}/bin/linux/amd64/${name}`);
    if (!a) throw new Error(`the mirror serves no ${name} for ${mirror.versions.kubernetes}`);
    const path = join(dir, 'raw', name);
    const res = await fetch(a.url);
    if (!res.ok) throw new Error(`mirror: ${a.url} answered ${res.status}`);
    await writeFile(path, Buffer.from(await res.arrayBuffer()));
    out.push({ name, path, size: statSync(path).size, sha256: a.sha256 });
  }
  for (const name of ['containerd', 'containerd-shim-runc-v2', 'runc'] as const) {
    const path = join(dir, 'raw', name);
    await copyFile(DEBIAN_BINARIES[name], path);
    out.push({ name, path, size: statSync(path).size, sha256: await sha256Of(path) });
  }
  return out;
}

/** The formats every host can expand (`<tool> -dc`). */
async function hostFormats(sessions: HostSession[]): Promise<Encoding[]> {
  const has = await Promise.all(
    ENCODING_PREFERENCE.map(async (f) => (await Promise.all(sessions.map(async (s) => (await s.exec(['sh', '-c', `command -v ${f}`], { allowFailure: true })).code === 0))).every(Boolean)),
  );
  return ENCODING_PREFERENCE.filter((_, i) => has[i]);
}

async function hostFetchTool(sessions: HostSession[]): Promise<'curl' | 'wget' | undefined> {
  for (const t of ['curl', 'wget'] as const) {
    const all = await Promise.all(sessions.map(async (s) => (await s.exec(['sh', '-c', `command -v ${t}`], { allowFailure: true })).code === 0));
    if (all.every(Boolean)) return t;
  }
  return undefined;
}

/** A plain HTTP server on the bridge address serving the raw files (padded to real sizes, they are not in the test mirror). */
async function serveOnBridge(files: Raw[]): Promise<{ url: string; server: Server }> {
  const byName = new Map(files.map((f) => [`/${f.name}`, f]));
  const server = createServer((req, res) => {
    const f = byName.get(req.url ?? '');
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': f.size });
    createReadStream(f.path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, BRIDGE_ADDRESS, resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://${BRIDGE_ADDRESS}:${port}`, server };
}

async function openAll(cluster: TestCluster, hosts: number, workers: boolean): Promise<HostSession[]> {
  return Promise.all(
    cluster.hosts.slice(0, hosts).map((h) =>
      connect(
        { host: h.address, port: h.port, user: h.user, field: h.name, auth: { identityFile: cluster.privateKeyPath } },
        { knownHostsFile: cluster.knownHostsPath, env: {}, transferWorkers: workers },
      ),
    ),
  );
}

/** Every file to every host at once (each host's files in parallel, as the executor sends an upload batch). */
async function sendAll(sessions: HostSession[], files: Prepared[], mode: Mode, fetchFrom: { url: string; tool: 'curl' | 'wget' } | undefined): Promise<{ ms: number; sent: number }> {
  const folder = `/tmp/kubeup-bench-${mode}`;
  await Promise.all(sessions.map((s) => s.exec(['rm', '-rf', '--', folder, '/tmp/kubeup-bench-downloads'])));
  const content = (f: Prepared): UploadContent => {
    if (mode === 'plain') return { localPath: f.path };
    if (mode === 'encoded') return { encoded: { localPath: f.packed!.path, format: f.packed!.format }, plainPath: f.path, sha256: f.sha256, size: f.size };
    return { fetch: { tool: fetchFrom!.tool, url: `${fetchFrom!.url}/${f.name}`, sha256: f.sha256, downloadsDir: '/tmp/kubeup-bench-downloads' }, sha256: f.sha256, size: f.size };
  };
  const started = Date.now();
  const results = await Promise.all(sessions.flatMap((s) => files.map((f) => s.upload(`${folder}/${f.name}`, content(f), { mode: 0o755 }))));
  const ms = Date.now() - started;
  if (!results.every((r) => r.changed)) throw new Error(`bench: a ${mode} upload found the file already there`);
  return { ms, sent: results.reduce((a, r) => a + r.wireBytes, 0) };
}

async function measure(what: string, hosts: number, repeat: number, run: () => Promise<{ ms: number; sent: number }>, say: TransferBenchDeps['say']): Promise<Figure> {
  const ms: number[] = [];
  let sent = 0;
  let wire = 0;
  for (let i = 0; i < repeat; i++) {
    const before = txBytes();
    const r = await run();
    wire = txBytes() - before;
    ms.push(r.ms);
    sent = r.sent;
  }
  const figure = { ms, sentPerHost: sent / hosts, wirePerHost: wire / hosts, load: loadavg() };
  say(`  ${what.padEnd(34)} ${ms.map((m) => (m / 1000).toFixed(1)).join(' / ').padStart(11)} s   load ${figure.load}`);
  return figure;
}

function summary(label: string, f: Figure, rawPerHost: number, hosts: number, scp: Figure | undefined, say: TransferBenchDeps['say']): void {
  const rate = (rawPerHost * hosts) / (best(f.ms) / 1000) / MB;
  const vsScp = scp ? ` | delivered rate / scp ${(best(scp.ms) / best(f.ms)).toFixed(2)}` : '';
  say(`    ${label.padEnd(32)} ${rate.toFixed(0).padStart(4)} MB/s delivered | sent ${(f.sentPerHost / MB).toFixed(1)} MB/host, kbr0 ${(f.wirePerHost / MB).toFixed(1)} MB/host of ${(rawPerHost / MB).toFixed(1)} MB raw${vsScp}`);
}

/** One table: every mode at `hosts` hosts, worker path off and on, and scp. */
async function table(title: string, cluster: TestCluster, hosts: number, repeat: number, files: Prepared[], fetchFrom: { url: string; tool: 'curl' | 'wget' } | undefined, deps: TransferBenchDeps): Promise<void> {
  const { say } = deps;
  const rawPerHost = files.reduce((a, f) => a + f.size, 0);
  say(`${title}: ${hosts} hosts, ${(rawPerHost / MB).toFixed(1)} MB raw per host (${files.map((f) => f.name).join(', ')}); time of each of ${repeat} run${repeat === 1 ? '' : 's'}`);
  const figures: [string, Figure][] = [];
  const sessions = { off: await openAll(cluster, hosts, false), on: await openAll(cluster, hosts, true) };
  try {
    // scp: scpParallel logs in once per host beforehand for its mkdir (sequentially, inside its timing): measured apart.
    const logins = await measure('ssh logins of scpParallel (mkdir)', hosts, repeat, async () => {
      const started = Date.now();
      for (const h of cluster.hosts.slice(0, hosts)) execFileSync('ssh', ['-i', cluster.privateKeyPath, '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', 'BatchMode=yes', `root@${h.address}`, 'true']);
      return { ms: Date.now() - started, sent: 0 };
    }, say);
    const scpRaw = await measure('OpenSSH scp, raw files', hosts, repeat, async () => {
      await Promise.all(sessions.off.map((s) => s.exec(['rm', '-rf', '/tmp/scp-bench'])));
      return { ms: await deps.scpParallel(cluster, hosts, files.map((f) => f.path)), sent: rawPerHost * hosts };
    }, say);
    const scp: Figure = { ...scpRaw, ms: scpRaw.ms.map((m) => m - best(logins.ms)) };
    figures.push(['scp (less its mkdir logins)', scp]);
    for (const workers of [false, true]) {
      const s = workers ? sessions.on : sessions.off;
      const tag = workers ? 'workers on ' : 'workers off';
      figures.push([`plain upload, ${tag}`, await measure(`plain upload, ${tag}`, hosts, repeat, () => sendAll(s, files, 'plain', undefined), say)]);
      if (files[0]!.packed) figures.push([`${files[0]!.packed.format} upload, ${tag}`, await measure(`${files[0]!.packed.format} upload, ${tag}`, hosts, repeat, () => sendAll(s, files, 'encoded', undefined), say)]);
    }
    if (fetchFrom) figures.push([`hosts download (${fetchFrom.tool})`, await measure(`hosts download (${fetchFrom.tool})`, hosts, repeat, () => sendAll(sessions.off, files, 'fetch', fetchFrom), say)]);
    else say('  hosts download: not measured, the test hosts have neither curl nor wget');
    for (const [label, f] of figures) summary(label, f, rawPerHost, hosts, label.startsWith('scp') ? undefined : scp, say);
  } finally {
    await Promise.allSettled([...sessions.off, ...sessions.on].map((s) => s.close()));
  }
}

/** tc on kbr0 only, and only when it has no root qdisc of its own yet; removed again whatever happens. */
function limitBridge(): () => void {
  const shown = execFileSync('tc', ['qdisc', 'show', 'dev', BRIDGE], { encoding: 'utf8' });
  if (/qdisc (tbf|htb|netem|hfsc|cake) /.test(shown)) throw new Error(`${BRIDGE} already has a shaping qdisc (${shown.trim()}): not touching it`);
  execFileSync('tc', ['qdisc', 'add', 'dev', BRIDGE, 'root', 'tbf', 'rate', RATE, 'burst', '256kb', 'latency', '50ms']);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    execFileSync('tc', ['qdisc', 'del', 'dev', BRIDGE, 'root']);
  };
  process.once('exit', remove);
  return remove;
}

export async function transferBench(deps: TransferBenchDeps): Promise<void> {
  const { say, dir } = deps;
  say();
  say(`transfer primitives (bench/transfer.ts), ${new Date().toISOString()}, ${availableParallelism()} cores, transfer workers: ${availableParallelism()} threads`);
  const cluster = await startHosts({ count: 8 });
  const mirror = await startMirror({ pad: true });
  let served: Server | undefined;
  try {
    const raw = await workerFiles(mirror, dir);
    const probe = await openAll(cluster, 8, false);
    const format = chooseEncoding(await hostFormats(probe), await operatorEncodings());
    const tool = await hostFetchTool(probe);
    await Promise.allSettled(probe.map((s) => s.close()));
    // Compressed once with kubeup's own cache function (src/release/encode.ts), into the bench's cache folder; not timed in the uploads.
    const packStarted = Date.now();
    const files: Prepared[] = await Promise.all(
      raw.map(async (f) => (format ? { ...f, packed: { ...(await encodedCopy(join(dir, 'cache'), f.path, f.sha256, format)), format } } : f)),
    );
    const packed = files.reduce((a, f) => a + (f.packed?.size ?? f.size), 0);
    const rawBytes = files.reduce((a, f) => a + f.size, 0);
    say(format
      ? `compressed once with ${format} (src/release/encode.ts encodedCopy): ${(rawBytes / MB).toFixed(1)} MB -> ${(packed / MB).toFixed(1)} MB (${((100 * packed) / rawBytes).toFixed(0)}%) in ${((Date.now() - packStarted) / 1000).toFixed(1)} s; ${files.map((f) => `${f.name} ${((100 * (f.packed?.size ?? f.size)) / f.size).toFixed(0)}%`).join(', ')}`
      : 'encoded upload: not measured, the hosts have none of zstd, xz, gzip');
    const bridge = tool ? await serveOnBridge(raw) : undefined;
    served = bridge?.server;
    const fetchFrom = bridge && tool ? { url: bridge.url, tool } : undefined;
    if (fetchFrom) say(`hosts download from ${fetchFrom.url} (the padded files the other modes send)`);

    await table('unlimited link', cluster, 3, REPEAT, files, fetchFrom, deps);
    await table('unlimited link', cluster, 8, REPEAT, files, fetchFrom, deps);

    // Rate-limited: kubelet and runc only (the full set takes minutes through 100 Mbit/s).
    const small = files.filter((f) => ['kubelet', 'runc'].includes(basename(f.path)));
    const unlimit = limitBridge();
    try {
      say(`rate-limited link: tc tbf ${RATE} on ${BRIDGE} (all hosts share it, as an operator's uplink)`);
      await table(`${RATE} link`, cluster, 3, 1, small, fetchFrom, deps);
    } finally {
      unlimit();
    }
  } finally {
    served?.close();
    await Promise.allSettled([cluster.stop(), mirror.stop()]);
  }
}

