// `kubeup up` in a real terminal (tmux, 80x24) against three test hosts and the release mirror: the live view shows a
// pane per host while the deploy runs, and the summary table at the end; a second run cancelled with q, y exits 130.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { e2eProfile, REPO, writeProfile } from '../e2e/helpers.js';
import { startHosts, type TestCluster } from '../harness/hosts/index.js';
import { startMirror, type Mirror } from '../harness/mirror/index.js';
import { describeWithHosts } from '../harness/skip.js';
import { TmuxTerminal } from './helpers.js';

const tmux = promisify(execFile);
const DEPLOY_TIMEOUT_MS = 600_000;

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
      argv: ['env', '-u', 'CI', process.execPath, '--import', 'tsx', join(REPO, 'src/cli.ts'), 'up', '--file', profileFile, '--yes'],
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

  /** The whole pane, scrolled-off lines included: the CLI prints its report below the view's last frame. */
  async function history(t: TmuxTerminal): Promise<string> {
    const server = t.socket.includes('/') ? ['-S', t.socket] : ['-L', t.socket];
    const { stdout } = await tmux('tmux', [...server, 'capture-pane', '-p', '-J', '-S', '-', '-t', t.session]);
    return stdout;
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
