// The run view keeps its layout from frame to frame (every frame ink-testing-library saw is compared with the one
// before), tells a no-op run, and ends a failing one with alike failures in one pane showing the unit's Error: line.
import React, { act } from 'react';
import { describe, expect, it } from 'vitest';
import { RunApp } from '../../components/run/RunApp.js';
import { makeRunTheme } from '../../components/run/theme.js';
import { countsLine, remoteLine, transferLine, waitLine } from '../../src/tasks/progress.js';
import { initialRunState, RunStore, type HostInfo, type RunEvent } from '../../src/tasks/run-store.js';
import { lineWith, mount, unmount, waitForFrame, type Rendered } from './helpers.js';

const theme = makeRunTheme({ NO_COLOR: '1' });
const PHASES = ['Preflight (4 hosts)', 'Download releases', 'Certificates', 'Provision hosts', 'Cluster roles (RBAC)', 'Verify daemons', 'Kubeconfig', 'Validate cluster'];
const PER_HOST = new Set([0, 3, 5]);
const HOSTS: HostInfo[] = [11, 12, 13, 14].map((n, i) => ({ id: `192.168.213.${n}`, address: `192.168.213.${n}`, roles: i === 0 ? ['master'] : ['worker'] }));
const MiB = 1024 * 1024;

class Run {
  t = 1_000_000;
  constructor(readonly store: RunStore) {}
  async send(...events: RunEvent[]) {
    await act(async () => {
      for (const e of events) this.store.dispatch(e);
    });
  }
  at(ms = 300) {
    return (this.t += ms);
  }
  async phase(i: number, state: 'running' | 'done' | 'failed') {
    const events: RunEvent[] = [{ type: 'task-state', taskId: `p${i}`, state, at: this.at() }];
    if (state === 'running' && PER_HOST.has(i)) {
      HOSTS.forEach((h, n) => events.push({ type: 'task-added', taskId: `p${i}-${n}`, parentId: `p${i}`, title: i === 3 ? `${h.id} (${h.roles.join('+')})` : h.id, at: this.t }, { type: 'task-state', taskId: `p${i}-${n}`, state: 'running', at: this.t }));
    }
    await this.send(...events);
  }
  async host(phase: number, n: number, state: 'done' | 'failed', title?: string) {
    await this.send(...(title ? [{ type: 'task-title', taskId: `p${phase}-${n}`, title, at: this.t } as RunEvent] : []), { type: 'task-state', taskId: `p${phase}-${n}`, state, at: this.at(200) });
  }
  out(taskId: string, output: string) {
    return this.send({ type: 'task-output', taskId, output, at: this.at(100) });
  }
}

async function start(columns = 80, rows = 24) {
  const store = new RunStore(initialRunState(HOSTS, 'lab'));
  const run = new Run(store);
  const app = await mount(<RunApp store={store} onCancel={() => undefined} clock={() => run.t} columns={columns} rows={rows} theme={theme} />);
  await run.send(...PHASES.map((title, i): RunEvent => ({ type: 'task-added', taskId: `p${i}`, title, at: run.t })));
  return { app, run, store };
}

/** Where each phase's name sits in the strip (row and column), per frame. */
function phasePlaces(frame: string): Map<string, string> {
  const places = new Map<string, string>();
  frame.split('\n').forEach((line, row) => {
    for (const name of ['Preflight', 'Download', 'Certificates', 'Provision', 'Cluster', 'Verify', 'Kubeconfig', 'Validate']) {
      const col = line.search(new RegExp(`[·▸✓✗] ${name}`));
      if (col >= 0 && row < 4 && !places.has(name)) places.set(name, `${row}:${col}`);
    }
  });
  return places;
}

