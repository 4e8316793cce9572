// The end of a run as the live view and plain output print it: errors, grouped warnings, the host table, the
// verdict and the next steps, from a store fed with the events of a run.
import { describe, expect, it } from 'vitest';
import type { HostRecord } from '../../src/provision/execute.js';
import { cutError, endReport, hostOutcome, hostTable, verdictLine, warningLines, wrapLines } from '../../src/tasks/end-report.js';
import { hostNeutral, hostRanges } from '../../src/tasks/host-ranges.js';
import { initialRunState, reduceRun, type HostInfo, type RunEvent, type RunState } from '../../src/tasks/run-store.js';

const HOSTS: HostInfo[] = [
  { id: '192.168.213.11', address: '192.168.213.11', roles: ['master'] },
  ...[12, 13, 14].map((n) => ({ id: `192.168.213.${n}`, address: `192.168.213.${n}`, roles: ['worker'] })),
];
const PER_HOST = ['Preflight (4 hosts)', 'Provision hosts', 'Verify daemons'];

function record(changed: number, restarted: string[] = []): HostRecord {
  return { filesChanged: Array.from({ length: changed }, (_, i) => `/f${i}`), filesUnchanged: 30 - changed, bytesUploaded: changed * 1000, wireBytes: changed * 400, uploadMs: 1, unitsRestarted: restarted, unitsStarted: [], warnings: [] };
}

/** A run through the three per-host phases; `fail` hosts fail in Verify with `error`. */
function runOf(opts: { fail?: number[]; error?: string; records?: Record<string, HostRecord>; warnings?: { host?: string; message: string }[] } = {}): RunState {
  const events: RunEvent[] = [];
  let t = 0;
  PER_HOST.forEach((title, p) => {
    events.push({ type: 'task-added', taskId: `p${p}`, title, at: t }, { type: 'task-state', taskId: `p${p}`, state: 'running', at: (t += 1000) });
    HOSTS.forEach((h, i) => {
      const id = `p${p}-${i}`;
      events.push({ type: 'task-added', taskId: id, parentId: `p${p}`, title: p === 0 ? h.id : `${h.id} (${h.roles.join('+')})`, at: t }, { type: 'task-state', taskId: id, state: 'running', at: t });
      if (p === 0) events.push({ type: 'task-title', taskId: id, title: `${h.id}: h${i + 1} amd64`, at: t });
      if (p === 2 && opts.fail?.includes(i)) {
        events.push({ type: 'task-error', taskId: id, message: opts.error ?? 'failed', at: t }, { type: 'task-state', taskId: id, state: 'failed', at: (t += 2000) });
      } else events.push({ type: 'task-state', taskId: id, state: 'done', at: (t += 2000) });
    });
    events.push({ type: 'task-state', taskId: `p${p}`, state: p === 2 && opts.fail?.length ? 'failed' : 'done', at: t });
  });
  for (const w of opts.warnings ?? []) events.push({ type: 'warning', ...w });
  if (opts.records) events.push({ type: 'host-records', records: opts.records });
  events.push({ type: 'log-dir', dir: '/state/clusters/lab/runs/2026-12-01T20-00-00-000Z' });
  events.push({ type: 'run-ended', ok: !opts.fail?.length, at: t + 500 });
  return events.reduce(reduceRun, initialRunState(HOSTS, 'lab'));
}

const unchanged = Object.fromEntries(HOSTS.map((h) => [h.id, record(0)]));

describe('host lists', () => {
  it('writes runs of three or more as ranges, addresses with their last part only', () => {
    expect(hostRanges(['h2', 'h3', 'h4'])).toBe('h2–h4');
    expect(hostRanges(['h1', 'h3'])).toBe('h1, h3');
    expect(hostRanges(['h1', 'h2', 'h3', 'h7', 'edge'])).toBe('h1–h3, h7, edge');
    expect(hostRanges(['192.168.213.12', '192.168.213.13', '192.168.213.14'])).toBe('192.168.213.12–14');
  });

  it('takes the journal\'s timestamps, host names and pids out of an error, so hosts with one cause compare equal', () => {
    const a = 'kubelet.service is failed\n2026-12-01T20:20:21+0000 h2 kubelet[123]: Error: unknown flag: --no-such-flag (host 192.168.213.12)';
    const b = 'kubelet.service is failed\n2026-12-01T20:20:22+0000 h3 kubelet[456]: Error: unknown flag: --no-such-flag (host 192.168.213.13)';
    expect(hostNeutral(a)).toBe(hostNeutral(b));
    expect(hostNeutral(a)).toBe('kubelet.service is failed\nError: unknown flag: --no-such-flag');
  });
});

