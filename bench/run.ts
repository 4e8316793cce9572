// `npm run bench`: kubeup against the test hosts, side by side in one run. Prints figures; asserts nothing.
// Needs what the system tests need (root, systemd-nspawn, the Debian packages of .ci/run). Takes several minutes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHosts, type TestCluster } from '../test/harness/hosts/index.js';
import { hostsUnavailableReason } from '../test/harness/skip.js';
import { startMirror, type Mirror } from '../test/harness/mirror/index.js';
import { e2eProfile, REPO, runCli, writeProfile } from '../test/e2e/helpers.js';
import type { RunSummary } from '../src/tasks/records.js';
import { measureFloor, type Floor } from './floor.js';
import { transferBench } from './transfer.js';

const MB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'kubeup-bench-'));
// CoreDNS cannot run on the test hosts (no controllers for Deployments, no containers): one look, not a wait.
const env = { KUBEUP_DNS_TIMEOUT_MS: '1', HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), KUBECONFIG: join(dir, 'kubeconfig') };
const lines: string[] = [];
const say = (s = '') => {
  lines.push(s);
  console.log(s);
};

interface Measured {
  wallMs: number;
  summary: RunSummary;
}

/** The built CLI, as users run it (tsx would add its own memory and start-up to every figure). */
const kubeup = (args: string[]) => runCli(args, env, 1_200_000, true);

async function up(name: string, cluster: TestCluster, mirror: Mirror, roles: string[], cacheDir: string, extra: string[] = []): Promise<Measured> {
  const file = writeProfile(dir, e2eProfile(name, cluster, mirror, roles, cacheDir));
  const started = Date.now();
  const r = await kubeup(['up', '--file', file, '--yes', ...extra]);
  const wallMs = Date.now() - started;
  if (r.code !== 0) throw new Error(`kubeup up ${name} failed (exit ${r.code}):\n${r.err}`);
  const summaryPath = /Summary: (.*summary\.txt)/.exec(r.out)![1]!.replace(/summary\.txt$/, 'summary.json');
  return { wallMs, summary: JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary };
}

async function down(name: string, cluster: TestCluster, mirror: Mirror, roles: string[]): Promise<void> {
  const file = writeProfile(dir, e2eProfile(name, cluster, mirror, roles, join(dir, 'cache')));
  const r = await kubeup(['down', '--file', file, '--yes', '--purge']);
  if (r.code !== 0) throw new Error(`kubeup down ${name} failed:\n${r.err}`);
}

function report(title: string, m: Measured): void {
  const inPhases = m.summary.phases.reduce((a, p) => a + p.ms, 0);
  say(`${title}: ${sec(m.wallMs)} s wall, peak RSS ${(m.summary.peakRssBytes / MB).toFixed(0)} MB`);
  say(`  phases: ${m.summary.phases.map((p) => `${p.phase} ${sec(p.ms)}`).join(', ')}; outside the phases (start-up, version check, exit) ${sec(m.wallMs - inPhases)}`);
  // The slowest and the quickest host of each per-host phase: a wide spread is a phase waiting for its slowest host.
  const perHost = Object.values(m.summary.hosts).map((h) => h.phases);
  const spread = [...new Set(perHost.flatMap((p) => Object.keys(p)))].map((ph) => {
    const v = perHost.map((p) => p[ph] ?? 0);
    return v.length > 1 ? `${ph} ${sec(Math.min(...v))}..${sec(Math.max(...v))}` : `${ph} ${sec(v[0]!)}`;
  });
  say(`  per host: ${spread.join(', ')}`);
  const uploads = Object.entries(m.summary.hosts).map(([h, v]) => `${h} ${((v.record?.bytesUploaded ?? 0) / MB).toFixed(1)} MB`);
  say(`  uploaded: ${uploads.join(', ')}`);
}

const sec = (ms: number) => (ms / 1000).toFixed(1);
const phaseMs = (m: Measured, phase: string) => m.summary.phases.find((p) => p.phase === phase)?.ms ?? NaN;
const roles = (n: number) => ['ai', ...Array<string>(n - 1).fill('i')];

