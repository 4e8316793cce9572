// Which release files each host gets and where they are installed. The release module resolves
// (component, version, arch, name) to a downloaded, checksummed file.
import type { Component, Role, Versions } from '../profile/types.js';
import { CNI_PLUGINS, FLANNEL_CNI_PLUGIN } from '../render/cni.js';
import { binaryPath, cniPluginPath } from '../render/paths.js';
import type { BinaryPlan } from './types.js';

const EXECUTABLE = 0o755;

const MASTER_BINARIES: [Component, string][] = [
  ['etcd', 'etcd'],
  ['etcd', 'etcdctl'],
  ['kubernetes', 'kube-apiserver'],
  ['kubernetes', 'kube-controller-manager'],
  ['kubernetes', 'kube-scheduler'],
];

const WORKER_BINARIES: [Component, string][] = [
  ['containerd', 'containerd'],
  ['containerd', 'containerd-shim-runc-v2'],
  ['containerd', 'ctr'],
  ['flannel', 'flanneld'],
  ['kubernetes', 'kube-proxy'],
  ['kubernetes', 'kubelet'],
  ['runc', 'runc'],
];

export function binariesFor(roles: readonly Role[], versions: Versions): BinaryPlan[] {
  const bin = ([component, name]: [Component, string]): BinaryPlan => ({
    name,
    component,
    version: versions[component],
    path: binaryPath(name),
    mode: EXECUTABLE,
  });
  const cni = (component: Component, name: string): BinaryPlan => ({
    name,
    component,
    version: versions[component],
    path: cniPluginPath(name),
    mode: EXECUTABLE,
  });
  const all = [
    ...(roles.includes('master') ? MASTER_BINARIES.map(bin) : []),
    ...(roles.includes('worker')
      ? [
          ...WORKER_BINARIES.map(bin),
          ...CNI_PLUGINS.map((n) => cni('cniPlugins', n)),
          cni('flannelCniPlugin', FLANNEL_CNI_PLUGIN),
        ]
      : []),
  ];
  return all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
