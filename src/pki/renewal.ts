// `kubeup certs renew` as data (pure): which leaf identities are issued again, which files change on which host, which
// units restart because of them, and how each renewed certificate is then proven in use. The restarts come from the
// same table `up` uses (src/plan/certificates.ts via HostPlan.certificates), so renew restarts exactly the readers of a file.
import { UsageError } from '../errors.js';
import { CA_NAMES, KUBELET_PREFIX, type Identity } from './identities.js';
import type { Plan } from '../plan/types.js';

/** The kubelet's HTTPS port (KubeletConfiguration `port`, default 10250; kubeup does not set it). */
export const KUBELET_PORT = 10250;
/** etcd's client and peer ports; both listen on 127.0.0.1 of the master (src/render/etcd.ts). */
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

/**
 * How a renewed certificate is shown to be the one in use:
 * - `tls`: the serial the daemon presents in a TLS handshake (from this machine, or with openssl on `host` for a
 *   port that listens on loopback there);
 * - `lease`: a client certificate: the unit restarted after the new file was written, and the Lease it renews
 *   (`namespace/name`, written by that process with the host's clock) was renewed after the restart;
 * - `api`: kubeup itself authenticates with it (admin, super-admin), or the API server's /readyz passes its check
 *   that uses it (etcd client);
 * - `unobserved`: nothing outside the daemon shows which certificate it holds; said, with why.
 */
export type RenewalProof =
  | { identity: string; kind: 'tls'; host: string; address: string; port: number; onHost: boolean; unit: string }
  | { identity: string; kind: 'lease'; host: string; namespace: string; name: string; unit: string }
  | { identity: string; kind: 'api'; check: ApiCheck; host: string; how: string }
  | { identity: string; kind: 'unobserved'; why: string };

/** What kubeup does with an `api` proof's certificate (see tasks/certs-renew.ts). */
export type ApiCheck = 'admin-nodes' | 'super-admin-readyz' | 'apiserver-readyz' | 'etcdctl-health';

export interface HostRenewal {
  id: string;
  /** Files written, sorted. */
  files: string[];
  /** Units restarted because of them, sorted. */
  restarts: string[];
}

export interface RenewalPlan {
  /** Leaf identity names issued again, sorted. */
  identities: string[];
  /** Hosts where something changes, in plan order. */
  hosts: HostRenewal[];
  proofs: RenewalProof[];
}

/** Every leaf identity by default; `--only` names identities (e.g. `kube-apiserver`, `kubelet-h1`), or `kubelet` for every node's. */
export function renewIdentities(identities: readonly Identity[], only: readonly string[] | undefined): string[] {
  const leaves = identities.map((i) => i.name).filter((n) => !(CA_NAMES as readonly string[]).includes(n));
  if (!only || only.length === 0) return [...leaves].sort();
  const picked = new Set<string>();
  const unknown: string[] = [];
  for (const name of only.flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean)) {
    if ((CA_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--only ${name}: ${name} is a certificate authority; kubeup certs renew re-issues leaf certificates only`, {
        hint: 'CA rotation is not done by kubeup yet (see the README, "Certificates")',
      });
    }
    const matches = name === 'kubelet' ? leaves.filter((l) => l.startsWith(KUBELET_PREFIX)) : leaves.filter((l) => l === name);
    if (matches.length === 0) unknown.push(name);
    matches.forEach((m) => picked.add(m));
  }
  if (unknown.length) {
    throw new UsageError(`--only: no certificate named ${unknown.join(', ')} in this cluster`, { hint: `use one of: kubelet (every node's), ${leaves.join(', ')}` });
  }
  return [...picked].sort();
}

/** Certificates kubeup proves by its own use of them. */
const API_PROOFS: Readonly<Record<string, { check: ApiCheck; how: string }>> = {
  admin: { check: 'admin-nodes', how: 'kubeup lists the Nodes with the new certificate (the one in the new kubeconfig)' },
  'super-admin': { check: 'super-admin-readyz', how: 'kubeup reads /readyz with the new certificate' },
  'apiserver-etcd-client': { check: 'apiserver-readyz', how: 'the API server, restarted after it was written, answers /readyz, whose etcd check goes through it' },
  'etcd-healthcheck-client': { check: 'etcdctl-health', how: 'etcdctl endpoint health on the master presents it to etcd (client-cert-auth)' },
};

const UNOBSERVED: Readonly<Record<string, string>> = {
  'apiserver-kubelet-client': 'the API server presents it only when it calls a kubelet (logs, exec, port-forward); kube-apiserver restarted after it was written',
  'front-proxy-client': 'presented only to aggregated API servers, which kubeup does not deploy; kube-apiserver restarted after it was written',
};

/** The host-side identity of a HostPlan certificate entry is the local one (kubelet-<node>), as certificatesFor names it. */
export function renewalPlan(plan: Plan, identities: readonly string[]): RenewalPlan {
  const wanted = new Set(identities);
  const hosts: HostRenewal[] = [];
  for (const h of plan.hosts) {
    const changing = h.certificates.filter((c) => wanted.has(c.identity));
    if (changing.length === 0) continue;
    const files = changing.flatMap((c) => [c.cert, c.key].filter((f): f is string => f !== undefined));
    hosts.push({ id: h.id, files: [...files].sort(), restarts: [...new Set(changing.flatMap((c) => c.restarts))].sort() });
  }
  const c = plan.cluster;
  const master = c.master;
  const proofs: RenewalProof[] = [];
  for (const identity of [...wanted].sort()) {
    const worker = identity.startsWith(KUBELET_PREFIX) ? plan.hosts.find((h) => `${KUBELET_PREFIX}${h.nodeName}` === identity) : undefined;
    if (worker) {
      proofs.push({ identity, kind: 'tls', host: worker.id, address: worker.address, port: KUBELET_PORT, onHost: false, unit: 'kubelet.service' });
      proofs.push({ identity, kind: 'lease', host: worker.id, namespace: 'kube-node-lease', name: worker.nodeName, unit: 'kubelet.service' });
      continue;
    }
    switch (identity) {
      case 'kube-apiserver':
        proofs.push({ identity, kind: 'tls', host: master.id, address: master.address, port: c.apiServer.port, onHost: false, unit: 'kube-apiserver.service' });
        break;
      case 'etcd-server':
        proofs.push({ identity, kind: 'tls', host: master.id, address: '127.0.0.1', port: ETCD_CLIENT_PORT, onHost: true, unit: 'etcd.service' });
        break;
      case 'etcd-peer':
        proofs.push({ identity, kind: 'tls', host: master.id, address: '127.0.0.1', port: ETCD_PEER_PORT, onHost: true, unit: 'etcd.service' });
        break;
      case 'kube-controller-manager':
      case 'kube-scheduler':
        proofs.push({ identity, kind: 'lease', host: master.id, namespace: 'kube-system', name: identity, unit: `${identity}.service` });
        break;
      default: {
        const api = API_PROOFS[identity];
        // kube-proxy, flannel: clients that leave nothing in the API that only a fresh process would write.
        const why = UNOBSERVED[identity] ?? `${identity} leaves no trace in the API that tells a restarted process from the old one; its unit restarted after the file was written and is active`;
        proofs.push(api ? { identity, kind: 'api', host: master.id, ...api } : { identity, kind: 'unobserved', why });
      }
    }
  }
  return { identities: [...wanted].sort(), hosts, proofs };
}
