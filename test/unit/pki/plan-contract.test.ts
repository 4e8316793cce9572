// The plan, the renderer and the PKI name the same certificates: these tests fail when one of them drifts.
import { describe, expect, it } from 'vitest';
import { assumedFacts, buildPlan } from '../../../src/plan/build.js';
import { identityInputFromPlan } from '../../../src/pki/from-plan.js';
import { CA_NAMES, clusterIdentities, ENCRYPTION_CONFIG_NAME, SERVICE_ACCOUNT_KEY_NAME } from '../../../src/pki/identities.js';
import { readProfileFile } from '../../../src/profile/yaml.js';
import { renderRbacObjects } from '../../../src/render/rbac.js';

const profile = readProfileFile('profiles/three-hosts.yaml');
const plan = buildPlan(profile, assumedFacts(profile));
const identities = clusterIdentities(identityInputFromPlan(plan));
const byName = new Map(identities.map((i) => [i.name, i]));

describe('identities from a plan', () => {
  it('have one kubelet identity per worker, under the plan\'s node name', () => {
    expect(identities.filter((i) => i.name.startsWith('kubelet-')).map((i) => i.name)).toEqual(['kubelet-worker1', 'kubelet-worker2']);
    expect(byName.get('kubelet-worker2')!.sans).toEqual({ dns: ['worker2'], ip: ['10.0.10.22'] });
  });

  it('give the API server and etcd the SANs the plan expects', () => {
    const all = (name: string) => [...byName.get(name)!.sans.dns, ...byName.get(name)!.sans.ip].sort();
    expect(all('kube-apiserver')).toEqual([...plan.cluster.apiServerCertSans].sort());
    expect(all('etcd-server')).toEqual([...plan.cluster.etcdCertSans].sort());
  });

  it('cover every certificate a host plan installs', () => {
    const wanted = new Set(plan.hosts.flatMap((h) => h.certificates.map((c) => c.identity)));
    const missing = [...wanted].filter((name) => !(CA_NAMES as readonly string[]).includes(name) && name !== ENCRYPTION_CONFIG_NAME && name !== SERVICE_ACCOUNT_KEY_NAME && !byName.has(name));
    expect(missing).toEqual([]);
  });

  it('use the user and group names that the RBAC objects bind', () => {
    const cns = new Set(identities.map((i) => i.cn));
    const groups = new Set(identities.flatMap((i) => i.o ?? []));
    const subjects = renderRbacObjects().flatMap((o) => o.subjects ?? []);
    expect(subjects.filter((s) => s.kind === 'Group').map((s) => s.name)).toEqual(['kubeadm:cluster-admins']);
    for (const s of subjects) expect((s.kind === 'User' ? cns : groups).has(s.name), s.name).toBe(true);
  });
});
