// kube-proxy: every setting in the KubeProxyConfiguration file (its flags are ignored when --config is given, so the
// profile's extraArgs.kube-proxy go into the file too: see profile/component-flags.ts).
import { KUBE_PROXY_CONFIG, kubeconfigPath } from './paths.js';
import { stableYaml } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';
import { NETWORK_ONLINE, extraSettings, renderDaemonOptions, renderUnit, unitName, withFields } from './units.js';

export const KUBE_PROXY_IDENTITY = 'kube-proxy';

export function kubeProxyFlags(_ctx: RenderContext): Record<string, string> {
  return { config: KUBE_PROXY_CONFIG };
}

export function kubeProxyConfig(ctx: RenderContext): Record<string, unknown> {
  return withFields({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: kubeconfigPath('kube-proxy') },
    clusterCIDR: ctx.cluster.podCidr,
    hostnameOverride: ctx.host.nodeName,
    mode: 'iptables',
    // In a container nf_conntrack_max cannot be raised (read-only outside the first network namespace): 0 leaves the
    // machine's value, as kind does (cmd/kube-proxy/app/server_linux.go setupConntrack).
    ...(ctx.host.spec.container && { conntrack: { maxPerCore: 0 } }),
  }, extraSettings(ctx, 'kube-proxy').config);
}

export function renderKubeProxy(ctx: RenderContext): RenderedFile[] {
  const unit = unitName('kube-proxy');
  return [
    renderDaemonOptions(ctx, 'kube-proxy', kubeProxyFlags(ctx), KUBE_PROXY_CONFIG),
    { path: KUBE_PROXY_CONFIG, mode: MODE_PUBLIC, owner: ROOT, content: stableYaml(ctx.cluster.name, kubeProxyConfig(ctx)), restarts: [unit] },
    renderUnit(ctx, {
      daemon: 'kube-proxy',
      description: 'Kubernetes network proxy',
      documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/',
      after: [NETWORK_ONLINE],
      type: 'simple',
      waitsForApiServer: 'kube-proxy',
    }),
  ];
}
