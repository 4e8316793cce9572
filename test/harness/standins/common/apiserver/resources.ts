/** The API resources the stand-in API server serves, with their discovery data and etcd key prefixes. */

export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  /** plural, e.g. nodes */
  readonly name: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs: readonly string[];
  /** e.g. status */
  readonly subresources: readonly string[];
  /** etcd key prefix under /registry (the real server's layout: nodes live under /registry/minions) */
  readonly storage: string;
  /** Only computed on read (componentstatuses), never stored. */
  readonly virtual?: boolean;
}

const all = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function r(def: Omit<ResourceDef, 'verbs' | 'subresources'> & { verbs?: readonly string[]; subresources?: readonly string[] }): ResourceDef {
  return { verbs: all, subresources: [], ...def };
}

export const resources: readonly ResourceDef[] = [
  r({ group: '', version: 'v1', name: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status'], storage: 'minions' }),
  r({ group: '', version: 'v1', name: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], subresources: ['status'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], storage: 'namespaces' }),
  r({ group: '', version: 'v1', name: 'componentstatuses', singular: 'componentstatus', kind: 'ComponentStatus', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'], storage: '', virtual: true }),
  r({ group: '', version: 'v1', name: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], storage: 'services/specs' }),
  r({ group: '', version: 'v1', name: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], storage: 'services/endpoints' }),
  r({ group: '', version: 'v1', name: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'], subresources: ['token'], storage: 'serviceaccounts' }),
  r({ group: '', version: 'v1', name: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], storage: 'configmaps' }),
  r({ group: '', version: 'v1', name: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, storage: 'secrets' }),
  r({ group: '', version: 'v1', name: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], storage: 'events' }),
  r({ group: '', version: 'v1', name: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction'], storage: 'pods' }),
  r({ group: 'apps', version: 'v1', name: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status'], storage: 'deployments' }),
  r({ group: 'coordination.k8s.io', version: 'v1', name: 'leases', singular: 'lease', kind: 'Lease', namespaced: true, storage: 'leases' }),
  r({ group: 'discovery.k8s.io', version: 'v1', name: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, storage: 'endpointslices' }),
  r({ group: 'rbac.authorization.k8s.io', version: 'v1', name: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, storage: 'clusterroles' }),
  r({ group: 'rbac.authorization.k8s.io', version: 'v1', name: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false, storage: 'clusterrolebindings' }),
  r({ group: 'rbac.authorization.k8s.io', version: 'v1', name: 'roles', singular: 'role', kind: 'Role', namespaced: true, storage: 'roles' }),
  r({ group: 'rbac.authorization.k8s.io', version: 'v1', name: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true, storage: 'rolebindings' }),
  r({ group: 'certificates.k8s.io', version: 'v1', name: 'certificatesigningrequests', singular: 'certificatesigningrequest', kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'], subresources: ['approval', 'status'], storage: 'certificatesigningrequests' }),
];

export function findResource(group: string, version: string, name: string): ResourceDef | undefined {
  return resources.find((d) => d.group === group && d.version === version && d.name === name);
}

/** Groups in the order the real server lists them (core is served under /api, not /apis). */
export function apiGroups(): { name: string; version: string }[] {
  const seen = new Map<string, string>();
  for (const d of resources) if (d.group !== '' && !seen.has(d.group)) seen.set(d.group, d.version);
  return [...seen.entries()].map(([name, version]) => ({ name, version }));
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}
