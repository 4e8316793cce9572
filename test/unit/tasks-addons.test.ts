// The add-ons phase against a recording fake API: every object applied server-side with kubeup's field manager and
// strict validation, in order; with DNS turned off, only the objects kubeup applied are deleted, last first.
import { describe, expect, it } from 'vitest';
import { assumedFacts, buildPlan } from '../../src/plan/index.js';
import { validateProfile } from '../../src/profile/validate.js';
import { addonsTitle, applyPlanAddons } from '../../src/tasks/addons.js';
import type { ApiClient } from '../../src/verify/api-client.js';
import { ApiClient as RealApiClient } from '../../src/verify/api-client.js';

function plan(dns: Record<string, unknown> = {}) {
  const p = validateProfile({ name: 'lab', hosts: [{ address: '192.168.213.11', roles: 'ai' }], addons: { dns } }).profile!;
  return buildPlan(p, assumedFacts(p));
}

/** Stores objects by path; a PATCH apply bumps the resourceVersion only when the body differs. */
function fakeApi(existing: Record<string, unknown> = {}) {
  const store = new Map<string, { rv: number; body: string; obj: unknown }>(Object.entries(existing).map(([k, v]) => [k, { rv: 1, body: '', obj: v }]));
  const calls: string[] = [];
  const api = Object.create(RealApiClient.prototype) as ApiClient;
  Object.assign(api, {
    request: async (method: string, path: string, body?: unknown, contentType?: string) => {
      calls.push(`${method} ${path}${contentType && contentType !== 'application/json' ? ` (${contentType})` : ''}`);
      const [p] = path.split('?') as [string];
      const cur = store.get(p);
      if (method === 'GET') return cur ? { status: 200, body: { metadata: { ...(cur.obj as { metadata: object }).metadata, resourceVersion: String(cur.rv) } }, text: '' } : { status: 404, body: {}, text: '' };
      if (method === 'DELETE') return cur ? (store.delete(p), { status: 200, body: {}, text: '' }) : { status: 404, body: {}, text: '' };
      const text = JSON.stringify(body);
      const rv = cur ? (cur.body === text ? cur.rv : cur.rv + 1) : 1;
      store.set(p, { rv, body: text, obj: { metadata: { managedFields: [{ manager: 'kubeup', operation: 'Apply' }] } } });
      return { status: cur ? 200 : 201, body: { metadata: { resourceVersion: String(rv) } }, text: '' };
    },
  });
  return { api, calls, store };
}

describe('add-ons phase', () => {
  it('applies every CoreDNS object server-side, strict, as kubeup; a second run reports nothing changed', async () => {
    const { api, calls } = fakeApi();
    const first = await applyPlanAddons(api, plan());
    expect(first.changes).toHaveLength(6);
    expect(calls.filter((c) => c.startsWith('PATCH'))).toEqual([
      'PATCH /api/v1/namespaces/kube-system/serviceaccounts/coredns?fieldManager=kubeup&fieldValidation=Strict&force=true (application/apply-patch+yaml)',
      'PATCH /apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acoredns?fieldManager=kubeup&fieldValidation=Strict&force=true (application/apply-patch+yaml)',
      'PATCH /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system%3Acoredns?fieldManager=kubeup&fieldValidation=Strict&force=true (application/apply-patch+yaml)',
      'PATCH /api/v1/namespaces/kube-system/configmaps/coredns?fieldManager=kubeup&fieldValidation=Strict&force=true (application/apply-patch+yaml)',
      'PATCH /apis/apps/v1/namespaces/kube-system/deployments/coredns?fieldManager=kubeup&fieldValidation=Strict&force=true (application/apply-patch+yaml)',
      'PATCH /api/v1/namespaces/kube-system/services/kube-dns?fieldManager=kubeup&fieldValidation=Strict&force=true (application/apply-patch+yaml)',
    ]);
    const again = await applyPlanAddons(api, plan());
    expect(again).toEqual({ changes: [], unchanged: 6, removed: [] });
    expect(addonsTitle(plan(), again)).toBe('Cluster add-ons: CoreDNS v1.13.1 at 10.96.0.10: up to date, nothing changed');
    const scaled = await applyPlanAddons(api, plan({ replicas: 3 }));
    expect(scaled.changes).toEqual(['Deployment kube-system/coredns updated']);
  });

  it('with DNS turned off, deletes only what kubeup applied, the Service first', async () => {
    const { api, store } = fakeApi({ '/api/v1/namespaces/kube-system/configmaps/coredns': { metadata: { managedFields: [{ manager: 'ops', operation: 'Update' }] } } });
    await applyPlanAddons(api, plan());
    store.set('/api/v1/namespaces/kube-system/configmaps/coredns', { rv: 9, body: '', obj: { metadata: { managedFields: [{ manager: 'ops', operation: 'Update' }] } } });
    const off = await applyPlanAddons(api, plan({ enabled: false }));
    expect(off.removed).toEqual(['Service kube-system/kube-dns', 'Deployment kube-system/coredns', 'ClusterRoleBinding system:coredns', 'ClusterRole system:coredns', 'ServiceAccount kube-system/coredns']);
    expect(store.has('/api/v1/namespaces/kube-system/configmaps/coredns')).toBe(true);
    expect(addonsTitle(plan({ enabled: false }), off)).toMatch(/^Cluster add-ons: CoreDNS is off, removed Service kube-system\/kube-dns, /);
  });
});
