// kube-apiserver: TLS only, client certificates, Node+RBAC authorization, etcd over TLS on loopback with etcd's own
// CA, the aggregation layer's requestheader authentication as kubeadm sets it up
// (kubernetes/kubernetes cmd/kubeadm/app/phases/controlplane/manifests.go, getAPIServerCommand).
import { isIp } from '../profile/rules.js';
import { etcdLocalClientUrl } from './etcd.js';
import { CA_CERT, ETCD_CA_CERT, FRONT_PROXY_CA_CERT, SERVICE_ACCOUNT_KEY, SERVICE_ACCOUNT_PUB, certPath, keyPath } from './paths.js';
import type { RenderContext, RenderedFile } from './types.js';
import { NETWORK_ONLINE, renderDaemonOptions, renderUnit, unitName } from './units.js';

export const APISERVER_IDENTITY = 'kube-apiserver';
export const APISERVER_KUBELET_CLIENT_IDENTITY = 'apiserver-kubelet-client';
export const APISERVER_ETCD_CLIENT_IDENTITY = 'apiserver-etcd-client';
export const FRONT_PROXY_CLIENT_IDENTITY = 'front-proxy-client';

/**
 * TLS 1.2 suites for ECDSA server keys (every kubeup certificate is P-256): the CIS benchmark's strong list cut to
 * what an ECDSA key can use. Go enables its TLS 1.3 suites by itself. The same list for the kubelet's port.
 */
export const TLS_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
];
export const TLS_MIN_VERSION = 'VersionTLS12';

export function kubeApiserverFlags(ctx: RenderContext, etcdCa: string = ETCD_CA_CERT): Record<string, string> {
  const { cluster } = ctx;
  return {
    // Must be an IP; with a host name as the master address the API server picks its default interface's address.
    ...(isIp(cluster.master.address) && { 'advertise-address': cluster.master.address }),
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': CA_CERT,
    'enable-admission-plugins': 'NodeRestriction',
    'etcd-cafile': etcdCa,
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
    profiling: 'false',
    'proxy-client-cert-file': certPath(FRONT_PROXY_CLIENT_IDENTITY),
    'proxy-client-key-file': keyPath(FRONT_PROXY_CLIENT_IDENTITY),
    'requestheader-allowed-names': 'front-proxy-client',
    'requestheader-client-ca-file': FRONT_PROXY_CA_CERT,
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': String(cluster.apiServer.port),
    'service-account-issuer': cluster.serviceAccountIssuer,
    'service-account-key-file': SERVICE_ACCOUNT_PUB,
    'service-account-signing-key-file': SERVICE_ACCOUNT_KEY,
    'service-cluster-ip-range': cluster.serviceCidr,
    'service-node-port-range': cluster.nodePortRange,
    'tls-cert-file': certPath(APISERVER_IDENTITY),
    'tls-cipher-suites': TLS_CIPHER_SUITES.join(','),
    'tls-min-version': TLS_MIN_VERSION,
    'tls-private-key-file': keyPath(APISERVER_IDENTITY),
  };
}

export function renderKubeApiserverOptions(ctx: RenderContext, etcdCa: string = ETCD_CA_CERT): RenderedFile {
  return renderDaemonOptions(ctx, 'kube-apiserver', kubeApiserverFlags(ctx, etcdCa));
}

export function renderKubeApiserver(ctx: RenderContext): RenderedFile[] {
  return [
    renderKubeApiserverOptions(ctx),
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
