// validate-cluster through the API with the admin certificate: /readyz, every worker registered and Ready, the
// components healthy. kube-up looped on `kubectl get nodes` (and could loop forever, kubernetes#12412): here every
// wait is bounded and says what it is still waiting for.
import { CancelledError, ValidationError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { ApiClient } from './api-client.js';
import { formatDnsReport, waitCoredns, type DnsReport } from './addons-api.js';

export interface NodeReport {
  name: string;
  roles: string[];
  ready: boolean;
  version: string;
  internalIp?: string;
}

export interface ClusterReport {
  server: string;
  nodes: NodeReport[];
  components: { name: string; healthy: boolean; message: string }[];
  /** CoreDNS, when the profile runs it. Not available is reported, not a failure: its pods may still be starting. */
  dns?: DnsReport;
}

export interface ValidateOptions {
  timeoutMs?: number;
  intervalMs?: number;
  onStatus?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** A cancelled run stops waiting at the next look. */
  signal?: AbortSignal;
  /** Bound of the wait for CoreDNS (default 120 s). */
  dnsTimeoutMs?: number;
}

interface NodeObject {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; nodeInfo?: { kubeletVersion?: string }; addresses?: { type: string; address: string }[] };
}

const ROLE_LABEL = 'node-role.kubernetes.io/';

export function nodeReport(n: NodeObject): NodeReport {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((l) => l.startsWith(ROLE_LABEL))
    .map((l) => l.slice(ROLE_LABEL.length))
    .sort();
  const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return { name: n.metadata.name, roles, ready, version: n.status?.nodeInfo?.kubeletVersion ?? '?', ...(ip && { internalIp: ip }) };
}

/** The node names the plan expects to register: every host with the worker role (kubelet runs there). */
export function expectedNodes(plan: Plan): string[] {
  return plan.hosts.filter((h) => h.roles.includes('worker')).map((h) => h.nodeName);
}

export async function poll<T>(what: string, opts: ValidateOptions, attempt: () => Promise<{ done: true; value: T } | { done: false; status: string }>): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? 3000;
  const timeout = opts.timeoutMs ?? 180_000;
  const deadline = now() + timeout;
  let last = '';
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError(`cancelled while waiting for ${what}`);
    let r: Awaited<ReturnType<typeof attempt>>;
    try {
      r = await attempt();
    } catch (e) {
      r = { done: false, status: (e as Error).message };
    }
    if (r.done) return r.value;
    if (r.status !== last) opts.onStatus?.(r.status);
    last = r.status;
    if (now() + interval > deadline) {
      throw new ValidationError(`${what}: still ${last} after ${Math.round(timeout / 1000)} s`, {
        hint: 'check the failing node or component on its host (systemctl status, journalctl -u); then run kubeup up again',
      });
    }
    await sleep(interval);
  }
}

export async function waitApiReady(api: ApiClient, opts: ValidateOptions): Promise<void> {
  await poll('API server /readyz', opts, async () => {
    const r = await api.request('GET', '/readyz?verbose');
    if (r.status === 200) return { done: true, value: undefined };
    const failing = r.text.split('\n').filter((l) => l.startsWith('[-]')).join(', ');
    return { done: false, status: `not ready (HTTP ${r.status}${failing ? `: ${failing}` : ''})` };
  });
}

export async function waitNodesReady(api: ApiClient, expected: string[], opts: ValidateOptions): Promise<NodeReport[]> {
  return poll('nodes', opts, async () => {
    const r = await api.request<{ items?: NodeObject[] }>('GET', '/api/v1/nodes');
    if (r.status !== 200) return { done: false, status: `GET /api/v1/nodes answered HTTP ${r.status}` };
    const nodes = (r.body.items ?? []).map(nodeReport);
    const ready = new Set(nodes.filter((n) => n.ready).map((n) => n.name));
    const missing = expected.filter((n) => !ready.has(n));
    if (missing.length === 0) return { done: true, value: nodes.sort((a, b) => a.name.localeCompare(b.name)) };
    const registered = new Set(nodes.map((n) => n.name));
    const why = missing.map((m) => (registered.has(m) ? `${m} (NotReady)` : `${m} (not registered)`));
    return { done: false, status: `${expected.length - missing.length} of ${expected.length} nodes ready, missing: ${why.join(', ')}` };
  });
}

/** The role labels a node of the plan carries: worker, and control-plane on a master. */
export function wantedRoles(roles: readonly string[]): string[] {
  return [...(roles.includes('master') ? ['control-plane'] : []), 'worker'];
}

