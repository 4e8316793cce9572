import { Listr } from 'listr2';
import { describe, expect, it } from 'vitest';
import { hostOfTitle, PlainRenderer } from '../../src/tasks/plain-renderer.js';

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

  it('finds the host in a task title', () => {
    expect(hostOfTitle('192.168.213.11: h1 amd64')).toBe('192.168.213.11');
    expect(hostOfTitle('[fd00::1]:2222 (master)')).toBe('[fd00::1]:2222');
  });
});
