import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSession } from '../../../src/ssh/fake.js';
import { VerifyError, ValidationError } from '../../../src/errors.js';
import { UnitFailureError, unitErrorLine, verifyUnits, waitForFlannelSubnet, watchUnits } from '../../../src/verify/units.js';
import { listeningPorts, parseProbe } from '../../../src/verify/preflight.js';
import { labelNodeRoles, waitNodesReady, nodeReport } from '../../../src/verify/validate-cluster.js';
import type { Plan } from '../../../src/plan/types.js';
import type { ApiClient } from '../../../src/verify/api-client.js';

/** A clock that sleeps instantly, so bounded waits run in no time. */
function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

/** The snapshot script's output: the host's monotonic clock (given in s, printed in ns), then `systemctl show` blocks for [name, state, since (s), restarts?, subState?, pending job id?]. */
const show = (uptime: number, ...units: [string, string, number, number?, string?, number?][]) => ({
  stdout:
    `${Math.round(uptime * 1e9)}\n\n` +
    units
      .map(([id, state, since, restarts = 0, sub = state === 'active' ? 'running' : 'dead', job]) => `Id=${id}\nActiveState=${state}\nSubState=${sub}\nActiveEnterTimestampMonotonic=${since * 1e6}\nNRestarts=${restarts}\nResult=success\nExecMainStatus=0\n${job ? `Job=${job}\n` : ''}`)
      .join('\n'),
});
const SNAPSHOT = /^sh -c .*timer_list.*systemctl show -p Id,ActiveState,SubState,ActiveEnterTimestampMonotonic,NRestarts,Result,ExecMainStatus,Job.* sh etcd\.service kubelet\.service$/;
const USAGE = ['Usage:', '  kubelet [flags]', '', 'Flags:', ...Array.from({ length: 40 }, (_, i) => `      --flag-${i} string     what flag ${i} does`)];

