// RBAC that two of the cluster's identities need beyond Kubernetes' built-in bindings. The others are covered by
// defaults: admin by the group system:masters, kubelets by the Node authorizer (--authorization-mode=Node,RBAC) and
// system:nodes, kube-controller-manager / kube-scheduler / kube-proxy by the system:* bindings of their user names.
import { stringify } from 'yaml';
import { APISERVER_KUBELET_CLIENT_USER, FLANNEL_USER } from './identities.js';

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** What flannel (kube subnet manager) reads and writes: its pod, nodes, and the node annotations of its lease. */
export const FLANNEL_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
];

const userSubject = (name: string) => [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }];

/**
 * Manifests to apply with the admin certificate once the API server is up:
 * - kube-apiserver -> kubelet calls (logs, exec, port-forward) as kube-apiserver-kubelet-client, bound to the built-in
 *   ClusterRole system:kubelet-api-admin;
 * - flannel as system:flannel, bound to the ClusterRole `kubeup:flannel`.
 */
export function rbacManifests(): string {
  const docs = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kubeup:flannel', labels: { 'app.kubernetes.io/managed-by': 'kubeup' } },
      rules: FLANNEL_RULES,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kubeup:apiserver-kubelet-client', labels: { 'app.kubernetes.io/managed-by': 'kubeup' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
      subjects: userSubject(APISERVER_KUBELET_CLIENT_USER),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kubeup:flannel', labels: { 'app.kubernetes.io/managed-by': 'kubeup' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeup:flannel' },
      subjects: userSubject(FLANNEL_USER),
    },
  ];
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
