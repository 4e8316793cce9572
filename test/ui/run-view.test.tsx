// The run view on synthetic event streams fed straight into the store: a failing host, twelve hosts on 80 columns,
// focus and the log with keys, and cancelling. Frames are plain text (NO_COLOR theme); waits poll the frame.
import React from 'react';
import { describe, expect, it } from 'vitest';
import { RunApp } from '../../components/run/RunApp.js';
import { makeRunTheme } from '../../components/run/theme.js';
import { transferFacts } from '../../components/run/TransferBar.js';
import { endReport } from '../../src/tasks/end-report.js';
import { initialRunState, RunStore, type HostInfo, type RunEvent } from '../../src/tasks/run-store.js';
import { transferLine, remoteLine } from '../../src/tasks/progress.js';
import { KEYS, mount, press, unmount, waitForFrame, lineWith } from './helpers.js';
import { act } from 'react';

const theme = makeRunTheme({ NO_COLOR: '1' });
const PHASES = ['Preflight (N hosts)', 'Download releases', 'Certificates', 'Provision hosts', 'Cluster roles (RBAC)', 'Verify daemons', 'Kubeconfig', 'Validate cluster'];

function hosts(n: number): HostInfo[] {
  return Array.from({ length: n }, (_, i) => ({ id: `192.168.213.${11 + i}`, address: `192.168.213.${11 + i}`, roles: i === 0 ? ['master', 'worker'] : ['worker'] }));
}

/** A run the way the engine's tree reports it: phase tasks p0..p7, per-host tasks `<phase>-<host index>`. */
class Script {
  t = 1_000_000;
  constructor(
    readonly store: RunStore,
    readonly hostList: HostInfo[],
  ) {}
  async send(...events: RunEvent[]) {
    await act(async () => {
      for (const e of events) this.store.dispatch(e);
    });
  }
  at(ms = 500) {
    this.t += ms;
    return this.t;
  }
  phases() {
    return PHASES.map((title, i): RunEvent => ({ type: 'task-added', taskId: `p${i}`, title, at: this.t }));
  }
  startPhase(i: number): RunEvent[] {
    const perHost = i === 0 || i === 3 || i === 5;
    const state: RunEvent = { type: 'task-state', taskId: `p${i}`, state: 'running', at: this.at() };
    if (!perHost) return [state];
    return [
      state,
      ...this.hostList.map((h, n): RunEvent => ({ type: 'task-added', taskId: `p${i}-${n}`, parentId: `p${i}`, title: i === 3 ? `${h.id} (${h.roles.join('+')})` : h.id, at: this.t })),
    ];
  }
  hostState(phase: number, host: number, state: 'running' | 'done' | 'failed'): RunEvent {
    return { type: 'task-state', taskId: `p${phase}-${host}`, state, at: this.at(100) };
  }
  endPhase(i: number, state: 'done' | 'failed' = 'done'): RunEvent {
    return { type: 'task-state', taskId: `p${i}`, state, at: this.at() };
  }
}

async function startRun(n: number, size: { columns: number; rows: number }) {
  const list = hosts(n);
  const store = new RunStore(initialRunState(list, 'demo'));
  const s = new Script(store, list);
  let cancelled = 0;
  const app = await mount(<RunApp store={store} onCancel={() => cancelled++} clock={() => s.t} columns={size.columns} rows={size.rows} theme={theme} />);
  await s.send(...s.phases(), ...s.startPhase(0));
  return { app, store, s, cancelled: () => cancelled };
}

