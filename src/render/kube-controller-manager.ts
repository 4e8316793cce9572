// kube-controller-manager. kubeup issues every certificate itself and the CA key never leaves the operator's
// machine, so there are no --cluster-signing-* flags: the CSR signer stays off.
import { CA_CERT, SERVICE_ACCOUNT_KEY, kubeconfigPath } from './paths.js';
import type { RenderContext, RenderedFile } from './types.js';
import { renderDaemonOptions, renderUnit, unitName } from './units.js';

export function kubeControllerManagerFlags(ctx: RenderContext): Record<string, string> {
  const { cluster } = ctx;
  const kubeconfig = kubeconfigPath('kube-controller-manager');
  return {
    // Node pod CIDRs come from here; flannel's kube subnet manager reads them.
    'allocate-node-cidrs': 'true',
    'authentication-kubeconfig': kubeconfig,
    'authorization-kubeconfig': kubeconfig,
    'bind-address': '127.0.0.1',
    'cluster-cidr': cluster.podCidr,
    'cluster-name': cluster.name,
    kubeconfig,
    'leader-elect': 'true',
    // CIS 1.3.2.
    profiling: 'false',
    'root-ca-file': CA_CERT,
    'service-account-private-key-file': SERVICE_ACCOUNT_KEY,
    'service-cluster-ip-range': cluster.serviceCidr,
    'use-service-account-credentials': 'true',
  };
}

export function renderKubeControllerManager(ctx: RenderContext): RenderedFile[] {
  return [
    renderDaemonOptions(ctx, 'kube-controller-manager', kubeControllerManagerFlags(ctx)),
    renderUnit(ctx, {
      daemon: 'kube-controller-manager',
      description: 'Kubernetes controller manager',
      documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/',
      after: [unitName('kube-apiserver')],
      type: 'simple',
      waitsForApiServer: 'kube-controller-manager',
    }),
  ];
}
