// The profile as kubeup uses it after validation: every field present, defaults applied.
// ProfileInput (schema.ts) is what a user wrote; Profile is what the rest of the engine reads.

export type Role = 'master' | 'worker';
export const ROLES: readonly Role[] = ['master', 'worker'];

export interface HostSpec {
  address: string;
  user: string;
  port: number;
  roles: Role[];
  /** Identity file for this host only; overrides ssh.identityFile. */
  identityFile?: string;
  /** Kubernetes node name; defaults to the host's own name as the host reports it. */
  nodeName?: string;
  /** Pinned host key, `SHA256:<base64>` as OpenSSH prints it. */
  hostKey?: string;
  /**
   * The host is a container (LXC/LXD, systemd-nspawn, ...): render the node settings a container needs. Today that is
   * kube-proxy's conntrack.maxPerCore: 0, because nf_conntrack_max is read-only in any network namespace but the
   * machine's first one (preflight reports what else a container lacks).
   */
  container?: boolean;
}

export interface SshSettings {
  /** Offer the keys of the agent at $SSH_AUTH_SOCK. */
  agent: boolean;
  identityFile?: string;
  /** Ask for an SSH password at run time (it is never stored). */
  password: boolean;
  /** Ask for a sudo password at run time when sudo needs one (never stored). */
  sudoPassword: boolean;
  /** `user@host:port` of a bastion to jump through. */
  jumpHost?: string;
  jumpHostKey?: string;
  knownHosts: string;
  /** OpenSSH client config to read host aliases, users, ports, keys and ProxyJump from; default ~/.ssh/config, `none` for none. */
  configFile?: string;
}

export interface Versions {
  kubernetes: string;
  etcd: string;
  flannel: string;
  flannelCniPlugin: string;
  containerd: string;
  runc: string;
  cniPlugins: string;
}
export const COMPONENTS = ['kubernetes', 'etcd', 'flannel', 'flannelCniPlugin', 'containerd', 'runc', 'cniPlugins'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface NetworkSettings {
  serviceCidr: string;
  podCidr: string;
  clusterDns: string;
  dnsDomain: string;
  /** `low-high`, e.g. 30000-32767 */
  nodePortRange: string;
  flannelBackend: 'vxlan' | 'host-gw';
  apiServerPort: number;
}

export interface DownloadSettings {
  /** Base URL per component, replacing the upstream one; the mirror serves the upstream paths below it. */
  mirrors: Partial<Record<Component, string>>;
  cacheDir?: string;
  proxy?: string;
  /** sha256 per upstream file name, for files upstream publishes no checksum for (flannel) or to pin any file. */
  checksums?: Record<string, string>;
  /** `compressed` (the default, DEFAULT_DOWNLOAD): binaries go out zstd/xz/gzip-compressed, as the host can expand; `plain`: as they are. */
  transfer?: 'compressed' | 'plain';
  /** `operator` (the default, DEFAULT_DOWNLOAD): this machine downloads and uploads; `hosts`: each host downloads its own, checked there. */
  from?: 'operator' | 'hosts';
}

/** The daemons kubeup runs; each reads its flags from /etc/default/<daemon>. */
export const DAEMONS = ['containerd', 'etcd', 'flanneld', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubelet'] as const;
export type DaemonName = (typeof DAEMONS)[number];

/** Cluster DNS (CoreDNS), applied through the API as kubeadm's DNS add-on is; kube-up's ENABLE_CLUSTER_DNS. */
export interface DnsAddon {
  enabled: boolean;
  replicas: number;
  /**
   * Registry (and path) the hosts pull CoreDNS from, as kubeadm's imageRepository: the default registry.k8s.io
   * gives registry.k8s.io/coredns/coredns:<tag>, any other <imageRepository>/coredns:<tag>.
   */
  imageRepository: string;
  /** Where CoreDNS forwards names outside the cluster domain; empty: each node's /etc/resolv.conf. */
  upstreamResolvers: string[];
}

/** The API server's audit log (src/render/kube-apiserver.ts has the policy and the rotation settings). */
export interface AuditSettings {
  enabled: boolean;
  /** Absolute path on the control-plane host. */
  logPath: string;
}

export interface AddonSettings {
  dns: DnsAddon;
}

export interface Profile {
  name: string;
  hosts: HostSpec[];
  ssh: SshSettings;
  versions: Versions;
  network: NetworkSettings;
  download: DownloadSettings;
  /**
   * Extra flags per daemon, `--name=value`, added to kubeup's own (a flag kubeup also sets takes the user's value).
   * kube-up had KUBE_PROXY_EXTRA_OPTS and DOCKER_OPTS for this.
   */
  extraArgs: Partial<Record<DaemonName, string[]>>;
  addons: AddonSettings;
  audit: AuditSettings;
}

export const hasRole = (role: Role) => (h: HostSpec) => h.roles.includes(role);
export const hostId = (h: Pick<HostSpec, 'address' | 'port'>) =>
  h.port === 22 ? h.address : h.address.includes(':') ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`;