describe('run view: one host failing', () => {
  it('shows the failing host red (its pane marked FAILED) with the error and the journal excerpt', async () => {
    const { app, s } = await startRun(3, { columns: 100, rows: 40 });
    for (let h = 0; h < 3; h++) await s.send(s.hostState(0, h, 'running'), { type: 'task-title', taskId: `p0-${h}`, title: `192.168.213.${11 + h}: node-${h + 1} amd64`, at: s.at() }, s.hostState(0, h, 'done'));
    await s.send(s.endPhase(0), ...s.startPhase(5));
    await s.send(s.hostState(5, 0, 'running'), s.hostState(5, 1, 'running'), s.hostState(5, 2, 'running'));
    await s.send({ type: 'task-output', taskId: 'p5-1', output: 'kubelet.service activating', at: s.at() });
    await s.send(s.hostState(5, 1, 'failed'), {
      type: 'task-error',
      taskId: 'p5-1',
      message: 'kubelet.service is failed after 90 s\n--- kubelet.service (failed), last journal lines:\nkubelet[812]: E1125 failed to load kubelet config file',
      at: s.at(),
    });
    const frame = await waitForFrame(app, 'FAILED in Verify daemons');
    expect(lineWith(frame, '192.168.213.12')).toContain('node-2');
    expect(frame).toContain('kubelet.service is failed after 90 s');
    expect(frame).toContain('kubelet[812]: E1125 failed to load kubelet');
    // Without colour the failing pane is still told apart: a double border and a cross.
    expect(frame).toMatch(/╔/);
    expect(frame).toContain('✗ FAILED in Verify daemons');
    // The other hosts go on.
    expect(frame).toContain('▸ Verify daemons');
    await unmount(app);
  });
});

describe('run view: twelve hosts on 80 columns', () => {
  it('shows one line per host, the focused host expanded, and stays within 80x24', async () => {
    const { app, s } = await startRun(12, { columns: 80, rows: 24 });
    await s.send(s.endPhase(0), ...s.startPhase(3));
    for (let h = 0; h < 12; h++) await s.send(s.hostState(3, h, 'running'));
    await s.send({ type: 'task-output', taskId: 'p3-0', output: transferLine('upload', '/opt/bin/kubelet', 40 * 1024 * 1024, 80 * 1024 * 1024), at: s.at() });
    await s.send({ type: 'task-output', taskId: 'p3-0', output: remoteLine('stdout', 'Created symlink kubelet.service'), at: s.at() });
    const frame = await waitForFrame(app, '50%');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    // Compact lines for the hosts, with "more" markers where the list is cut.
    expect(frame).toMatch(/› ▸ 192\.168\.213\.11 master\+worker {2}Provision · /);
    expect(frame).toMatch(/more host/);
    // The focused host (the first) as a pane: its upload bar and its remote output.
    // A pane 80 columns wide has room for the short facts: percent and size (the rate once it is known).
    expect(frame).toMatch(/↑ kubelet +█+░+ +50% +80\.0 MiB/);
    expect(frame).toContain('| Created symlink kubelet.service');
    await unmount(app);
  });

  it('moves focus with Down and Tab; the focused host is the one expanded', async () => {
    const { app, s } = await startRun(12, { columns: 80, rows: 24 });
    await s.send(s.endPhase(0), ...s.startPhase(3), s.hostState(3, 4, 'running'));
    await s.send({ type: 'task-output', taskId: 'p3-4', output: 'upload /etc/kubernetes/kubelet.conf', at: s.at() });
    await press(app, KEYS.down, 2);
    await press(app, KEYS.tab, 2);
    const frame = await waitForFrame(app, /› ▸ 192\.168\.213\.15/);
    expect(frame).toContain('Provision · upload /etc/kubernetes/kubelet.conf');
    await press(app, KEYS.up);
    await waitForFrame(app, /› · 192\.168\.213\.14/);
    await unmount(app);
  });
});

