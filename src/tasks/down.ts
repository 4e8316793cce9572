// `kubeup down`: every reachable host is cleaned; unreachable ones are reported (the run then fails, so a script
// notices) but never stop the others. The kubeconfig context goes; the local CA stays unless --purge.
import { Listr } from 'listr2';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { updateDeployedRecord } from '../deployed-record.js';
import { DeployError, KubeupError } from '../errors.js';
import { assumedFacts, buildPlan } from '../plan/index.js';
import { removeContextFromKubeconfig } from '../pki/index.js';
import { teardownHost, type TeardownRecord } from '../provision/teardown.js';
import type { Profile } from '../profile/types.js';
import type { RunCtx, RunDeps, RunOptions } from './context.js';
import { rendererOptions } from './listr-options.js';
import { RunRecorder } from './records.js';
import { adminApiFromState } from './addons.js';
import { allAddonObjects } from '../addons/index.js';
import { deleteObjects } from '../verify/addons-api.js';
import { closeRun, lockHost } from './run-locks.js';
import { acquireLocalLock, type LockHolder } from '../lock/index.js';

export interface DownResult {
  cleaned: Map<string, TeardownRecord>;
  failed: Map<string, string>;
  kubeconfigChanged: boolean;
  purged: boolean;
  /** Add-on objects deleted through the API before the hosts were cleaned. */
  addonsRemoved: string[];
  summaryPath: string;
}

export async function runDown(profile: Profile, opts: RunOptions & { purge: boolean }, deps: RunDeps): Promise<DownResult> {
  const lock = acquireLocalLock(opts.stateDir, { command: opts.command ?? `kubeup down --profile ${profile.name}`, ...(opts.forceUnlock && { force: true }), onWarning: (m) => opts.onWarning?.(undefined, m), now: deps.now() });
  try {
    return await runDownLocked(profile, opts, deps, lock.holder);
  } finally {
    lock.release();
  }
}

async function runDownLocked(profile: Profile, opts: RunOptions & { purge: boolean }, deps: RunDeps, lockHolder: LockHolder): Promise<DownResult> {
  const recorder = new RunRecorder(opts.stateDir, profile.name, 'down', deps.now());
  // Paths do not depend on host names or arch: the plan from assumed facts lists exactly what `up` installs.
  const plan = buildPlan(profile, assumedFacts(profile));
  const cleaned = new Map<string, TeardownRecord>();
  const failed = new Map<string, string>();
  const result = { kubeconfigChanged: false, purged: false, addonsRemoved: [] as string[] };
  const ctx = { sessions: new Map(), facts: {}, artifacts: [], records: new Map(), acceptedHostKeys: new Map(), recorder, lockHolder } as RunCtx;
  const listr = new Listr<RunCtx>(
    [
      {
        // Before the hosts go: the API is still there to delete what kubeup applied through it.
        title: 'Cluster add-ons',
        task: async (_c, task) => {
          const api = await adminApiFromState(opts.stateDir, plan);
          if (!api) {
            task.title = 'Cluster add-ons: no admin credentials on this machine; they go with the cluster\'s etcd data';
            return;
          }
          try {
            result.addonsRemoved = await deleteObjects(api, allAddonObjects(), { onlyOwned: true });
            task.title = result.addonsRemoved.length ? `Cluster add-ons: deleted ${result.addonsRemoved.join(', ')}` : 'Cluster add-ons: none applied';
          } catch (e) {
            // An unreachable API is no reason to keep the hosts: etcd's data, and the objects with it, are removed below.
            task.title = `Cluster add-ons: not deleted through the API (${(e as Error).message}); they go with the cluster's etcd data`;
          }
        },
      },
      {
        title: `Remove kubeup from ${plan.hosts.length} hosts`,
        // The hosts' list is run here, not returned: listr2 marks a parent whose subtasks fail without exitOnError as
        // completed, and the phase line would say done when a host was not cleaned.
        task: async (ctx, task) => {
          await task.newListr(
            plan.hosts.map((h, i) => ({
              title: h.id,
              task: async (c: RunCtx, t) => {
                const started = Date.now();
                try {
                  t.output = 'connecting';
                  const { session } = await deps.connect({ host: profile.hosts[i]!, field: `hosts[${i}]`, profile, acceptNewHostKeys: opts.acceptNewHostKeys, secrets: opts.secrets, ...(opts.signal && { signal: opts.signal }) });
                  c.sessions.set(h.id, session);
                  t.output = 'locking';
                  await lockHost(c, h.id, session, opts, (host, m) => opts.onWarning?.(host, m));
                  t.output = 'removing units, binaries, configuration, certificates and data';
                  const r = await teardownHost(session, h, (line) => c.recorder.log(h.id, line));
                  cleaned.set(h.id, r);
                  t.title = `${h.id}: ${r.unitsStopped.length} units stopped, ${r.removed.length} paths removed`;
                } catch (e) {
                  const msg = e instanceof KubeupError ? e.describe() : (e as Error).message;
                  failed.set(h.id, msg);
                  c.recorder.host(h.id).error = msg;
                  c.recorder.log(h.id, `down failed: ${msg}`);
                  throw e;
                } finally {
                  c.recorder.hostPhase(h.id, 'down', Date.now() - started);
                }
              },
            })),
            { concurrent: opts.concurrency, exitOnError: false },
          ).run(ctx);
          const err = downError(failed);
          if (err) throw err;
        },
      },
      {
        title: 'Kubeconfig',
        task: async (_c, task) => {
          const r = await removeContextFromKubeconfig(profile.name, { ...(opts.kubeconfig && { path: opts.kubeconfig }), now: deps.now() });
          result.kubeconfigChanged = r.changed;
          task.title = r.changed ? `Kubeconfig: context ${profile.name} removed from ${r.path}` : `Kubeconfig: no context ${profile.name} in ${r.path}`;
        },
      },
      {
        title: 'Local certificate authority',
        task: async (_c, task) => {
          if (!opts.purge) {
            task.title = `Local CA kept in ${join(opts.stateDir, 'pki')} (--purge removes it)`;
            return;
          }
          await rm(join(opts.stateDir, 'pki'), { recursive: true, force: true });
          result.purged = true;
          task.title = 'Local CA and certificates removed';
        },
      },
    ],
    {
      ctx,
      ...rendererOptions(opts.renderer),
      registerSignalListeners: false,
      exitOnError: false,
    },
  );
  try {
    await listr.run(ctx);
  } finally {
    await closeRun(ctx);
  }
  // Cleaned hosts are no longer deployed: a later up starts from nothing there (and reports no drift).
  await updateDeployedRecord(opts.stateDir, profile.name, [], [...cleaned.keys()]);
  const error = downError(failed);
  const files = recorder.finish(!error, error?.message);
  if (error) throw Object.assign(error, { summaryPath: files.text, logDir: recorder.dir, failedHosts: [...failed.keys()] });
  return { cleaned, failed, ...result, summaryPath: files.text };
}

function downError(failed: Map<string, string>): DeployError | undefined {
  if (failed.size === 0) return undefined;
  return new DeployError(`kubeup down could not clean ${failed.size} host${failed.size === 1 ? '' : 's'}:\n${[...failed].map(([h, m]) => `  - ${h}: ${m}`).join('\n')}`, {
    hint: 'the other hosts were cleaned; when the host is back, run kubeup down again',
  });
}
