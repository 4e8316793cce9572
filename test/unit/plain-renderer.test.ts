import { Listr } from 'listr2';
import { describe, expect, it } from 'vitest';
import { endReport } from '../../src/tasks/end-report.js';
import { hostOfTitle, PlainRenderer } from '../../src/tasks/plain-renderer.js';
import { waitLine } from '../../src/tasks/progress.js';
import { initialRunState, RunStore } from '../../src/tasks/run-store.js';

describe('PlainRenderer', () => {
  it('prints phases, and every host line prefixed with its host, without escape codes', async () => {
    const lines: string[] = [];
    let t = 0;
    const list = new Listr(
      [
        {
          title: 'Provision hosts',
          task: (_c, task) =>
            task.newListr(
              ['192.168.213.11', '192.168.213.12'].map((h) => ({
                title: `${h} (worker)`,
                task: async (_c2: unknown, sub: { output: string; title: string }) => {
                  sub.output = `upload /opt/bin/kubelet: 1 of 2 [1/2]`;
                  sub.title = `${h} (worker): up to date`;
                },
              })),
              { concurrent: false },
            ),
        },
      ],
      { renderer: PlainRenderer as never, rendererOptions: { write: (l: string) => lines.push(l), now: () => (t += 500) } as never },
    );
    await list.run();
    expect(lines).toEqual([
      '== Provision hosts',
      '[192.168.213.11] upload /opt/bin/kubelet: 1 of 2 [1/2]',
      '[192.168.213.11] ok: 192.168.213.11 (worker): up to date (0.5 s)',
      '[192.168.213.12] upload /opt/bin/kubelet: 1 of 2 [1/2]',
      '[192.168.213.12] ok: 192.168.213.12 (worker): up to date (0.5 s)',
      expect.stringMatching(/^ok: Provision hosts \(\d\.\d s\)$/),
    ]);
    expect(lines.join('\n')).not.toContain(String.fromCharCode(27));
  });

  it('feeds the same store as the live view, so plain output ends with the same report; repeated clocks are thinned', async () => {
    const lines: string[] = [];
    let t = 0;
    const hosts = ['192.168.213.11', '192.168.213.12'];
    const store = new RunStore(initialRunState(hosts.map((id) => ({ id, address: id, roles: ['worker'] })), 'lab'));
    const list = new Listr(
      [
        {
          title: 'Verify daemons',
          task: (_c, task) =>
            task.newListr(
              hosts.map((h) => ({
                title: h,
                task: async (_c2: unknown, sub: { output: string }) => {
                  for (let s = 0; s <= 12; s++) {
                    t += 1000;
                    sub.output = waitLine('waiting for kubelet (activating)', s * 1000, 90_000);
                  }
                },
              })),
              { concurrent: false },
            ),
        },
      ],
      { renderer: PlainRenderer as never, rendererOptions: { write: (l: string) => lines.push(l), now: () => t, store } as never },
    );
    await list.run();
    // A wait's clock line every 10 s, not every second.
    expect(lines.filter((l) => l.startsWith('[192.168.213.11] waiting for kubelet'))).toEqual(['[192.168.213.11] waiting for kubelet (activating) 0/90 s', '[192.168.213.11] waiting for kubelet (activating) 10/90 s']);
    const state = store.getSnapshot();
    expect(state.finished?.ok).toBe(true);
    expect(state.hosts.map((h) => h.steps.map((s) => s.state))).toEqual([['done'], ['done']]);
    expect(endReport({ state }).at(-2)).toMatch(/^✓ Deployed lab in \d:\d\d: 0 of 2 hosts changed/);
  });

  it('finds the host in a task title', () => {
    expect(hostOfTitle('192.168.213.11: h1 amd64')).toBe('192.168.213.11');
    expect(hostOfTitle('[fd00::1]:2222 (master)')).toBe('[fd00::1]:2222');
  });
});
