// The cluster's certificate identities as one table of data (pure, no I/O). Each `name` becomes the file names
// `<name>.crt` / `<name>.key` in the state folder and in /etc/kubernetes/pki/ on hosts.
import { isIp, parseCidr, firstServiceIp } from '../profile/rules.js';
import ipaddr from 'ipaddr.js';
import { PkiError } from './errors.js';

export type CertUsage = 'client' | 'server';

/**
 * The cluster's certificate authorities, as kubeadm keeps them (cmd/kubeadm/app/constants/constants.go): the cluster
 * CA for the API and the components, a CA of its own for etcd (so that no node or component certificate is an etcd
 * client), and the front-proxy CA for the aggregation layer's requestheader authentication.
 */
export type CaName = 'ca' | 'etcd-ca' | 'front-proxy-ca';
export const CA_NAMES: readonly CaName[] = ['ca', 'etcd-ca', 'front-proxy-ca'];

export interface Identity {
  name: string;
  cn: string;
  o?: string[];
  sans: { dns: string[]; ip: string[] };
  usages: CertUsage[];
  /** The CA that signs it. */
  ca: CaName;
}

export interface ClusterNode {
  /** Kubernetes node name (the kubelet registers as system:node:<nodeName>). */
  nodeName: string;
  /** Address the node is reached at: an IP or a DNS name. */
  address: string;
}

export interface ClusterIdentityInput {
  clusterName: string;
  /** Address of the control-plane host: an IP or a DNS name. */
  masterAddress: string;
  /** Node name / host name of the control-plane host. */
  masterHostname: string;
  serviceCidr: string;
  dnsDomain: string;
  /** Hosts that run a kubelet (roles worker, or master+worker). */
  nodes: ClusterNode[];
  apiServerPort: number;
}

/** Not a certificate: the API server's EncryptionConfiguration with the key for Secrets at rest. */
export const ENCRYPTION_CONFIG_NAME = 'encryption-config';
/** Not a certificate: the key pair that signs service-account tokens (`service-account.key` / `.pub`). */
export const SERVICE_ACCOUNT_KEY_NAME = 'service-account';
/** The cluster CA's files are `ca.crt` / `ca.key` (the other CAs: `etcd-ca.*`, `front-proxy-ca.*`). */
export const CA_NAME = 'ca';
export const ETCD_CA_NAME = 'etcd-ca';
export const FRONT_PROXY_CA_NAME = 'front-proxy-ca';

/** Prefix of the per-node kubelet identity: `kubelet-<nodeName>`. */
export const KUBELET_PREFIX = 'kubelet-';

export const ADMIN_USER = 'kubeup-admin';
/**
 * kubeadm 1.29+: admin.conf's group, bound to cluster-admin by a ClusterRoleBinding of the same name
 * (src/render/rbac.ts), so deleting that binding revokes every admin certificate at once.
 */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';
/** The break-glass identity in system:masters (RBAC cannot take it away); kept only on this machine. */
export const SUPER_ADMIN_USER = 'kubeup-super-admin';
export const FRONT_PROXY_CLIENT_USER = 'front-proxy-client';
export const APISERVER_KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';
export const FLANNEL_USER = 'system:flannel';

// A node name becomes part of a file name: allow only what Kubernetes allows (DNS-1123 subdomain).
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function kubeletIdentityName(nodeName: string): string {
  return `${KUBELET_PREFIX}${nodeName}`;
}

/** The kube-apiserver URL that kubeconfigs point at. */
export function apiServerUrl(input: Pick<ClusterIdentityInput, 'masterAddress' | 'apiServerPort'>): string {
  const host = input.masterAddress.includes(':') ? `[${input.masterAddress}]` : input.masterAddress;
  return `https://${host}:${input.apiServerPort}`;
}

function normalizeIp(ip: string): string {
  return ipaddr.parse(ip).toString();
}

/** Splits addresses/names into DNS and IP SANs, lower-cased, normalized, de-duplicated and sorted. */
function sans(names: string[]): Identity['sans'] {
  const dns = new Set<string>();
  const ip = new Set<string>();
  for (const n of names) {
    if (isIp(n)) ip.add(normalizeIp(n));
    else dns.add(n.toLowerCase());
  }
  return { dns: [...dns].sort(), ip: [...ip].sort() };
}

const NO_SANS: Identity['sans'] = { dns: [], ip: [] };

