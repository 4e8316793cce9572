// What the upgrade suites read from a cluster, through the real kubectl and OpenSSH: the Nodes, the API server's
// version, a unit's start time and a binary's own --version.
import type { TestCluster } from '../harness/hosts/index.js';
import { kubectl, onHost } from './helpers.js';

export interface NodeJson {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status: { nodeInfo: { kubeletVersion: string }; conditions?: { type: string; status: string }[] };
}

export function upgradeProbes(cluster: TestCluster, kubeconfig: string, context: string) {
  return {
    nodes: () => new Map((JSON.parse(kubectl(kubeconfig, ['--context', context, 'get', 'nodes', '-o', 'json'])) as { items: NodeJson[] }).items.map((n) => [n.metadata.name, n])),
    serverVersion: () => (JSON.parse(kubectl(kubeconfig, ['--context', context, 'version', '-o', 'json'])) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion,
    nodeName: (i: number) => cluster.hosts[i]!.name,
    addr: (i: number) => cluster.hosts[i]!.address,
    /** The unit's main process start, in µs of the host's monotonic clock: a restart makes it larger. */
    started: (i: number, unit: string) => Number(onHost(cluster, i, `systemctl show -p ExecMainStartTimestampMonotonic --value ${unit}`).trim()),
    binaryVersion: (i: number, bin: string) => onHost(cluster, i, `/opt/bin/${bin} --version`).trim(),
  };
}
