/**
 * The parts of the real API server's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) that
 * the control plane and kube-proxy use here. Written into etcd at start-up if absent, so `kubectl get clusterroles`
 * shows them, and evaluated like any user-created role.
 */
import type { KubeObject } from '../client.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const read = ['get', 'list', 'watch'];
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});
const eventsRule = rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);

const bootstrapLabels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const autoupdate = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

function clusterRole(name: string, rules: PolicyRule[]): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: bootstrapLabels, annotations: autoupdate }, rules };
}

type Subject = { kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string };

function binding(name: string, role: string, subjects: Subject[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: bootstrapLabels, annotations: autoupdate },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: subjects.map((s) => (s.kind === 'ServiceAccount' ? s : { apiGroup: 'rbac.authorization.k8s.io', ...s })),
  };
}

const controllerSA = (name: string): Subject => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });

export const bootstrapClusterRoles: readonly KubeObject[] = [
  clusterRole('cluster-admin', [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ]),
  clusterRole('system:discovery', [
    { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] },
  ]),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('system:public-info-viewer', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }]),
  clusterRole('system:kube-controller-manager', [
    eventsRule,
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
    rule(['create'], [''], ['secrets', 'serviceaccounts']),
    rule(['delete'], [''], ['secrets']),
    rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
    rule(['update'], [''], ['secrets', 'serviceaccounts']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['create'], [''], ['serviceaccounts/token']),
  ]),
  clusterRole('system:kube-scheduler', [
    eventsRule,
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    rule(read, [''], ['nodes']),
    rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
    rule(['create'], [''], ['bindings', 'pods/binding']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(read, [''], ['replicationcontrollers', 'services']),
    rule(read, ['apps', 'extensions'], ['replicasets']),
    rule(read, ['apps'], ['statefulsets']),
    rule(read, ['policy'], ['poddisruptionbudgets']),
    rule(read, [''], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(read, ['storage.k8s.io'], ['csinodes']),
    rule(read, [''], ['namespaces']),
    rule(read, ['storage.k8s.io'], ['csidrivers', 'csistoragecapacities']),
  ]),
  clusterRole('system:node-proxier', [
    rule(['list', 'watch'], [''], ['services', 'endpoints']),
    rule(read, [''], ['nodes']),
    eventsRule,
    rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]),
  clusterRole('system:node', [
    rule(['create', 'delete', 'get', 'list', 'watch', 'patch', 'update'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status']),
    rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
    eventsRule,
  ]),
  clusterRole('system:controller:node-controller', [
    rule(['delete', 'get', 'list', 'patch', 'update'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(['delete', 'list'], [''], ['pods']),
    eventsRule,
  ]),
  clusterRole('system:controller:service-account-controller', [rule(['create'], [''], ['serviceaccounts']), eventsRule]),
];

export const bootstrapClusterRoleBindings: readonly KubeObject[] = [
  binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]),
  binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [
    { kind: 'Group', name: 'system:authenticated' },
    { kind: 'Group', name: 'system:unauthenticated' },
  ]),
  binding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }]),
  binding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler' }]),
  binding('system:node-proxier', 'system:node-proxier', [{ kind: 'User', name: 'system:kube-proxy' }]),
  // Like the real policy: no subjects; nodes are served by the Node authorizer.
  binding('system:node', 'system:node', []),
  binding('system:controller:node-controller', 'system:controller:node-controller', [controllerSA('node-controller')]),
  binding('system:controller:service-account-controller', 'system:controller:service-account-controller', [controllerSA('service-account-controller')]),
];

/**
 * Namespaced bootstrap policy (bootstrappolicy/namespace_policy.go): who may read the configmap with the client CAs
 * that delegated authentication looks up (kube-controller-manager and kube-scheduler at start).
 */
export const bootstrapNamespaceRoles: readonly KubeObject[] = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'extension-apiserver-authentication-reader', namespace: 'kube-system', labels: bootstrapLabels, annotations: autoupdate },
    rules: [rule(read, [''], ['configmaps'], ['extension-apiserver-authentication'])],
  },
];

export const bootstrapNamespaceRoleBindings: readonly KubeObject[] = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'system::extension-apiserver-authentication-reader', namespace: 'kube-system', labels: bootstrapLabels, annotations: autoupdate },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
    subjects: [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:kube-controller-manager' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:kube-scheduler' },
    ],
  },
];
