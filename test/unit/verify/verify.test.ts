import { describe, expect, it } from 'vitest';
import { FakeSession } from '../../../src/ssh/fake.js';
import { VerifyError, ValidationError } from '../../../src/errors.js';
import { verifyUnits, waitForFlannelSubnet } from '../../../src/verify/units.js';
import { listeningPorts, parseProbe } from '../../../src/verify/preflight.js';
import { waitNodesReady, nodeReport } from '../../../src/verify/validate-cluster.js';
import type { ApiClient } from '../../../src/verify/api-client.js';

/** A clock that sleeps instantly, so bounded waits run in no time. */
function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

/** The snapshot script's output: host uptime (s), then `systemctl show` blocks for [name, state, since (s)]. */
const show = (uptime: number, ...units: [string, string, number][]) => ({
  stdout: `${uptime}\n` + units.map(([id, state, since]) => `Id=${id}\nActiveState=${state}\nActiveEnterTimestampMonotonic=${since * 1e6}\n`).join('\n'),
});
const SNAPSHOT = /^sh -c .*systemctl show -p Id,ActiveState,ActiveEnterTimestampMonotonic.* sh etcd\.service kubelet\.service$/;

describe('verifyUnits', () => {
  it('passes at once when every unit has been active for a while (a re-run)', async () => {
    const s = new FakeSession().on(SNAPSHOT, show(500, ['etcd.service', 'active', 100], ['kubelet.service', 'active', 120]));
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], fakeClock());
    expect(s.commands()).toHaveLength(1);
  });

  it('waits while units are activating or just started', async () => {
    const replies = [
      show(10, ['etcd.service', 'activating', 0], ['kubelet.service', 'active', 5]),
      show(11, ['etcd.service', 'active', 10.5], ['kubelet.service', 'active', 5]),
      show(14, ['etcd.service', 'active', 10.5], ['kubelet.service', 'active', 5]),
    ];
    const s = new FakeSession().on(SNAPSHOT, () => replies.shift()!);
    await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), intervalMs: 1000, timeoutMs: 10_000 });
    expect(s.commands()).toHaveLength(3);
  });

  it('does not take a unit that keeps restarting for a running one', async () => {
    let t = 100;
    const s = new FakeSession()
      .on(SNAPSHOT, () => ((t += 2), show(t, ['etcd.service', 'active', 1], ['kubelet.service', 'active', t - 0.5])))
      .on(/journalctl -u kubelet.service/, { stdout: 'kubelet[9]: Error: unknown flag: --network-plugin\n' });
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), intervalMs: 2000, timeoutMs: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect(err.message).toMatch(/kubelet\.service is restarting again and again after 10 s/);
    expect(err.message).not.toMatch(/etcd/);
  });

  it('fails after the time limit with the failed unit and its journal lines', async () => {
    const s = new FakeSession()
      .on(SNAPSHOT, show(100, ['etcd.service', 'active', 1], ['kubelet.service', 'failed', 0]))
      .on(['journalctl', '-u', 'kubelet.service', '-n', '300', '--no-pager', '-o', 'short-iso'], { stdout: 'kubelet[42]: E unknown flag: --network-plugin\n' });
    const err = await verifyUnits(s, ['etcd.service', 'kubelet.service'], { ...fakeClock(), intervalMs: 2000, timeoutMs: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(VerifyError);
    expect(err.message).toMatch(/kubelet\.service is failed after 10 s/);
    expect(err.message).toContain('unknown flag: --network-plugin');
    expect(err.host).toBe('root@fake:22');
    // t = 0, 2, 4, 6, 8, 10 s: six looks within the 10 s limit.
    expect(s.commands().filter((c) => c.includes('systemctl show')).length).toBe(6);
  });
});

describe('waitForFlannelSubnet', () => {
  it('waits for subnet.env while flanneld restarts, then returns the subnet', async () => {
    const files = [{ code: 1, stderr: 'No such file' }, { stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n' }];
    const s = new FakeSession()
      .on(['cat', '/run/flannel/subnet.env'], () => files.shift()!)
      .on(['systemctl', 'is-active', 'flanneld.service'], { stdout: 'active\n' });
    expect(await waitForFlannelSubnet(s, fakeClock())).toBe('10.244.1.1/24');
  });

  it('fails with the journal when no subnet comes', async () => {
    const s = new FakeSession()
      .on(['cat', '/run/flannel/subnet.env'], { code: 1 })
      .on(/journalctl -u flanneld.service/, { stdout: 'E pod cidr not assigned\n' });
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

  it('reads roles from node-role labels', () => {
    expect(nodeReport({ metadata: { name: 'x', labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } } }).roles).toEqual(['control-plane', 'worker']);
  });
});

describe('journalExcerpt', () => {
  it('keeps error lines that scrolled out of the last lines', async () => {
    const { journalExcerpt } = await import('../../../src/verify/units.js');
    const journal = ['kubelet[1]: Error: unknown flag: --network-plugin', ...Array.from({ length: 30 }, (_, i) => `kubelet[1]:       --flag-${i} string`)].join('\n');
    const out = journalExcerpt(journal, 10).split('\n');
    expect(out[0]).toBe('kubelet[1]: Error: unknown flag: --network-plugin');
    expect(out[1]).toBe('...');
    expect(out).toHaveLength(12);
    expect(journalExcerpt('a\nb\n', 10)).toBe('a\nb');
  });
});
