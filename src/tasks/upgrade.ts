// `kubeup upgrade --to 1.35.x` (and `up` with a changed versions block): the cluster moves one component at a time in
// the order of src/plan/upgrade.ts (etcd member by member, each API server, the controllers, then the workers in
// batches), each step replacing only what it moves and waiting until it runs at the new version. What is already
// done is read from the hosts and the API on every run (binaries' sha256 against the target release, the API
// server's /version, each Node's kubeletVersion and cordon), so a run that stopped anywhere continues where it
// stopped; every host is left on the old version or the new one, never between.
import { readDeployedRecord } from '../deployed-record.js';
import { CancelledError, DeployError, KubeupError, PreflightError } from '../errors.js';
import { buildPlan } from '../plan/index.js';
import type { HostPlan, Plan } from '../plan/types.js';
import { CONTROL_PLANE_PARTS, formatUpgradeSteps, hostVersionMoves, nodeSkew, UPGRADE_PHASES, upgradeActions, upgradeOrder, upgradePreflight, type UpgradeHost, type UpgradePhase, type UpgradeStep } from '../plan/upgrade.js';
import { clusterIdentities, ensureClusterPki, identityInputFromPlan } from '../pki/index.js';
import { executeSteps } from '../provision/execute.js';
import { hostsDownload, removeHostDownloads, withBinaryContent } from '../provision/transfer.js';
import { operatorEncodings, resolveCacheDir } from '../release/index.js';
import { localSha256 } from '../provision/file-state.js';
import { hostSteps, type LocalInputs, type Step } from '../provision/steps.js';
import { acquireLocalLock } from '../lock/index.js';
import type { Profile } from '../profile/types.js';
import type { HostSession } from '../ssh/session.js';
import type { ApiClient } from '../verify/api-client.js';
import { drainNode, uncordonNode } from '../verify/drain.js';
import { verifyUnits } from '../verify/units.js';
import { poll, waitApiReady } from '../verify/validate-cluster.js';
import type { RunCtx, RunDeps, RunOptions } from './context.js';
import { convergeHost, recordProvisioned } from './converge.js';
import { connectAll, planArtifacts } from './observe-cluster.js';
import { RunRecorder } from './records.js';
import { adminClientFromState, type RemoveOptions } from './remove-node.js';
import { closeRun, lockHost } from './run-locks.js';

/** Set on a Node that the upgrade cordoned, so that only those are uncordoned (a node the user cordoned stays so). */
export const CORDONED_BY_UPGRADE = 'kubeup.io/cordoned-for-upgrade';

export interface UpgradeOptions extends RunOptions {
  /** Workers drained at once (--max-unavailable). */
  maxUnavailable: number;
  /** How a worker is drained (remove-node's options: --grace-period, --timeout, --force). */
  drain: RemoveOptions;
  /** Print the steps, change nothing. */
  dryRun?: boolean;
  /** One line per action as it starts and ends (the CLI prints them without a terminal). */
  onProgress?: (line: string) => void;
  /** The same run as events (phases, each host's version move and step), for the live run view. */
  onEvent?: (e: UpgradeEvent) => void;
}

export type UpgradeState = 'running' | 'done' | 'failed' | 'skipped';

/**
 * What an upgrade run reports as it goes, as plain data: a phase starts or ends; the hosts' moves once the run knows
 * what each runs ("v1.35.2 → v1.35.3") and which phases each takes part in; a host's part of a phase starts, does one
 * action after another (cordon, drain, ...), and ends.
 */
export type UpgradeEvent =
  | { type: 'phase'; phase: UpgradePhase; state: UpgradeState; title?: string; error?: string }
  | { type: 'hosts'; moves: { host: string; from?: string; to: string }[]; parts: { host: string; phase: UpgradePhase }[]; alreadyDone: string[] }
  | { type: 'host'; host: string; phase: UpgradePhase; state: UpgradeState; result?: string; error?: string }
  | { type: 'action'; host: string; phase: UpgradePhase; text: string };

