// kubeup upgrade's live view, fed the engine's own event shapes (UpgradeEvent) through upgradeViewFeed: the phases
// (Preflight, Download, etcd, API server, Controllers, Workers), each host's move "v1.35.2 → v1.35.3" with its
// current action, a host already at the target said skipped, a worker that fails, compact lines on a small terminal,
// and the cancel question naming the upgrade.
import React, { act } from 'react';
import { describe, expect, it } from 'vitest';
import { RunApp } from '../../components/run/RunApp.js';
import { makeRunTheme } from '../../components/run/theme.js';
import { initialRunState, RunStore, type HostInfo } from '../../src/tasks/run-store.js';
import type { UpgradePhase } from '../../src/plan/upgrade.js';
import type { UpgradeEvent } from '../../src/tasks/upgrade.js';
import { upgradeViewFeed } from '../../src/tasks/upgrade-view.js';
import { KEYS, lineWith, mount, press, unmount, waitForFrame } from './helpers.js';

const theme = makeRunTheme({ NO_COLOR: '1' });
const FROM = '1.35.2';
const TO = '1.35.3';

function hosts(n: number): HostInfo[] {
  return Array.from({ length: n }, (_, i) => ({ id: `192.168.213.${11 + i}`, address: `192.168.213.${11 + i}`, roles: i === 0 ? ['master'] : ['worker'] }));
}

async function start(n: number, size: { columns: number; rows: number }, alreadyDone: string[] = []) {
  const list = hosts(n);
  const store = new RunStore(initialRunState(list, 'lab', 'upgrade'));
  let t = 1_000_000;
  const feed = upgradeViewFeed(store, () => t);
  const send = async (...events: UpgradeEvent[]) => {
    await act(async () => {
      for (const e of events) {
        t += 400;
        feed(e);
      }
    });
  };
  const app = await mount(<RunApp store={store} onCancel={() => {}} clock={() => t} columns={size.columns} rows={size.rows} theme={theme} />);
  const moving = list.filter((h) => !alreadyDone.includes(h.id));
  await send(
    { type: 'phase', phase: 'preflight', state: 'running', title: `Preflight (${n} hosts, version skew)` },
    { type: 'phase', phase: 'preflight', state: 'done' },
    { type: 'phase', phase: 'download', state: 'running', title: `Download releases: Kubernetes ${TO}` },
    { type: 'phase', phase: 'download', state: 'done', title: `Download releases: Kubernetes ${TO} ready` },
    {
      type: 'hosts',
      moves: list.map((h) => ({ host: h.id, from: alreadyDone.includes(h.id) ? TO : FROM, to: TO })),
      parts: moving.flatMap((h): { host: string; phase: UpgradePhase }[] => (h.roles.includes('master') ? [{ host: h.id, phase: 'apiserver' }, { host: h.id, phase: 'controllers' }] : [{ host: h.id, phase: 'workers' }])),
      alreadyDone,
    },
    { type: 'phase', phase: 'etcd', state: 'skipped' },
  );
  return { app, store, send };
}

describe('upgrade run view', () => {
  it('shows the phases, each host old → new with its current action, the master done before the workers move', async () => {
    const m = '192.168.213.11';
    const w1 = '192.168.213.12';
    const { app, send } = await start(3, { columns: 100, rows: 40 });
    await send(
      { type: 'phase', phase: 'apiserver', state: 'running' },
      { type: 'host', host: m, phase: 'apiserver', state: 'running' },
      { type: 'action', host: m, phase: 'apiserver', text: 'wait for /readyz' },
    );
    let frame = await waitForFrame(app, 'wait for /readyz');
    expect(frame).toContain('kubeup upgrade lab');
    for (const p of ['Preflight', 'Download releases', 'etcd', 'API server', 'Controllers', 'Workers']) expect(frame).toContain(p);
    expect(lineWith(frame, 'wait for /readyz')).toContain(`v${FROM} → v${TO} · wait for /readyz`);
    // The workers wait, with their move already shown.
    expect(frame).toContain(`v${FROM} → v${TO} · waiting`);

    await send(
      { type: 'host', host: m, phase: 'apiserver', state: 'done', result: `at v${TO}` },
      { type: 'phase', phase: 'apiserver', state: 'done' },
      { type: 'phase', phase: 'controllers', state: 'running' },
      { type: 'host', host: m, phase: 'controllers', state: 'running' },
      { type: 'host', host: m, phase: 'controllers', state: 'done', result: `at v${TO}` },
      { type: 'phase', phase: 'controllers', state: 'done' },
      { type: 'phase', phase: 'workers', state: 'running' },
      { type: 'host', host: w1, phase: 'workers', state: 'running' },
      { type: 'action', host: w1, phase: 'workers', text: 'cordon node w1' },
      { type: 'action', host: w1, phase: 'workers', text: 'drain node w1' },
    );
    frame = await waitForFrame(app, 'drain node w1');
    expect(lineWith(frame, 'drain node w1')).toContain(`v${FROM} → v${TO} · drain node w1`);
    // The master's pane: done with both of its steps, at the new version.
    expect(frame).toContain(`✓ v${FROM} → v${TO} · at v${TO}`);
    expect(frame).toMatch(/✓ API 0:0\d {2}✓ Controllers 0:0\d/);
    // The phase bar: etcd skipped (its version does not change), Workers running and counted.
    expect(frame).toContain('step 6/6 · Workers');
    await unmount(app);
  });

  it('says a host already at the target is skipped, and shows a failing worker red with its error', async () => {
    const { app, send } = await start(3, { columns: 100, rows: 40 }, ['192.168.213.11', '192.168.213.12']);
    await send(
      { type: 'phase', phase: 'apiserver', state: 'skipped' },
      { type: 'phase', phase: 'controllers', state: 'skipped' },
      { type: 'phase', phase: 'workers', state: 'running' },
      { type: 'host', host: '192.168.213.13', phase: 'workers', state: 'running' },
      { type: 'action', host: '192.168.213.13', phase: 'workers', text: 'converge host to 1.35.3' },
      { type: 'host', host: '192.168.213.13', phase: 'workers', state: 'failed', error: 'upload /opt/bin/kubelet: connection lost' },
      { type: 'phase', phase: 'workers', state: 'failed', error: 'upgrade step 1/1 (worker) failed on 192.168.213.13: connection lost' },
    );
    const frame = await waitForFrame(app, 'FAILED in Workers');
    expect(frame).toContain(`v${TO} · skipped: already at v${TO}`);
    expect(frame.match(/skipped: already at v1\.35\.3/g)?.length).toBe(2);
    expect(frame).toContain('upload /opt/bin/kubelet: connection lost');
    expect(lineWith(frame, 'FAILED in Workers')).toContain(`v${FROM} → v${TO}`);
    await unmount(app);
  });

  it('keeps each host to one line with its move on a small terminal, and asks to cancel the upgrade', async () => {
    const { app, send } = await start(10, { columns: 80, rows: 24 });
    await send({ type: 'phase', phase: 'workers', state: 'running' }, { type: 'host', host: '192.168.213.14', phase: 'workers', state: 'running' }, { type: 'action', host: '192.168.213.14', phase: 'workers', text: 'wait for node w4 Ready at v1.35.3' });
    let frame = await waitForFrame(app, /192\.168\.213\.14 worker +v1\.35\.2 → v1\.35\.3 · Workers · wait for node w4 Ready/);
    for (const l of frame.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(frame.split('\n').length).toBeLessThan(24);
    await press(app, 'q');
    frame = await waitForFrame(app, 'Cancel the upgrade?');
    await press(app, KEYS.escape);
    await unmount(app);
  });
});
