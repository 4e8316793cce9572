// The run view driven the way `kubeup up` drives it: a real listr2 tree of fake phases and per-host tasks that
// sleep briefly and set outputs, rendered by RunViewRenderer into the store that RunApp draws.
import React from 'react';
import { Listr, type ListrTask } from 'listr2';
import { describe, expect, it } from 'vitest';
import { RunApp } from '../../components/run/RunApp.js';
import { makeRunTheme } from '../../components/run/theme.js';
import { endReport } from '../../src/tasks/end-report.js';
import { RunViewRenderer } from '../../src/tasks/store-renderer.js';
import { remoteLine, transferLine } from '../../src/tasks/progress.js';
import { initialRunState, RunStore, type HostInfo } from '../../src/tasks/run-store.js';
import { lineWith, mount, unmount, waitForFrame } from './helpers.js';

const HOSTS: HostInfo[] = ['192.168.213.11', '192.168.213.12', '192.168.213.13'].map((a, i) => ({ id: a, address: a, roles: i === 0 ? ['master', 'worker'] : ['worker'] }));
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Phases shaped like runUp's: per-host lists run by the phase itself; `gate` holds Provision until released. */
function fakeUp(gate: Promise<void>, failing?: string): ListrTask[] {
  const perHost = (title: (h: HostInfo) => string, body: (h: HostInfo, t: { output: string; title: string }) => Promise<string>): ListrTask['task'] => async (_ctx, task) => {
    await task
      .newListr(
        HOSTS.map((h) => ({
          title: title(h),
          task: async (_c, t) => {
            const result = await body(h, t as never);
            t.title = `${title(h)}: ${result}`;
          },
        })),
        { concurrent: true, exitOnError: false },
      )
      .run();
  };
  return [
    {
      title: `Preflight (${HOSTS.length} hosts)`,
      task: perHost((h) => h.id, async (h) => {
        await sleep(5);
        return `node-${h.id.split('.')[3]} amd64`;
      }),
    },
    {
      title: 'Download releases',
      task: async (_ctx, task) => {
        for (let done = 0; done <= 8 * MiB; done += 2 * MiB) {
          task.output = transferLine('download', 'kubernetes-server-linux-amd64.tar.gz', done, 8 * MiB);
          await sleep(5);
        }
      },
    },
    {
      title: 'Provision hosts',
      task: async (ctx, task) => {
        await perHost((h) => `${h.id} (${h.roles.join('+')})`, async (h, t) => {
          t.output = transferLine('upload', '/opt/bin/kubelet', MiB, 2 * MiB);
          t.output = remoteLine('stdout', `Created symlink on ${h.id}`);
          await gate;
          if (h.id === failing) throw new Error(`kubelet.service is failed\n--- kubelet.service (failed), last journal lines:\nkubelet[9]: bad flag on ${h.id}`);
          return '3 files changed (2.0 MiB), 1 units (re)started';
        })(ctx, task);
        if (failing) throw new Error(`provisioning failed on 1 host: ${failing}`);
      },
    },
    { title: 'Validate cluster', task: async (_ctx, task) => void (task.title = 'Validate cluster: 3 of 3 nodes Ready, 2 components healthy') },
  ];
}

async function start(failing?: string) {
  const store = new RunStore(initialRunState(HOSTS, 'lab'));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const app = await mount(<RunApp store={store} onCancel={() => undefined} columns={100} rows={30} theme={makeRunTheme({ NO_COLOR: '1' })} />);
  const listr = new Listr(fakeUp(gate, failing), { renderer: RunViewRenderer as never, rendererOptions: { store } as never, registerSignalListeners: false });
  const done = listr.run().then(
    () => undefined,
    (e: Error) => e,
  );
  return { app, release, done, store };
}

describe('run view fed by a real listr2 tree', () => {
  it('shows per-host panes while provisioning, then the phases with "done"; the end report has the table and the next steps', async () => {
    const { app, release, done, store } = await start();
    const mid = await waitForFrame(app, '| Created symlink on 192.168.213.13');
    expect(mid).toContain('✓ Preflight');
    expect(mid).toContain('✓ Download releases');
    expect(mid).toContain('▸ Provision hosts');
    expect(mid).toContain('step 3/4 · Provision hosts');
    expect(lineWith(mid, '192.168.213.12')).toContain('node-12');
    expect(mid).toMatch(/↑ kubelet +█+░+ +50% +2\.0 MiB/);
    release();
    expect(await done).toBeUndefined();
    const end = await waitForFrame(app, /kubeup up lab {2}3 hosts {2}\d:\d\d {2}done/);
    expect(end).toContain('✓ Validate cluster');
    const report = endReport({ state: store.getSnapshot() }).join('\n');
    expect(report).toMatch(/host +name +roles +result +changed +unchanged +restarted +time/);
    expect(report).toMatch(/192\.168\.213\.11 +node-11 +master\+worker +ok/);
    expect(report).toMatch(/192\.168\.213\.13 +node-13 +worker +ok/);
    expect(report).toContain('Next: kubectl --context lab get nodes -o wide');
    await unmount(app);
  });

  it('ends with the failing host in a red pane with its journal; the end report says FAILED for it only', async () => {
    const { app, release, done, store } = await start('192.168.213.12');
    await waitForFrame(app, '| Created symlink on 192.168.213.12');
    release();
    expect((await done)?.message).toMatch(/provisioning failed/);
    const end = await waitForFrame(app, 'FAILED in Provision hosts');
    expect(end).toContain('kubelet[9]: bad flag on 192.168.213.12');
    expect(end).toMatch(/kubeup up lab {2}3 hosts {2}\d:\d\d {2}FAILED/);
    const report = endReport({ state: store.getSnapshot() }).join('\n');
    expect(report).toMatch(/192\.168\.213\.12 +node-12 +worker +FAILED \(Provision\)/);
    // The others did all they were given: provisioned, then the run stopped before any verify.
    expect(report).toMatch(/192\.168\.213\.11 +node-11 +master\+worker +not verified/);
    expect(report).not.toContain('Next: kubectl');
    await unmount(app);
  });
});
