/**
 * Authorization as the API server chains it: system:masters is a super-user group; then the modes of
 * --authorization-mode in order (AlwaysAllow, AlwaysDeny, Node, RBAC). The Node authorizer here is the graph-free
 * subset kubelets need: their own Node (+status), reading nodes, their own Lease in kube-node-lease, and the static
 * node rules (events, pods, services, reviews, CSRs).
 * RBAC evaluates every (Cluster)Role/(Cluster)RoleBinding in etcd: verbs, apiGroups, resources incl.
 * subresources, resourceNames, nonResourceURLs; subjects User, Group, ServiceAccount.
 */
import type { KubeObject } from '../client.js';
import type { PolicyRule } from './bootstrap-policy.js';
import type { RequestInfo } from './request-info.js';
import { qualified } from './status.js';

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
}

export interface RbacObjects {
  readonly clusterRoles: readonly KubeObject[];
  readonly clusterRoleBindings: readonly KubeObject[];
  readonly roles: readonly KubeObject[];
  readonly roleBindings: readonly KubeObject[];
}

export type Decision = 'allow' | 'deny' | 'no-opinion';

export const validModes = ['AlwaysAllow', 'AlwaysDeny', 'ABAC', 'Webhook', 'RBAC', 'Node'] as const;

function nodeAuthorizer(user: UserInfo, info: RequestInfo): Decision {
  if (!user.name.startsWith('system:node:') || !user.groups.includes('system:nodes')) return 'no-opinion';
  const nodeName = user.name.slice('system:node:'.length);
  if (!info.isResourceRequest || nodeName === '') return 'no-opinion';
  const { apiGroup: group, resource, subresource: sub, verb, name } = info;
  if (group === '' && resource === 'nodes') {
    if (['get', 'list', 'watch'].includes(verb) && sub === '') return 'allow';
    // As the real NodeRules: any Node; NodeRestriction admission (node-restriction.ts) limits a node to its own.
    if (['create', 'update', 'patch', 'delete'].includes(verb) && sub === '') return 'allow';
    if (['update', 'patch'].includes(verb) && sub === 'status') return 'allow';
    if (verb === 'get' && name === nodeName && sub === 'status') return 'allow';
    return 'no-opinion';
  }
  if (group === 'coordination.k8s.io' && resource === 'leases' && info.namespace === 'kube-node-lease') {
    if (verb === 'create') return 'allow';
    if (['get', 'update', 'patch', 'delete'].includes(verb) && name === nodeName) return 'allow';
    return 'no-opinion';
  }
  return nodeRules.some((r) => ruleAllows(r, info)) ? 'allow' : 'no-opinion';
}

/**
 * The static part of the real Node authorizer (bootstrappolicy.NodeRules) for what the stand-ins serve. Secrets,
 * configmaps and volumes, which the real one grants through its pod graph, are not granted here.
 */
const nodeRules: readonly PolicyRule[] = [
  { verbs: ['create', 'update', 'patch'], apiGroups: ['', 'events.k8s.io'], resources: ['events'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['services', 'endpoints'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
  { verbs: ['create', 'delete'], apiGroups: [''], resources: ['pods'] },
  { verbs: ['update', 'patch'], apiGroups: [''], resources: ['pods/status'] },
  { verbs: ['create'], apiGroups: [''], resources: ['pods/eviction'] },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'] },
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews', 'localsubjectaccessreviews'] },
  { verbs: ['create', 'get', 'list', 'watch'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'] },
];

function matches(list: readonly string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

export function ruleAllows(rule: PolicyRule, info: RequestInfo): boolean {
  if (!matches(rule.verbs, info.verb)) return false;
  if (!info.isResourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === info.path || (u.endsWith('*') && info.path.startsWith(u.slice(0, -1))));
  }
  if (!matches(rule.apiGroups, info.apiGroup)) return false;
  const combined = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const resources = rule.resources ?? [];
  const resourceOk = resources.some((r) => r === '*' || r === combined || (info.subresource !== '' && r === `*/${info.subresource}`));
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(info.name);
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return !!s.name && user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') return user.name === `system:serviceaccount:${s.namespace ?? bindingNamespace}:${s.name}`;
  return false;
}

export function rbacAllows(rbac: RbacObjects, user: UserInfo, info: RequestInfo): boolean {
  const clusterRole = (name: string): KubeObject | undefined => rbac.clusterRoles.find((r) => r.metadata.name === name);
  const rulesOf = (role: KubeObject | undefined): PolicyRule[] => ((role?.rules as PolicyRule[] | undefined) ?? []);
  const bound = (b: KubeObject, ns: string): boolean => ((b.subjects as Subject[] | null | undefined) ?? []).some((s) => subjectMatches(s, user, ns));
  for (const b of rbac.clusterRoleBindings) {
    const ref = b.roleRef as { kind?: string; name?: string } | undefined;
    if (ref?.kind !== 'ClusterRole' || !bound(b, '')) continue;
    if (rulesOf(clusterRole(ref.name ?? '')).some((r) => ruleAllows(r, info))) return true;
  }
  if (info.isResourceRequest && info.namespace !== '') {
    for (const b of rbac.roleBindings) {
      if (b.metadata.namespace !== info.namespace || !bound(b, info.namespace)) continue;
      const ref = b.roleRef as { kind?: string; name?: string } | undefined;
      const role = ref?.kind === 'Role'
        ? rbac.roles.find((r) => r.metadata.namespace === info.namespace && r.metadata.name === ref.name)
        : clusterRole(ref?.name ?? '');
      if (rulesOf(role).some((r) => ruleAllows(r, info))) return true;
    }
  }
  return false;
}

export async function authorize(modes: readonly string[], user: UserInfo, info: RequestInfo, loadRbac: () => Promise<RbacObjects>): Promise<boolean> {
  if (user.groups.includes('system:masters')) return true;
  for (const mode of modes) {
    if (mode === 'AlwaysAllow') return true;
    if (mode === 'AlwaysDeny') return false;
    if (mode === 'Node') {
      const d = nodeAuthorizer(user, info);
      if (d === 'allow') return true;
    }
    if (mode === 'RBAC' && rbacAllows(await loadRbac(), user, info)) return true;
  }
  return false;
}

/** The real `... is forbidden: User "x" cannot <verb> resource "<r>" in API group "<g>" ...` text. */
export function forbiddenMessage(user: UserInfo, info: RequestInfo, reason?: string): string {
  const tail = reason ? `: ${reason}` : '';
  if (!info.isResourceRequest) return `forbidden: User "${user.name}" cannot ${info.verb} path "${info.path}"${tail}`;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const scope = info.namespace !== '' ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  const what = `User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}" ${scope}${tail}`;
  const qr = qualified(info.resource, info.apiGroup);
  return info.name ? `${qr} "${info.name}" is forbidden: ${what}` : `${qr} is forbidden: ${what}`;
}