describe('run view: downloads and colours', () => {
  it('shows each download with its bar, bytes, rate and time left from the arrival times of its lines', async () => {
    const { app, s } = await startRun(3, { columns: 100, rows: 30 });
    await s.send(s.endPhase(0), ...s.startPhase(1));
    const MiB = 1024 * 1024;
    const line = (done: number, ms: number): RunEvent => ({ type: 'task-output', taskId: 'p1', output: transferLine('download', 'etcd-v3.6.6-linux-amd64.tar.gz', done, 10 * MiB), at: s.at(ms) });
    await s.send(line(0, 0), line(2 * MiB, 1000), line(4 * MiB, 1000));
    const frame = await waitForFrame(app, '4.0 MiB/10.0 MiB');
    // 2 MiB a second: 6 MiB left take 3 s.
    expect(lineWith(frame, '↓ etcd-v3.6.6')).toMatch(/█+░+ +40% +4\.0 MiB\/10\.0 MiB +2\.0 MiB\/s +0:03 left$/);
    await unmount(app);
  });

  it('shortens the facts of a transfer in a narrow pane to percent, size and rate', () => {
    const t = { name: '/opt/bin/kubelet', done: 512 * 1024, total: 2 * 1024 * 1024, bytesPerSec: 1024 * 1024, at: 0 };
    expect(transferFacts(t)).toBe('  25%  512.0 KiB/2.0 MiB   1.0 MiB/s  0:02 left');
    expect(transferFacts(t, 'short')).toBe('  25%   2.0 MiB   1.0 MiB/s');
  });

  it('uses colour for states and borders unless NO_COLOR is set', () => {
    const coloured = makeRunTheme({});
    expect(coloured.state.failed.color).toBe('red');
    expect(coloured.border.failed.color).toBe('red');
    const plain = makeRunTheme({ NO_COLOR: '1' });
    expect(JSON.stringify(plain)).not.toMatch(/"color"/);
    expect(plain.state.failed.bold).toBe(true);
  });
});

describe('run view: keys', () => {
  it('Enter opens the focused host\'s whole log with the path of its log file; Esc goes back', async () => {
    const { app, s, store } = await startRun(3, { columns: 100, rows: 30 });
    await s.send({ type: 'log-dir', dir: '/state/clusters/demo/runs/2026-11-25T23-00-00-000Z' });
    await s.send(s.endPhase(0), ...s.startPhase(3), s.hostState(3, 1, 'running'));
    for (let i = 1; i <= 12; i++) await s.send({ type: 'task-output', taskId: 'p3-1', output: remoteLine(i % 4 ? 'stdout' : 'stderr', `line ${i} of the remote output`), at: s.at(10) });
    await press(app, KEYS.down);
    await press(app, KEYS.enter);
    const frame = await waitForFrame(app, 'full log: /state/clusters/demo/runs/2026-11-25T23-00-00-000Z/192.168.213.12.log');
    expect(frame).toContain('| line 1 of the remote output');
    expect(frame).toContain('! line 12 of the remote output');
    expect(store.getSnapshot().expanded).toBe(true);
    await press(app, KEYS.escape);
    const back = await waitForFrame(app, 'Enter its log');
    expect(back).not.toContain('full log:');
    await unmount(app);
  });

  it('q asks first; n keeps running; q then y fires the cancel once and says it waits for running steps', async () => {
    const { app, s, cancelled, store } = await startRun(3, { columns: 100, rows: 30 });
    await s.send(s.endPhase(0), ...s.startPhase(3));
    await press(app, 'q');
    await waitForFrame(app, 'Cancel the deploy?');
    await press(app, 'n');
    await waitForFrame(app, 'q cancel');
    expect(cancelled()).toBe(0);
    await press(app, KEYS.ctrlC);
    await waitForFrame(app, 'Cancel the deploy?');
    await press(app, 'y');
    await waitForFrame(app, 'Cancelling: waiting for the running steps to finish');
    expect(cancelled()).toBe(1);
    expect(store.getSnapshot().cancelRequested).toBe(true);
    await s.send(s.endPhase(3, 'failed'), { type: 'run-ended', ok: false, error: 'cancelled before the next step', at: s.at() });
    await waitForFrame(app, /kubeup up demo {2}3 hosts {2}\d:\d\d {2}cancelled/);
    expect(endReport({ state: store.getSnapshot() }).join('\n')).toMatch(/192\.168\.213\.11 +master\+worker +cancelled/);
    expect(cancelled()).toBe(1);
    await unmount(app);
  });
});