function expectSteadyFrames(app: Rendered, rows: number) {
  const frames = app.frames.filter((f) => f.includes('kubeup up lab'));
  expect(frames.length).toBeGreaterThan(10);
  let strip: Map<string, string> | undefined;
  let barEnd: number | undefined;
  let hostsTop: number | undefined;
  for (const [i, frame] of frames.entries()) {
    const lines = frame.split('\n');
    // A row shorter than the terminal, always: a frame as tall as the screen makes Ink clear the scrollback.
    expect(lines.length, frame).toBeLessThan(rows);
    // The strip: no phase moves as times are added.
    const places = phasePlaces(frame);
    if (places.size < PHASES.length) continue;
    if (strip) expect(Object.fromEntries(places), `frame ${i}:\n${frame}`).toEqual(Object.fromEntries(strip));
    strip = places;
    // The download bar ends in the same column from 0 % to 100 %.
    const bar = lines.find((l) => l.startsWith('↓ etcd'));
    if (bar) {
      const end = Math.max(bar.lastIndexOf('█'), bar.lastIndexOf('░'));
      if (barEnd !== undefined) expect(end, `frame ${i}:\n${frame}`).toBe(barEnd);
      barEnd = end;
    }
    // The hosts start on the same row whether downloads run, ran or have not started.
    const top = lines.findIndex((l) => /^[╭╔]/.test(l) || /^[› ] [·▸✓✗] 192\./.test(l));
    if (hostsTop !== undefined) expect(top, `frame ${i}:\n${frame}`).toBe(hostsTop);
    hostsTop = top;
  }
  expect(barEnd).toBeGreaterThan(0);
}

describe('run view layout across frames', () => {
  it('keeps the strip, the download bars and the host block in place at 80x24, a row short of the screen', async () => {
    const { app, run } = await start(80, 24);
    await run.phase(0, 'running');
    await run.host(0, 0, 'done', '192.168.213.11: h1 amd64');
    await run.host(0, 1, 'done', '192.168.213.12: h2 amd64');
    await run.host(0, 2, 'done', '192.168.213.13: h3 amd64');
    await run.host(0, 3, 'done', '192.168.213.14: h4 amd64');
    await run.phase(0, 'done');
    await run.phase(1, 'running');
    for (let done = 0; done <= 10; done++) {
      await run.out('p1', transferLine('download', 'etcd-v3.6.14-linux-amd64.tar.gz', done * 2 * MiB, 20 * MiB));
      await run.out('p1', transferLine('download', 'kubernetes-node-linux-amd64.tar.gz', done * 3 * MiB, 30 * MiB));
      await run.out('p1', transferLine('download', 'flannel-v0.28.9-linux-amd64.tar.gz', done * MiB, 10 * MiB));
    }
    const downloading = app.frames.filter((f) => f.includes('↓ etcd')).at(-1)!;
    expect(downloading).toMatch(/↓ 3\/3 downloads · 60\.0 MiB of 60\.0 MiB · … and 1 more/);
    await run.send({ type: 'task-title', taskId: 'p1', title: 'Download releases: 3 artefacts verified (3 downloaded, 0 from the cache)', at: run.t });
    await run.phase(1, 'done');
    await run.phase(2, 'done');
    await run.phase(3, 'running');
    for (let f = 1; f <= 37; f += 6) await run.out('p3-1', countsLine({ files: f, filesTotal: 37, bytes: f * MiB, bytesTotal: 60 * MiB }));
    await run.phase(3, 'done');
    const frame = await waitForFrame(app, '✓ Provision');
    expect(frame).toContain('↓ 3 artefacts verified (3 downloaded, 0 from the cache)');
    expectSteadyFrames(app, 24);
    await unmount(app);
  });
});

