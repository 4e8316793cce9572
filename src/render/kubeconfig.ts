// Component kubeconfigs. They point at certificate and key FILES, so they hold no secrets themselves.
import type { ClusterPlan } from '../plan/types.js';
import { CA_CERT, certPath, keyPath, kubeconfigPath, type KubeconfigComponent } from './paths.js';
import { stableYaml } from './text.js';
import { MODE_PRIVATE, ROOT, type RenderContext, type RenderedFile } from './types.js';
import type { Daemon } from './units.js';
import { unitName } from './units.js';

/** Which certificate identity each component presents, and which unit reads the kubeconfig. */
export const KUBECONFIG_USERS: Record<KubeconfigComponent, { identity: string; daemon: Daemon }> = {
  flannel: { identity: 'flannel', daemon: 'flanneld' },
  'kube-controller-manager': { identity: 'kube-controller-manager', daemon: 'kube-controller-manager' },
  'kube-proxy': { identity: 'kube-proxy', daemon: 'kube-proxy' },
  'kube-scheduler': { identity: 'kube-scheduler', daemon: 'kube-scheduler' },
  kubelet: { identity: 'kubelet', daemon: 'kubelet' },
};

/** Control-plane components reach the API server on loopback; node components through the master's address. */
const ON_MASTER: ReadonlySet<KubeconfigComponent> = new Set(['kube-controller-manager', 'kube-scheduler']);

export function kubeconfigServer(cluster: ClusterPlan, component: KubeconfigComponent): string {
  return ON_MASTER.has(component) ? cluster.apiServer.localUrl : cluster.apiServer.url;
}

export function kubeconfigDocument(cluster: ClusterPlan, component: KubeconfigComponent): Record<string, unknown> {
  const { identity } = KUBECONFIG_USERS[component];
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster.name, cluster: { 'certificate-authority': CA_CERT, server: kubeconfigServer(cluster, component) } }],
    contexts: [{ name: 'default', context: { cluster: cluster.name, user: component } }],
    'current-context': 'default',
    users: [{ name: component, user: { 'client-certificate': certPath(identity), 'client-key': keyPath(identity) } }],
  };
}

export function renderKubeconfig(ctx: RenderContext, component: KubeconfigComponent): RenderedFile {
  return {
    path: kubeconfigPath(component),
    mode: MODE_PRIVATE,
    owner: ROOT,
    content: stableYaml(ctx.cluster.name, kubeconfigDocument(ctx.cluster, component)),
    restarts: [unitName(KUBECONFIG_USERS[component].daemon)],
  };
}

/** The kubeconfigs of the components a host runs: controller manager and scheduler on a master, the rest on workers. */
export function renderKubeconfigs(ctx: RenderContext): RenderedFile[] {
  const components = (Object.keys(KUBECONFIG_USERS) as KubeconfigComponent[]).filter((c) =>
    ctx.host.roles.includes(ON_MASTER.has(c) ? 'master' : 'worker'),
  );
  return components.map((c) => renderKubeconfig(ctx, c));
}
