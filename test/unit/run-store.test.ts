// The run view's store: the reducer on synthetic events, and the listr2 renderer feeding it from a real task tree
// shaped like `kubeup up` (phases in order; per-host lists run with their own .run(), or returned as subtasks).
import { Listr } from 'listr2';
import { describe, expect, it } from 'vitest';
import { RunViewRenderer } from '../../src/tasks/store-renderer.js';
import { countsLine, remoteLine, transferLine } from '../../src/tasks/progress.js';
import { hostOfTitle, initialRunState, MAX_HOST_LINES, phaseName, reduceRun, RunStore, secondsLeft, type RunEvent, type RunState } from '../../src/tasks/run-store.js';

const HOSTS = [
  { id: '10.0.0.1', address: '10.0.0.1', roles: ['master', 'worker'] },
  { id: '10.0.0.1:2222', address: '10.0.0.1', roles: ['worker'], nodeName: 'edge' },
  { id: '[fd00::3]:22', address: 'fd00::3', roles: ['worker'] },
];
const MiB = 1024 * 1024;

const run = (events: RunEvent[], state: RunState = initialRunState(HOSTS, 'demo')) => events.reduce(reduceRun, state);

/** Phase p0 (Preflight) and p1 (Provision hosts) with a per-host task each; h<phase>-<host>. */
function tree(): RunEvent[] {
  return [
    { type: 'task-added', taskId: 'p0', title: 'Preflight (3 hosts)', at: 0 },
    { type: 'task-added', taskId: 'p1', title: 'Provision hosts', at: 0 },
    { type: 'task-added', taskId: 'd', title: 'Download releases', at: 0 },
    ...HOSTS.map((h, i): RunEvent => ({ type: 'task-added', taskId: `h0-${i}`, parentId: 'p0', title: h.id, at: 1 })),
    ...HOSTS.map((h, i): RunEvent => ({ type: 'task-added', taskId: `h1-${i}`, parentId: 'p1', title: `${h.id} (${h.roles.join('+')})`, at: 1 })),
  ];
}

