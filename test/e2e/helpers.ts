// Shared pieces of the end-to-end suites: a profile for harness hosts and the mirror, the CLI run as a user runs
// it, a real kubectl, and commands on a host over the harness's SSH.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Mirror } from '../harness/mirror/index.js';
import type { TestCluster } from '../harness/hosts/index.js';
import { realKubectl } from '../kubectl.js';

export const REPO = join(import.meta.dirname, '..', '..');

export function e2eProfile(name: string, cluster: TestCluster, mirror: Mirror, roles: string[], cacheDir: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    hosts: roles.map((r, i) => ({ address: cluster.hosts[i]!.address, user: cluster.hosts[i]!.user, port: cluster.hosts[i]!.port, roles: r, container: true })),
    ssh: { agent: false, identityFile: cluster.privateKeyPath, knownHosts: cluster.knownHostsPath },
    download: { mirrors: mirror.baseUrls, checksums: mirror.checksums, cacheDir },
    ...extra,
  };
}

export function writeProfile(dir: string, profile: object): string {
  const file = join(dir, `${(profile as { name: string }).name}.yaml`);
  writeFileSync(file, stringify(profile));
  return file;
}

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * The CLI headless, with isolated state and kubeconfig: from the sources through tsx (no build step), or the built
 * bundle as users run it (`built: true`, after `npm run build`), or a test bundle (`built: <path of its cli.js>`).
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 600_000, built: boolean | string = false): Promise<CliRun> {
  // A string is the path of another bundle (test/e2e/test-bundle.ts).
  const entry = typeof built === 'string' ? [built] : built ? [join(REPO, 'dist', 'cli.js')] : ['--import', 'tsx', join(REPO, 'src/cli.ts')];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: REPO,
      // CoreDNS pods cannot run on the test hosts (no controllers for Deployments, no containers): a short DNS wait
      // keeps every deploy from waiting out the full bound for what cannot happen. Its report is checked all the same.
      env: { PATH: process.env.PATH!, HOME: env.HOME ?? process.env.HOME!, CI: 'true', NO_COLOR: '1', KUBEUP_DNS_TIMEOUT_MS: '4000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

export function kubectl(kubeconfig: string, args: string[]): string {
  return execFileSync(realKubectl(), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 30_000 });
}

/** A command on a test host as root, through OpenSSH with the harness's key and known_hosts. */
export function onHost(cluster: TestCluster, index: number, command: string): string {
  const h = cluster.hosts[index]!;
  return execFileSync(
    'ssh',
    ['-i', cluster.privateKeyPath, '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(h.port), `root@${h.address}`, command],
    { encoding: 'utf8', timeout: 60_000 },
  );
}

export interface LiveCli {
  /** Resolves with the exit code and everything printed. */
  done: Promise<CliRun>;
  /** Resolves with the time (ms since the epoch) the first stdout/stderr text matching `pattern` arrived. */
  when(pattern: RegExp): Promise<number>;
  kill(signal: NodeJS.Signals): void;
}

/** The CLI from the sources, headless, watched while it runs (for faults injected at a given moment). */
export function startCli(args: string[], env: Record<string, string>): LiveCli {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH!, HOME: env.HOME ?? process.env.HOME!, CI: 'true', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (t: number) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(out) || w.pattern.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(Date.now());
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()));
  child.stderr.on('data', (d: Buffer) => ((err += d.toString()), check()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      for (const w of waiters) w.resolve(Number.NaN);
      resolve({ code, out, err });
    });
  });
  return {
    done,
    when: (pattern) => new Promise((resolve) => (waiters.push({ pattern, resolve }), check())),
    kill: (signal) => child.kill(signal),
  };
}
