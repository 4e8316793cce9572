import { describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from '../../../src/verify/api-client.js';
import { classifyPods, drainNode } from '../../../src/verify/drain.js';
import { findRemovalTarget } from '../../../src/tasks/remove-node.js';
import { requireValidProfile } from '../../../src/profile/validate.js';

type Pod = Parameters<typeof classifyPods>[0][number];
const pod = (name: string, extra: Partial<Pod['metadata']> = {}, phase = 'Running'): Pod => ({ metadata: { name, namespace: 'default', uid: `uid-${name}`, ...extra }, status: { phase } });
const rs = { kind: 'ReplicaSet', name: 'web-1', controller: true };
const ds = { kind: 'DaemonSet', name: 'agent', controller: true };

/** An API that answers like the real one for the calls drain makes, and records them. */
function fakeApi(pods: Pod[], evictReplies: number[] = [], graceful = false) {
  const calls: string[] = [];
  const live = new Map(pods.map((p) => [p.metadata.name, p]));
  const api = {
    async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
      calls.push(`${method} ${path}${body ? ` ${JSON.stringify(body)}` : ''}`);
      const reply = (status: number, b: unknown = {}) => ({ status, body: b, text: JSON.stringify(b) });
      if (method === 'PATCH' && path.startsWith('/api/v1/nodes/')) return reply(path.endsWith('/gone') ? 404 : 200);
      if (method === 'GET' && path.startsWith('/api/v1/pods?')) return reply(200, { items: [...live.values()] });
      const m = /\/namespaces\/default\/pods\/([^/]+)(\/eviction)?$/.exec(path);
      if (m && method === 'POST') {
        const status = evictReplies.shift() ?? 201;
        // graceful: the pod stays (terminating) until its kubelet confirms, which a dead node never does.
        if (status === 201 && !graceful) live.delete(m[1]!);
        return reply(status);
      }
      if (m && method === 'GET') return live.has(m[1]!) ? reply(200, live.get(m[1]!)) : reply(404);
      throw new Error(`unexpected ${method} ${path}`);
    },
  } as unknown as ApiClient;
  return { api, calls };
}

const clock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

describe('drain', () => {
  it('skips mirror pods, ignores DaemonSet pods, refuses unmanaged pods unless forced (kubectl drain)', () => {
    const pods = [pod('web', { ownerReferences: [rs] }), pod('agent', { ownerReferences: [ds] }), pod('static', { annotations: { 'kubernetes.io/config.mirror': 'x' } }), pod('bare'), pod('done', {}, 'Succeeded')];
    const c = classifyPods(pods, { force: false, ignoreDaemonSets: true });
    expect(c.evict.map((p) => p.metadata.name)).toEqual(['web', 'done']);
    expect(c.ignored).toEqual(['default/agent (DaemonSet)', 'default/static (static pod)']);
    expect(c.refused).toEqual(['default/bare is not managed by a controller (use --force to delete it)']);
    expect(classifyPods(pods, { force: true, ignoreDaemonSets: false }).refused).toEqual(['default/agent is managed by DaemonSet agent (use --ignore-daemonsets)']);
  });

  it('cordons, evicts through policy/v1 with the grace period, waits until the pods are gone', async () => {
    const { api, calls } = fakeApi([pod('web', { ownerReferences: [rs] })]);
    const r = await drainNode(api, 'n1', { force: false, ignoreDaemonSets: true, timeoutMs: 30_000, gracePeriodSeconds: 5, waitForDelete: true, ...clock() });
    expect(r).toEqual({ noNode: false, evicted: ['default/web'], ignored: [], remaining: [] });
    expect(calls[0]).toBe('PATCH /api/v1/nodes/n1 {"spec":{"unschedulable":true}}');
    expect(calls).toContain('POST /api/v1/namespaces/default/pods/web/eviction {"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web","namespace":"default"},"deleteOptions":{"gracePeriodSeconds":5}}');
  });

  it('retries an eviction a disruption budget refuses (429), and gives up at the timeout', async () => {
    const ok = fakeApi([pod('web', { ownerReferences: [rs] })], [429, 429]);
    expect((await drainNode(ok.api, 'n1', { force: false, ignoreDaemonSets: true, timeoutMs: 60_000, waitForDelete: true, ...clock() })).evicted).toEqual(['default/web']);
    expect(ok.calls.filter((c) => c.includes('/eviction'))).toHaveLength(3);
    const never = fakeApi([pod('web', { ownerReferences: [rs] })], Array(100).fill(429));
    await expect(drainNode(never.api, 'n1', { force: false, ignoreDaemonSets: true, timeoutMs: 20_000, waitForDelete: true, ...clock() })).rejects.toThrow(/cannot evict pod default\/web within 20 s/);
  });

  it('pods that never go: a bounded wait on a live node; on a dead node (no wait) they are reported', async () => {
    const live = fakeApi([pod('web', { ownerReferences: [rs] })], [], true);
    await expect(drainNode(live.api, 'n1', { force: false, ignoreDaemonSets: true, timeoutMs: 10_000, waitForDelete: true, ...clock() })).rejects.toThrow(/drain of node n1 timed out after 10 s; still there: default\/web/);
    const dead = fakeApi([pod('web', { ownerReferences: [rs] })], [], true);
    expect(await drainNode(dead.api, 'n1', { force: false, ignoreDaemonSets: true, timeoutMs: 10_000, waitForDelete: false, ...clock() })).toMatchObject({ evicted: ['default/web'], remaining: ['default/web'] });
  });

  it('a node the API does not have: nothing to drain', async () => {
    const { api } = fakeApi([]);
    expect(await drainNode(api, 'gone', { force: false, ignoreDaemonSets: true, timeoutMs: 1000, waitForDelete: true, ...clock() })).toMatchObject({ noNode: true });
  });
});

describe('findRemovalTarget', () => {
  const profile = requireValidProfile({ name: 'lab', hosts: [{ address: '10.0.0.1', roles: 'ai', nodeName: 'm' }, { address: '10.0.0.2', roles: 'i', nodeName: 'w' }] }, 'test');
  it('finds a host by address or node name; refuses the control plane and says what it would take', () => {
    expect(findRemovalTarget(profile, undefined, 'w')).toMatchObject({ id: '10.0.0.2', nodeName: 'w', inProfile: true });
    expect(findRemovalTarget(profile, undefined, '10.0.0.2').id).toBe('10.0.0.2');
    expect(() => findRemovalTarget(profile, undefined, 'm')).toThrow(/control-plane host of lab: remove-node cannot remove it/);
    expect(() => findRemovalTarget(profile, undefined, 'nope')).toThrow(/no host nope/);
  });
});
