// `kubeup up` of the built CLI in a real terminal (tmux, 80x24) against four test hosts (one master-only) and the
// release mirror: the live view while the deploy runs, widths that stay within the screen, and a last screen that
// ends with the host table, the verdict and the next steps, all visible without scrolling; a re-run asked first
// (what will happen, the answer kept in scrollback) that ends with "No changes"; a cancel with q, y (exit 130); and
// a kubelet flag that does not exist, which fails verify with the unit's Error: line. Screens are kept under
// .cache/terminal-screens/ for the README.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const CLI = ['env', '-u', 'CI', process.execPath, join(REPO, 'dist/cli.js')];
const SCREENS = join(REPO, '.cache', 'terminal-screens');
/** The verdict's clause for CoreDNS, which cannot become ready on the test hosts (the text may wrap). */
const DNS_MISSING = ',\\s+but\\s+cluster\\s+DNS\\s+is\\s+not\\s+available\\s+\\(CoreDNS\\s+0\\s+of\\s+2\\s+ready\\)';

/** The whole pane, scrolled-off lines included. */
async function history(t: TmuxTerminal): Promise<string> {
  const server = t.socket.includes('/') ? ['-S', t.socket] : ['-L', t.socket];
  const { stdout } = await tmux('tmux', [...server, 'capture-pane', '-p', '-J', '-S', '-', '-t', t.session]);
  return stdout;
}

function keep(name: string, screen: string): void {
  mkdirSync(SCREENS, { recursive: true });
  writeFileSync(join(SCREENS, `${name}.txt`), screen);
}

/** The visible screen's lines up to the "[exit N]" the shell prints after the CLI. */
function lastScreen(screen: string): string[] {
  const lines = screen.split('\n');
  const exit = lines.findIndex((l) => /^\[exit \d+\]/.test(l));
  return lines.slice(0, exit < 0 ? lines.length : exit);
}

