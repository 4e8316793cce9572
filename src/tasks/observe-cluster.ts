// `kubeup plan` online: connect to every host (read-only), learn its facts, build the plan, and compare what `up`
// would write with what each host has. Downloads go to the local cache only; certificates not issued yet are issued
// in a throw-away copy of the PKI folder, so the cluster's state on this machine is not changed either.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDeployedRecord } from '../deployed-record.js';
import { KubeupError, PreflightError } from '../errors.js';
import { buildPlan } from '../plan/index.js';
import { diffCluster, type ClusterDiff, type DeployedRecord, type HostDiffInput, type ObservedHost } from '../plan/diff.js';
import type { Facts, Plan } from '../plan/types.js';
import { clusterIdentities, ensureClusterPki, identityInputFromPlan, type ClusterPki } from '../pki/index.js';
import { desiredFiles, observeHost } from '../provision/observe.js';
import { hostSteps } from '../provision/steps.js';
import { hostDownloadsCheck } from '../provision/transfer.js';
import { artifactsForRoles, fetchArtifacts, releaseManifest, resolveCacheDir, type Arch, type FetchedArtifact } from '../release/index.js';
import { hostId, type Profile } from '../profile/types.js';
import type { HostSession } from '../ssh/session.js';
import { preflightHost, type HostTools } from '../verify/preflight.js';
import type { RunDeps, RunOptions } from './context.js';

export interface ClusterObservation {
  plan: Plan;
  diff: ClusterDiff;
  observed: Map<string, ObservedHost>;
  record: DeployedRecord | undefined;
}

/** Runs `fn` over items, at most `limit` at once, and waits for all; the first error is thrown after all ended. */
export async function eachBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: { e: unknown } | undefined;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed) throw failed.e;
  return out;
}

/**
 * Connects to every host of the profile and runs the (read-only) preflight checks; every problem is listed together.
 * With `tools`, a run that will send binaries: each host's
 * transfer tools are kept there, and with download.from: hosts, preflight also checks the host reaches the mirrors.
 */
export async function connectAll(profile: Profile, opts: RunOptions, deps: RunDeps, sessions: Map<string, HostSession>, tools?: Map<string, HostTools>): Promise<Facts> {
  const problems: PreflightError['problems'] = [];
  const facts: Facts = {};
  await Promise.allSettled(
    profile.hosts.map(async (spec, i) => {
      const id = hostId(spec);
      try {
        const connected = await deps.connect({ host: spec, field: `hosts[${i}]`, profile, acceptNewHostKeys: opts.acceptNewHostKeys, secrets: opts.secrets });
        sessions.set(id, connected.session);
        connected.warnings.forEach((w) => opts.onWarning?.(id, w));
        const r = await preflightHost(connected.session, {
          roles: spec.roles,
          apiServerPort: profile.network.apiServerPort,
          localEpochSeconds: Math.floor(deps.now().getTime() / 1000),
          ...(tools && hostDownloadsCheck(profile, spec.roles)),
        });
        tools?.set(id, r.tools);
        r.problems.forEach((p) => problems.push({ host: id, ...p }));
        if (r.facts) facts[id] = r.facts;
      } catch (e) {
        const k = e instanceof KubeupError ? e : undefined;
        problems.push({ host: id, check: 'ssh', message: k ? k.message : (e as Error).message, ...(k?.hint && { hint: k.hint }) });
      }
    }),
  );
  if (problems.length) throw new PreflightError(problems);
  return facts;
}

/** The certificates `up` would install, without writing to the PKI folder: issued in a private temporary copy. */
export async function previewPki(plan: Plan, stateDir: string, now: Date): Promise<ClusterPki> {
  const scratch = await mkdtemp(join(tmpdir(), 'kubeup-plan-'));
  try {
    await cp(join(stateDir, 'pki'), join(scratch, 'pki'), { recursive: true, errorOnExist: false }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    return await ensureClusterPki(join(scratch, 'pki'), clusterIdentities(identityInputFromPlan(plan)), { clusterName: plan.cluster.name, now });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function planArtifacts(profile: Profile, plan: Plan, signal?: AbortSignal): Promise<FetchedArtifact[]> {
  const arches = [...new Set(plan.hosts.map((h) => h.arch))] as Arch[];
  const manifest = releaseManifest(profile, arches);
  return fetchArtifacts(
    plan.hosts.flatMap((h) => artifactsForRoles(manifest, h.roles, h.arch)),
    {
      cacheDir: resolveCacheDir(profile.download.cacheDir),
      ...(profile.download.proxy !== undefined && { proxy: profile.download.proxy }),
      ...(signal && { signal }),
    },
  );
}

export async function observeCluster(profile: Profile, opts: RunOptions, deps: RunDeps): Promise<ClusterObservation> {
  const sessions = new Map<string, HostSession>();
  try {
    const facts = await connectAll(profile, opts, deps, sessions);
    const plan = buildPlan(profile, facts);
    const [artifacts, pki] = await Promise.all([planArtifacts(profile, plan, opts.signal), previewPki(plan, opts.stateDir, deps.now())]);
    const record = readDeployedRecord(opts.stateDir);
    const observed = new Map<string, ObservedHost>();
    const inputs = await eachBounded(plan.hosts, opts.concurrency, async (h): Promise<HostDiffInput> => {
      const desired = await desiredFiles(hostSteps(plan, h, { artifacts, pki }));
      const seen = await observeHost(sessions.get(h.id)!, { id: h.id, files: desired, units: h.units });
      observed.set(h.id, seen);
      const deployed = record?.hosts.find((d) => d.id === h.id);
      return { id: h.id, nodeName: h.nodeName, units: h.units, desired, observed: seen, ...(deployed && { deployed }) };
    });
    return { plan, diff: diffCluster(plan.profile, inputs, record), observed, record };
  } finally {
    await Promise.allSettled([...sessions.values()].map((s) => s.close()));
  }
}
