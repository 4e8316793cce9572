// The API server stand-in's NodeRestriction admission, as a pure function (the control-plane suite drives it over HTTPS).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../harness/standins/common/client.js';
import { isKubeletLabel, nodeRestriction } from '../../harness/standins/common/apiserver/node-restriction.js';
import type { RequestInfo } from '../../harness/standins/common/apiserver/request-info.js';

const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const req = (verb: string, resource: string, name: string, extra: Partial<RequestInfo> = {}): RequestInfo =>
  ({ isResourceRequest: true, verb, apiGroup: resource === 'leases' ? 'coordination.k8s.io' : '', resource, subresource: '', namespace: resource === 'leases' ? 'kube-node-lease' : '', name, path: '', ...extra }) as RequestInfo;
const obj = (name: string, labels: Record<string, string> = {}, taints?: unknown[]): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, ...(taints && { spec: { taints } }) }) as KubeObject;

describe('NodeRestriction (stand-in)', () => {
  it('lets a node register with the kubelet\'s own labels and any outside kubernetes.io, and refuses the others', () => {
    expect(nodeRestriction({ user: node, info: req('create', 'nodes', ''), object: obj('n1', { 'kubernetes.io/hostname': 'n1', 'node.kubernetes.io/instance-type': 'x', 'example.com/a': 'b' }) })).toBeNull();
    expect(nodeRestriction({ user: node, info: req('create', 'nodes', ''), object: obj('n1', { 'node-role.kubernetes.io/worker': '', 'node-restriction.kubernetes.io/pool': 'a', 'x.k8s.io/y': 'z' }) })).toBe(
      'node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/pool, node-role.kubernetes.io/worker, x.k8s.io/y',
    );
    expect(nodeRestriction({ user: node, info: req('create', 'nodes', ''), object: obj('n2') })).toBe('node "n1" is not allowed to modify node "n2"');
  });

  it('refuses changes to restricted labels (also removing one an admin set) and to taints; other users are not its business', () => {
    const old = obj('n1', { 'node-role.kubernetes.io/worker': '' }, [{ key: 'a', effect: 'NoSchedule' }]);
    expect(nodeRestriction({ user: node, info: req('patch', 'nodes', 'n1'), object: obj('n1', {}, [{ key: 'a', effect: 'NoSchedule' }]), old })).toBe('is not allowed to modify labels: node-role.kubernetes.io/worker');
    expect(nodeRestriction({ user: node, info: req('update', 'nodes', 'n1', { subresource: 'status' }), object: obj('n1', old.metadata.labels as Record<string, string>), old })).toBe('node "n1" is not allowed to modify taints');
    expect(nodeRestriction({ user: node, info: req('patch', 'nodes', 'n1'), object: old, old })).toBeNull();
    expect(nodeRestriction({ user: { name: 'admin', groups: ['kubeadm:cluster-admins'] }, info: req('patch', 'nodes', 'n2'), object: obj('n2', { 'node-role.kubernetes.io/x': '' }), old: obj('n2') })).toBeNull();
  });

  it('keeps a node to its own Lease in kube-node-lease', () => {
    expect(nodeRestriction({ user: node, info: req('update', 'leases', 'n1') })).toBeNull();
    expect(nodeRestriction({ user: node, info: req('delete', 'leases', 'n2') })).toBe('can only access node lease with the same name as the requesting node');
    expect(nodeRestriction({ user: node, info: req('create', 'leases', '', { namespace: 'default' }), object: obj('n1') })).toBe('can only access leases in the "kube-node-lease" system namespace');
  });

  it('knows the kubelet label namespaces', () => {
    expect(['kubelet.kubernetes.io/x', 'foo.node.kubernetes.io/y', 'topology.kubernetes.io/zone'].every(isKubeletLabel)).toBe(true);
    expect(['kubernetes.io/role', 'node-role.kubernetes.io/master'].some(isKubeletLabel)).toBe(false);
  });
});
