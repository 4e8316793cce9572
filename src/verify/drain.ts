// Cordon and drain a node through the API, with kubectl drain's semantics (staging/src/k8s.io/kubectl/pkg/drain):
// DaemonSet pods are ignored, mirror (static) pods are skipped, pods that no controller manages are refused unless
// forced, every other pod is evicted through the Eviction API (policy/v1), a 429 (disruption budget) is retried,
// and the wait for the pods to go is bounded.
import { CancelledError, DeployError } from '../errors.js';
import type { ApiClient } from './api-client.js';

export interface DrainOptions {
  /** Seconds given to each pod to stop; undefined = the pod's own terminationGracePeriodSeconds (kubectl's -1). */
  gracePeriodSeconds?: number;
  /** Bound for the whole drain (evictions and the wait for the pods to go). */
  timeoutMs: number;
  /** Also delete pods that no controller manages (kubectl --force). */
  force: boolean;
  /** Leave DaemonSet pods alone (kubectl --ignore-daemonsets); false refuses to drain a node that has them. */
  ignoreDaemonSets: boolean;
  intervalMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onStatus?: (line: string) => void;
}

export interface DrainResult {
  /** The Node object did not exist (never registered, or already deleted): nothing was cordoned or drained. */
  noNode: boolean;
  evicted: string[];
  /** DaemonSet and mirror pods, left on the node. */
  ignored: string[];
  /** Evicted pods still there (only without `waitForDelete`). */
  remaining: string[];
}

