// The add-ons through the API: server-side apply of each object (field manager kubeup, strict field validation, so
// a field the API does not know is refused rather than dropped), their removal, and the bounded wait for CoreDNS
// to become available, saying what it waits for and why it is not there yet.
import { COREDNS_DEPLOYMENT, objectLabel, objectPath, type AddonObject } from '../addons/index.js';
import { CancelledError, DeployError } from '../errors.js';
import { ApiRefusal, FIELD_MANAGER, type ApiClient, type ApplyOutcome } from './api-client.js';

interface Meta {
  metadata?: { managedFields?: { manager: string; operation: string }[] };
}

function refused(what: string, obj: Pick<AddonObject, 'kind' | 'metadata'>, r: { status: number; body: unknown; text: string }): DeployError {
  const s = r.body as { message?: string; reason?: string } | undefined;
  const message = typeof s === 'object' && s?.message ? s.message : r.text.slice(0, 300);
  return new DeployError(`the API server refused to ${what} ${objectLabel(obj)}: HTTP ${r.status}${s && typeof s === 'object' && s.reason ? ` ${s.reason}` : ''}: ${message}`, {
    hint: 'the objects are kubeup\'s own: this is a bug in kubeup, or the API server does not serve what the profile\'s Kubernetes version should; report it with this message',
  });
}

/** Server-side apply of one object, a refusal as an error naming the object and the server's own words. */
export async function applyObject(api: ApiClient, obj: AddonObject): Promise<ApplyOutcome> {
  try {
    return (await api.serverSideApply(objectPath(obj), obj)).outcome;
  } catch (e) {
    if (e instanceof ApiRefusal) throw refused('apply', obj, { status: e.status, body: { message: e.serverMessage, reason: e.reason }, text: e.serverMessage });
    throw e;
  }
}

export async function applyObjects(api: ApiClient, objects: readonly AddonObject[], onStatus?: (line: string) => void): Promise<Map<AddonObject, ApplyOutcome>> {
  const out = new Map<AddonObject, ApplyOutcome>();
  for (const o of objects) {
    onStatus?.(`applying ${objectLabel(o)}`);
    out.set(o, await applyObject(api, o));
  }
  return out;
}

/**
 * Deletes what kubeup applied, last applied first. With `onlyOwned`, an object without kubeup's Apply entry in
 * its managedFields (someone else made it) is left alone.
 */
export async function deleteObjects(api: ApiClient, objects: readonly AddonObject[], opts: { onlyOwned: boolean }): Promise<string[]> {
  const deleted: string[] = [];
  for (const o of [...objects].reverse()) {
    const path = objectPath(o);
    if (opts.onlyOwned) {
      const cur = await api.request<Meta>('GET', path);
      if (cur.status === 404) continue;
      if (cur.status !== 200) throw refused('read', o, cur);
      if (!cur.body.metadata?.managedFields?.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply')) continue;
    }
    const r = await api.request('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    if (r.status === 404) continue;
    if (r.status >= 300) throw refused('delete', o, r);
    deleted.push(objectLabel(o));
  }
  return deleted;
}

// ---------------------------------------------------------------- waiting for CoreDNS

export interface DnsReport {
  ready: number;
  wanted: number;
  available: boolean;
  /** Why it is not available, from the API: the Deployment's status and conditions, its pods, their nodes. */
  reason?: string;
}

export interface DnsWaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /**
   * How long a Deployment may stay without any status. A running controller-manager gives it one within a second
   * or two; without one nothing will change, and waiting longer only delays the report.
   */
  noControllerMs?: number;
  onStatus?: (line: string) => void;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface DeploymentObject {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; readyReplicas?: number; availableReplicas?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

interface PodObject {
  metadata: { name: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { ready?: boolean; state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } } }[];
  };
}

function podReason(p: PodObject): string {
  const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (!p.spec?.nodeName) return scheduled?.status === 'False' ? `not scheduled (${scheduled.reason ?? ''}${scheduled.message ? `: ${scheduled.message}` : ''})` : 'not scheduled yet';
  const waiting = p.status?.containerStatuses?.map((c) => c.state?.waiting).find((w) => w?.reason);
  if (waiting) return `on ${p.spec.nodeName}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  const terminated = p.status?.containerStatuses?.map((c) => c.state?.terminated).find((t) => t?.reason);
  if (terminated) return `on ${p.spec.nodeName}: ${terminated.reason} (exit code ${terminated.exitCode ?? '?'})`;
  if (!p.status?.containerStatuses?.length) return `on ${p.spec.nodeName}: ${p.status?.phase ?? 'Pending'}, no container status reported by the node's kubelet`;
  const ready = p.status.conditions?.find((c) => c.type === 'Ready');
  return `on ${p.spec.nodeName}: ${p.status.phase ?? 'Pending'}, not Ready${ready?.message ? ` (${ready.message})` : ''}`;
}

/** What the nodes the pods landed on report when they are not Ready (ContainerRuntimeNotReady, ...). */
async function nodeTrouble(api: ApiClient, pods: PodObject[]): Promise<string[]> {
  const names = [...new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n))].sort();
  const out: string[] = [];
  for (const name of names) {
    const r = await api.request<{ status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }>('GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
    const ready = r.status === 200 ? r.body.status?.conditions?.find((c) => c.type === 'Ready') : undefined;
    if (ready && ready.status !== 'True') out.push(`node ${name} is not Ready (${ready.reason ?? ready.status}${ready.message ? `: ${ready.message}` : ''})`);
  }
  return out;
}