describe('run view cards', () => {
  it('names each step once, times every step, counts files and bytes, and keeps a step\'s output to that step', async () => {
    const { app, run } = await start(120, 40);
    await run.phase(0, 'running');
    // The header has the node name's place before preflight learns it: the roles do not move.
    const before = lineWith(app.lastFrame()!, '192.168.213.12');
    await run.host(0, 1, 'done', '192.168.213.12: h2 amd64');
    const after = lineWith(app.lastFrame()!, '192.168.213.12');
    expect(after.indexOf('worker')).toBe(before.indexOf('worker'));
    expect(after).toMatch(/192\.168\.213\.12 {2}worker {2}h2/);
    await run.phase(0, 'done');
    await run.phase(3, 'running');
    await run.out('p3-1', 'sysctl --system');
    await run.out('p3-1', remoteLine('stdout', 'net.ipv4.ip_forward = 1'));
    await run.out('p3-1', remoteLine('stderr', 'Created symlink /etc/systemd/system/multi-user.target.wants/kubelet.service → /etc/systemd/system/kubelet.service.'));
    await run.out('p3-1', countsLine({ files: 23, filesTotal: 37, bytes: 41 * MiB, bytesTotal: 60 * MiB }));
    const provisioning = app.lastFrame()!;
    expect(provisioning).toContain('files 23/37 · 41.0 MiB of 60.0 MiB');
    expect(provisioning).toContain('| net.ipv4.ip_forward = 1');
    // systemd's normal stderr is plain output, not a warning.
    expect(provisioning).toContain('| Created symlink /etc/systemd/system/multi-user.');
    expect(provisioning).toContain('▸ sysctl --system');
    expect(provisioning).not.toMatch(/Provision hosts: sysctl/);
    expect(provisioning).toContain('step 4/8 · Provision hosts');
    await run.host(3, 1, 'done', '192.168.213.12 (worker): 23 files changed (41.0 MiB), 3 units (re)started');
    await run.phase(3, 'done');
    await run.phase(5, 'running');
    await run.out('p5-1', waitLine('waiting for kubelet (restarted)', 12_000, 90_000));
    const verifying = app.lastFrame()!;
    // The provisioning step's output went with it; the wait has its clock; the checklist times each step.
    expect(verifying).not.toContain('net.ipv4.ip_forward');
    expect(verifying).toContain('▸ waiting for kubelet (restarted) 12/90 s');
    expect(verifying).toMatch(/✓ Preflight 0:0\d {2}✓ Provision 0:0\d {2}▸ Verify 0:0\d/);
    await unmount(app);
  });

  it('shows a sudo host\'s login on its card: why it is slower', async () => {
    const store = new RunStore(initialRunState([HOSTS[0]!, { ...HOSTS[1]!, user: 'deploy', sudoPassword: true }], 'lab'));
    const app = await mount(<RunApp store={store} onCancel={() => undefined} clock={() => 0} columns={120} rows={40} theme={theme} />);
    expect(lineWith(app.lastFrame()!, '192.168.213.12')).toContain('deploy@, sudo with password');
    await unmount(app);
  });
});

describe('run view end', () => {
  it('says "No changes" when the run changed nothing', async () => {
    const { app, run } = await start(80, 24);
    await run.phase(0, 'running');
    for (let n = 0; n < 4; n++) await run.host(0, n, 'done');
    await run.phase(0, 'done');
    const same = { filesChanged: [], filesUnchanged: 37, bytesUploaded: 0, wireBytes: 0, uploadMs: 0, unitsRestarted: [], unitsStarted: [], warnings: [] };
    await run.send({ type: 'host-records', records: Object.fromEntries(HOSTS.map((h) => [h.id, same])) }, { type: 'run-ended', ok: true, at: run.at() });
    await waitForFrame(app, /kubeup up lab {2}4 hosts {2}0:0\d {2}No changes – 4 hosts up to date/);
    await unmount(app);
  });

  it('ends with one pane for hosts that failed alike, titled with their hosts, showing the unit\'s Error: line', async () => {
    const { app, run } = await start(80, 24);
    await run.phase(0, 'running');
    for (let n = 0; n < 4; n++) await run.host(0, n, 'done', `${HOSTS[n]!.id}: h${n + 1} amd64`);
    await run.phase(0, 'done');
    await run.phase(5, 'running');
    await run.host(5, 0, 'done');
    for (let n = 1; n < 4; n++) {
      const journal = `2026-12-01T20:20:2${n}+0000 h${n + 1} kubelet[${100 * n}]: Error: unknown flag: --no-such-flag`;
      await run.send({ type: 'task-error', taskId: `p5-${n}`, message: `kubelet.service failed: it exited with status 1\n${journal}\n2026-12-01T20:20:2${n}+0000 h${n + 1} systemd[1]: kubelet.service: Failed with result 'exit-code'.`, at: run.t });
      await run.host(5, n, 'failed');
    }
    await run.phase(5, 'failed');
    await run.send({ type: 'run-ended', ok: false, error: 'verify-cluster failed on 3 hosts', at: run.at() });
    const end = await waitForFrame(app, 'FAILED in Verify daemons');
    expect(end.match(/FAILED in Verify daemons/g)).toHaveLength(1);
    expect(end).toMatch(/║ {3}h2–h4 {2}worker/);
    // The rest of the error as any of the hosts has it: no journal timestamps or host names.
    expect(end).toContain("║ kubelet.service: Failed with result 'exit-code'.");
    expect(end).toContain('║ Error: unknown flag: --no-such-flag');
    expect(end.split('\n').length).toBeLessThan(24);
    await unmount(app);
  });
});
