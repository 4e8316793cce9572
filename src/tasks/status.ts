// `kubeup status`: read-only. Each deployed host is looked at in one pass (files against what kubeup wrote there,
// units), and the API says which nodes are Ready. Nothing is changed anywhere; the exit code tells a cron job
// whether something drifted or is down.
import { readDeployedRecord } from '../deployed-record.js';
import { KubeupError } from '../errors.js';
import { diffHost, type DeployedHost, type DesiredFile, type FileChange } from '../plan/diff.js';
import { hostId, type Profile } from '../profile/types.js';
import { observeHost } from '../provision/observe.js';
import { nodeReport } from '../verify/validate-cluster.js';
import type { RunDeps, RunOptions } from './context.js';
import { eachBounded } from './observe-cluster.js';
import { adminClientFromState } from './remove-node.js';

export const STATUS_EXIT = { clean: 0, drift: 10, down: 11, driftAndDown: 12 } as const;

export interface HostStatus {
  id: string;
  nodeName: string;
  /** Why the host could not be looked at. */
  unreachable?: string;
  drift: FileChange[];
  units: { name: string; state: string }[];
  /** Ready / NotReady / missing (no Node object) / unknown (API not answering); none for a host without the worker role. */
  node?: 'Ready' | 'NotReady' | 'missing' | 'unknown';
}

export interface ClusterStatus {
  profile: string;
  hosts: HostStatus[];
  /** Hosts of the profile that were never deployed (kubeup up adds them). */
  notDeployed: string[];
  apiError?: string;
}

const desiredFromRecord = (h: DeployedHost): DesiredFile[] =>
  Object.entries(h.files)
    .map(([path, f]): DesiredFile => ({ path, sha256: f.sha256, mode: f.mode, owner: f.owner, kind: f.kind, restarts: [], ...(f.text !== undefined && { text: f.text }) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));

async function nodeStates(profile: Profile, opts: RunOptions): Promise<{ states?: Map<string, 'Ready' | 'NotReady'>; error?: string }> {
  try {
    const api = await adminClientFromState(profile, opts.stateDir);
    const r = await api.request<{ items?: Parameters<typeof nodeReport>[0][] }>('GET', '/api/v1/nodes');
    if (r.status !== 200) return { error: `GET /api/v1/nodes answered HTTP ${r.status}` };
    return { states: new Map((r.body.items ?? []).map(nodeReport).map((n) => [n.name, n.ready ? 'Ready' : 'NotReady'])) };
  } catch (e) {
    return { error: e instanceof KubeupError ? e.message : (e as Error).message };
  }
}

export async function clusterStatus(profile: Profile, opts: RunOptions, deps: RunDeps): Promise<ClusterStatus> {
  const record = readDeployedRecord(opts.stateDir);
  const deployed = record?.hosts ?? [];
  const nodes = await nodeStates(profile, opts);
  const hosts = await eachBounded(deployed, opts.concurrency, async (h): Promise<HostStatus> => {
    const node: HostStatus['node'] = h.roles.includes('worker') ? (nodes.states ? (nodes.states.get(h.nodeName) ?? 'missing') : 'unknown') : undefined;
    const base = { id: h.id, nodeName: h.nodeName, ...(node && { node }) };
    const index = profile.hosts.findIndex((p) => hostId(p) === h.id);
    let session;
    try {
      session = (await deps.connect({ host: h.spec, field: index >= 0 ? `hosts[${index}]` : h.id, profile, acceptNewHostKeys: false, secrets: opts.secrets })).session;
    } catch (e) {
      return { ...base, unreachable: e instanceof KubeupError ? e.message : (e as Error).message, drift: [], units: [] };
    }
    try {
      const desired = desiredFromRecord(h);
      const seen = await observeHost(session, { id: h.id, files: desired, units: h.units });
      const diff = diffHost({ id: h.id, nodeName: h.nodeName, units: h.units, desired, observed: seen, deployed: h });
      return { ...base, drift: diff.files, units: h.units.map((u) => ({ name: u, state: seen.units[u]?.state ?? 'unknown' })) };
    } finally {
      await session.close().catch(() => undefined);
    }
  });
  const known = new Set(deployed.map((h) => h.id));
  return { profile: profile.name, hosts, notDeployed: profile.hosts.map(hostId).filter((id) => !known.has(id)), ...(nodes.error && { apiError: nodes.error }) };
}

export function isDrifted(s: ClusterStatus): boolean {
  return s.notDeployed.length > 0 || s.hosts.some((h) => h.drift.length > 0);
}

export function isDown(s: ClusterStatus): boolean {
  return s.apiError !== undefined || s.hosts.some((h) => h.unreachable !== undefined || h.units.some((u) => u.state !== 'active') || (h.node !== undefined && h.node !== 'Ready'));
}

export function statusExitCode(s: ClusterStatus): number {
  const drift = isDrifted(s);
  const down = isDown(s);
  return drift && down ? STATUS_EXIT.driftAndDown : drift ? STATUS_EXIT.drift : down ? STATUS_EXIT.down : STATUS_EXIT.clean;
}

export function formatStatus(s: ClusterStatus): string {
  const lines = [`Status of cluster ${s.profile}`];
  if (s.apiError) lines.push(`  API: not answering (${s.apiError})`);
  for (const h of s.hosts) {
    lines.push(`  ${h.id} (node ${h.nodeName})${h.node ? `: node ${h.node}` : ''}`);
    if (h.unreachable) {
      lines.push(`    unreachable: ${h.unreachable}`);
      continue;
    }
    const bad = h.units.filter((u) => u.state !== 'active');
    lines.push(bad.length ? `    units: ${bad.map((u) => `${u.name} ${u.state}`).join(', ')} (${h.units.length - bad.length} of ${h.units.length} active)` : `    units: all ${h.units.length} active`);
    if (h.drift.length === 0) lines.push('    files: as kubeup wrote them');
    for (const f of h.drift) {
      lines.push(`    drift: ${f.path} ${f.change === 'add' ? 'is missing' : `changed (${f.what.join(', ')})`}${f.note ? ` [${f.note}]` : ''}`);
      if (f.diff) lines.push(...f.diff.trimEnd().split('\n').map((l) => `        ${l}`));
    }
  }
  for (const id of s.notDeployed) lines.push(`  ${id}: in the profile, not deployed yet (kubeup up adds it)`);
  const drift = isDrifted(s);
  const down = isDown(s);
  lines.push(drift || down ? `Not clean:${drift ? ' drift' : ''}${drift && down ? ' and' : ''}${down ? ' something is down' : ''}. kubeup up puts kubeup's files back and starts what is stopped.` : 'Clean: every file as kubeup wrote it, every unit active, every node Ready.');
  return `${lines.join('\n')}\n`;
}