describe('verifyUnits', () => {
  it('passes at once when every unit has been active for a while (a re-run)', async () => {
    const s = new FakeSession().on(SNAPSHOT, show(500, ['etcd.service', 'active', 100, 3], ['kubelet.service', 'active', 120]));
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], fakeClock());
    expect(s.commands()).toHaveLength(1);
  });

  it('waits while units are activating or just started, looking again as soon as the youngest is old enough', async () => {
    const replies = [
      show(10, ['etcd.service', 'activating', 0, 0, 'start'], ['kubelet.service', 'active', 5]),
      show(11, ['etcd.service', 'active', 10.5], ['kubelet.service', 'active', 5]),
      show(12.5, ['etcd.service', 'active', 10.5], ['kubelet.service', 'active', 5]),
    ];
    const clock = fakeClock();
    const s = new FakeSession().on(SNAPSHOT, () => replies.shift()!);
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...clock, intervalMs: 1000, timeoutMs: 10_000, startedThisRun: ['etcd.service'] });
    expect(s.commands()).toHaveLength(3);
    // 0.2 s after the first look, then 1.5 s: just what etcd still needed to have been up for 2 s.
    expect(clock.now()).toBe(200 + 1500);
  });

  it('fails at once when a unit kubeup started exited and was restarted, with its Error line and the profile field', async () => {
    const s = new FakeSession()
      .on(SNAPSHOT, show(100, ['etcd.service', 'active', 1], ['kubelet.service', 'active', 99.5, 1]))
      .on(/journalctl -u kubelet.service/, { stdout: ['Error: unknown flag: --no-such-flag', ...USAGE, 'Error: unknown flag: --no-such-flag', ...USAGE].join('\n') });
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], {
      ...fakeClock(),
      timeoutMs: 90_000,
      startedThisRun: ['kubelet.service'],
      extraArgs: { kubelet: ['--v=2', '--no-such-flag'] },
    }).catch((e) => e);
    expect(err, String(err)).toBeInstanceOf(UnitFailureError);
    expect(s.commands().filter((c) => c.includes('systemctl show'))).toHaveLength(1);
    expect(err.failures).toEqual([
      expect.objectContaining({ host: 'root@fake:22', unit: 'kubelet.service', state: 'restarting', restarts: 1, errorLine: 'Error: unknown flag: --no-such-flag', profileField: 'extraArgs.kubelet[1]' }),
    ]);
    expect(err.message).toMatch(/^kubelet\.service exited and was restarted 1×: Error: unknown flag: --no-such-flag \(profile field extraArgs\.kubelet\[1\]\)/);
    expect(err.hint).toMatch(/fix extraArgs\.kubelet\[1\] in the profile/);
    // The usage dumps are cut to one line each.
    expect(err.failures[0].journal.split('\n')).toEqual(['Error: unknown flag: --no-such-flag', '(43 lines of usage text cut)', 'Error: unknown flag: --no-such-flag', '(43 lines of usage text cut)']);
  });

  it('fails at once on a unit waiting to be restarted (auto-restart), before systemd even restarts it', async () => {
    const s = new FakeSession()
      .on(SNAPSHOT, show(100, ['etcd.service', 'active', 1], ['kubelet.service', 'activating', 0, 0, 'auto-restart']))
      .on(/journalctl -u kubelet.service/, { stdout: 'E1201 20:00:00.000000 1 run.go:72] "command failed" err="failed to load kubelet config file, path: /etc/kubernetes/kubelet-config.yaml, error: no such file"\n' });
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), startedThisRun: ['kubelet.service'] }).catch((e) => e);
    expect(err).toBeInstanceOf(UnitFailureError);
    expect(err.failures[0]).toMatchObject({ state: 'restarting', errorLine: 'Error: failed to load kubelet config file, path: /etc/kubernetes/kubelet-config.yaml, error: no such file' });
    expect(err.failures[0].profileField).toBeUndefined();
    expect(err.hint).toMatch(/systemctl status kubelet\.service/);
  });

  it('judges a unit kubeup restarted only once its queued restart ran: an earlier crash neither fails nor passes it', async () => {
    // The kubelet crashed once at boot (NRestarts=1) and has run since; kubeup's restart is still queued (job 7).
    const replies = [
      show(100, ['etcd.service', 'active', 1], ['kubelet.service', 'active', 20, 1, 'running', 7]),
      show(100.2, ['etcd.service', 'active', 1], ['kubelet.service', 'active', 20, 1, 'running', 7]),
      show(100.5, ['etcd.service', 'active', 1], ['kubelet.service', 'active', 100.4]),
      show(102.4, ['etcd.service', 'active', 1], ['kubelet.service', 'active', 100.4]),
    ];
    const states: string[] = [];
    const s = new FakeSession().on(SNAPSHOT, () => replies.shift()!);
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), startedThisRun: ['kubelet.service'], onStatus: (st) => void states.push(st['kubelet.service']!) });
    expect(s.commands()).toHaveLength(4);
    expect(states).toEqual(['queued', 'queued', 'starting', 'active']);
  });

  it('still fails a unit that crashed after kubeup\'s queued restart ran, also when systemd queued the next start', async () => {
    const s = new FakeSession()
      .on(SNAPSHOT, () => replies.shift()!)
      .on(/journalctl -u kubelet.service/, { stdout: 'Error: open /etc/kubernetes/kubelet.conf: no such file or directory\n' });
    const replies = [
      show(100, ['etcd.service', 'active', 1], ['kubelet.service', 'active', 20, 3, 'running', 7]),
      show(101, ['etcd.service', 'active', 1], ['kubelet.service', 'activating', 0, 1, 'start', 9]),
    ];
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), startedThisRun: ['kubelet.service'] }).catch((e) => e);
    expect(err, String(err)).toBeInstanceOf(UnitFailureError);
    expect(err.failures[0]).toMatchObject({ unit: 'kubelet.service', state: 'restarting', restarts: 1 });
  });

  it('counts restarts of a unit it did not start from its first look, so old restarts do not fail a re-run', async () => {
    const replies = [show(100, ['etcd.service', 'active', 1, 4], ['kubelet.service', 'active', 99.5, 2]), show(102, ['etcd.service', 'active', 1, 4], ['kubelet.service', 'active', 99.5, 2])];
    const s = new FakeSession().on(SNAPSHOT, () => replies.shift()!);
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], fakeClock());
    expect(s.commands()).toHaveLength(2);
  });

  it('fails after the time limit with the unit that never came up and its journal lines', async () => {
    const s = new FakeSession()
      .on(SNAPSHOT, show(100, ['etcd.service', 'active', 1], ['kubelet.service', 'activating', 0, 0, 'start-pre']))
      .on(['journalctl', '-u', 'kubelet.service', '-n', '300', '--no-pager', '-o', 'cat'], { stdout: 'kubeup: waiting for https://10.0.0.1:6443/readyz: connect:errno=111\n' });
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), intervalMs: 2000, timeoutMs: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect(err.message).toMatch(/kubelet\.service is still activating \(start-pre\) after 10 s/);
    expect(err.message).toContain('waiting for https://10.0.0.1:6443/readyz');
    expect(err.host).toBe('root@fake:22');
  });
});