/** The phase under way, so that each phase ends once and the one that was running fails with the run. */
function phaseTracker(emit: (e: UpgradeEvent) => void) {
  let now: UpgradePhase | undefined;
  return {
    enter(phase: UpgradePhase, title?: string) {
      if (now === phase) return;
      if (now !== undefined) emit({ type: 'phase', phase: now, state: 'done' });
      now = phase;
      emit({ type: 'phase', phase, state: 'running', ...(title !== undefined && { title }) });
    },
    end(title?: string) {
      if (now !== undefined) emit({ type: 'phase', phase: now, state: 'done', ...(title !== undefined && { title }) });
      now = undefined;
    },
    fail(error: string) {
      if (now !== undefined) emit({ type: 'phase', phase: now, state: 'failed', error });
      now = undefined;
    },
  };
}

type Phases = ReturnType<typeof phaseTracker>;

export interface UpgradeResult {
  target: string;
  /** What the cluster ran when the run began, per host. */
  hosts: UpgradeHost[];
  /** The steps this run took (or, with dryRun, would take); finished hosts are not in them. */
  steps: UpgradeStep[];
  /** formatUpgradeSteps(steps, hosts). */
  lines: string[];
  /** Hosts found already at the target and left alone. */
  alreadyDone: string[];
}

interface NodeObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

const bare = (v: string | undefined) => v?.replace(/^v/, '');

/** The sha256 of the binaries this plan installs on a host, as the target release has them. */
async function wantedBinaries(host: HostPlan, inputs: LocalInputs, plan: Plan): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of hostSteps(plan, host, inputs)) {
    if (s.kind === 'upload' && s.what === 'binary') out.set(s.path, await localSha256(s.source));
  }
  return out;
}

/** sha256 of files on the host (missing ones absent), in one round trip. */
async function remoteSha256(session: HostSession, paths: readonly string[]): Promise<Map<string, string>> {
  const r = await session.exec(['sh', '-c', 'for f do [ -f "$f" ] && sha256sum -- "$f"; done; exit 0', 'sh', ...paths], { sudo: true });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]{64})\s+(.+)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** What `<binary> --version` says on the host ("Kubernetes v1.35.2" -> 1.35.2), or undefined. */
async function binaryVersion(session: HostSession, path: string): Promise<string | undefined> {
  const r = await session.exec([path, '--version'], { sudo: true, allowFailure: true });
  return bare(/Kubernetes (v\S+)/.exec(r.stdout)?.[1]);
}

async function getNodes(api: ApiClient): Promise<Map<string, NodeObject>> {
  const r = await api.request<{ items?: NodeObject[] }>('GET', '/api/v1/nodes');
  if (r.status !== 200) throw new DeployError(`cannot list the nodes: HTTP ${r.status}: ${r.text.slice(0, 200)}`, { hint: 'check the API server (kubeup status), then run the upgrade again' });
  return new Map((r.body.items ?? []).map((n) => [n.metadata.name, n]));
}

async function apiVersion(api: ApiClient): Promise<string | undefined> {
  try {
    const r = await api.request<{ gitVersion?: string }>('GET', '/version');
    return r.status === 200 ? bare(r.body.gitVersion) : undefined;
  } catch {
    return undefined;
  }
}

function notAnswering(plan: Plan, api: ApiClient): DeployError {
  return new DeployError(`the API server of ${plan.cluster.name} does not answer /version at ${api.server}`, { hint: 'an upgrade starts from a running cluster: repair it first (kubeup up, with the versions it runs now), then upgrade' });
}

interface Observed {
  hosts: UpgradeHost[];
  apiserver: string;
  kubelets: Record<string, string>;
}

/**
 * What runs now, from the hosts and the API, as upgradeOrder reads it. A component counts as at the target only when
 * its binary on the host is the target release's file and the running daemon says the target version.
 */
