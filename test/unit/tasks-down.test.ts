// `kubeup down` when a host cannot be cleaned: its phase reads failed (in the run view's store and in plain lines),
// the other phases still run, and the error names the failed hosts and their log files.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../src/errors.js';
import { validateProfile } from '../../src/profile/validate.js';
import { runDown } from '../../src/tasks/down.js';
import { PlainRenderer } from '../../src/tasks/plain-renderer.js';
import { existingHostLogs } from '../../src/tasks/records.js';
import { hostsOfProfile, initialRunState, RunStore } from '../../src/tasks/run-store.js';
import type { RunDeps } from '../../src/tasks/context.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('kubeup down with a host that cannot be reached', () => {
  it('says the hosts phase failed, in the store and in plain lines, and names the host logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeup-down-'));
    dirs.push(dir);
    const { profile } = validateProfile({ name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }, { address: '192.168.213.12', roles: 'i' }] });
    const store = new RunStore(initialRunState(hostsOfProfile(profile!), 'lab'));
    const lines: string[] = [];
    const deps: RunDeps = {
      connect: async (req) => {
        throw new Error(`connect ECONNREFUSED ${req.host.address}:22`);
      },
      now: () => new Date('2026-12-02T01:00:00Z'),
    };
    const err = await runDown(
      profile!,
      {
        concurrency: 10,
        acceptNewHostKeys: false,
        secrets: {},
        stateDir: join(dir, 'state'),
        kubeconfig: join(dir, 'kubeconfig'),
        renderer: { factory: PlainRenderer as never, options: { store, write: (l: string) => lines.push(l) } },
        purge: false,
      },
      deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployError);
    expect((err as Error).message).toContain('kubeup down could not clean 2 hosts');

    const phases = store.getSnapshot().phases.map((p) => [p.name, p.state]);
    expect(phases).toEqual([
      ['Cluster add-ons', 'done'],
      ['Remove kubeup from 2 hosts', 'failed'],
      ['Kubeconfig', 'done'],
      ['Local certificate authority', 'done'],
    ]);
    expect(lines.filter((l) => /^(ok|FAILED): Remove/.test(l))).toEqual([expect.stringMatching(/^FAILED: Remove kubeup from 2 hosts \(\d+\.\d s\)$/)]);
    expect(lines.filter((l) => l.startsWith('[192.168.213.12] FAILED: 192.168.213.12'))).toHaveLength(1);

    // Each failed host's log exists and says why; the CLI names them with the error.
    const { logDir, failedHosts } = err as { logDir: string; failedHosts: string[] };
    expect(failedHosts.sort()).toEqual(['192.168.213.11', '192.168.213.12']);
    const logs = existingHostLogs(logDir, failedHosts);
    expect(Object.keys(logs).sort()).toEqual(failedHosts);
    expect(readFileSync(logs['192.168.213.12']!, 'utf8')).toContain('down failed: connect ECONNREFUSED 192.168.213.12:22');
    expect(existsSync(join(logDir, 'summary.txt'))).toBe(true);
  });
});
