// kubelet: settings live in the KubeletConfiguration file; the flags are only the ones that have no config field.
import { isIp } from '../profile/rules.js';
import { CA_CERT, CONTAINERD_SOCKET, KUBELET_CONFIG, certPath, keyPath, kubeconfigPath } from './paths.js';
import { stableYaml } from './text.js';
import { MODE_PUBLIC, ROOT, type RenderContext, type RenderedFile } from './types.js';
import { renderDaemonOptions, renderUnit, unitName } from './units.js';

/** A node's own pair: client certificate for the API (system:node:<name>) and serving certificate on :10250. */
export const KUBELET_IDENTITY = 'kubelet';

export function kubeletFlags(ctx: RenderContext): Record<string, string> {
  const { host } = ctx;
  return {
    config: KUBELET_CONFIG,
    // The node name must match the certificate's CN (system:node:<name>) for the Node authorizer.
    'hostname-override': host.nodeName,
    kubeconfig: kubeconfigPath('kubelet'),
    ...(isIp(host.address) && { 'node-ip': host.address }),
  };
}

export function kubeletConfig(ctx: RenderContext): Record<string, unknown> {
  const { cluster } = ctx;
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: CA_CERT },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'systemd',
    clusterDNS: [cluster.clusterDns],
    clusterDomain: cluster.dnsDomain,
    containerRuntimeEndpoint: `unix://${CONTAINERD_SOCKET}`,
    // From 1.35 kubelet refuses cgroup v1 hosts unless told otherwise. kubeup still runs on them (older
    // distributions, nested containers such as its own test hosts); kubelet logs its deprecation warning there.
    failCgroupV1: false,
    readOnlyPort: 0,
    tlsCertFile: certPath(KUBELET_IDENTITY),
    tlsPrivateKeyFile: keyPath(KUBELET_IDENTITY),
  };
}

export function renderKubelet(ctx: RenderContext): RenderedFile[] {
  const unit = unitName('kubelet');
  return [
    renderDaemonOptions(ctx, 'kubelet', kubeletFlags(ctx)),
    { path: KUBELET_CONFIG, mode: MODE_PUBLIC, owner: ROOT, content: stableYaml(ctx.cluster.name, kubeletConfig(ctx)), restarts: [unit] },
    renderUnit(ctx, {
      daemon: 'kubelet',
      description: 'Kubernetes node agent',
      documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/',
      // Not after flanneld: flanneld waits for the pod CIDR of the Node this kubelet registers.
      after: [unitName('containerd')],
      type: 'simple',
      waitsForApiServer: 'kubelet',
    }),
  ];
}