async function observe(plan: Plan, sessions: Map<string, HostSession>, inputs: LocalInputs, api: ApiClient, target: string): Promise<Observed> {
  const live = await apiVersion(api);
  const nodes = await getNodes(api);
  const kubelets: Record<string, string> = {};
  const hosts: UpgradeHost[] = [];
  for (const h of plan.hosts) {
    const session = sessions.get(h.id)!;
    const wanted = await wantedBinaries(h, inputs, plan);
    const have = await remoteSha256(session, [...wanted.keys()]);
    const current = (name: string) => {
      const b = h.binaries.find((x) => x.name === name);
      return b !== undefined && have.get(b.path) === wanted.get(b.path);
    };
    const pathOf = (name: string) => h.binaries.find((b) => b.name === name)?.path;
    const u: UpgradeHost = { id: h.id, roles: h.roles };
    if (h.roles.includes('master')) {
      const onDisk = await binaryVersion(session, pathOf('kube-apiserver')!);
      u.apiserverRunning = current('kube-apiserver') && live === target ? target : (live ?? onDisk);
      if (!CONTROL_PLANE_PARTS.controllers.binaries.every(current)) u.controllersUnfinished = true;
      if (CONTROL_PLANE_PARTS.etcd.binaries.every(current)) u.etcdRunning = plan.cluster.versions.etcd;
    }
    if (h.roles.includes('worker')) {
      const node = nodes.get(h.nodeName);
      const running = bare(node?.status?.nodeInfo?.kubeletVersion) ?? (await binaryVersion(session, pathOf('kubelet')!));
      if (running !== undefined) {
        u.kubeletRunning = running;
        kubelets[h.nodeName] = running;
      }
      const controlPlane = Object.values(CONTROL_PLANE_PARTS).flatMap((p): readonly string[] => p.binaries);
      const workerBinaries = h.binaries.map((b) => b.name).filter((b) => !controlPlane.includes(b));
      if (!workerBinaries.every(current) || node?.metadata.annotations?.[CORDONED_BY_UPGRADE] !== undefined) u.workerUnfinished = true;
    }
    hosts.push(u);
  }
  if (live === undefined) throw notAnswering(plan, api);
  return { hosts, apiserver: live, kubelets };
}

/** The part of a host's steps that one control-plane step moves: its binaries, then its units. */
export function partSteps(all: readonly Step[], part: { binaries: readonly string[]; units: readonly string[] }): Step[] {
  const uploads = all.filter((s) => s.kind === 'upload' && s.what === 'binary' && part.binaries.includes(s.path.slice(s.path.lastIndexOf('/') + 1)));
  return [...uploads, { kind: 'units', units: [...part.units] }];
}

export async function runUpgrade(profile: Profile, opts: UpgradeOptions, deps: RunDeps): Promise<UpgradeResult> {
  const lock = acquireLocalLock(opts.stateDir, { command: opts.command ?? `kubeup upgrade --profile ${profile.name}`, ...(opts.forceUnlock && { force: true }), onWarning: (m) => opts.onWarning?.(undefined, m), now: deps.now() });
  const recorder = new RunRecorder(opts.stateDir, profile.name, 'upgrade', deps.now());
  const ctx: RunCtx = { sessions: new Map(), facts: {}, artifacts: [], records: new Map(), acceptedHostKeys: new Map(), recorder, lockHolder: lock.holder };
  const phases = phaseTracker((e) => opts.onEvent?.(e));
  let error: unknown;
  try {
    return await upgradeLocked(profile, opts, deps, ctx, phases);
  } catch (e) {
    error = e;
    phases.fail(e instanceof KubeupError ? e.message : String(e));
    throw e;
  } finally {
    await closeRun(ctx);
    recorder.finish(error === undefined, error === undefined ? undefined : error instanceof KubeupError ? error.describe() : String(error));
    lock.release();
  }
}

