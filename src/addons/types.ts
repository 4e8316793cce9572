// The Kubernetes objects kubeup applies for its add-ons, as plain data. Every object names its API path so that
// apply and delete need no discovery.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface AddonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** kind -> plural resource name, for the kinds kubeup applies. */
const RESOURCES: Record<string, string> = {
  ServiceAccount: 'serviceaccounts',
  ConfigMap: 'configmaps',
  Service: 'services',
  Deployment: 'deployments',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
};

/** The object's own URL path, e.g. /apis/apps/v1/namespaces/kube-system/deployments/coredns. */
export function objectPath(obj: AddonObject): string {
  const resource = RESOURCES[obj.kind];
  if (!resource) throw new Error(`kubeup has no API path for kind ${obj.kind}`);
  const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = obj.metadata.namespace ? `/namespaces/${encodeURIComponent(obj.metadata.namespace)}` : '';
  return `${prefix}${ns}/${resource}/${encodeURIComponent(obj.metadata.name)}`;
}

/** `Deployment kube-system/coredns`, `ClusterRole system:coredns`: how messages name an object. */
export function objectLabel(obj: Pick<AddonObject, 'kind' | 'metadata'>): string {
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}