function checkInput(input: ClusterIdentityInput): string {
  const cidr = parseCidr(input.serviceCidr);
  if (typeof cidr === 'string') {
    throw new PkiError(`service CIDR ${cidr}`, { field: 'network.serviceCidr', hint: 'use a network such as 10.96.0.0/12' });
  }
  if (!input.clusterName) throw new PkiError('the cluster has no name', { field: 'name', hint: 'give the profile a name' });
  const names = [input.masterHostname, ...input.nodes.map((n) => n.nodeName)];
  for (const name of names) {
    if (!NODE_NAME.test(name)) {
      throw new PkiError(`"${name}" is not a valid node name`, {
        field: 'hosts[].nodeName',
        hint: 'use lower-case letters, digits, "-" and "." (set nodeName in the profile if the host name is not one)',
      });
    }
  }
  const seen = new Set<string>();
  for (const n of input.nodes) {
    if (seen.has(n.nodeName)) {
      throw new PkiError(`two hosts have the node name "${n.nodeName}"`, {
        field: 'hosts[].nodeName',
        hint: 'give each host its own nodeName in the profile',
      });
    }
    seen.add(n.nodeName);
  }
  return firstServiceIp(cidr);
}

/** Every certificate the cluster needs, sorted by name. Throws PkiError on input that cannot make a certificate. */
export function clusterIdentities(input: ClusterIdentityInput): Identity[] {
  const serviceIp = checkInput(input);
  const domain = input.dnsDomain.replace(/\.$/, '');
  const master = [input.masterAddress, '127.0.0.1', 'localhost', input.masterHostname];
  const etcdNames = sans([...master, '::1']);
  const table: Identity[] = [
    {
      name: 'kube-apiserver',
      cn: 'kube-apiserver',
      sans: sans([
        ...master,
        serviceIp,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        `kubernetes.default.svc.${domain}`,
      ]),
      usages: ['server'],
      ca: 'ca',
    },
    // Not system:masters: src/render/rbac.ts binds this user to a role limited to the kubelet API.
    { name: 'apiserver-kubelet-client', cn: APISERVER_KUBELET_CLIENT_USER, sans: NO_SANS, usages: ['client'], ca: 'ca' },
    // etcd's own CA signs these four and nothing else (kubeadm: phases/certs/certlist.go).
    { name: 'apiserver-etcd-client', cn: 'kube-apiserver-etcd-client', sans: NO_SANS, usages: ['client'], ca: 'etcd-ca' },
    { name: 'etcd-server', cn: input.masterHostname, sans: etcdNames, usages: ['client', 'server'], ca: 'etcd-ca' },
    { name: 'etcd-peer', cn: input.masterHostname, sans: etcdNames, usages: ['client', 'server'], ca: 'etcd-ca' },
    { name: 'etcd-healthcheck-client', cn: 'kube-etcd-healthcheck-client', sans: NO_SANS, usages: ['client'], ca: 'etcd-ca' },
    // The API server presents this to aggregated API servers; they trust it through the front-proxy CA.
    { name: 'front-proxy-client', cn: FRONT_PROXY_CLIENT_USER, sans: NO_SANS, usages: ['client'], ca: 'front-proxy-ca' },
    { name: 'admin', cn: ADMIN_USER, o: [CLUSTER_ADMINS_GROUP], sans: NO_SANS, usages: ['client'], ca: 'ca' },
    { name: 'super-admin', cn: SUPER_ADMIN_USER, o: ['system:masters'], sans: NO_SANS, usages: ['client'], ca: 'ca' },
    { name: 'kube-controller-manager', cn: 'system:kube-controller-manager', sans: NO_SANS, usages: ['client'], ca: 'ca' },
    { name: 'kube-scheduler', cn: 'system:kube-scheduler', sans: NO_SANS, usages: ['client'], ca: 'ca' },
    { name: 'kube-proxy', cn: 'system:kube-proxy', sans: NO_SANS, usages: ['client'], ca: 'ca' },
    // src/render/rbac.ts binds this user to flannel's ClusterRole.
    { name: 'flannel', cn: FLANNEL_USER, sans: NO_SANS, usages: ['client'], ca: 'ca' },
    ...input.nodes.map(
      (n): Identity => ({
        name: kubeletIdentityName(n.nodeName),
        cn: `system:node:${n.nodeName}`,
        o: ['system:nodes'],
        sans: sans([n.address, n.nodeName]),
        usages: ['client', 'server'],
        ca: 'ca',
      }),
    ),
  ];
  return table.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
