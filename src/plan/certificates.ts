// Which certificate identities each host receives, where they go and which units read them.
import type { Role } from '../profile/types.js';
import {
  CA_CERT, ENCRYPTION_CONFIG, ETCD_CA_CERT, FRONT_PROXY_CA_CERT, SERVICE_ACCOUNT_KEY, SERVICE_ACCOUNT_PUB, certPath, etcdCertPath, etcdKeyPath, keyPath,
} from '../render/paths.js';
import { KUBELET_IDENTITY } from '../render/kubelet.js';
import { unitName, type Daemon } from '../render/units.js';
import type { CertificatePlan } from './types.js';

const pair = (identity: string, readers: Daemon[]): CertificatePlan => ({
  identity,
  cert: certPath(identity),
  key: keyPath(identity),
  restarts: readers.map(unitName),
});

const etcdPair = (identity: string, file: 'server' | 'peer' | 'healthcheck-client', readers: Daemon[]): CertificatePlan => ({
  identity,
  cert: etcdCertPath(file),
  key: etcdKeyPath(file),
  restarts: readers.map(unitName),
});

const MASTER: CertificatePlan[] = [
  pair('apiserver-etcd-client', ['kube-apiserver']),
  pair('apiserver-kubelet-client', ['kube-apiserver']),
  { identity: 'etcd-ca', cert: ETCD_CA_CERT, restarts: [unitName('etcd'), unitName('kube-apiserver')] },
  // For etcdctl on the master (kubeadm's etcd health probe identity): no daemon reads it.
  etcdPair('etcd-healthcheck-client', 'healthcheck-client', []),
  etcdPair('etcd-peer', 'peer', ['etcd']),
  etcdPair('etcd-server', 'server', ['etcd']),
  { identity: 'front-proxy-ca', cert: FRONT_PROXY_CA_CERT, restarts: [unitName('kube-apiserver'), unitName('kube-controller-manager')] },
  pair('front-proxy-client', ['kube-apiserver']),
  pair('kube-apiserver', ['kube-apiserver']),
  pair('kube-controller-manager', ['kube-controller-manager']),
  pair('kube-scheduler', ['kube-scheduler']),
  // Not a certificate, but a secret from the same folder: the key Secrets are encrypted with.
  { identity: 'encryption-config', key: ENCRYPTION_CONFIG, restarts: [unitName('kube-apiserver')] },
  {
    identity: 'service-account',
    key: SERVICE_ACCOUNT_KEY,
    publicKey: SERVICE_ACCOUNT_PUB,
    restarts: [unitName('kube-apiserver'), unitName('kube-controller-manager')],
  },
];

/**
 * A node's own kubelet pair is stored per node on the operator's machine (`kubelet-<nodeName>`, the name
 * src/pki/identities.ts gives it) and installed as kubelet.crt/.key on the node.
 */
export const kubeletIdentity = (nodeName: string) => `kubelet-${nodeName}`;

const worker = (nodeName: string): CertificatePlan[] => [
  pair('flannel', ['flanneld']),
  pair('kube-proxy', ['kube-proxy']),
  { identity: kubeletIdentity(nodeName), cert: certPath(KUBELET_IDENTITY), key: keyPath(KUBELET_IDENTITY), restarts: [unitName('kubelet')] },
];

/** The cluster CA certificate is read by every daemon except containerd and etcd (which trusts only its own CA). */
const caFor = (units: string[]): CertificatePlan => ({
  identity: 'ca',
  cert: CA_CERT,
  restarts: units.filter((u) => u !== unitName('containerd') && u !== unitName('etcd')).sort(),
});

export function certificatesFor(roles: readonly Role[], units: string[], nodeName: string): CertificatePlan[] {
  const all = [
    caFor(units),
    ...(roles.includes('master') ? MASTER : []),
    ...(roles.includes('worker') ? worker(nodeName) : []),
  ];
  return all
    .map((c) => ({ ...c, restarts: [...c.restarts].sort() }))
    .sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
}
