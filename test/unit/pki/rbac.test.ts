import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { clusterIdentities } from '../../../src/pki/identities.js';
import { rbacManifests } from '../../../src/pki/rbac.js';
import { threeHostInput } from './helpers.js';

describe('rbacManifests', () => {
  const docs = parseAllDocuments(rbacManifests()).map((d) => d.toJS());
  const cn = (name: string) => clusterIdentities(threeHostInput()).find((i) => i.name === name)!.cn;

  it('binds the API server\'s kubelet client user to system:kubelet-api-admin', () => {
    const binding = docs.find((d) => d.metadata.name === 'kubeup:apiserver-kubelet-client');
    expect(binding).toMatchObject({
      kind: 'ClusterRoleBinding',
      roleRef: { kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
      subjects: [{ kind: 'User', name: cn('apiserver-kubelet-client') }],
    });
  });

  it('gives flannel\'s user a role to read pods and nodes and patch node status', () => {
    const binding = docs.find((d) => d.kind === 'ClusterRoleBinding' && d.metadata.name === 'kubeup:flannel');
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: cn('flannel') }]);
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === binding.roleRef.name);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
    ]);
  });

  it('gives the admin no binding: system:masters already has every right', () => {
    expect(docs.flatMap((d) => d.subjects ?? []).map((s: { name: string }) => s.name)).not.toContain(cn('admin'));
  });
});
