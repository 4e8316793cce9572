// kube-scheduler. With --config, --kubeconfig is ignored (and deprecated): the kubeconfig goes in the config file.
import { KUBE_SCHEDULER_CONFIG, kubeconfigPath } from './paths.js';
import { stableYaml } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';
import { extraSettings, renderDaemonOptions, renderUnit, unitName, withFields } from './units.js';

export function kubeSchedulerFlags(_ctx: RenderContext): Record<string, string> {
  const kubeconfig = kubeconfigPath('kube-scheduler');
  return {
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'bind-address': '127.0.0.1',
    config: KUBE_SCHEDULER_CONFIG,
  };
}

export function renderKubeScheduler(ctx: RenderContext): RenderedFile[] {
  const unit = unitName('kube-scheduler');
  return [
    renderDaemonOptions(ctx, 'kube-scheduler', kubeSchedulerFlags(ctx), KUBE_SCHEDULER_CONFIG),
    {
      path: KUBE_SCHEDULER_CONFIG,
      mode: MODE_PUBLIC,
      owner: ROOT,
      content: stableYaml(ctx.cluster.name, withFields({
        apiVersion: 'kubescheduler.config.k8s.io/v1',
        kind: 'KubeSchedulerConfiguration',
        clientConnection: { kubeconfig: kubeconfigPath('kube-scheduler') },
        // CIS 1.4.1; with --config the --profiling flag is ignored, so it goes here.
        enableProfiling: false,
        leaderElection: { leaderElect: true },
      }, extraSettings(ctx, 'kube-scheduler').config)),
      restarts: [unit],
    },
    renderUnit(ctx, {
      daemon: 'kube-scheduler',
      description: 'Kubernetes scheduler',
      documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-scheduler/',
      after: [unitName('kube-apiserver')],
      type: 'simple',
      waitsForApiServer: 'kube-scheduler',
    }),
  ];
}
