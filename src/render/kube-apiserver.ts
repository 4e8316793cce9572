// kube-apiserver: TLS only, client certificates, Node+RBAC authorization, etcd over TLS on loopback.
import { isIp } from '../profile/rules.js';
import { etcdLocalClientUrl } from './etcd.js';
import { CA_CERT, SERVICE_ACCOUNT_KEY, SERVICE_ACCOUNT_PUB, certPath, keyPath } from './paths.js';
import type { RenderContext, RenderedFile } from './types.js';
import { NETWORK_ONLINE, renderDaemonOptions, renderUnit, unitName } from './units.js';

export const APISERVER_IDENTITY = 'kube-apiserver';
export const APISERVER_KUBELET_CLIENT_IDENTITY = 'apiserver-kubelet-client';
export const APISERVER_ETCD_CLIENT_IDENTITY = 'apiserver-etcd-client';

export function kubeApiserverFlags(ctx: RenderContext): Record<string, string> {
  const { cluster } = ctx;
  return {
    // Must be an IP; with a host name as the master address the API server picks its default interface's address.
    ...(isIp(cluster.master.address) && { 'advertise-address': cluster.master.address }),
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': CA_CERT,
    'enable-admission-plugins': 'NodeRestriction',
    'etcd-cafile': CA_CERT,
    'etcd-certfile': certPath(APISERVER_ETCD_CLIENT_IDENTITY),
    'etcd-keyfile': keyPath(APISERVER_ETCD_CLIENT_IDENTITY),
    'etcd-servers': etcdLocalClientUrl(),
    // kubelet serving certificates are issued by the same CA, so the API server can verify them.
    'kubelet-certificate-authority': CA_CERT,
    'kubelet-client-certificate': certPath(APISERVER_KUBELET_CLIENT_IDENTITY),
    'kubelet-client-key': keyPath(APISERVER_KUBELET_CLIENT_IDENTITY),
    // Reach kubelets by the address kubelet reports (--node-ip, in its serving certificate), not by a node name
    // the master may not be able to resolve.
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    'secure-port': String(cluster.apiServer.port),
    'service-account-issuer': cluster.serviceAccountIssuer,
    'service-account-key-file': SERVICE_ACCOUNT_PUB,
    'service-account-signing-key-file': SERVICE_ACCOUNT_KEY,
    'service-cluster-ip-range': cluster.serviceCidr,
    'service-node-port-range': cluster.nodePortRange,
    'tls-cert-file': certPath(APISERVER_IDENTITY),
    'tls-private-key-file': keyPath(APISERVER_IDENTITY),
  };
}

export function renderKubeApiserver(ctx: RenderContext): RenderedFile[] {
  return [
    renderDaemonOptions(ctx, 'kube-apiserver', kubeApiserverFlags(ctx)),
    renderUnit(ctx, {
      daemon: 'kube-apiserver',
      description: 'Kubernetes API server',
      documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/',
      after: [unitName('etcd'), NETWORK_ONLINE],
      type: 'simple',
      service: [['LimitNOFILE', '65536']],
    }),
  ];
}