describe('verifyUnits without the host\'s monotonic clock', () => {
  it('times two looks itself: a unit counts as up once kubeup saw it active, unchanged, for 2 s', async () => {
    const noClock = { stdout: '\nId=etcd.service\nActiveState=active\nSubState=running\nActiveEnterTimestampMonotonic=5\nNRestarts=0\n\nId=kubelet.service\nActiveState=active\nSubState=running\nActiveEnterTimestampMonotonic=7\nNRestarts=0\n' };
    const clock = fakeClock();
    const s = new FakeSession().on(SNAPSHOT, noClock);
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], clock);
    expect(s.commands().length).toBeGreaterThan(1);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
  });
});

describe('verifyUnits waiting on the host (watchOnHost)', () => {
  const WATCH = /^sh -c 'n=\$1; shift\n.*systemctl show -p Id,ActiveState.* sh (\d+) etcd\.service kubelet\.service$/s;

  it('looks again through the host\'s wait, never pausing itself; a unit that exits during it fails verify', async () => {
    const clock = fakeClock();
    const paused: number[] = [];
    const s = new FakeSession()
      .on(SNAPSHOT, show(10, ['etcd.service', 'activating', 0, 0, 'start'], ['kubelet.service', 'active', 5]), { times: 1 })
      .on(WATCH, show(11, ['etcd.service', 'active', 10.5], ['kubelet.service', 'activating', 0, 0, 'auto-restart']), { times: 1 })
      .on(/journalctl -u kubelet.service/, { stdout: 'Error: unknown flag: --x\n' });
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...clock, sleep: async (ms) => void paused.push(ms), watchOnHost: true, intervalMs: 1000, startedThisRun: ['etcd.service', 'kubelet.service'] }).catch((e) => e);
    expect(err).toBeInstanceOf(UnitFailureError);
    expect(err.failures[0]).toMatchObject({ unit: 'kubelet.service', state: 'restarting' });
    expect(paused).toEqual([]);
    // The host waits up to the longest pause (1 s: 5 steps of 200 ms) for a change.
    expect(WATCH.exec(s.commands()[1]!)![1]).toBe('5');
  });

  it('waits on the host just as long as the youngest unit still needs to count as up', async () => {
    const s = new FakeSession()
      .on(SNAPSHOT, show(11, ['etcd.service', 'active', 10.5], ['kubelet.service', 'active', 5]), { times: 1 })
      .on(WATCH, show(12.5, ['etcd.service', 'active', 10.5], ['kubelet.service', 'active', 5]), { times: 1 });
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), watchOnHost: true, startedThisRun: ['etcd.service'] });
    // 1.5 s (8 steps of 200 ms, rounded up) is what etcd still needed.
    expect(s.commands()).toHaveLength(2);
    expect(WATCH.exec(s.commands()[1]!)![1]).toBe('8');
  });
});

