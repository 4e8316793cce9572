// The one place that holds default values. Versions are pinned to exact releases (no "latest").
import type { AddonSettings, AuditSettings, DownloadSettings, NetworkSettings, Versions } from './types.js';

// Newest releases found in public material as of Nov 2026, except flannel: its default is the newest release whose
// flanneld sha256 kubeup ships (src/release/pinned-checksums.ts), so that a default profile deploys with nothing
// added; v0.27.4's kube-flannel.yml pairs it with cni-plugin v1.8.0-flannel1. Kubernetes stays at the release of the
// kubectl the tests run.
export const DEFAULT_VERSIONS: Versions = {
  kubernetes: '1.35.2',
  etcd: '3.6.14',
  flannel: '0.27.4',
  flannelCniPlugin: '1.8.0-flannel1',
  containerd: '2.3.5',
  runc: '1.5.1',
  cniPlugins: '1.9.1',
};

/** Kubernetes minors kubeup knows the flags of (see test/fixtures/k8s-flags). */
export const SUPPORTED_KUBERNETES_MINORS = ['1.34', '1.35'] as const;
/** Oldest etcd and flannel that today's Kubernetes works with through kubeup's units. */
export const MIN_ETCD = '3.5.0';
export const MIN_FLANNEL = '0.22.0';

export const DEFAULT_NETWORK: NetworkSettings = {
  serviceCidr: '10.96.0.0/12',
  podCidr: '10.244.0.0/16',
  clusterDns: '10.96.0.10',
  dnsDomain: 'cluster.local',
  nodePortRange: '30000-32767',
  flannelBackend: 'vxlan',
  apiServerPort: 6443,
};

export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_SSH_USER = 'root';
export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';

/** kubeadm's defaults for its DNS add-on: two replicas, images from registry.k8s.io, the nodes' resolvers upstream. */
export const DEFAULT_IMAGE_REPOSITORY = 'registry.k8s.io';
/** Where kubeadm's documentation and the CIS benchmark put it. */
export const DEFAULT_AUDIT: AuditSettings = { enabled: true, logPath: '/var/log/kubernetes/audit/audit.log' };
export const DEFAULT_ADDONS: AddonSettings = {
  dns: { enabled: true, replicas: 2, imageRepository: DEFAULT_IMAGE_REPOSITORY, upstreamResolvers: [] },
};
/** More CoreDNS replicas than this is a typo, not a plan. */
export const MAX_DNS_REPLICAS = 50;

/** How binaries reach the hosts when the profile does not say: compressed, from this machine. */
export const DEFAULT_DOWNLOAD: Required<Pick<DownloadSettings, 'transfer' | 'from'>> = { transfer: 'compressed', from: 'operator' };
