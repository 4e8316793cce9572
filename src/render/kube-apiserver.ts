// kube-apiserver: TLS only, client certificates, Node+RBAC authorization, etcd over TLS on loopback with etcd's own
// CA, the aggregation layer's requestheader authentication as kubeadm sets it up
// (kubernetes/kubernetes cmd/kubeadm/app/phases/controlplane/manifests.go, getAPIServerCommand).
import { isIp } from '../profile/rules.js';
import { etcdLocalClientUrl } from './etcd.js';
import { AUDIT_POLICY, CA_CERT, ENCRYPTION_CONFIG, ETCD_CA_CERT, FRONT_PROXY_CA_CERT, SERVICE_ACCOUNT_KEY, SERVICE_ACCOUNT_PUB, certPath, keyPath } from './paths.js';
import { stableYaml } from './text.js';
import { MODE_PRIVATE, ROOT, type RenderContext, type RenderedFile } from './types.js';
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

/** Rotation of the audit log: the CIS benchmark's values (days kept, files kept, MB per file). */
export const AUDIT_LOG_ROTATION = { 'audit-log-maxage': '30', 'audit-log-maxbackup': '10', 'audit-log-maxsize': '100' };

/**
 * Metadata (who, what, when, answer) for every request, and never a request or response body, so Secrets and
 * tokens stay out of the log; health probes and node lease renewals, which come every few seconds, not at all.
 * RequestReceived is omitted: ResponseComplete carries the same and the answer.
 */
export function auditPolicy(): Record<string, unknown> {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version'] },
      { level: 'None', verbs: ['get', 'update'], resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] },
      { level: 'Metadata', resources: [{ group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] }, { group: 'authentication.k8s.io', resources: ['tokenreviews'] }] },
      { level: 'Metadata' },
    ],
  };
}

function auditFlags(ctx: RenderContext): Record<string, string> {
  const { audit } = ctx.cluster;
  if (!audit.enabled) return {};
  return { 'audit-log-path': audit.logPath, ...AUDIT_LOG_ROTATION, 'audit-policy-file': AUDIT_POLICY };
}

export function kubeApiserverFlags(ctx: RenderContext, etcdCa: string = ETCD_CA_CERT): Record<string, string> {
  const { cluster } = ctx;
  return {
    ...auditFlags(ctx),
    // Must be an IP; with a host name as the master address the API server picks its default interface's address.
    ...(isIp(cluster.master.address) && { 'advertise-address': cluster.master.address }),
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': CA_CERT,
    'enable-admission-plugins': 'NodeRestriction',
    // Secrets are stored encrypted with kubeup's key (aescbc, src/pki/encryption.ts).
    'encryption-provider-config': ENCRYPTION_CONFIG,
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
    // CIS 1.2.30: service-account tokens live as long as they were issued for.
    'service-account-extend-token-expiration': 'false',
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
    ...(ctx.cluster.audit.enabled
      ? [{ path: AUDIT_POLICY, mode: MODE_PRIVATE, owner: ROOT, content: stableYaml(ctx.cluster.name, auditPolicy()), restarts: [unitName('kube-apiserver')] }]
      : []),
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