describe('watchUnits (real sh, a systemctl that counts its calls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-watch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // `systemctl show` answers "ActiveState=activating" until its Nth call, then "active"; each call is logged.
  const fakeSystemctl = (changeAt: number) => {
    writeFileSync(join(dir, 'calls'), '');
    writeFileSync(
      join(dir, 'systemctl'),
      `#!/bin/sh\necho "$*" >> ${dir}/calls\nn=$(wc -l < ${dir}/calls)\nprintf 'Id=etcd.service\\nActiveState=%s\\nSubState=x\\nActiveEnterTimestampMonotonic=1\\nNRestarts=0\\n' "$([ "$n" -ge ${changeAt} ] && echo active || echo activating)"\n`,
    );
    chmodSync(join(dir, 'systemctl'), 0o755);
  };
  const session = {
    target: 'local',
    exec: async (argv: readonly unknown[]) => {
      const [cmd, ...args] = argv as string[];
      const r = spawnSync(cmd!, args, { encoding: 'utf8', env: { PATH: `${dir}:${process.env.PATH}` } });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    },
  } as never;
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').length;

  it('stops waiting at the first change and answers with the new state', async () => {
    fakeSystemctl(3);
    const snap = await watchUnits(session, ['etcd.service'], 10_000);
    expect(snap.units['etcd.service']!.state).toBe('active');
    // The first look, a look that saw no change, the one that saw it, then the answer: not the 50 steps of 10 s.
    expect(calls()).toBe(4);
  });

  it('without a change, answers after its steps', async () => {
    fakeSystemctl(1000);
    const snap = await watchUnits(session, ['etcd.service'], 400);
    expect(snap.units['etcd.service']!.state).toBe('activating');
    expect(calls()).toBe(1 + 2 + 1);
  });
});

describe('unitErrorLine', () => {
  it('takes cobra\'s Error line, else klog\'s "command failed", else the last klog error', () => {
    expect(unitErrorLine('I1 x\nError: unknown flag: --x\nUsage:')).toBe('Error: unknown flag: --x');
    expect(unitErrorLine('E1201 1 run.go:72] "command failed" err="unable to load configmap based request-header-client-ca-file: configmaps \\"extension-apiserver-authentication\\" is forbidden"')).toBe(
      'Error: unable to load configmap based request-header-client-ca-file: configmaps "extension-apiserver-authentication" is forbidden',
    );
    expect(unitErrorLine('I1 ok\nE1201 10:00:00 1 x.go:1] "boom"\nI1 later')).toBe('E1201 10:00:00 1 x.go:1] "boom"');
    expect(unitErrorLine('I1 ok')).toBeUndefined();
  });
});