describe('run store reducer', () => {
  it('names phases without their counts and matches the longest host id', () => {
    expect(phaseName('Preflight (3 hosts)')).toBe('Preflight');
    expect(phaseName('Cluster roles (RBAC)')).toBe('Cluster roles');
    expect(phaseName('Download releases: 9 artefacts verified')).toBe('Download releases');
    const ids = HOSTS.map((h) => h.id);
    expect(hostOfTitle('10.0.0.1:2222 (worker)', ids)).toBe('10.0.0.1:2222');
    expect(hostOfTitle('10.0.0.1: node-a amd64', ids)).toBe('10.0.0.1');
    expect(hostOfTitle('10.0.0.12', ids)).toBeUndefined();
    expect(hostOfTitle('[fd00::3]:22', ids)).toBe('[fd00::3]:22');
  });

  it('turns root tasks into phases and their per-host children into host steps, in order', () => {
    const s = run(tree());
    expect(s.phases.map((p) => p.name)).toEqual(['Preflight', 'Provision hosts', 'Download releases']);
    expect(s.hosts.map((h) => h.steps.map((st) => st.phase))).toEqual([
      ['Preflight', 'Provision hosts'],
      ['Preflight', 'Provision hosts'],
      ['Preflight', 'Provision hosts'],
    ]);
    expect(s.tasks['h1-1']).toEqual({ kind: 'host', host: '10.0.0.1:2222', phase: 'Provision hosts' });
    // A task below a host task belongs to that host; one under a phase that names no host is kept apart.
    const deeper = run([{ type: 'task-added', taskId: 'x', parentId: 'h1-2', title: 'anything', at: 2 }, { type: 'task-added', taskId: 'y', parentId: 'p0', title: 'cleanup', at: 2 }], s);
    expect(deeper.tasks.x).toEqual({ kind: 'host', host: '[fd00::3]:22', phase: 'Provision hosts' });
    expect(deeper.tasks.y).toEqual({ kind: 'other' });
  });

  it('times phases and steps from the events, and keeps the result the engine puts in the title', () => {
    const s = run([
      ...tree(),
      { type: 'task-state', taskId: 'p0', state: 'running', at: 1000 },
      { type: 'task-state', taskId: 'h0-0', state: 'running', at: 1100 },
      { type: 'task-title', taskId: 'h0-0', title: '10.0.0.1: node-a amd64', at: 1900 },
      { type: 'task-state', taskId: 'h0-0', state: 'done', at: 2000 },
      { type: 'task-title', taskId: 'h0-1', title: '10.0.0.1:2222: other-name arm64', at: 2000 },
      { type: 'task-state', taskId: 'p0', state: 'done', at: 2500 },
      { type: 'task-title', taskId: 'h1-0', title: '10.0.0.1 (master+worker): 3 files changed (1.0 MiB), 2 units (re)started', at: 3000 },
    ]);
    expect(s.startedAt).toBe(1000);
    expect(s.phases[0]).toMatchObject({ state: 'done', startedAt: 1000, endedAt: 2500 });
    const h0 = s.hosts[0]!;
    expect(h0.steps[0]).toMatchObject({ state: 'done', startedAt: 1100, endedAt: 2000, result: 'node-a amd64' });
    expect(h0.steps[1]!.result).toBe('3 files changed (1.0 MiB), 2 units (re)started');
    // Preflight's host name becomes the node name, unless the profile set one.
    expect(h0.learnedName).toBe('node-a');
    expect(s.hosts[1]!.nodeName).toBe('edge');
    expect(s.hosts[1]!.learnedName).toBeUndefined();
  });

  it('parses download lines into transfers, sorted by name, with a rate from successive lines and the time left', () => {
    const dl = (name: string, done: number, at: number): RunEvent => ({ type: 'task-output', taskId: 'd', output: transferLine('download', name, done, 10 * MiB), at });
    const s = run([...tree(), dl('kubernetes-server', 0, 0), dl('etcd', 0, 0), dl('kubernetes-server', MiB, 1000), dl('kubernetes-server', 3 * MiB, 2000)]);
    expect(s.downloads.map((d) => d.name)).toEqual(['etcd', 'kubernetes-server']);
    const k = s.downloads[1]!;
    expect(k.done).toBe(3 * MiB);
    // 1 MiB/s, then 2 MiB/s smoothed half and half.
    expect(k.bytesPerSec).toBe(1.5 * MiB);
    expect(secondsLeft(k)).toBeCloseTo(7 / 1.5);
    expect(s.downloads[0]!.bytesPerSec).toBeUndefined();
    expect(secondsLeft(s.downloads[0]!)).toBeUndefined();
    // A new file restarts the measurement.
    const next = run([{ type: 'task-output', taskId: 'h1-0', output: transferLine('upload', '/opt/bin/a', MiB, 2 * MiB), at: 5000 }, { type: 'task-output', taskId: 'h1-0', output: transferLine('upload', '/opt/bin/b', 0, 2 * MiB), at: 6000 }], s);
    expect(next.hosts[0]!.upload).toEqual({ name: '/opt/bin/b', done: 0, total: 2 * MiB, at: 6000 });
    // It goes when the step that uploads ends.
    const ended = run([{ type: 'task-state', taskId: 'h1-0', state: 'running', at: 6500 }, { type: 'task-state', taskId: 'h1-0', state: 'done', at: 7000 }], next);
    expect(ended.hosts[0]!.upload).toBeUndefined();
  });

  it('keeps status and remote lines per host (split at newlines, capped) and the latest status', () => {
    const out = (output: string, at = 10): RunEvent => ({ type: 'task-output', taskId: 'h1-2', output, at });
    let s = run([...tree(), { type: 'task-state', taskId: 'h1-2', state: 'running', at: 5 }, out('upload /etc/default/kubelet'), out(`${remoteLine('stdout', 'one')}\n${remoteLine('stderr', 'two')}\n`)]);
    const h = s.hosts[2]!;
    expect(h.status).toBe('upload /etc/default/kubelet');
    expect(h.lines).toEqual([
      { stream: 'status', text: 'upload /etc/default/kubelet', step: 'h1-2' },
      { stream: 'stdout', text: 'one', step: 'h1-2' },
      { stream: 'stderr', text: 'two', step: 'h1-2' },
    ]);
    for (let i = 0; i < MAX_HOST_LINES + 5; i++) s = reduceRun(s, out(remoteLine('stdout', `n${i}`)));
    expect(s.hosts[2]!.lines).toHaveLength(MAX_HOST_LINES);
    expect(s.hosts[2]!.lines.at(-1)!.text).toBe(`n${MAX_HOST_LINES + 4}`);
    expect(s.hosts[0]!.lines).toEqual([]);
  });

  it('takes systemd\'s normal stderr (enable\'s symlinks) for plain output, and counts of files and bytes apart', () => {
    const out = (output: string): RunEvent => ({ type: 'task-output', taskId: 'h1-0', output, at: 10 });
    const s = run([
      ...tree(),
      { type: 'task-state', taskId: 'h1-0', state: 'running', at: 5 },
      out(remoteLine('stderr', 'Created symlink /etc/systemd/system/multi-user.target.wants/kubelet.service → /etc/systemd/system/kubelet.service.')),
      out(remoteLine('stderr', 'Job for kubelet.service failed.')),
      out(countsLine({ files: 23, filesTotal: 37, bytes: 41 * MiB, bytesTotal: 60 * MiB })),
    ]);
    const h = s.hosts[0]!;
    expect(h.lines.map((l) => l.stream)).toEqual(['stdout', 'stderr']);
    expect(h.counts).toEqual({ files: 23, filesTotal: 37, bytes: 41 * MiB, bytesTotal: 60 * MiB });
    expect(h.status).toBeUndefined();
    // The counts belong to the step: they go when it ends.
    expect(run([{ type: 'task-state', taskId: 'h1-0', state: 'done', at: 20 }], s).hosts[0]!.counts).toBeUndefined();
  });

  it('records a failed step and its error on the host, and a phase error on the phase', () => {
    const s = run([
      ...tree(),
      { type: 'task-state', taskId: 'h1-1', state: 'running', at: 1 },
      { type: 'task-state', taskId: 'h1-1', state: 'failed', at: 2 },
      { type: 'task-error', taskId: 'h1-1', message: 'command failed with exit 1: systemctl start kubelet', at: 2 },
      { type: 'task-state', taskId: 'p1', state: 'failed', at: 3 },
      { type: 'task-error', taskId: 'p1', message: 'provisioning failed on 1 host', at: 3 },
    ]);
    expect(s.hosts[1]).toMatchObject({ failedPhase: 'Provision hosts', error: 'command failed with exit 1: systemctl start kubelet' });
    expect(s.hosts[1]!.steps[1]!.state).toBe('failed');
    expect(s.hosts[0]!.error).toBeUndefined();
    expect(s.phases[1]).toMatchObject({ state: 'failed', error: 'provisioning failed on 1 host' });
  });

  it('moves focus round the hosts, toggles the log, and cancels only after a yes', () => {
    let s = run([{ type: 'focus', delta: -1 }]);
    expect(s.focus).toBe(2);
    s = run([{ type: 'focus', delta: 1 }, { type: 'toggle-expand' }], s);
    expect(s).toMatchObject({ focus: 0, expanded: true });
    s = run([{ type: 'ask-cancel' }, { type: 'answer-cancel', yes: false }], s);
    expect(s).toMatchObject({ confirmingCancel: false, cancelRequested: false });
    s = run([{ type: 'ask-cancel' }], s);
    expect(s.confirmingCancel).toBe(true);
    s = run([{ type: 'answer-cancel', yes: true }], s);
    expect(s).toMatchObject({ confirmingCancel: false, cancelRequested: true });
    // Once asked, asking again changes nothing; a finished run cannot be cancelled.
    expect(run([{ type: 'ask-cancel' }], s)).toBe(s);
    const ended = run([{ type: 'ask-cancel' }, { type: 'run-ended', ok: true, at: 9 }]);
    expect(ended.confirmingCancel).toBe(false);
    expect(run([{ type: 'ask-cancel' }], ended)).toBe(ended);
    expect(run([{ type: 'answer-cancel', yes: true }], ended).cancelRequested).toBe(false);
  });

  it('ignores events about tasks it has not seen', () => {
    const s = run(tree());
    expect(run([{ type: 'task-state', taskId: 'nope', state: 'running', at: 1 }, { type: 'task-output', taskId: 'nope', output: 'x', at: 1 }], s)).toBe(s);
  });
});

