/**
 * The NodeRestriction admission plugin for what kubelets write (plugin/pkg/admission/noderestriction/admission.go,
 * release-1.34/1.35): a node may write only its own Node (any subresource) and its own Lease in kube-node-lease; it
 * may not register with, add, change or remove labels in the kubernetes.io / k8s.io namespaces other than the
 * kubelet's own (staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go) nor any node-restriction.kubernetes.io
 * label; and it may not change its taints after registering. Active only when --enable-admission-plugins lists it,
 * as in the real server (it is not on by default).
 */
import type { KubeObject } from '../client.js';
import type { UserInfo } from './authz.js';
import type { RequestInfo } from './request-info.js';

/** kubeletapis.KubeletLabels() */
export const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
/** kubeletapis.KubeletLabelNamespaces() */
export const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (ns: string, base: string): boolean => ns === base || ns.endsWith(`.${base}`);

export function isKubernetesLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
}

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((allowed) => inNamespace(ns, allowed));
}

/** Label keys added, removed or changed between two label maps. */
function modifiedLabels(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]);
}

function forbiddenLabels(keys: readonly string[]): string[] {
  return keys.filter((k) => inNamespace(labelNamespace(k), 'node-restriction.kubernetes.io') || (isKubernetesLabel(k) && !isKubeletLabel(k))).sort();
}

const labelsOf = (o: KubeObject | undefined): Record<string, string> => (o?.metadata?.labels ?? {}) as Record<string, string>;
const taintsOf = (o: KubeObject | undefined): string => JSON.stringify(((o as { spec?: { taints?: unknown } } | undefined)?.spec?.taints ?? []) as unknown);

export interface AdmissionRequest {
  user: UserInfo;
  info: RequestInfo;
  /** The object as it would be stored (create, update, patch); undefined for delete. */
  object?: KubeObject;
  /** The stored object (update, patch, delete). */
  old?: KubeObject;
}

/** Why NodeRestriction refuses the request (the text after `... is forbidden: `), or null. */
export function nodeRestriction(req: AdmissionRequest): string | null {
  const { user, info, object, old } = req;
  if (!user.name.startsWith('system:node:') || !user.groups.includes('system:nodes')) return null;
  const nodeName = user.name.slice('system:node:'.length);
  const name = info.verb === 'create' ? (object?.metadata?.name ?? '') : info.name;
  if (info.apiGroup === '' && info.resource === 'nodes') {
    if (name !== nodeName) return `node "${nodeName}" is not allowed to modify node "${name}"`;
    if (info.verb === 'create') {
      const bad = forbiddenLabels(Object.keys(labelsOf(object)));
      return bad.length > 0 ? `node "${nodeName}" is not allowed to set the following labels: ${bad.join(', ')}` : null;
    }
    if ((info.verb === 'update' || info.verb === 'patch') && object && old) {
      if (taintsOf(object) !== taintsOf(old)) return `node "${nodeName}" is not allowed to modify taints`;
      const bad = forbiddenLabels(modifiedLabels(labelsOf(object), labelsOf(old)));
      if (bad.length > 0) return `is not allowed to modify labels: ${bad.join(', ')}`;
    }
    return null;
  }
  if (info.apiGroup === 'coordination.k8s.io' && info.resource === 'leases') {
    if (info.namespace !== 'kube-node-lease') return 'can only access leases in the "kube-node-lease" system namespace';
    if (name !== nodeName) return 'can only access node lease with the same name as the requesting node';
  }
  return null;
}