interface Pod {
  metadata: { name: string; namespace: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[]; deletionTimestamp?: string };
  status?: { phase?: string };
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const podName = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;

function fail(what: string, r: { status: number; text: string }, node: string): DeployError {
  return new DeployError(`${what}: HTTP ${r.status}: ${r.text.slice(0, 300)}`, { hint: `check the API server and that node ${node} exists (kubectl get node ${node})` });
}

export async function cordonNode(api: ApiClient, node: string): Promise<'cordoned' | 'no node'> {
  const r = await api.request('PATCH', `/api/v1/nodes/${encodeURIComponent(node)}`, { spec: { unschedulable: true } }, 'application/strategic-merge-patch+json');
  if (r.status === 404) return 'no node';
  if (r.status >= 300) throw fail(`cannot cordon node ${node}`, r, node);
  return 'cordoned';
}

/** Makes a node schedulable again and drops the given annotations (null in a merge patch removes a key). */
export async function uncordonNode(api: ApiClient, node: string, dropAnnotations: readonly string[] = []): Promise<'uncordoned' | 'no node'> {
  const annotations = Object.fromEntries(dropAnnotations.map((a) => [a, null]));
  const r = await api.request('PATCH', `/api/v1/nodes/${encodeURIComponent(node)}`, { ...(dropAnnotations.length && { metadata: { annotations } }), spec: { unschedulable: null } }, 'application/strategic-merge-patch+json');
  if (r.status === 404) return 'no node';
  if (r.status >= 300) throw fail(`cannot uncordon node ${node}`, r, node);
  return 'uncordoned';
}

export async function deleteNode(api: ApiClient, node: string): Promise<'deleted' | 'no node'> {
  const r = await api.request('DELETE', `/api/v1/nodes/${encodeURIComponent(node)}`);
  if (r.status === 404) return 'no node';
  if (r.status >= 300) throw fail(`cannot delete node ${node}`, r, node);
  return 'deleted';
}

async function podsOn(api: ApiClient, node: string): Promise<Pod[]> {
  const r = await api.request<{ items?: Pod[] }>('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
  if (r.status !== 200) throw fail(`cannot list the pods of node ${node}`, r, node);
  return (r.body.items ?? []).sort((a, b) => podName(a).localeCompare(podName(b)));
}

/** kubectl drain's filters, in its order: mirror pods skipped, DaemonSet pods ignored (or refused), unmanaged pods refused unless forced. */
export function classifyPods(pods: Pod[], opts: Pick<DrainOptions, 'force' | 'ignoreDaemonSets'>): { evict: Pod[]; ignored: string[]; refused: string[] } {
  const evict: Pod[] = [];
  const ignored: string[] = [];
  const refused: string[] = [];
  for (const p of pods) {
    const terminal = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    const controller = p.metadata.ownerReferences?.find((o) => o.controller);
    if (p.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) ignored.push(`${podName(p)} (static pod)`);
    else if (controller?.kind === 'DaemonSet' && !terminal) {
      if (opts.ignoreDaemonSets) ignored.push(`${podName(p)} (DaemonSet)`);
      else refused.push(`${podName(p)} is managed by DaemonSet ${controller.name} (use --ignore-daemonsets)`);
    } else if (!controller && !terminal && !opts.force) refused.push(`${podName(p)} is not managed by a controller (use --force to delete it)`);
    else evict.push(p);
  }
  return { evict, ignored, refused };
}

/**
 * `waitForDelete: false` (a dead node, --force): the pods are evicted but not waited for; their kubelet will never
 * confirm, and once the Node is deleted the controller-manager's pod GC removes what is left. They are reported.
 */
export async function drainNode(api: ApiClient, node: string, opts: DrainOptions & { waitForDelete: boolean }): Promise<DrainResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = opts.intervalMs ?? 1000;
  const deadline = now() + opts.timeoutMs;
  const check = () => {
    if (opts.signal?.aborted) throw new CancelledError(`cancelled while draining node ${node}`);
  };
  if ((await cordonNode(api, node)) === 'no node') return { noNode: true, evicted: [], ignored: [], remaining: [] };
  const { evict, ignored, refused } = classifyPods(await podsOn(api, node), opts);
  if (refused.length) {
    throw new DeployError(`cannot drain node ${node} (it stays cordoned):\n${refused.map((r) => `  - ${r}`).join('\n')}`, {
      hint: 'move or delete those pods, or add the option named above; then run the command again',
    });
  }
  const deleteOptions = opts.gracePeriodSeconds === undefined ? undefined : { gracePeriodSeconds: opts.gracePeriodSeconds };
  const pending = [...evict];
  const evicted: string[] = [];
  while (pending.length) {
    check();
    const p = pending[0]!;
    const path = `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace)}/pods/${encodeURIComponent(p.metadata.name)}/eviction`;
    const r = await api.request('POST', path, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace }, ...(deleteOptions && { deleteOptions }) });
    if (r.status === 201 || r.status === 200 || r.status === 404) {
      pending.shift();
      evicted.push(podName(p));
      opts.onStatus?.(`evicted ${podName(p)}`);
      continue;
    }
    if (r.status !== 429) throw fail(`cannot evict pod ${podName(p)}`, r, node);
    // A disruption budget says not now: kubectl retries every 5 s until its timeout.
    if (now() + 5000 > deadline) throw new DeployError(`cannot evict pod ${podName(p)} within ${Math.round(opts.timeoutMs / 1000)} s: ${r.text.slice(0, 200)}`, { hint: 'its disruption budget allows no disruption now; scale the workload up or raise --timeout' });
    opts.onStatus?.(`${podName(p)}: disruption budget says wait, retrying`);
    await sleep(5000);
  }
  // The pods are gone when the API no longer has them (or has a new pod of the same name).
  let remaining = evict;
  for (;;) {
    check();
    const still: Pod[] = [];
    for (const p of remaining) {
      const r = await api.request<Pod>('GET', `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace)}/pods/${encodeURIComponent(p.metadata.name)}`);
      if (r.status === 200 && r.body.metadata?.uid === p.metadata.uid) still.push(p);
      else if (r.status !== 404 && r.status !== 200) throw fail(`cannot read pod ${podName(p)}`, r, node);
    }
    remaining = still;
    if (remaining.length === 0 || !opts.waitForDelete) break;
    opts.onStatus?.(`waiting for ${remaining.length} pod${remaining.length === 1 ? '' : 's'} to stop: ${remaining.map(podName).join(', ')}`);
    if (now() + interval > deadline) {
      throw new DeployError(`drain of node ${node} timed out after ${Math.round(opts.timeoutMs / 1000)} s; still there: ${remaining.map(podName).join(', ')}`, {
        hint: 'the node stays cordoned; look at those pods (kubectl describe pod), raise --timeout, or lower --grace-period',
      });
    }
    await sleep(interval);
  }
  return { noNode: false, evicted, ignored, remaining: remaining.map(podName) };
}
