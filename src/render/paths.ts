// Where kubeup puts things on a host. One table, so every renderer and the plan agree on each path.

export const BIN_DIR = '/opt/bin';
export const CNI_BIN_DIR = '/opt/cni/bin';
export const CNI_CONF_DIR = '/etc/cni/net.d';
export const KUBE_DIR = '/etc/kubernetes';
export const PKI_DIR = '/etc/kubernetes/pki';
export const ETCD_DATA_DIR = '/var/lib/etcd';
export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';

export const binaryPath = (name: string) => `${BIN_DIR}/${name}`;
export const cniPluginPath = (name: string) => `${CNI_BIN_DIR}/${name}`;
export const defaultsPath = (daemon: string) => `/etc/default/${daemon}`;
export const unitPath = (unit: string) => `/etc/systemd/system/${unit}`;
export const kubeconfigPath = (component: KubeconfigComponent) => `${KUBE_DIR}/${component}.kubeconfig`;

export const CA_CERT = `${PKI_DIR}/ca.crt`;
// kubeadm's layout (cmd/kubeadm/app/constants/constants.go): etcd's CA and certificates under pki/etcd/.
export const ETCD_PKI_DIR = `${PKI_DIR}/etcd`;
export const ETCD_CA_CERT = `${ETCD_PKI_DIR}/ca.crt`;
export const FRONT_PROXY_CA_CERT = `${PKI_DIR}/front-proxy-ca.crt`;
export const etcdCertPath = (name: 'server' | 'peer' | 'healthcheck-client') => `${ETCD_PKI_DIR}/${name}.crt`;
export const etcdKeyPath = (name: 'server' | 'peer' | 'healthcheck-client') => `${ETCD_PKI_DIR}/${name}.key`;
export const certPath = (identity: string) => `${PKI_DIR}/${identity}.crt`;
export const keyPath = (identity: string) => `${PKI_DIR}/${identity}.key`;
export const SERVICE_ACCOUNT_KEY = `${PKI_DIR}/service-account.key`;
export const SERVICE_ACCOUNT_PUB = `${PKI_DIR}/service-account.pub`;

export const KUBELET_CONFIG = `${KUBE_DIR}/kubelet-config.yaml`;
export const AUDIT_POLICY = `${KUBE_DIR}/audit-policy.yaml`;
/** Holds the key Secrets are encrypted with: mode 0600, uploaded like a private key. */
export const ENCRYPTION_CONFIG = `${KUBE_DIR}/encryption-config.yaml`;
export const KUBE_PROXY_CONFIG = `${KUBE_DIR}/kube-proxy-config.yaml`;
export const KUBE_SCHEDULER_CONFIG = `${KUBE_DIR}/kube-scheduler-config.yaml`;
export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CNI_CONFLIST = `${CNI_CONF_DIR}/10-flannel.conflist`;
export const FLANNEL_NET_CONF = '/etc/kube-flannel/net-conf.json';

export type KubeconfigComponent = 'flannel' | 'kube-controller-manager' | 'kube-proxy' | 'kube-scheduler' | 'kubelet';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
