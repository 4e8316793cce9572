// RBAC objects kubeup creates through the API once the API server is up. The user names are the CNs of the
// certificates kubeup issues (src/pki/identities.ts must use the same names).
import { header } from './text.js';

/** CN of the apiserver-kubelet-client certificate the API server presents to kubelets. */
export const APISERVER_KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';
/** CN of the flannel certificate. */
export const FLANNEL_USER = 'system:flannel';
/** O of the admin certificate (kubeadm 1.29+, cmd/kubeadm/app/constants: ClusterAdminsGroupAndClusterRoleBinding). */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';
/** Deleting this one binding revokes every admin certificate kubeup issued (README, "Revoking the admin kubeconfig"). */
export const CLUSTER_ADMINS_BINDING = CLUSTER_ADMINS_GROUP;

export interface RbacObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole' | 'ClusterRoleBinding';
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole'; name: string };
  subjects?: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'User' | 'Group'; name: string }[];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const LABELS = { 'app.kubernetes.io/managed-by': 'kubeup' };

function roleAndBinding(name: string, user: string, rules: NonNullable<RbacObject['rules']>): RbacObject[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: LABELS }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
}

/**
 * The cluster roles and bindings, ClusterRoles first, each kind sorted by name, so that the ClusterRole exists
 * before its binding is created. POST to /apis/rbac.authorization.k8s.io/v1/clusterroles (or clusterrolebindings);
 * on 409 Conflict, PUT the same object to .../<name>.
 */
export function renderRbacObjects(): RbacObject[] {
  const objects: RbacObject[] = [
    // `kubectl logs/exec/port-forward` and metrics: the API server calls kubelets with this identity.
    ...roleAndBinding('system:kube-apiserver-to-kubelet', APISERVER_KUBELET_CLIENT_USER, [
      { apiGroups: [''], resources: ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/spec', 'nodes/stats'], verbs: ['*'] },
    ]),
    // flanneld with --kube-subnet-mgr: reads nodes' podCIDRs, patches its own node's
    // annotations (VTEP MAC, public IP) and NetworkUnavailable condition.
    // The admin kubeconfig's group gets cluster-admin through RBAC, not system:masters, so it can be revoked.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: CLUSTER_ADMINS_BINDING, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: CLUSTER_ADMINS_GROUP }],
    },
    ...roleAndBinding('flannel', FLANNEL_USER, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
    ]),
  ];
  const rank = (o: RbacObject) => (o.kind === 'ClusterRole' ? 0 : 1);
  return objects.sort((a, b) => rank(a) - rank(b) || compare(a.metadata.name, b.metadata.name));
}

/** The same objects as one YAML-compatible JSON List, for `kubeup render` and the dry-run. */
export function renderRbacManifest(profile: string): string {
  return `${header(profile)}\n${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: renderRbacObjects() }, null, 2)}\n`;
}
