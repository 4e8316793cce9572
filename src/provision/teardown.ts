// `kubeup down` on one host: stop and remove everything kubeup installed, derived from the same plan that
// installed it, so the two cannot drift apart. Only kubeup's own paths are touched.
import type { HostPlan } from '../plan/types.js';
import type { HostSession } from '../ssh/session.js';
import { dataDirs, MODULES_FILE, SYSCTL_FILE } from './steps.js';

/** State the daemons themselves create under kubeup's units (removed with them). */
const DAEMON_STATE: Record<string, string[]> = {
  'etcd.service': ['/var/lib/etcd'],
  // The default audit log folder only: a folder the profile chose (audit.logPath) may hold other files.
  'kube-apiserver.service': ['/var/log/kubernetes/audit'],
  'containerd.service': ['/var/lib/containerd', '/run/containerd'],
  'kubelet.service': ['/var/lib/kubelet'],
  'flanneld.service': ['/run/flannel', '/var/lib/cni/networks/cbr0', '/var/lib/cni/flannel'],
};

/** Directories kubeup creates; removed only when empty (something else may live there too). */
const KUBEUP_DIRS = ['/etc/kubernetes/pki/etcd', '/var/log/kubernetes', '/etc/kubernetes/pki', '/etc/kubernetes', '/etc/kube-flannel', '/etc/containerd', '/etc/cni/net.d', '/etc/cni', '/opt/cni/bin', '/opt/cni', '/opt/bin', '/var/lib/cni'];

export interface TeardownRecord {
  removed: string[];
  unitsStopped: string[];
  warnings: string[];
}

export function teardownPaths(host: HostPlan): { files: string[]; trees: string[] } {
  const files = new Set<string>([MODULES_FILE, SYSCTL_FILE]);
  host.files.forEach((f) => files.add(f.path));
  host.binaries.forEach((b) => files.add(b.path));
  for (const c of host.certificates) [c.cert, c.key, c.publicKey].forEach((p) => p && files.add(p));
  const trees = new Set<string>(dataDirs(host).map((d) => d.path));
  host.units.forEach((u) => (DAEMON_STATE[u] ?? []).forEach((p) => trees.add(p)));
  // kubeup's own bookkeeping on the host (restarts owed by an interrupted run, see execute.ts).
  trees.add('/var/lib/kubeup');
  return { files: [...files].sort(), trees: [...trees].sort() };
}

export async function teardownHost(session: HostSession, host: HostPlan, log: (line: string) => void = () => {}): Promise<TeardownRecord> {
  const record: TeardownRecord = { removed: [], unitsStopped: [], warnings: [] };
  const run = async (argv: string[], bestEffort = false) => {
    log(`$ ${argv.join(' ')}`);
    const r = await session.exec(argv, { sudo: true, allowFailure: bestEffort, onLine: (l) => log(`  ${l}`) });
    return r;
  };
  // Stop in reverse start order: kubelet before containerd, the API server before etcd.
  const units = [...host.units].reverse();
  const present = await session.exec(['systemctl', 'list-unit-files', '--no-legend', '--plain', ...units], { sudo: true, allowFailure: true });
  const known = units.filter((u) => present.stdout.includes(u));
  if (known.length) {
    await run(['systemctl', 'disable', '--now', ...known], true);
    record.unitsStopped.push(...known);
  }
  // The kubelet leaves mounts under /var/lib/kubelet; a busy mount must not stop the rest.
  await run(['sh', '-c', 'for m in $(grep -o " /var/lib/kubelet/[^ ]*" /proc/mounts | sort -r); do umount "$m"; done; true'], true);
  const { files, trees } = teardownPaths(host);
  await run(['rm', '-f', '--', ...files]);
  await run(['rm', '-rf', '--', ...trees]);
  record.removed.push(...files, ...trees);
  // flannel's and the bridge plugin's interfaces.
  for (const link of ['flannel.1', 'cni0']) {
    const r = await run(['ip', 'link', 'delete', link], true);
    if (r.code === 0) record.removed.push(`link ${link}`);
  }
  await run(['rmdir', '--ignore-fail-on-non-empty', '--', ...KUBEUP_DIRS], true);
  await run(['systemctl', 'daemon-reload']);
  if (known.length) await run(['systemctl', 'reset-failed', ...known], true);
  return record;
}