describe('waitForFlannelSubnet', () => {
  const flannel = (subnet: boolean, sub = 'running', restarts = 0) => ({
    stdout: `${subnet ? 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n' : ''}\nActiveState=${sub === 'running' ? 'active' : 'activating'}\nSubState=${sub}\nNRestarts=${restarts}\n`,
  });

  it('waits for subnet.env, then returns the subnet', async () => {
    const files = [flannel(false), flannel(true)];
    const s = new FakeSession().on(/subnet\.env/, () => files.shift()!);
    expect(await waitForFlannelSubnet(s, fakeClock())).toBe('10.244.1.1/24');
  });

  it('fails at once when flanneld exits while waiting', async () => {
    const files = [flannel(false), flannel(false, 'auto-restart')];
    const s = new FakeSession().on(/subnet\.env/, () => files.shift()!).on(/journalctl -u flanneld.service/, { stdout: 'E1201 1 main.go:1] Error registering network: failed to acquire lease: node "h2" pod cidr not assigned\n' });
    const err = await waitForFlannelSubnet(s, { ...fakeClock(), timeoutMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnitFailureError);
    expect(err.failures[0].errorLine).toMatch(/pod cidr not assigned/);
  });

  it('fails with the journal when no subnet comes', async () => {
    const s = new FakeSession().on(/subnet\.env/, flannel(false)).on(/journalctl -u flanneld.service/, { stdout: 'E pod cidr not assigned\n' });
    await expect(waitForFlannelSubnet(s, { ...fakeClock(), timeoutMs: 6000 })).rejects.toThrow(/wrote no pod subnet[\s\S]*pod cidr not assigned/);
  });
});

describe('preflight parsing', () => {
  it('reads the probe and the listening ports', () => {
    expect(parseProbe('os=Linux\nmachine=x86_64\nlisten=LISTEN:0.0.0.0:22 UNCONN:[::]:8472\n')).toMatchObject({ os: 'Linux', machine: 'x86_64' });
    expect([...listeningPorts('LISTEN:0.0.0.0:22 LISTEN:[::]:6443 UNCONN:0.0.0.0:8472 LISTEN:127.0.0.1:10248')].sort()).toEqual(['tcp:10248', 'tcp:22', 'tcp:6443', 'udp:8472']);
  });
});

describe('waitNodesReady', () => {
  const node = (name: string, ready: boolean) => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], nodeInfo: { kubeletVersion: 'v1.35.2' } } });

  it('reports "N of M ready, missing" while waiting, then returns the nodes', async () => {
    const answers = [[node('a', true)], [node('a', true), node('b', false)], [node('a', true), node('b', true)]];
    const api = { request: async () => ({ status: 200, body: { items: answers.shift() }, text: '' }) } as unknown as ApiClient;
    const statuses: string[] = [];
    const nodes = await waitNodesReady(api, ['a', 'b'], { ...fakeClock(), onStatus: (s) => statuses.push(s) });
    expect(statuses).toEqual(['1 of 2 nodes ready, missing: b (not registered)', '1 of 2 nodes ready, missing: b (NotReady)']);
    expect(nodes.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('gives up after its time limit, saying what is missing', async () => {
    const api = { request: async () => ({ status: 200, body: { items: [node('a', false)] }, text: '' }) } as unknown as ApiClient;
    const err = await waitNodesReady(api, ['a'], { ...fakeClock(), timeoutMs: 30_000, intervalMs: 3000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/nodes: still 0 of 1 nodes ready, missing: a \(NotReady\) after 30 s/);
  });

  it('labels only the nodes that lack their role labels (a re-run writes nothing), all at once', async () => {
    const patched: { path: string; body: unknown }[] = [];
    let inFlight = 0;
    let most = 0;
    const api = {
      request: async (_m: string, path: string, body: unknown) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        patched.push({ path, body });
        return { status: 200, body: {}, text: '' };
      },
    } as unknown as ApiClient;
    const plan = { hosts: [{ id: 'h1', nodeName: 'h1', roles: ['master', 'worker'] }, { id: 'h2', nodeName: 'h2', roles: ['worker'] }, { id: 'h3', nodeName: 'h3', roles: ['worker'] }, { id: 'm', nodeName: 'm', roles: ['master'] }] } as unknown as Plan;
    const seen = [nodeReport({ metadata: { name: 'h1', labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } } }), nodeReport({ metadata: { name: 'h2', labels: { 'node-role.kubernetes.io/worker': '' } } })];
    expect(await labelNodeRoles(api, plan, seen)).toBe(true);
    expect(patched).toEqual([{ path: '/api/v1/nodes/h3', body: { metadata: { labels: { 'node-role.kubernetes.io/worker': '' } } } }]);
    patched.length = 0;
    expect(await labelNodeRoles(api, plan)).toBe(true);
    expect(patched.map((p) => p.path).sort()).toEqual(['/api/v1/nodes/h1', '/api/v1/nodes/h2', '/api/v1/nodes/h3']);
    expect(patched.find((p) => p.path.endsWith('h1'))!.body).toEqual({ metadata: { labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' } } });
    expect(most).toBe(3);
    patched.length = 0;
    const all = ['h1', 'h2', 'h3'].map((n) => nodeReport({ metadata: { name: n, labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } } }));
    expect(await labelNodeRoles(api, plan, all)).toBe(false);
    expect(patched).toEqual([]);
  });

  it('reads roles from node-role labels', () => {
    expect(nodeReport({ metadata: { name: 'x', labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } } }).roles).toEqual(['control-plane', 'worker']);
  });
});

describe('journalExcerpt', () => {
  it('keeps error lines that scrolled out of the last lines', async () => {
    const { journalExcerpt } = await import('../../../src/verify/units.js');
    const journal = ['kubelet[1]: Error: unknown flag: --network-plugin', ...Array.from({ length: 30 }, (_, i) => `kubelet[1]: I1201 00:00:0${i % 10}.000000 1 x.go:1] "line ${i}"`)].join('\n');
    const out = journalExcerpt(journal, 10).split('\n');
    expect(out[0]).toBe('kubelet[1]: Error: unknown flag: --network-plugin');
    expect(out[1]).toBe('...');
    expect(out).toHaveLength(12);
    expect(journalExcerpt('a\nb\n', 10)).toBe('a\nb');
  });
});