/** One look at the Deployment and its pods. */
export async function corednsState(api: ApiClient, wanted: number): Promise<DnsReport & { hasStatus: boolean }> {
  const { namespace, name, selector } = COREDNS_DEPLOYMENT;
  const d = await api.request<DeploymentObject>('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
  if (d.status === 404) return { ready: 0, wanted, available: false, hasStatus: false, reason: `Deployment ${namespace}/${name} does not exist` };
  if (d.status !== 200) return { ready: 0, wanted, available: false, hasStatus: false, reason: `GET Deployment ${namespace}/${name} answered HTTP ${d.status}` };
  const status = d.body.status ?? {};
  const ready = status.readyReplicas ?? 0;
  const hasStatus = status.observedGeneration !== undefined;
  const current = hasStatus && (status.observedGeneration ?? 0) >= (d.body.metadata?.generation ?? 0);
  const available = current && (status.availableReplicas ?? 0) >= wanted && ready >= wanted;
  if (available) return { ready, wanted, available, hasStatus };
  if (!hasStatus) {
    return { ready, wanted, available, hasStatus, reason: 'the Deployment has no status: no deployment controller (kube-controller-manager) has acted on it, so no CoreDNS pod was created' };
  }
  const pods = await api.request<{ items?: PodObject[] }>('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`);
  const items = pods.status === 200 ? (pods.body.items ?? []) : [];
  const failure = status.conditions?.find((c) => c.status === 'False' && c.message);
  const reason = items.length
    ? [...items.map((p) => `pod ${p.metadata.name} ${podReason(p)}`), ...(await nodeTrouble(api, items))].join('; ')
    : `no CoreDNS pods exist${failure ? ` (${failure.type}: ${failure.message})` : ''}`;
  return { ready, wanted, available, hasStatus, reason };
}

/** Waits, bounded, for CoreDNS; never throws for DNS that is not ready (the caller warns), only for a cancel. */
export async function waitCoredns(api: ApiClient, wanted: number, opts: DnsWaitOptions): Promise<DnsReport> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const started = now();
  const noController = opts.noControllerMs ?? 20_000;
  let last: DnsReport = { ready: 0, wanted, available: false, reason: 'not looked at yet' };
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError('cancelled while waiting for CoreDNS');
    try {
      const s = await corednsState(api, wanted);
      last = { ready: s.ready, wanted, available: s.available, ...(s.reason && { reason: s.reason }) };
      if (s.available) return last;
      opts.onStatus?.(`CoreDNS: ${s.ready} of ${wanted} ready (${s.reason})`);
      if (!s.hasStatus && now() - started >= noController) return last;
    } catch (e) {
      last = { ...last, reason: (e as Error).message };
      opts.onStatus?.(`CoreDNS: ${last.ready} of ${wanted} ready (${last.reason})`);
    }
    if (now() - started + opts.intervalMs > opts.timeoutMs) return { ...last, reason: `${last.reason ?? 'not available'}; still so after ${Math.round((now() - started) / 1000)} s` };
    await sleep(opts.intervalMs);
  }
}

export function formatDnsReport(r: DnsReport): string {
  return r.available ? `CoreDNS: ${r.ready} of ${r.wanted} ready` : `CoreDNS: ${r.ready} of ${r.wanted} ready, NOT available: ${r.reason ?? 'unknown'}`;
}