/**
 * Gives each node the conventional role labels (kubelets may not label themselves with node-role under
 * NodeRestriction), all at once; a node that `seen` (the nodes as last listed) shows with them already is left alone.
 * Returns whether it labelled any.
 */
export async function labelNodeRoles(api: ApiClient, plan: Plan, seen: readonly NodeReport[] = []): Promise<boolean> {
  const has = new Map(seen.map((n) => [n.name, new Set(n.roles)]));
  const todo = plan.hosts.filter((x) => x.roles.includes('worker') && !wantedRoles(x.roles).every((r) => has.get(x.nodeName)?.has(r)));
  await Promise.all(
    todo.map(async (h) => {
      const labels = Object.fromEntries(wantedRoles(h.roles).map((r) => [`${ROLE_LABEL}${r}`, '']));
      const r = await api.request('PATCH', `/api/v1/nodes/${encodeURIComponent(h.nodeName)}`, { metadata: { labels } }, 'application/merge-patch+json');
      if (r.status >= 300) throw new ValidationError(`could not label node ${h.nodeName}: HTTP ${r.status}: ${r.text.slice(0, 200)}`, { host: h.id });
    }),
  );
  return todo.length > 0;
}

export async function waitComponentsHealthy(api: ApiClient, opts: ValidateOptions): Promise<ClusterReport['components']> {
  return poll('component health', opts, async () => {
    const r = await api.request<{ items?: { metadata: { name: string }; conditions?: { type: string; status: string; message?: string; error?: string }[] }[] }>('GET', '/api/v1/componentstatuses');
    if (r.status !== 200) return { done: false, status: `GET /api/v1/componentstatuses answered HTTP ${r.status}` };
    const comps = (r.body.items ?? []).map((c) => {
      const cond = c.conditions?.find((x) => x.type === 'Healthy');
      return { name: c.metadata.name, healthy: cond?.status === 'True', message: cond?.message ?? cond?.error ?? '' };
    });
    const bad = comps.filter((c) => !c.healthy);
    if (comps.length && bad.length === 0) return { done: true, value: comps.sort((a, b) => a.name.localeCompare(b.name)) };
    return { done: false, status: bad.length ? `unhealthy: ${bad.map((b) => `${b.name} (${b.message})`).join(', ')}` : 'no components reported' };
  });
}

export async function validateCluster(api: ApiClient, plan: Plan, opts: ValidateOptions = {}): Promise<ClusterReport> {
  await waitApiReady(api, opts);
  const ready = await waitNodesReady(api, expectedNodes(plan), opts);
  const labelled = await labelNodeRoles(api, plan, ready);
  const components = await waitComponentsHealthy(api, opts);
  // The nodes again only when labels changed them (the report shows the roles).
  const r = labelled ? await api.request<{ items?: NodeObject[] }>('GET', '/api/v1/nodes') : undefined;
  const nodes = r ? (r.body.items ?? []).map(nodeReport).sort((a, b) => a.name.localeCompare(b.name)) : ready;
  const dnsPlan = plan.cluster.addons.dns;
  const dns = dnsPlan
    ? await waitCoredns(api, dnsPlan.replicas, {
        timeoutMs: opts.dnsTimeoutMs ?? 120_000,
        intervalMs: opts.intervalMs ?? 3000,
        ...(opts.onStatus && { onStatus: opts.onStatus }),
        ...(opts.signal && { signal: opts.signal }),
        ...(opts.sleep && { sleep: opts.sleep }),
        ...(opts.now && { now: opts.now }),
      })
    : undefined;
  return { server: api.server, nodes, components, ...(dns && { dns }) };
}

export function formatClusterReport(report: ClusterReport, context: string): string {
  const w = Math.max(4, ...report.nodes.map((n) => n.name.length));
  const lines = [
    `Kubernetes control plane is running at ${report.server}`,
    '',
    `${'NAME'.padEnd(w)}  STATUS    ROLES                  VERSION`,
    ...report.nodes.map((n) => `${n.name.padEnd(w)}  ${(n.ready ? 'Ready' : 'NotReady').padEnd(8)}  ${(n.roles.join(',') || '<none>').padEnd(21)}  ${n.version}`),
    '',
    ...report.components.map((c) => `component ${c.name}: ${c.healthy ? 'Healthy' : `Unhealthy (${c.message})`}`),
    ...(report.dns ? [formatDnsReport(report.dns)] : []),
    '',
    report.dns && !report.dns.available
      ? `Cluster validation succeeded for the control plane and the nodes, but cluster DNS is not available: pods that look up names fail until it is. Use it with:  kubectl --context ${context} get nodes`
      : `Cluster validation succeeded. Use it with:  kubectl --context ${context} get nodes`,
  ];
  return lines.join('\n');
}