describeWithHosts('kubeup up in a terminal: the live run view', () => {
  let cluster: TestCluster;
  let mirror: Mirror;
  let dir: string;
  let profileFile: string;
  let terminal: TmuxTerminal | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-term-up-'));
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'pipe' });
    [cluster, mirror] = await Promise.all([startHosts({ count: 4 }), startMirror()]);
    profileFile = writeProfile(dir, e2eProfile('termup', cluster, mirror, ['a', 'i', 'i', 'i'], join(dir, 'cache')));
  });
  afterEach(() => {
    terminal?.stop();
    terminal = undefined;
  });
  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), mirror?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function up(file: string, extra: string[] = ['--yes']): Promise<TmuxTerminal> {
    terminal = await TmuxTerminal.start({
      argv: [...CLI, 'up', '--file', file, ...extra],
      cwd: REPO,
      env: {
        HOME: dir,
        KUBEUP_CONFIG_DIR: join(dir, 'config'),
        KUBEUP_STATE_DIR: join(dir, 'state'),
        KUBECONFIG: join(dir, 'kubeconfig'),
        TERM: 'xterm-256color',
        // As in the e2e helpers: a short wait for the CoreDNS that cannot come up here.
        KUBEUP_DNS_TIMEOUT_MS: '4000',
      },
      width: 80,
      height: 24,
    });
    return terminal;
  }

  it('shows a pane per host while it deploys; the last screen ends with the table, the verdict and the next steps', async () => {
    const t = await up(profileFile, []);
    // The question says what will happen: the hosts one per line, roles in words; the answer stays in scrollback.
    const question = await t.waitFor('Deploy profile termup? [y/N]', 60_000);
    expect(question).toMatch(/^ {2}192\.168\.213\.11 {2}master$/m);
    expect(question).toMatch(/^ {2}192\.168\.213\.14 {2}worker$/m);
    expect(question).toContain('First deploy: everything is installed and started on every host.');
    await t.type('y');
    await t.keys('Enter');
    const mid = await t.waitFor(/▸ (Provision|Verify)[\s\S]*192\.168\.213\.14/, DEPLOY_TIMEOUT_MS);
    keep('run-in-progress', mid);
    expect(mid).toContain('kubeup up termup');
    expect(mid).toMatch(/step \d+\/\d+ · /);
    expect(mid).toMatch(/✓ Preflight/);
    for (const line of mid.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    const screen = await t.waitFor(/\[exit \d+\]/, DEPLOY_TIMEOUT_MS);
    keep('first-deploy-end', screen);
    const all = await history(t);
    expect(all, all).toContain('[exit 0]');
    expect(all).toMatch(/Deploy profile termup\? \[y\/N\] y\n/);
    // What is on the screen at the end, without scrolling: the table, the verdict, the next steps, in that order.
    const last = lastScreen(screen);
    // (At 80 columns the table leaves out the node name column; the verdict may wrap.)
    const table = last.findIndex((l) => /^host +(name +)?roles +result +changed +unchanged +restarted +time$/.test(l));
    expect(table, screen).toBeGreaterThanOrEqual(0);
    expect(last[table + 1]).toMatch(/^192\.168\.213\.11 +(h1 +)?master +ok +\d+ +0 +\d+ +\d+:\d\d$/);
    for (const n of [2, 3, 4]) expect(last[table + n]).toMatch(new RegExp(`^192\\.168\\.213\\.1${n} +(h${n} +)?worker +ok +\\d+ +0 +\\d+ +\\d+:\\d\\d$`));
    // The master-only host is not a node, and the screen says so.
    expect(last[table + 5]).toBe('h1 is master only: it runs no kubelet, so it is not a node of the cluster.');
    const verdict = last.findIndex((l) => l.startsWith('✓ Deployed termup in '));
    expect(verdict).toBeGreaterThan(table);
    // CoreDNS cannot run on the test hosts (no Deployment controller, no images), and the verdict says so.
    expect(last.slice(verdict).join(' ')).toMatch(new RegExp(`4 of 4 hosts changed, \\d+ units \\(re\\)started; 3 of 3\\s+nodes\\s+Ready${DNS_MISSING}\\.`));
    expect(last.slice(verdict).join('\n')).toMatch(/\nKubeconfig: .*kubeconfig \(context termup\)\nNext: kubectl --context termup get nodes -o wide\nSummary:[\s\S]*summary\.txt$/);
    // Each said once in the whole run.
    expect(all.match(/Kubeconfig: .*kubeconfig \(context termup\)/g)).toHaveLength(1);
    expect(all.match(/Next: /g)).toHaveLength(1);
    expect(all).toMatch(/Cluster validation succeeded: control plane at https:\/\/192\.168\.213\.11:6443;\s+nodes h2–h4\s+Ready/);
    // Nothing glued to the line before it (a frame as tall as the screen used to drop its last newline).
    expect(all).not.toMatch(/\S(warning|Cluster validation|host {2,}name)/);
  }, DEPLOY_TIMEOUT_MS * 2);

  it('asks first, saying there is nothing to change; the answer stays in scrollback; the run ends with "No changes"', async () => {
    const t = await up(profileFile, []);
    // day2's plan diff (what `kubeup plan` shows) before the question.
    const question = await t.waitFor('Nothing to change on termup; run up anyway (verify and validate)? [y/N]', 120_000);
    expect(question).toContain('No changes: up would write nothing and restart nothing.');
    expect(question).not.toMatch(/\((a|i|ai)\)/);
    await t.type('y');
    await t.keys('Enter');
    const screen = await t.waitFor(/\[exit \d+\]/, DEPLOY_TIMEOUT_MS);
    keep('no-op-rerun-end', screen);
    const last = lastScreen(screen);
    expect(last.join(' '), screen).toMatch(new RegExp(`✓ No changes – 4 hosts up to date; 3 of 3\\s+nodes\\s+Ready${DNS_MISSING}\\s+in\\s+\\d+:\\d\\d\\.`));
    expect(last.some((l) => /^192\.168\.213\.12 +(h2 +)?worker +up to date +0 +\d+ +0 /.test(l))).toBe(true);
    const all = await history(t);
    expect(all).toContain('[exit 0]');
    expect(all).toMatch(/kubeup up termup {2}4 hosts {2}\d:\d\d {2}No changes – 4 hosts up to date/);
    // The question and the typed answer are still there above the run.
    expect(all).toMatch(/run up anyway \(verify and validate\)\? \[y\/N\] y/);
  }, DEPLOY_TIMEOUT_MS);

  it('q then y cancels a run: running steps finish, the CLI says so and exits 130', async () => {
    const t = await up(profileFile);
    await t.waitFor('q cancel', 60_000);
    await t.keys('q');
    await t.waitFor('Cancel the deploy?');
    await t.keys('y');
    await t.waitFor(/\[exit \d+\]/, DEPLOY_TIMEOUT_MS);
    const all = await history(t);
    expect(all, all).toContain('[exit 130]');
    expect(all).toMatch(/– Cancelled during [\s\S]*?the steps that were running\s+finished,\s+nothing is\s+half-written\./);
    expect(all).toContain('Next: run kubeup up again to carry on');
  }, DEPLOY_TIMEOUT_MS);

  it('a kubelet flag that does not exist: verify fails with the unit\'s Error: line, once for the hosts that share it', async () => {
    const file = writeProfile(dir, e2eProfile('termup', cluster, mirror, ['a', 'i', 'i', 'i'], join(dir, 'cache'), { extraArgs: { kubelet: ['--no-such-flag'] } }));
    const t = await up(file);
    const screen = await t.waitFor(/\[exit \d+\]/, DEPLOY_TIMEOUT_MS);
    keep('failing-flag-end', screen);
    const all = await history(t);
    expect(all, all).toContain('[exit 5]');
    // The view's last frame: one pane for h2–h4 with the unit's Error: line.
    // (Round and red with colours on; double only under NO_COLOR.)
    expect(all).toMatch(/[│║] {3}h2–h4 {2}worker/);
    expect(all).toContain('Error: unknown flag: --no-such-flag');
    const last = lastScreen(screen);
    expect(last.some((l) => /^192\.168\.213\.11 +(h1 +)?master +(ok|up to date) /.test(l)), screen).toBe(true);
    const verdict = last.findIndex((l) => l.startsWith('✗ Verify daemons FAILED on h2–h4 after '));
    expect(verdict, screen).toBeGreaterThan(0);
    expect(last.slice(verdict).join(' ')).toMatch(/Next: fix the cause, then run kubeup up again/);
  }, DEPLOY_TIMEOUT_MS);
});

describe('the wizard\'s "Deploy now" in a terminal', () => {
  let dir: string;
  let terminal: TmuxTerminal | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeup-term-deploy-now-'));
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'pipe' });
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
    execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), 'profiles', 'import', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'pipe' });
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
    await next(7, 'the profile is valid');
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
