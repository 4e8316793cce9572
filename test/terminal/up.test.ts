// `kubeup up` in a real terminal (tmux, 80x24) against three test hosts and the release mirror: the live view shows a
// pane per host while the deploy runs, and the summary table at the end; a second run cancelled with q, y exits 130.
// And the wizard's "Deploy now", which opens the same view on the profile just saved.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { e2eProfile, REPO, writeProfile } from '../e2e/helpers.js';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { TmuxTerminal } from './helpers.js';

const tmux = promisify(execFile);
const DEPLOY_TIMEOUT_MS = 600_000;
const CLI = ['env', '-u', 'CI', process.execPath, '--import', 'tsx', join(REPO, 'src/cli.ts')];

/** The whole pane, scrolled-off lines included: the CLI prints its report below the view's last frame. */
async function history(t: TmuxTerminal): Promise<string> {
  const server = t.socket.includes('/') ? ['-S', t.socket] : ['-L', t.socket];
  const { stdout } = await tmux('tmux', [...server, 'capture-pane', '-p', '-J', '-S', '-', '-t', t.session]);
  return stdout;
}

describeWithHosts('kubeup up in a terminal: the live run view', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let profileFile: string;
  let terminal: TmuxTerminal | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-term-up-'));
    [cluster, mirror] = await Promise.all([startHosts({ count: 3 }), startMirror()]);
    profileFile = writeProfile(dir, e2eProfile('termup', cluster, mirror, ['ai', 'i', 'i'], join(dir, 'cache')));
  });
  afterEach(() => {
    terminal?.stop();
    terminal = undefined;
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function up(): Promise<TmuxTerminal> {
    terminal = await TmuxTerminal.start({
      // Not under CI even when the suite is: with CI set at all (even empty), Ink draws only the final frame.
      argv: [...CLI, 'up', '--file', profileFile, '--yes'],
      cwd: REPO,
      env: {
        HOME: dir,
        KUBEUP_CONFIG_DIR: join(dir, 'config'),
        KUBEUP_STATE_DIR: join(dir, 'state'),
        KUBECONFIG: join(dir, 'kubeconfig'),
        TERM: 'xterm-256color',
      },
      width: 80,
      height: 24,
    });
    return terminal;
  }

  it('shows a pane per host while it deploys, then the summary table, and exits 0', async () => {
    const t = await up();
    // Mid-run: every host has its own pane (bordered, with its roles) while the phases are still going.
    const mid = await t.waitFor(/▸ (Provision hosts|Verify daemons)[\s\S]*╭[\s\S]*192\.168\.213\.13/, DEPLOY_TIMEOUT_MS);
    for (const [address, roles] of [
      ['192.168.213.11', 'master+worker'],
      ['192.168.213.12', 'worker'],
      ['192.168.213.13', 'worker'],
    ] as const) {
      expect(mid).toMatch(new RegExp(`[│║] [› ] ${address.replace(/\./g, '\\.')} .*${roles.replace('+', '\\+')}`));
    }
    expect(mid).toMatch(/✓ Preflight/);
    expect(mid).toContain('kubeup up termup');
    for (const line of mid.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    await t.waitFor(/\[exit \d+\]/, DEPLOY_TIMEOUT_MS);
    const all = await history(t);
    expect(all, all).toContain('[exit 0]');
    // The view's last frame: one row per host, and the next steps.
    expect(all).toMatch(/host +roles +result +time/);
    expect(all).toMatch(/192\.168\.213\.11 +master\+worker +ok +\d+:\d\d/);
    expect(all).toMatch(/192\.168\.213\.12 +worker +ok +\d+:\d\d/);
    expect(all).toMatch(/192\.168\.213\.13 +worker +ok +\d+:\d\d/);
    expect(all).toContain('kubectl --context termup get nodes -o wide');
    // Then the CLI's own report and paths, once: the view does not repeat them.
    expect(all).toMatch(/Cluster validation succeeded/);
    expect(all.match(/Kubeconfig: .*kubeconfig \(context termup\)/g)).toHaveLength(1);
  }, DEPLOY_TIMEOUT_MS * 2);

  it('q then y cancels a run: running steps finish, the CLI says so and exits 130', async () => {
    const t = await up();
    await t.waitFor('q cancel', 60_000);
    await t.keys('q');
    await t.waitFor('Cancel the deploy?');
    await t.keys('y');
    await t.waitFor(/\[exit \d+\]/, DEPLOY_TIMEOUT_MS);
    const all = await history(t);
    expect(all, all).toContain('[exit 130]');
    expect(all).toContain('kubeup: deploy cancelled');
    expect(all).toMatch(/Cancelled: steps that were running finished/);
  }, DEPLOY_TIMEOUT_MS);
});

describe('the wizard\'s "Deploy now" in a terminal', () => {
  let dir: string;
  let terminal: TmuxTerminal | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-term-deploy-now-'));
  });
  afterAll(() => {
    terminal?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs `up` on the saved profile in the run view (a host that refuses connections, on loopback)', async () => {
    const env = { HOME: dir, KUBEUP_CONFIG_DIR: join(dir, 'config'), KUBEUP_STATE_DIR: join(dir, 'state'), TERM: 'xterm-256color' };
    const file = join(dir, 'dn.yaml');
    writeFileSync(
      file,
      [
        'name: dn',
        'hosts:',
        '  - { address: 127.0.0.2, port: 1, user: root, roles: ai }',
        `ssh: { agent: true, knownHosts: ${join(dir, 'known_hosts')} }`,
        '',
      ].join('\n'),
    );
    execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli.ts'), 'profiles', 'import', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'pipe' });
    terminal = await TmuxTerminal.start({ argv: [...CLI, 'profiles', 'edit', 'dn'], cwd: REPO, env, width: 100, height: 30 });
    const t = terminal;
    await t.waitFor('1. root@127.0.0.2:1  master+worker (ai)', 60_000);
    await t.keys('Down', 'Enter');
    await t.waitFor('› Use SSH agent');
    const next = async (fields: number, screen: string) => {
      await t.press('Down', fields);
      await t.waitFor('› [ Continue ]');
      await t.keys('Enter');
      await t.waitFor(screen);
    };
    await next(6, '› Kubernetes');
    await next(7, '› Service CIDR');
    await next(6, 'the profile is valid');
    await t.keys('Enter');
    await t.waitFor('› Profile name  dn');
    await t.keys('Enter');
    await t.waitFor('› [ Save ]');
    await t.keys('Enter');
    await t.waitFor('A profile named dn already exists');
    await t.keys('Enter');
    await t.waitFor('› Deploy now');
    await t.keys('Enter');
    await t.waitFor(/\[exit \d+\]/, 60_000);
    const all = await history(t);
    // The run view of `kubeup up --profile dn --yes`: the host's pane failed in preflight, then the summary.
    expect(all, all).toContain('kubeup up dn  1 host');
    expect(all).toContain('✗ FAILED in Preflight');
    expect(all).toContain('connection refused by 127.0.0.2:1');
    expect(all).toMatch(/127\.0\.0\.2:1 +master\+worker +FAILED \(Preflight\)/);
    expect(all).toContain('[exit 4]');
  }, 120_000);
});