describe('the end report', () => {
  it('groups warnings once per run with their hosts', () => {
    const s = runOf({
      records: unchanged,
      warnings: [
        { host: '192.168.213.12', message: 'socat: socat is not installed' },
        { host: '192.168.213.13', message: 'socat: socat is not installed' },
        { host: '192.168.213.14', message: 'socat: socat is not installed' },
        { message: 'CA expires in 20 days' },
      ],
    });
    expect(warningLines(s)).toEqual(['warning: socat: socat is not installed (h2–h4)', 'warning: CA expires in 20 days']);
  });

  it('ends a re-run that changed nothing with "No changes", after the table', () => {
    const lines = endReport({ state: runOf({ records: unchanged }), kubeconfig: { path: '/home/u/.kube/config' } }, 80);
    const verdict = lines.findIndex((l) => l.startsWith('✓ No changes – 4 hosts up to date'));
    expect(verdict).toBeGreaterThan(lines.findIndex((l) => l.startsWith('host ')));
    expect(lines.slice(verdict + 1)).toEqual(['Kubeconfig: /home/u/.kube/config (context lab)', 'Next: kubectl --context lab get nodes -o wide', 'Summary: /state/clusters/lab/runs/2026-12-01T20-00-00-000Z/summary.txt']);
    expect(lines.filter((l) => l.includes('kubectl --context lab'))).toHaveLength(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('sums up validation in one line above the table', () => {
    const cluster = { server: 'https://192.168.213.11:6443', nodes: ['h2', 'h3', 'h4'].map((name) => ({ name, ready: true })), components: [{ healthy: true }, { healthy: true }] };
    const lines = endReport({ state: runOf({ records: unchanged }), cluster });
    expect(lines[0]).toBe('Cluster validation succeeded: control plane at https://192.168.213.11:6443; nodes h2–h4 Ready; 2 components healthy.');
    expect(lines[2]).toMatch(/^host /);
  });

  it('counts changed, unchanged and restarted per host, and tells a master-only host is no node', () => {
    const s = runOf({ records: { ...unchanged, '192.168.213.12': record(12, ['kubelet.service', 'kube-proxy.service']) } });
    const table = hostTable(s);
    expect(table[0]).toMatch(/^host +name +roles +result +changed +unchanged +restarted +time$/);
    expect(table[1]).toMatch(/^192\.168\.213\.11 +h1 +master +up to date +0 +30 +0 +0:06$/);
    expect(table[2]).toMatch(/^192\.168\.213\.12 +h2 +worker +ok +12 +18 +2 +0:06$/);
    expect(table).toContain('h1 is master only: it runs no kubelet, so it is not a node of the cluster.');
    expect(verdictLine({ state: s, cluster: { server: 'https://x:6443', nodes: [1, 2, 3].map((n) => ({ name: `h${n + 1}`, ready: true })), components: [] } })).toBe(
      '✓ Deployed lab in 0:27: 1 of 4 hosts changed, 2 units (re)started; 3 of 3 nodes Ready.',
    );
  });

  it('does not call a healthy master-only host stopped when verify failed on the workers', () => {
    const error = 'kubelet.service is failed\nError: unknown flag: --no-such-flag';
    const s = runOf({ fail: [1, 2, 3], error, records: unchanged });
    expect(hostOutcome(s.hosts[0]!, s)).toBe('up to date');
    expect(hostTable(s)[2]).toMatch(/FAILED \(Verify\)/);
    const lines = endReport(
      {
        state: s,
        error: { detail: `verify-cluster failed on 3 hosts:\n  - 192.168.213.12–14: ${error.replace('\n', '\n    ')}`, hint: 'remove --no-such-flag from extraArgs.kubelet in the profile', field: 'extraArgs.kubelet' },
        errorLines: 6,
      },
      80,
    );
    expect(lines[0]).toBe('✗ verify-cluster failed on 3 hosts:');
    expect(lines).toContain('    Error: unknown flag: --no-such-flag');
    const verdict = lines.findIndex((l) => l.startsWith('✗ Verify daemons FAILED'));
    expect(lines[verdict]).toBe('✗ Verify daemons FAILED on h2–h4 after 0:27: kubelet.service is failed');
    expect(lines[verdict + 1]).toBe('  hint: remove --no-such-flag from extraArgs.kubelet in the profile');
    expect(lines.slice(verdict + 2)).toEqual([
      'Next: fix the cause, then run kubeup up again: hosts that are already right are',
      '  left as they are.',
      'Summary: /state/clusters/lab/runs/2026-12-01T20-00-00-000Z/summary.txt',
    ]);
  });

  it('wraps at spaces and never cuts a path', () => {
    const path = '/var/lib/kubeup/state/clusters/a-very-long-profile-name/runs/2026-12-01T20-00-00-000Z/192.168.213.12.log';
    expect(wrapLines([`full log: ${path}`], 40)).toEqual(['full log:', `  ${path}`]);
  });

  it('indents every continuation line, not only the first', () => {
    const warning = 'warning: CoreDNS: 0 of 2 ready, NOT available: the Deployment has no status: no deployment controller has acted on it (h2–h4)';
    expect(wrapLines([warning], 40)).toEqual([
      'warning: CoreDNS: 0 of 2 ready, NOT',
      '  available: the Deployment has no',
      '  status: no deployment controller has',
      '  acted on it (h2–h4)',
    ]);
  });

  it('names the log files of the failed hosts that have one, before the summary whose folder is given whole', () => {
    const dir = '/var/lib/kubeup/state/clusters/a-very-long-profile-name/runs/2026-12-01T20-00-00-000Z';
    const s = { ...runOf({ fail: [1, 2, 3] }), logDir: dir };
    // h4 wrote no log; h1 has one but did not fail.
    const hostLogs = Object.fromEntries(['192.168.213.11', '192.168.213.12', '192.168.213.13'].map((h) => [h, `${dir}/${h}.log`]));
    const lines = endReport({ state: s, error: { detail: 'verify-cluster failed on 3 hosts' }, hostLogs }, 60);
    const at = lines.findIndex((l) => l.startsWith('Logs of the failed hosts'));
    // Beside the summary, whose folder is given whole on the next line: by file name, so the table stays on screen.
    expect(lines.slice(at, at + 2)).toEqual(['Logs of the failed hosts, beside the summary:', '  192.168.213.12.log 192.168.213.13.log']);
    expect(lines.slice(at + 2)).toEqual(['Summary:', `  ${dir}/summary.txt`]);
    expect(lines.join('\n')).not.toContain('192.168.213.11.log');
    // A log elsewhere is named whole.
    const elsewhere = endReport({ state: s, error: { detail: 'verify-cluster failed on 3 hosts' }, hostLogs: { '192.168.213.12': '/other/192.168.213.12.log' } }, 60);
    expect(elsewhere).toContain('Log of the failed host: /other/192.168.213.12.log');
    // A good run names no host log.
    expect(endReport({ state: runOf(), hostLogs }).join('\n')).not.toContain('.log');
  });

  it('cuts a long error to its first line, the lines that say why, and its last', () => {
    const usage = ['kubelet.service is failed', 'Error: unknown flag: --no-such-flag', ...Array.from({ length: 60 }, (_, i) => `      --flag-${i} string   help`), 'exit status 1'];
    expect(cutError(usage, 4)).toEqual(['kubelet.service is failed', 'Error: unknown flag: --no-such-flag', '    …', '      --flag-59 string   help', 'exit status 1']);
    expect(cutError(usage, undefined)).toHaveLength(usage.length);
  });
});

describe('one cause on several hosts', () => {
  it('is the first line and the Error: line, whatever the journal around them says', async () => {
    const { causeOf } = await import('../../src/tasks/host-ranges.js');
    const on = (host: string, restarts: number) =>
      `kubelet.service is restarting again and again after 90 s\n--- kubelet.service (restarted), last journal lines:\n2026-12-01T20:20:21+0000 ${host} kubelet[1${restarts}]: Error: unknown flag: --no-such-flag\n2026-12-01T20:20:22+0000 ${host} systemd[1]: kubelet.service: Scheduled restart job, restart counter is at ${restarts}.`;
    expect(causeOf(on('h2', 4))).toBe(causeOf(on('h3', 7)));
    expect(causeOf(on('h2', 4))).toBe('kubelet.service is restarting again and again after 90 s\nError: unknown flag: --no-such-flag');
    expect(causeOf('connection refused by 10.0.0.1:22')).toBe('connection refused by 10.0.0.1:22');
  });
});
