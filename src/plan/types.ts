// The deploy plan: pure data computed from a validated profile and the facts gathered in preflight.
// Every other part (tasks, provision, pki, release, verify, the --dry-run output) reads it; nothing writes it.
import type { AddonsPlan } from '../addons/index.js';
import type { Component, DaemonName, HostSpec, Role, Versions } from '../profile/types.js';

export type Arch = 'amd64' | 'arm64';
export const ARCHES: readonly Arch[] = ['amd64', 'arm64'];

/** What preflight learns about a host. */
export interface HostFacts {
  /** The host's own name (`hostname`); the node name when the profile sets none. */
  hostname: string;
  arch: Arch;
}
/** Keyed by hostId(spec) from src/profile/types.ts. */
export type Facts = Record<string, HostFacts>;

export interface RenderedFile {
  /** Absolute path on the host. */
  path: string;
  /** Octal mode, e.g. 0o644. */
  mode: number;
  owner: string;
  content: string;
  /** Units (`name.service`) to restart when this file changes. */
  restarts: string[];
}

export interface BinaryPlan {
  /** File name as the release ships it, e.g. `kube-apiserver`, `containerd-shim-runc-v2`, `bridge`. */
  name: string;
  /** Release it comes from (the release module maps component + version + arch to a download). */
  component: Component;
  version: string;
  /** Absolute install path on the host. */
  path: string;
  mode: number;
}

export interface CertificatePlan {
  /**
   * Identity name in src/pki/identities.ts, e.g. `kube-apiserver`. Two are special: `ca` is the CA certificate
   * only (its key never leaves the operator's machine); `service-account` is a key pair with no certificate.
   */
  identity: string;
  /** Absolute paths on the host; certificates and public keys mode 0644, private keys 0600. */
  cert?: string;
  key?: string;
  publicKey?: string;
  /** Units to restart when any of these files changes. */
  restarts: string[];
}

export interface ClusterPlan {
  /** Profile name; also the cluster, kubeconfig context and etcd cluster token name. */
  name: string;
  versions: Versions;
  /** `1.35` for Kubernetes 1.35.2. */
  kubernetesMinor: string;
  master: { id: string; address: string; nodeName: string };
  apiServer: {
    port: number;
    /** What workers, kubectl and the operator use. */
    url: string;
    /** What components on the master itself use. */
    localUrl: string;
  };
  /** Subject alternative names the kube-apiserver serving certificate needs, sorted. */
  apiServerCertSans: string[];
  /** Subject alternative names the etcd server/peer certificate needs, sorted. */
  etcdCertSans: string[];
  serviceCidr: string;
  /** First address of the service CIDR: the `kubernetes` service. */
  kubernetesServiceIp: string;
  podCidr: string;
  clusterDns: string;
  dnsDomain: string;
  nodePortRange: string;
  flannelBackend: 'vxlan' | 'host-gw';
  serviceAccountIssuer: string;
  /** The API server's audit log: off, or where it goes. */
  audit: { enabled: boolean; logPath: string };
  /** The profile's extra flags per daemon (`--name=value`), merged over kubeup's own in /etc/default/<daemon>. */
  extraArgs: Partial<Record<DaemonName, string[]>>;
  /** Add-ons applied through the API (CoreDNS); one that is off is absent. */
  addons: AddonsPlan;
}

export interface HostPlan {
  id: string;
  spec: HostSpec;
  address: string;
  nodeName: string;
  arch: Arch;
  roles: Role[];
  /** Units (`name.service`) in start order. */
  units: string[];
  /** Sorted by path. */
  binaries: BinaryPlan[];
  /** Sorted by identity. */
  certificates: CertificatePlan[];
  /** Sorted by path. */
  files: RenderedFile[];
}

/** A host before its files are rendered: what render functions receive. */
export type HostTarget = Omit<HostPlan, 'files'>;

export type PhaseId = 'preflight' | 'download' | 'certificates' | 'provision' | 'rbac' | 'verify' | 'addons' | 'kubeconfig' | 'validate';

export interface PhasePlan {
  id: PhaseId;
  title: string;
  /** Where it runs: on this machine, over SSH on hosts, or against the cluster's API. */
  runsOn: 'local' | 'hosts' | 'api';
  /** Host ids the phase touches, in plan order. */
  hosts: string[];
}

export interface Plan {
  profile: string;
  cluster: ClusterPlan;
  /** In profile order (the order the user wrote the hosts in). */
  hosts: HostPlan[];
  /** In run order. */
  phases: PhasePlan[];
}