/** OpenSSH scp of the same binaries to the same hosts, all at once (one scp per host, as a person would). */
async function scpParallel(cluster: TestCluster, hosts: number, files: string[]): Promise<number> {
  const started = Date.now();
  await Promise.all(
    cluster.hosts.slice(0, hosts).map(
      (h) =>
        new Promise<void>((resolve, reject) => {
          execFileSync('ssh', ['-i', cluster.privateKeyPath, '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', 'BatchMode=yes', `root@${h.address}`, 'mkdir -p /tmp/scp-bench']);
          const p = spawn('scp', ['-q', '-i', cluster.privateKeyPath, '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', 'BatchMode=yes', ...files, `root@${h.address}:/tmp/scp-bench/`], { stdio: 'inherit' });
          p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`scp to ${h.address} exited ${code}`))));
        }),
    ),
  );
  return Date.now() - started;
}

const PARTS = ['one', 'eight', 'serial', 'transfer'] as const;
type Part = (typeof PARTS)[number];

/**
 * Which parts to run: all by default; `--only one,eight` (or the older `orchestration` / `transfer` argument).
 * one: 1 host; eight: 8 hosts, the no-op re-run and its floor; serial: 8 hosts one at a time; transfer: upload rates.
 */
function parts(argv: string[]): Set<Part> {
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
  const legacy = argv.find((a) => a === 'orchestration' || a === 'transfer');
  const names = only ? only.split(',') : legacy === 'orchestration' ? ['one', 'eight', 'serial'] : legacy ? [legacy] : [...PARTS];
  const bad = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown part ${bad.join(', ')}: use --only ${PARTS.join(',')} (any of them)`);
  return new Set(names as Part[]);
}

async function main(): Promise<void> {
  const want = parts(process.argv.slice(2));
  const why = hostsUnavailableReason();
  if (why) throw new Error(`the benchmark needs the test hosts: ${why}`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
  say(`kubeup benchmark, ${new Date().toISOString()}, ${(await import('node:os')).cpus().length} cores, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  say(`(CoreDNS cannot run on the test hosts: the bench bounds validate's wait for it to ${env.KUBEUP_DNS_TIMEOUT_MS} ms, one look)`);
  say();

  // Orchestration: stand-ins at their small size, so waits and round trips dominate.
  if (want.has('one') || want.has('eight') || want.has('serial')) {
    const cluster = await startHosts({ count: 8 });
    const mirror = await startMirror();
    try {
      const cache = join(dir, 'cache');
      await up('warm', cluster, mirror, ['ai'], cache); // fills the download cache, so every timed run below reads it
      await down('warm', cluster, mirror, ['ai']);
      let one: Measured | undefined;
      let eight: Measured | undefined;
      if (want.has('one') || want.has('eight')) {
        one = await up('one', cluster, mirror, ['ai'], cache);
        report('1 host (ai)', one);
        await down('one', cluster, mirror, ['ai']);
      }
      let noop: Measured | undefined;
      let floor: Floor | undefined;
      if (want.has('eight')) {
        eight = await up('eight', cluster, mirror, roles(8), cache);
        report('8 hosts (ai + 7 i), in parallel', eight);
        noop = await up('eight', cluster, mirror, roles(8), cache);
        report('8 hosts, re-run with nothing to do', noop);
        const units = [...new Set(Object.values(eight.summary.hosts).flatMap((h) => [...(h.record?.unitsStarted ?? []), ...(h.record?.unitsRestarted ?? [])]))];
        floor = await measureFloor(join(dir, 'eight.yaml'), cluster, 8, units.length ? units : ['kubelet.service']);
        await down('eight', cluster, mirror, roles(8));
      }
      let serial: Measured | undefined;
      if (want.has('serial')) {
        serial = await up('serial', cluster, mirror, roles(8), cache, ['--concurrency', '1']);
        report('8 hosts, one at a time (--concurrency 1, as kube-up did)', serial);
        await down('serial', cluster, mirror, roles(8));
      }
      say();
      if (one) say(`1 host wall:                            ${sec(one.wallMs)} s (verify ${sec(phaseMs(one, 'verify'))} s, provision ${sec(phaseMs(one, 'provision'))} s)`);
      if (one && eight) say(`orchestration 8 hosts / 1 host:         ${(eight.wallMs / one.wallMs).toFixed(2)}  (target <= 1.3)`);
      if (serial && eight) say(`one at a time / parallel (8 hosts):     ${(serial.wallMs / eight.wallMs).toFixed(2)}  (reported)`);
      if (noop && eight && floor) {
        const floorMs = floor.startupMs + floor.sshMs;
        say(`no-op re-run / first run (8 hosts):     ${(noop.wallMs / eight.wallMs).toFixed(2)}  (target <= 0.05): ${sec(noop.wallMs)} s`);
        say(`no-op floor (8 hosts):                  ${sec(floorMs)} s = CLI start-up ${sec(floor.startupMs)} s + 8 SSH sessions with one command ${sec(floor.sshMs)} s (OpenSSH: ${sec(floor.opensshMs)} s); floor / first run ${(floorMs / eight.wallMs).toFixed(2)}, no-op / floor ${(noop.wallMs / floorMs).toFixed(1)}`);
      }
      if (eight && noop) say(`peak memory at 8 hosts:                 ${(Math.max(eight.summary.peakRssBytes, noop.summary.peakRssBytes) / MB).toFixed(0)} MB  (target <= 150)`);
    } finally {
      await Promise.allSettled([cluster.stop(), mirror.stop()]);
    }
  }
  if (!want.has('transfer')) return;

  // Transfer: stand-ins padded to the real binaries' sizes.
  say();
  const cluster = await startHosts({ count: 3 });
  const mirror = await startMirror({ pad: true });
  try {
    const cache = join(dir, 'cache-padded');
    const first = await up('transfer', cluster, mirror, roles(3), cache);
    report('3 hosts, padded binaries', first);
    const bytes = Object.values(first.summary.hosts).reduce((a, h) => a + (h.record?.bytesUploaded ?? 0), 0);
    const kubeupRate = bytes / (phaseMs(first, 'provision') / 1000);
    // The hosts upload at the same time: the upload window is the longest host's time in its upload batches.
    const uploadWindowMs = Math.max(...Object.values(first.summary.hosts).map((h) => h.record?.uploadMs ?? 0));
    const uploadRate = bytes / (uploadWindowMs / 1000);
    // The same binaries the worker hosts received, from kubeup's cache.
    const binaries = execFileSync('find', [cache, '-type', 'f', '-perm', '-u+x', '-size', '+1M'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    const perHost = binaries.reduce((a, f) => a + Number(execFileSync('stat', ['-c', '%s', f], { encoding: 'utf8' })), 0);
    const scpMs = await scpParallel(cluster, 3, binaries);
    const scpRate = (perHost * 3) / (scpMs / 1000);
    say(`kubeup upload rate (provision phase, all hosts): ${(kubeupRate / MB).toFixed(0)} MB/s (${(bytes / MB).toFixed(0)} MB)`);
    say(`scp, 3 hosts in parallel:                        ${(scpRate / MB).toFixed(0)} MB/s (${((perHost * 3) / MB).toFixed(0)} MB)`);
    say(`kubeup upload rate (upload batches only):         ${(uploadRate / MB).toFixed(0)} MB/s (${(uploadWindowMs / 1000).toFixed(1)} s)`);
    say(`transfer kubeup / scp, provision phase:          ${(kubeupRate / scpRate).toFixed(2)}  (target >= 0.9)`);
    say(`transfer kubeup / scp, upload batches only:      ${(uploadRate / scpRate).toFixed(2)}  (target >= 0.9)`);
    await down('transfer', cluster, mirror, roles(3));
  } finally {
    await Promise.allSettled([cluster.stop(), mirror.stop()]);
  }
  await transferBench({ say, scpParallel, dir });
}

main()
  .catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => (process.env.KUBEUP_BENCH_KEEP ? console.log(`bench: kept ${dir}`) : rmSync(dir, { recursive: true, force: true })));