async function upgradeLocked(profile: Profile, opts: UpgradeOptions, deps: RunDeps, ctx: RunCtx, phases: Phases): Promise<UpgradeResult> {
  const target = profile.versions.kubernetes;
  const say = (line: string) => {
    opts.onProgress?.(line);
    ctx.recorder.log('upgrade', line);
  };
  const emit = (e: UpgradeEvent) => opts.onEvent?.(e);
  const warn = (host: string | undefined, m: string) => opts.onWarning?.(host, m);
  phases.enter('preflight', `Preflight (${profile.hosts.length} hosts, version skew)`);
  ctx.hostTools = new Map();
  ctx.facts = await connectAll(profile, opts, deps, ctx.sessions, ctx.hostTools);
  if (!opts.dryRun) for (const [id, session] of ctx.sessions) await lockHost(ctx, id, session, opts, warn);
  const plan = buildPlan(profile, ctx.facts);
  ctx.plan = plan;
  const api = await adminClientFromState(profile, opts.stateDir);
  // The skew rules first, from what the API reports: a refused target is not even downloaded.
  const running = await apiVersion(api);
  if (running === undefined) throw notAnswering(plan, api);
  const kubelets = Object.fromEntries([...(await getNodes(api))].flatMap(([name, n]) => (n.status?.nodeInfo?.kubeletVersion ? [[name, bare(n.status.nodeInfo.kubeletVersion)!]] : [])));
  const refused = upgradePreflight({ apiserver: running, kubelets }, target);
  if (refused.length) {
    throw new PreflightError(refused.map((v) => ({ host: plan.cluster.master.id, check: `version skew (${v.rule})`, message: v.message, hint: v.hint })));
  }
  phases.enter('download', `Download releases: Kubernetes ${target}`);
  ctx.artifacts = await planArtifacts(profile, plan, opts.signal);
  ctx.pki = await ensureClusterPki(`${opts.stateDir}/pki`, clusterIdentities(identityInputFromPlan(plan)), { clusterName: plan.cluster.name, now: deps.now() });
  const inputs: LocalInputs = { artifacts: ctx.artifacts, pki: ctx.pki };

  const seen = await observe(plan, ctx.sessions, inputs, api, target);
  const steps = upgradeOrder({ hosts: seen.hosts, kubernetes: target, etcd: plan.cluster.versions.etcd, maxUnavailable: opts.maxUnavailable });
  const lines = formatUpgradeSteps(steps, seen.hosts);
  const moving = new Set(steps.flatMap((s) => (s.kind === 'workers' ? s.hosts : [s.host])));
  const alreadyDone = plan.hosts.map((h) => h.id).filter((id) => !moving.has(id));
  const result: UpgradeResult = { target, hosts: seen.hosts, steps, lines, alreadyDone };
  if (opts.dryRun) return result;
  say(upgradeHeader(result));
  lines.forEach((l) => say(`  ${l}`));
  phases.end(`Download releases: Kubernetes ${target} ready`);
  const parts = steps.flatMap((s) => (s.kind === 'workers' ? s.hosts : [s.host]).map((host) => ({ host, phase: s.kind })));
  emit({ type: 'hosts', moves: hostVersionMoves(seen.hosts, target), parts, alreadyDone });
  for (const p of UPGRADE_PHASES.slice(2)) if (!parts.some((x) => x.phase === p.id)) emit({ type: 'phase', phase: p.id, state: 'skipped' });

  const record = readDeployedRecord(opts.stateDir);
  const hostOf = (id: string) => plan.hosts.find((h) => h.id === id)!;
  const unitTimeout = opts.verifyTimeoutMs ?? 120_000;
  // A cancel (q, Ctrl-C, SIGTERM) takes effect between steps: a step that has begun replacing a host's files runs to
  // its end (files, restarts, the wait for the new version, uncordon), so that no host is left with some binaries of
  // each release. Only a drain, which changes nothing on the host yet, stops at once (the node stays cordoned, old).
  const waits = { timeoutMs: unitTimeout, intervalMs: 500 };
  // Binaries go as `up` sends them (download.transfer, download.from), from the same cache.
  const encodings = await operatorEncodings();
  const cacheDir = resolveCacheDir(profile.download.cacheDir);
  const execOpts = (id: string) => ({
    log: (l: string) => ctx.recorder.log(id, l),
    ...withBinaryContent({ profile, cacheDir, hostEncodings: ctx.hostTools?.get(id)?.encodings ?? [], operatorEncodings: encodings, hostFetchers: ctx.hostTools?.get(id)?.fetchers ?? [], artifacts: ctx.artifacts }),
  });
  const checkCancel = () => {
    if (opts.signal?.aborted) throw new CancelledError('upgrade cancelled between steps; run the same command again to continue');
  };

  /** The whole host to the new plan (what a worker step replaces), recorded as the new baseline. */
  const converge = async (h: HostPlan) => {
    const done = await convergeHost(ctx.sessions.get(h.id)!, plan, h, inputs, record, { ...execOpts(h.id), warn: (m) => warn(h.id, m) });
    await recordProvisioned(opts.stateDir, plan, [done]);
    return done.record;
  };

  /** A step's failure as the run's error: which host, what broke, and that the same command continues. */
  const failed = (id: string, what: string, phase: UpgradePhase) => (e: unknown): never => {
    const why = e instanceof KubeupError ? e.message : e instanceof Error ? e.message : String(e);
    emit({ type: 'host', host: id, phase, state: 'failed', error: why });
    if (e instanceof CancelledError || e instanceof PreflightError) throw e;
    throw new DeployError(`upgrade step ${what} failed on ${id}: ${why}`, { host: id, cause: e, hint: resumeHint(opts.command ?? `kubeup upgrade --profile ${profile.name} --to ${profile.versions.kubernetes}`) });
  };

  const hostPart = async (host: string, phase: UpgradePhase, what: string, part: () => Promise<void>) => {
    emit({ type: 'host', host, phase, state: 'running' });
    await part().catch(failed(host, what, phase));
    emit({ type: 'host', host, phase, state: 'done', result: `at v${target}` });
  };
  try {
    for (const [i, step] of steps.entries()) {
      checkCancel();
      phases.enter(step.kind);
      const n = `[${i + 1}/${steps.length}]`;
      if (step.kind !== 'workers') {
        await hostPart(step.host, step.kind, `${i + 1}/${steps.length} (${step.kind})`, () => controlPlaneStep(step, n));
        continue;
      }
      // Every host of the batch finishes (or fails) before the run stops: none is left between versions by the others.
      const batch = await Promise.allSettled(step.hosts.map((id) => hostPart(id, 'workers', `${i + 1}/${steps.length} (worker)`, () => workerStep(id, n))));
      const firstFailure = batch.find((b): b is PromiseRejectedResult => b.status === 'rejected');
      if (firstFailure) throw firstFailure.reason;
    }
  } finally {
    // download.from: hosts: the hosts' downloads are kept only while the upgrade writes files.
    if (hostsDownload(profile)) {
      await Promise.all([...moving].map((id) => removeHostDownloads(ctx.sessions.get(id)!, (m) => warn(id, m))));
    }
  }
  phases.end();
  if (steps.length === 0) say(`every host already runs Kubernetes ${target}: nothing to upgrade`);
  return result;

  async function controlPlaneStep(step: Exclude<UpgradeStep, { kind: 'workers' }>, n: string): Promise<void> {
    const act = (who: string, action: string) => {
      say(`${n} ${who}: ${action}`);
      emit({ type: 'action', host: step.host, phase: step.kind, text: action });
    };
    const h = hostOf(step.host);
    const session = ctx.sessions.get(h.id)!;
    const part = CONTROL_PLANE_PARTS[step.kind];
    act(h.id, `${upgradeActions(step)[0]} ${part.binaries.join(', ')} (${step.from ?? '?'} → ${step.to})`);
    const r = await executeSteps(session, partSteps(hostSteps(plan, h, inputs), part), execOpts(h.id));
    // The binary may already be new (a run stopped after replacing it): the daemon must still run the new one.
    const notRestarted = part.units.filter((u) => !r.unitsRestarted.includes(u) && !r.unitsStarted.includes(u));
    if (notRestarted.length && step.kind === 'apiserver' && (await apiVersion(api)) !== target) {
      await session.exec(['systemctl', 'restart', '--no-block', ...notRestarted], { sudo: true });
    }
    act(h.id, `restart ${part.units.join(', ')}`);
    await verifyUnits(session, part.units, { ...waits, sudo: true, startedThisRun: [...part.units] });
    if (step.kind === 'apiserver' || step.kind === 'etcd') {
      act(h.id, step.kind === 'etcd' ? 'wait for etcd health (API server /readyz, etcd check)' : 'wait for /readyz');
      await waitApiReady(api, waits);
    }
    if (step.kind === 'apiserver') {
      await poll(`kube-apiserver ${target} on ${h.id}`, waits, async () => {
        const v = await apiVersion(api);
        return v === target ? { done: true, value: undefined } : { done: false, status: `/version says ${v ?? 'nothing'}` };
      });
    }
    // A master without the worker role has nothing else to move: the rest of its plan goes on with the controllers.
    if (step.kind === 'controllers' && !h.roles.includes('worker')) await converge(h);
    act(h.id, `${step.kind === 'etcd' ? 'etcd' : step.kind === 'apiserver' ? 'kube-apiserver' : 'kube-controller-manager, kube-scheduler'} at ${step.to}`);
  }

  async function workerStep(id: string, n: string): Promise<void> {
    const act = (who: string, action: string) => {
      say(`${n} ${who}: ${action}`);
      emit({ type: 'action', host: id, phase: 'workers', text: action });
    };
    const h = hostOf(id);
    const session = ctx.sessions.get(id)!;
    const apiNow = await apiVersion(api);
    const skew = apiNow === undefined ? [] : nodeSkew(target, apiNow);
    if (skew.length) throw new PreflightError(skew.map((v) => ({ host: id, check: `version skew (${v.rule})`, message: v.message, hint: v.hint })));
    const nodes = await getNodes(api);
    const node = nodes.get(h.nodeName);
    // A node the user cordoned (no mark of ours) is drained like the others and left cordoned at the end.
    const ours = node !== undefined && (!node.spec?.unschedulable || node.metadata.annotations?.[CORDONED_BY_UPGRADE] !== undefined);
    act(`worker ${id}`, `cordon node ${h.nodeName}${node && !ours ? ' (cordoned already, not by kubeup: it stays cordoned)' : ''}`);
    if (ours) {
      const r = await api.request('PATCH', `/api/v1/nodes/${encodeURIComponent(h.nodeName)}`, { metadata: { annotations: { [CORDONED_BY_UPGRADE]: target } } }, 'application/strategic-merge-patch+json');
      if (r.status >= 300) throw new DeployError(`cannot mark node ${h.nodeName} for the upgrade: HTTP ${r.status}: ${r.text.slice(0, 200)}`, { host: id });
    }
    act(`worker ${id}`, `drain node ${h.nodeName}`);
    const drained = await drainNode(api, h.nodeName, { ...opts.drain, waitForDelete: true, ...(opts.signal && { signal: opts.signal }) });
    act(`worker ${id}`, `drained: ${drained.evicted.length} pod(s) evicted`);
    act(`worker ${id}`, `converge host to ${target} (kubelet, kube-proxy, runtime, CNI, flannel as the new versions need)`);
    const r = await converge(h);
    // Drained, so a restart costs nothing: the node must run the new kubelet and kube-proxy, also when an earlier
    // run already replaced the files (and so this one changed none).
    const owed = ['kubelet.service', 'kube-proxy.service'].filter((u) => h.units.includes(u) && !r.unitsRestarted.includes(u) && !r.unitsStarted.includes(u));
    if (owed.length) await session.exec(['systemctl', 'restart', '--no-block', ...owed], { sudo: true });
    act(`worker ${id}`, `restart ${[...new Set([...r.unitsRestarted, ...r.unitsStarted, ...owed])].join(', ') || 'nothing'}`);
    await verifyUnits(session, h.units, { ...waits, sudo: true, startedThisRun: [...r.unitsRestarted, ...r.unitsStarted, ...owed] });
    act(`worker ${id}`, `wait for node ${h.nodeName} Ready at v${target}`);
    await poll(`node ${h.nodeName} Ready with kubelet v${target}`, waits, async () => {
      const got = await api.request<NodeObject>('GET', `/api/v1/nodes/${encodeURIComponent(h.nodeName)}`);
      const version = got.status === 200 ? got.body.status?.nodeInfo?.kubeletVersion : undefined;
      const ready = got.status === 200 && got.body.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready && version === `v${target}` ? { done: true, value: undefined } : { done: false, status: `kubelet ${version ?? '?'}, ${ready ? 'Ready' : 'not Ready'}` };
    });
    if (ours) {
      act(`worker ${id}`, `uncordon node ${h.nodeName}`);
      await uncordonNode(api, h.nodeName, [CORDONED_BY_UPGRADE]);
    }
    act(`worker ${id}`, `at ${target}`);
  }
}

/** "Upgrade to Kubernetes 1.35.3: 2 steps; already at 1.35.3: h1" */
export function upgradeHeader(r: Pick<UpgradeResult, 'target' | 'steps' | 'alreadyDone'>): string {
  return `Upgrade to Kubernetes ${r.target}: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}${r.alreadyDone.length ? `; already at ${r.target}: ${r.alreadyDone.join(', ')}` : ''}`;
}

/** The error of a step that failed, with the way forward: the same command continues. */
export function resumeHint(command: string): string {
  return `fix what is named above, then run ${command} again: hosts already upgraded are skipped`;
}
