// The cluster's certificate identities as one table of data (pure, no I/O). Each `name` becomes the file names
// `<name>.crt` / `<name>.key` in the state folder and in /etc/kubernetes/pki/ on hosts.
import { isIp, parseCidr, firstServiceIp } from '../profile/rules.js';
import ipaddr from 'ipaddr.js';
import { PkiError } from './errors.js';

export type CertUsage = 'client' | 'server';

export interface Identity {
  name: string;
  cn: string;
  o?: string[];
  sans: { dns: string[]; ip: string[] };
  usages: CertUsage[];
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

/** Not a certificate: the key pair that signs service-account tokens (`service-account.key` / `.pub`). */
export const SERVICE_ACCOUNT_KEY_NAME = 'service-account';
/** The CA's files are `ca.crt` / `ca.key`. */
export const CA_NAME = 'ca';

/** Prefix of the per-node kubelet identity: `kubelet-<nodeName>`. */
export const KUBELET_PREFIX = 'kubelet-';

export const ADMIN_USER = 'kubeup-admin';
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
    },
    // Not system:masters: src/render/rbac.ts binds this user to a role limited to the kubelet API.
    { name: 'apiserver-kubelet-client', cn: APISERVER_KUBELET_CLIENT_USER, sans: NO_SANS, usages: ['client'] },
    { name: 'apiserver-etcd-client', cn: 'kube-apiserver-etcd-client', sans: NO_SANS, usages: ['client'] },
    { name: 'etcd-server', cn: 'etcd-server', sans: sans(master), usages: ['client', 'server'] },
    { name: 'admin', cn: ADMIN_USER, o: ['system:masters'], sans: NO_SANS, usages: ['client'] },
    { name: 'kube-controller-manager', cn: 'system:kube-controller-manager', sans: NO_SANS, usages: ['client'] },
    { name: 'kube-scheduler', cn: 'system:kube-scheduler', sans: NO_SANS, usages: ['client'] },
    { name: 'kube-proxy', cn: 'system:kube-proxy', sans: NO_SANS, usages: ['client'] },
    // src/render/rbac.ts binds this user to flannel's ClusterRole.
    { name: 'flannel', cn: FLANNEL_USER, sans: NO_SANS, usages: ['client'] },
    ...input.nodes.map(
      (n): Identity => ({
        name: kubeletIdentityName(n.nodeName),
        cn: `system:node:${n.nodeName}`,
        o: ['system:nodes'],
        sans: sans([n.address, n.nodeName]),
        usages: ['client', 'server'],
      }),
    ),
  ];
  return table.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
