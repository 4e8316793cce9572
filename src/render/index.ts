// renderHost: every file kubeup writes on one host, sorted by path. Pure: the plan in, text out.
import { InternalError } from '../errors.js';
import type { ClusterPlan, HostTarget, RenderedFile } from '../plan/types.js';
import { renderCni } from './cni.js';
import { renderContainerd } from './containerd.js';
import { renderEtcd } from './etcd.js';
import { renderFlannel } from './flannel.js';
import { renderKubeApiserver } from './kube-apiserver.js';
import { renderKubeControllerManager } from './kube-controller-manager.js';
import { renderKubeProxy } from './kube-proxy.js';
import { renderKubeScheduler } from './kube-scheduler.js';
import { renderKubeconfigs } from './kubeconfig.js';
import { renderKubelet } from './kubelet.js';
import type { RenderContext } from './types.js';
import { renderWaitScript } from './wait-ready.js';

export type { RenderContext, RenderedFile } from './types.js';

const renderMaster = (ctx: RenderContext): RenderedFile[] => [
  ...renderEtcd(ctx),
  ...renderKubeApiserver(ctx),
  ...renderKubeControllerManager(ctx),
  ...renderKubeScheduler(ctx),
];

const renderWorker = (ctx: RenderContext): RenderedFile[] => [
  ...renderContainerd(ctx),
  ...renderCni(ctx),
  ...renderFlannel(ctx),
  ...renderKubelet(ctx),
  ...renderKubeProxy(ctx),
];

export function renderHost(plan: { cluster: ClusterPlan }, host: HostTarget): RenderedFile[] {
  const ctx: RenderContext = { cluster: plan.cluster, host };
  const files = [
    ...(host.roles.includes('master') ? renderMaster(ctx) : []),
    ...(host.roles.includes('worker') ? renderWorker(ctx) : []),
    ...renderKubeconfigs(ctx),
    renderWaitScript(ctx),
  ];
  const byPath = new Map<string, RenderedFile>();
  for (const f of files) {
    // Two roles on one host must never want the same file: that would be a bug in the renderers.
    if (byPath.has(f.path)) {
      throw new InternalError(`two components render the same file ${f.path}`, {
        host: host.id,
        file: f.path,
        hint: 'this is a bug in kubeup, please report it with your profile',
      });
    }
    byPath.set(f.path, f);
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