describe('RunStore', () => {
  it('tells listeners about changes only, and stops after unsubscribe', () => {
    const store = new RunStore(initialRunState(HOSTS));
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.dispatch({ type: 'focus', delta: 1 });
    store.dispatch({ type: 'task-state', taskId: 'unknown', state: 'done', at: 1 });
    expect(calls).toBe(1);
    off();
    store.dispatch({ type: 'focus', delta: 1 });
    expect(calls).toBe(1);
    expect(store.getSnapshot().focus).toBe(2);
  });
});

describe('RunViewRenderer on a real listr2 tree', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

  async function runTree(failHost?: string) {
    const store = new RunStore(initialRunState(HOSTS, 'demo'));
    let clock = 0;
    const recorder = { dir: '/state/runs/r1' };
    const listr = new Listr(
      [
        {
          title: 'Preflight (3 hosts)',
          // Like runUp: the per-host list is run by the phase itself, so listr2 gives it its own renderer.
          task: async (_ctx, task) => {
            await task
              .newListr(
                HOSTS.map((h, i) => ({
                  title: h.id,
                  task: async (_c, t) => {
                    t.output = 'connecting';
                    await tick();
                    t.title = `${h.id}: node-${i} amd64`;
                  },
                })),
                { concurrent: true, exitOnError: false },
              )
              .run();
          },
        },
        {
          title: 'Download releases',
          task: async (_ctx, task) => {
            task.output = transferLine('download', 'etcd', 0, 4 * MiB);
            await tick();
            task.output = transferLine('download', 'etcd', 4 * MiB, 4 * MiB);
            task.title = 'Download releases: 1 artefacts verified';
          },
        },
        {
          title: 'Provision hosts',
          // Returned as subtasks: the SUBTASK event path.
          task: (_ctx, task) =>
            task.newListr(
              HOSTS.map((h) => ({
                title: `${h.id} (${h.roles.join('+')})`,
                task: async (_c, t) => {
                  t.output = transferLine('upload', '/opt/bin/kubelet', MiB, 2 * MiB);
                  t.output = remoteLine('stdout', `hello from ${h.id}`);
                  await tick();
                  if (h.id === failHost) throw new Error(`kubelet.service is failed on ${h.id}`);
                  t.title = `${h.id} (${h.roles.join('+')}): up to date, nothing changed`;
                },
              })),
              { concurrent: true, exitOnError: false },
            ),
        },
        {
          title: 'Validate cluster',
          task: async (_ctx, task) => {
            if (failHost) throw new Error(`provisioning failed on 1 host: ${failHost}`);
            task.title = 'Validate cluster: 3 of 3 nodes Ready';
          },
        },
      ],
      {
        ctx: { recorder } as never,
        renderer: RunViewRenderer as never,
        rendererOptions: { store, now: () => (clock += 10) } as never,
        exitOnError: true,
        registerSignalListeners: false,
      },
    );
    const error = await listr.run().then(
      () => undefined,
      (e: Error) => e,
    );
    return { state: store.getSnapshot(), error };
  }

  it('follows every phase and every host step to the end of a good run', async () => {
    const { state, error } = await runTree();
    expect(error).toBeUndefined();
    expect(state.logDir).toBe('/state/runs/r1');
    expect(state.phases.map((p) => [p.name, p.state])).toEqual([
      ['Preflight', 'done'],
      ['Download releases', 'done'],
      ['Provision hosts', 'done'],
      ['Validate cluster', 'done'],
    ]);
    expect(state.phases[3]!.title).toBe('Validate cluster: 3 of 3 nodes Ready');
    expect(state.downloads).toMatchObject([{ name: 'etcd', done: 4 * MiB, total: 4 * MiB }]);
    for (const [i, h] of state.hosts.entries()) {
      expect(h.steps.map((s) => [s.phase, s.state, s.result])).toEqual([
        ['Preflight', 'done', `node-${i} amd64`],
        ['Provision hosts', 'done', 'up to date, nothing changed'],
      ]);
      // The upload bar belonged to the provisioning step, which has ended.
      expect(h.upload).toBeUndefined();
      expect(h.lines).toContainEqual(expect.objectContaining({ stream: 'stdout', text: `hello from ${h.id}` }));
    }
    expect(state.finished).toMatchObject({ ok: true });
  });

  it('marks the failing host and ends the run failed with the error', async () => {
    const { state, error } = await runTree('10.0.0.1:2222');
    expect(error?.message).toMatch(/provisioning failed/);
    const bad = state.hosts[1]!;
    expect(bad).toMatchObject({ failedPhase: 'Provision hosts', error: 'kubelet.service is failed on 10.0.0.1:2222' });
    expect(state.hosts[0]!.error).toBeUndefined();
    expect(state.phases.at(-1)!.state).toBe('failed');
    expect(state.finished).toMatchObject({ ok: false, error: 'provisioning failed on 1 host: 10.0.0.1:2222' });
  });
});
