// `kubeup remove-node HOST` (and `up` for a host gone from the profile): cordon and drain the node through the API,
// stop and clean what kubeup installed on the host (the same removal list as `down`), delete the Node object, and
// forget the host (profile, record of deployed hosts). A dead host can be removed with --force: the API-side steps
// run and the host-side step is reported as skipped. The CA and the other nodes' certificates stay.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readDeployedRecord, updateDeployedRecord } from '../deployed-record.js';
import { DeployError, KubeupError, UsageError } from '../errors.js';
import { acquireHostLock, acquireLocalLock, LockError, type HostLock } from '../lock/index.js';
import { assumedFacts, buildPlan } from '../plan/index.js';
import { removedHosts, type DeployedRecord } from '../plan/diff.js';
import type { HostPlan } from '../plan/types.js';
import { certFile, keyFile } from '../pki/index.js';
import { teardownHost } from '../provision/teardown.js';
import { hostId, type HostSpec, type Profile } from '../profile/types.js';
import type { HostSession } from '../ssh/session.js';
import { ApiClient } from '../verify/api-client.js';
import { deleteNode, drainNode, type DrainOptions } from '../verify/drain.js';
import type { RunDeps, RunOptions } from './context.js';

export interface RemoveOptions extends Omit<DrainOptions, 'signal' | 'onStatus' | 'now' | 'sleep' | 'intervalMs'> {
  /** Also: a host that cannot be reached is removed from the cluster without being cleaned. */
  force: boolean;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 120_000;

export interface RemovalTarget {
  id: string;
  spec: HostSpec;
  nodeName: string;
  inProfile: boolean;
}

export type StepOutcome = { step: 'drain' | 'clean' | 'delete node' | 'forget'; outcome: string; skipped?: boolean };

export interface RemoveResult {
  target: RemovalTarget;
  steps: StepOutcome[];
  warnings: string[];
}

/** The host named on the command line: its id (address[:port]), address or node name, in the profile or the record. */
export function findRemovalTarget(profile: Profile, record: DeployedRecord | undefined, name: string): RemovalTarget {
  const deployed = record?.hosts.find((h) => h.id === name || h.spec.address === name || h.nodeName === name);
  const spec = profile.hosts.find((h) => hostId(h) === name || h.address === name || h.nodeName === name || (deployed && hostId(h) === deployed.id));
  const found = spec ?? deployed?.spec;
  if (!found) {
    const known = [...new Set([...profile.hosts.map(hostId), ...(record?.hosts.map((h) => h.id) ?? [])])];
    throw new UsageError(`no host ${name} in profile ${profile.name} or among its deployed hosts`, { hint: `name one of: ${known.join(', ') || '(none)'} (address, address:port or node name)` });
  }
  if (found.roles.includes('master')) {
    throw new UsageError(`${hostId(found)} is the control-plane host of ${profile.name}: remove-node cannot remove it`, {
      hint:
        'it runs etcd and the API server, and the cluster has only that one; removing it would need a second control-plane host to take over first ' +
        '(etcd member add, then member remove keeping quorum; the API server address in every kubeconfig and certificate moved to it), which kubeup does not build yet. ' +
        'To take the whole cluster down: kubeup down',
    });
  }
  const nodeName = deployed?.nodeName ?? found.nodeName;
  if (!nodeName) {
    throw new UsageError(`kubeup has no record of the node name of ${hostId(found)}`, { hint: `set hosts[].nodeName for it in the profile (kubectl get nodes shows it), then run the command again` });
  }
  return { id: hostId(found), spec: found, nodeName, inProfile: spec !== undefined };
}

/** The admin client from the cluster's PKI folder (read only). */
export async function adminClientFromState(profile: Profile, stateDir: string, timeoutMs?: number): Promise<ApiClient> {
  const dir = join(stateDir, 'pki');
  try {
    const [caPem, certPem, keyPem] = await Promise.all([readFile(certFile(dir, 'ca'), 'utf8'), readFile(certFile(dir, 'admin'), 'utf8'), readFile(keyFile(dir, 'admin'), 'utf8')]);
    const master = profile.hosts.find((h) => h.roles.includes('master'))!;
    const host = master.address.includes(':') ? `[${master.address}]` : master.address;
    return new ApiClient({ server: `https://${host}:${profile.network.apiServerPort}`, caPem, certPem, keyPem }, timeoutMs);
  } catch (cause) {
    throw new DeployError(`no admin certificate for cluster ${profile.name} on this machine`, { file: dir, cause, hint: 'run kubeup up for the profile first (it issues the admin certificate)' });
  }
}

/** The host as the plan describes it, for the removal list (paths do not depend on facts). */
function hostPlanFor(profile: Profile, target: RemovalTarget): HostPlan {
  const withHost = target.inProfile ? profile : { ...profile, hosts: [...profile.hosts, target.spec] };
  return buildPlan(withHost, assumedFacts(withHost)).hosts.find((h) => h.id === target.id)!;
}

export interface RemoveHooks {
  log: (line: string) => void;
  onStatus?: (line: string) => void;
  signal?: AbortSignal;
}

/** Every step for one host. The session is undefined when the host could not be reached (only with --force). */
export async function removeHost(profile: Profile, target: RemovalTarget, session: HostSession | undefined, api: ApiClient, stateDir: string, opts: RemoveOptions, hooks: RemoveHooks): Promise<RemoveResult> {
  const steps: StepOutcome[] = [];
  const warnings: string[] = [];
  const step = (s: StepOutcome) => {
    steps.push(s);
    hooks.log(`${s.step}: ${s.outcome}`);
  };
  hooks.onStatus?.(`cordon and drain node ${target.nodeName}`);
  // A dead host's pods never confirm they stopped: with --force they are evicted and not waited for.
  const drained = await drainNode(api, target.nodeName, { ...opts, waitForDelete: session !== undefined, ...(hooks.signal && { signal: hooks.signal }), ...(hooks.onStatus && { onStatus: hooks.onStatus }) });
  if (drained.noNode) step({ step: 'drain', outcome: `no Node ${target.nodeName} in the API: nothing to drain`, skipped: true });
  else step({ step: 'drain', outcome: `cordoned; ${drained.evicted.length} pod(s) evicted${drained.ignored.length ? `, ${drained.ignored.length} ignored (${drained.ignored.join(', ')})` : ''}` });
  if (drained.remaining.length) warnings.push(`pods still terminating on the unreachable node ${target.nodeName}: ${drained.remaining.join(', ')}`);
  if (session) {
    hooks.onStatus?.('stopping and removing units, binaries, configuration, certificates and data');
    const r = await teardownHost(session, hostPlanFor(profile, target), hooks.log);
    step({ step: 'clean', outcome: `${r.unitsStopped.length} units stopped, ${r.removed.length} paths removed` });
    warnings.push(...r.warnings);
  } else {
    step({ step: 'clean', outcome: `skipped: ${target.id} could not be reached (--force); what kubeup installed there is still on it`, skipped: true });
  }
  const deleted = await deleteNode(api, target.nodeName);
  step({ step: 'delete node', outcome: deleted === 'deleted' ? `Node ${target.nodeName} deleted` : `no Node ${target.nodeName} to delete`, ...(deleted !== 'deleted' && { skipped: true }) });
  await updateDeployedRecord(stateDir, profile.name, [], [target.id]);
  return { target, steps, warnings };
}

export interface RemoveNodeRun extends RemoveResult {
  /** The profile without the host (the caller saves it). */
  profile: Profile;
}

/** `kubeup remove-node`: connect (bounded), then removeHost. An unreachable host stops here unless --force. */
export async function runRemoveNode(profile: Profile, name: string, opts: RunOptions & { remove: RemoveOptions }, deps: RunDeps, log: (line: string) => void = () => {}): Promise<RemoveNodeRun> {
  const target = findRemovalTarget(profile, readDeployedRecord(opts.stateDir), name);
  const api = await adminClientFromState(profile, opts.stateDir);
  // The same two locks as up and down (src/lock): no other run on this machine, none working on the host.
  const local = acquireLocalLock(opts.stateDir, {
    command: opts.command ?? `kubeup remove-node ${name} --profile ${profile.name}`,
    ...(opts.forceUnlock && { force: true }),
    onWarning: (m) => opts.onWarning?.(undefined, m),
    now: deps.now(),
  });
  let session: HostSession | undefined;
  let hostLock: HostLock | undefined;
  const index = profile.hosts.findIndex((h) => hostId(h) === target.id);
  try {
    try {
      session = (await deps.connect({ host: target.spec, field: index >= 0 ? `hosts[${index}]` : target.id, profile, acceptNewHostKeys: opts.acceptNewHostKeys, secrets: opts.secrets })).session;
      hostLock = await acquireHostLock(session, target.id, { holder: local.holder, ...(opts.forceUnlock && { force: true }), onWarning: (m) => opts.onWarning?.(target.id, m) });
    } catch (e) {
      if (e instanceof LockError) throw e;
      if (!opts.remove.force) {
        throw new DeployError(`cannot reach ${target.id}: ${e instanceof KubeupError ? e.message : (e as Error).message}`, {
          host: target.id,
          hint: 'nothing was changed. If the host is gone for good, add --force: the node is drained and deleted from the cluster, the host itself is left as it is',
        });
      }
      opts.onWarning?.(target.id, `cannot reach the host (${e instanceof KubeupError ? e.message : (e as Error).message}); --force: removing it from the cluster without cleaning it`);
    }
    const result = await removeHost(profile, target, session, api, opts.stateDir, opts.remove, { log, ...(opts.signal && { signal: opts.signal }) });
    const hosts = profile.hosts.filter((h) => hostId(h) !== target.id);
    return { ...result, profile: { ...profile, hosts } };
  } finally {
    await hostLock?.release();
    await session?.close().catch(() => undefined);
    local.release();
  }
}

export function formatRemoval(r: RemoveResult): string {
  return [`Removed ${r.target.id} (node ${r.target.nodeName}):`, ...r.steps.map((s) => `  ${s.skipped ? '-' : '✓'} ${s.step}: ${s.outcome}`), ...r.warnings.map((w) => `  warning: ${w}`)].join('\n');
}


/** `up` after hosts were taken out of the profile: each deployed host that is gone from it is removed like remove-node. */
export async function removeDroppedHosts(profile: Profile, opts: RunOptions & { remove?: RemoveOptions }, deps: RunDeps, hooks: RemoveHooks & { onHost?: (id: string, line: string) => void }): Promise<RemoveResult[]> {
  const record = readDeployedRecord(opts.stateDir);
  const dropped = removedHosts(record, profile.hosts.map(hostId));
  if (dropped.length === 0) return [];
  const api = await adminClientFromState(profile, opts.stateDir);
  const remove = opts.remove ?? { force: false, ignoreDaemonSets: true, timeoutMs: DEFAULT_DRAIN_TIMEOUT_MS };
  const results: RemoveResult[] = [];
  for (const h of dropped) {
    const target: RemovalTarget = { id: h.id, spec: h.spec, nodeName: h.nodeName, inProfile: false };
    let session: HostSession | undefined;
    try {
      try {
        session = (await deps.connect({ host: h.spec, field: h.id, profile, acceptNewHostKeys: opts.acceptNewHostKeys, secrets: opts.secrets })).session;
      } catch (e) {
        if (!remove.force) throw new DeployError(`cannot reach ${h.id}, which was removed from the profile: ${(e as Error).message}`, { host: h.id, hint: 'when it is gone for good: kubeup remove-node --force (drains and deletes the node without cleaning the host)' });
        opts.onWarning?.(h.id, `cannot reach the host; --force: removing it from the cluster without cleaning it`);
      }
      results.push(await removeHost(profile, target, session, api, opts.stateDir, remove, { ...hooks, onStatus: (l) => hooks.onHost?.(h.id, l) }));
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
  return results;
}
