// `kubeup up`: the kube-up flow as a listr2 task tree. The root runs the phases in order and stops at the first
// failed phase; inside a phase, one subtask per host runs in parallel (bounded), and a failing host does not stop
// the others: every host's failure is reported together when the phase ends.
import { Listr, type ListrDefaultRenderer, type ListrSimpleRenderer, type ListrTask, type ListrTaskWrapper } from 'listr2';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, DeployError, KubeupError, PreflightError, VerifyError } from '../errors.js';
import { buildPlan } from '../plan/index.js';
import type { HostPlan, Plan } from '../plan/types.js';
import { clusterIdentities, ensureClusterPki, identityInputFromPlan, renderKubeconfig, writeMergedKubeconfig, writeSuperAdminKubeconfig, ADMIN_USER } from '../pki/index.js';
import { readDeployedRecord } from '../deployed-record.js';
import { emptyRecord, executeSteps, type HostRecord } from '../provision/execute.js';
import { ETCD_TRANSITION_LEFTOVERS, etcdTransitionHost, mergeRecords, probeEtcdCaTransition } from '../provision/etcd-ca-migration.js';
import { hostSteps, type Step } from '../provision/steps.js';
import { hostDownloadsCheck, hostsDownload, removeHostDownloads, withBinaryContent } from '../provision/transfer.js';
import { acquireLocalLock, LockError } from '../lock/index.js';
import { artifactsForRoles, fetchArtifacts, missingChecksumError, missingChecksums, operatorEncodings, releaseManifest, resolveCacheDir, type Arch } from '../release/index.js';
import { renderRbacObjects } from '../render/rbac.js';
import { hostId, type Profile } from '../profile/types.js';
import { ApiClient } from '../verify/api-client.js';
import { preflightHost } from '../verify/preflight.js';
import { UnitFailureError, unitFailureHint, verifyUnits, waitForFlannelSubnet } from '../verify/units.js';
import { formatDnsReport } from '../verify/addons-api.js';
import { formatClusterReport, validateCluster, waitApiReady, type ClusterReport } from '../verify/validate-cluster.js';
import { addonsTitle, applyPlanAddons } from './addons.js';
import type { LockHolder } from '../lock/index.js';
import type { RunCtx, RunDeps, RunOptions } from './context.js';
import { removeDroppedHosts } from './remove-node.js';
import { convergeHost, recordProvisioned, type ConvergedHost } from './converge.js';
import { rendererOptions } from './listr-options.js';
import { countsLine, fileCounter, progressThrottle, remoteLine, transferLine, waitLine } from './progress.js';
import { causeOf, groupBy, hostNeutral, hostRanges } from './host-ranges.js';
import { bytesText, RunRecorder, totalBytesText } from './records.js';
import { refuseNewCaForExistingCluster } from './ca-guard.js';
import { closeRun, lockHost } from './run-locks.js';
import { renewIdentities, renewalPlan } from '../pki/renewal.js';
import { formatProofs, proveRenewal } from './certs-renew.js';

type Task = ListrTaskWrapper<RunCtx, ListrDefaultRenderer, ListrSimpleRenderer>;

export interface UpResult {
  ctx: RunCtx;
  /** What provisioning did, by host id (also on a failed run's error, as `records`). */
  records: Record<string, HostRecord>;
  report?: ClusterReport;
  reportText?: string;
  summaryPath: string;
  logDir: string;
}

/** Runs `fn` for every host at once (bounded by the listr concurrency), collecting failures instead of stopping. */
function perHost<T extends { id: string }>(
  phase: string,
  hosts: T[],
  concurrency: number,
  title: (h: T) => string,
  fn: (ctx: RunCtx, h: T, task: Task) => Promise<string | void>,
  failures: Map<string, Error>,
): (ctx: RunCtx, task: Task) => Listr<RunCtx> {
  return (_ctx, task) =>
    task.newListr(
      hosts.map(
        (h): ListrTask<RunCtx> => ({
          title: title(h),
          task: async (ctx, t) => {
            const started = Date.now();
            try {
              const done = await fn(ctx, h, t as Task);
              if (done) t.title = `${title(h)}: ${done}`;
            } catch (e) {
              failures.set(h.id, e as Error);
              ctx.recorder.host(h.id).error = describe(e);
              ctx.recorder.log(h.id, `${phase} failed: ${describe(e)}`);
              throw e;
            } finally {
              ctx.recorder.hostPhase(h.id, phase, Date.now() - started);
            }
          },
        }),
      ),
      { concurrent: concurrency, exitOnError: false },
    );
}

function describe(e: unknown): string {
  return e instanceof KubeupError ? e.describe() : e instanceof Error ? e.message : String(e);
}

/**
 * What hosts failing alike share. A unit failure carries its cause as data (unit, state, the unit's Error: line,
 * the profile field); other errors are compared by their text's first line and Error: line.
 */
function sameCauseKey(e: Error): string {
  const failures = (e as { failures?: { unit: string; state: string; errorLine?: string; profileField?: string }[] }).failures;
  if (Array.isArray(failures) && failures.length) return failures.map((f) => [f.unit, f.state, f.errorLine ?? '', f.profileField ?? ''].join(' ')).join('\n');
  return causeOf(withoutHint(e));
}

/** An error with where it happened, without its hint (the run's error carries the hint once). */
function withoutHint(e: unknown): string {
  if (!(e instanceof KubeupError)) return describe(e);
  const where = [e.file && `file ${e.file}`, e.field && `field ${e.field}`].filter(Boolean).join(', ');
  return where ? `${e.message} (${where})` : e.message;
}

/** After a per-host phase: one error naming every failed host, or nothing. */
export function failuresError(phase: string, failures: Map<string, Error>, Kind: typeof DeployError = DeployError): KubeupError | undefined {
  if (failures.size === 0) return undefined;
  // A cancelled run is not a failed one: keep its own error (exit 130).
  const cancelled = [...failures.values()].find((e) => e instanceof CancelledError);
  if (cancelled) return cancelled as CancelledError;
  // Hosts that failed for the same reason are listed once, together.
  const groups = groupBy([...failures], ([, e]) => sameCauseKey(e));
  const lines = groups.map((g) => `  - ${hostRanges(g.items.map(([host]) => host))}: ${hostNeutral(withoutHint(g.items[0]![1])).split('\n').join('\n    ')}`);
  // One cause, one hint: when every host's error says what to do (e.g. which profile field), that is the run's hint.
  const hints = [...new Set([...failures.values()].map((e) => (e instanceof KubeupError ? e.hint : undefined)))];
  const field = [...failures.values()].map((e) => (e instanceof KubeupError ? e.field : undefined)).find(Boolean);
  return new Kind(`${phase} failed on ${failures.size} host${failures.size === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
    hint: hints.length === 1 && hints[0] ? hints[0] : 'fix the problem on the host(s) above and run kubeup up again: hosts that are already right are left as they are',
    ...(field && { field }),
  });
}

/**
 * verify's error for the whole run keeps every host's units as data (UnitFailure: host, unit, state, restarts,
 * errorLine, profileField, journal), so the run view can group identical error lines across hosts; the hint names
 * the profile field when a flag from the profile was refused.
 */
function withUnitFailures(err: KubeupError, failures: Map<string, Error>): KubeupError {
  const units = [...failures.values()].flatMap((e) => (e instanceof UnitFailureError ? e.failures : []));
  if (err instanceof CancelledError || units.length === 0) return err;
  const fields = units.some((u) => u.profileField);
  return new UnitFailureError(err.message, units, { hint: fields ? unitFailureHint(units) : (err.hint ?? unitFailureHint(units)) });
}

/**
 * Read-only work (preflight checks) need not finish before a cancel takes effect: give up on it at once; the
 * connections are closed when the run ends.
 */
function untilCancelled<T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError('cancelled during preflight'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function timed(phase: string, signal: AbortSignal | undefined, fn: (ctx: RunCtx, task: Task) => Promise<unknown>): ListrTask<RunCtx>['task'] {
  return async (ctx, task) => {
    // A cancel stops the run between phases; inside a phase, between steps (see the executor and the waits).
    if (signal?.aborted) throw new CancelledError(`cancelled before ${phase}`);
    const started = Date.now();
    let ok = false;
    try {
      const r = await fn(ctx, task as Task);
      ok = true;
      return r as never;
    } finally {
      ctx.recorder.phase(phase, Date.now() - started, ok);
    }
  };
}

/** Every file a host's steps upload, with its size (a binary's from the cache, a rendered file's from its text). */
function uploadSizes(steps: readonly Step[]): { path: string; bytes: number }[] {
  return steps.flatMap((s) => (s.kind === 'upload' ? [{ path: s.path, bytes: 'text' in s.source ? Buffer.byteLength(s.source.text) : statSync(s.source.localPath).size }] : []));
}

/** A wait's status lines with its clock: "waiting for …/readyz 12/120 s". */
function withClock(timeoutMs: number, set: (line: string) => void): (status: string) => void {
  const started = Date.now();
  return (status) => set(waitLine(status, Date.now() - started, timeoutMs));
}

/** `admin` is the revocable identity the operator gets; `super-admin` (system:masters) only creates the RBAC objects. */
function adminApi(ctx: RunCtx, plan: Plan, identity: 'admin' | 'super-admin' = 'admin'): ApiClient {
  const admin = ctx.pki!.certs.get(identity)!;
  return new ApiClient({ server: plan.cluster.apiServer.url, caPem: ctx.pki!.ca.certPem, certPem: admin.certPem, keyPem: admin.keyPem });
}

export function buildUpTasks(profile: Profile, opts: RunOptions, deps: RunDeps, result: { report?: ClusterReport }): ListrTask<RunCtx>[] {
  const hostsInOrder = profile.hosts.map((spec, i) => ({ id: hostId(spec), spec, index: i }));
  const warn = (host: string | undefined, m: string) => opts.onWarning?.(host, m);

  const preflightFailures = new Map<string, Error>();
  const provisionFailures = new Map<string, Error>();
  const verifyFailures = new Map<string, Error>();

  return [
    {
      title: `Preflight (${hostsInOrder.length} host${hostsInOrder.length === 1 ? '' : 's'})`,
      task: timed('preflight', opts.signal, async (ctx, task) => {
        const problems: PreflightError['problems'] = [];
        await task
          .newListr(
            hostsInOrder.map((h) => ({
              title: h.id,
              task: async (c: RunCtx, t: Task) => {
                const started = Date.now();
                try {
                  t.output = 'connecting';
                  const connected = await deps.connect({ host: h.spec, field: `hosts[${h.index}]`, profile, acceptNewHostKeys: opts.acceptNewHostKeys, secrets: opts.secrets, ...(opts.signal && { signal: opts.signal }) });
                  c.sessions.set(h.id, connected.session);
                  connected.warnings.forEach((w) => warn(h.id, w));
                  t.output = 'locking and checking';
                  // The checks only read: they go at once with the lock, and count only once it is held.
                  const checks = untilCancelled(
                    opts.signal,
                    preflightHost(connected.session, {
                      roles: h.spec.roles,
                      apiServerPort: profile.network.apiServerPort,
                      localEpochSeconds: Math.floor(deps.now().getTime() / 1000),
                      node: { field: `hosts[${h.index}]`, container: h.spec.container === true, kubeletArgs: profile.extraArgs.kubelet ?? [] },
                      ...hostDownloadsCheck(profile, h.spec.roles),
                    }),
                  );
                  checks.catch(() => {}); // the lock's failure is the one reported when both fail
                  await lockHost(c, h.id, connected.session, opts, warn);
                  if (connected.acceptedHostKey) c.acceptedHostKeys.set(h.id, connected.acceptedHostKey);
                  const r = await checks;
                  r.warnings.forEach((w) => warn(h.id, `${w.check}: ${w.message}${w.hint ? ` (${w.hint})` : ''}`));
                  r.problems.forEach((p) => problems.push({ host: h.id, ...p }));
                  if (r.facts) c.facts[h.id] = r.facts;
                  (c.hostTools ??= new Map()).set(h.id, r.tools);
                  if (r.problems.length) throw new Error(r.problems.map((p) => `${p.check}: ${p.message}`).join('; '));
                  t.title = `${h.id}: ${r.facts?.hostname} ${r.facts?.arch}${r.warnings.length ? ` (${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'})` : ''}`;
                } catch (e) {
                  if (!(e instanceof CancelledError) && !(e instanceof Error && problems.some((p) => p.host === h.id))) {
                    const k = e instanceof KubeupError ? e : undefined;
                    problems.push({ host: h.id, check: e instanceof LockError ? 'lock' : 'ssh', message: k ? k.message : describe(e), ...(k?.hint && { hint: k.hint }) });
                  }
                  preflightFailures.set(h.id, e as Error);
                  // The host's log says why even when nothing else was written to it (no connection, no lock).
                  c.recorder.log(h.id, `preflight failed: ${describe(e)}`);
                  throw e;
                } finally {
                  c.recorder.hostPhase(h.id, 'preflight', Date.now() - started);
                }
              },
            })),
            { concurrent: opts.concurrency, exitOnError: false },
          )
          .run(ctx);
        if (opts.signal?.aborted) throw new CancelledError('cancelled during preflight');
        // Two hosts with one node name would fight over one Node object.
        const byName = new Map<string, string>();
        for (const h of hostsInOrder) {
          const name = h.spec.nodeName ?? ctx.facts[h.id]?.hostname;
          if (!name) continue;
          const other = byName.get(name);
          if (other) problems.push({ host: h.id, check: 'node name', message: `node name ${name} is also the node name of ${other}`, hint: `set hosts[${h.index}].nodeName in the profile, or give the host its own host name` });
          else byName.set(name, h.id);
        }
        if (problems.length) throw new PreflightError(problems);
        ctx.plan = buildPlan(profile, ctx.facts);
      }),
    },
    {
      title: 'Download releases',
      task: timed('download', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        const arches = [...new Set(plan.hosts.map((h) => h.arch))] as Arch[];
        const manifest = releaseManifest(profile, arches);
        const needed = plan.hosts.flatMap((h) => artifactsForRoles(manifest, h.roles, h.arch));
        const throttle = progressThrottle();
        const fetched = await fetchArtifacts(needed, {
          cacheDir: resolveCacheDir(profile.download.cacheDir),
          ...(profile.download.proxy !== undefined && { proxy: profile.download.proxy }),
          ...(opts.signal && { signal: opts.signal }),
          onProgress: (id, done, total) => {
            if (throttle(id, done, total)) task.output = transferLine('download', id, done, total);
          },
        });
        ctx.artifacts = fetched;
        const downloaded = fetched.filter((f) => !f.fromCache).length;
        task.title = `Download releases: ${fetched.length} artefacts verified (${downloaded} downloaded, ${fetched.length - downloaded} from the cache)`;
      }),
    },
    {
      title: 'Certificates',
      task: timed('certificates', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        const identities = clusterIdentities(identityInputFromPlan(plan));
        await refuseNewCaForExistingCluster(join(opts.stateDir, 'pki'), ctx.sessions);
        const renew = opts.renewCertificates && renewIdentities(identities, opts.renewCertificates);
        ctx.pki = await ensureClusterPki(join(opts.stateDir, 'pki'), identities, { clusterName: plan.cluster.name, now: deps.now(), ...(renew && { renew: new Set(renew) }) });
        if (renew) ctx.renewal = renewalPlan(plan, renew);
        ctx.pki.warnings.forEach((w) => warn(undefined, w));
        await writeSuperAdminKubeconfig(join(opts.stateDir, 'pki'), plan, ctx.pki);
        task.title = ctx.pki.changed.length ? `Certificates: issued ${ctx.pki.changed.join(', ')}` : 'Certificates: all reused';
      }),
    },
    {
      title: 'Provision hosts',
      task: timed('provision', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        const deployedBefore = readDeployedRecord(opts.stateDir);
        const converged: ConvergedHost[] = [];
        const encodings = await operatorEncodings();
        const cacheDir = resolveCacheDir(profile.download.cacheDir);
        await perHost('provision', plan.hosts, opts.concurrency, (h) => `${h.id} (${h.roles.join('+')})`, async (c, h, t) => {
          const inputs = { artifacts: c.artifacts, pki: c.pki! };
          const session = c.sessions.get(h.id)!;
          const throttle = progressThrottle();
          // Counts of files and bytes against everything the host's steps upload.
          const counter = fileCounter(uploadSizes(hostSteps(plan, h, inputs)));
          const execOpts = {
            onStatus: (line: string) => (t.output = line),
            onRemoteLine: (line: string, stream: 'stdout' | 'stderr') => (t.output = remoteLine(stream, line)),
            onFileDone: (path: string) => (t.output = countsLine(counter.done(path))),
            onUploadProgress: (path: string, sent: number, total: number) => {
              if (!throttle(path, sent, total)) return;
              t.output = transferLine('upload', path, sent, total);
              t.output = countsLine(counter.progress(path, sent));
            },
            log: (line: string) => c.recorder.log(h.id, line),
            ...(opts.signal && { signal: opts.signal }),
            ...withBinaryContent({ profile, cacheDir, hostEncodings: c.hostTools?.get(h.id)?.encodings ?? [], operatorEncodings: encodings, hostFetchers: c.hostTools?.get(h.id)?.fetchers ?? [], artifacts: c.artifacts }),
          };
          try {
            return await provisionHost();
          } finally {
            // download.from: hosts: the host's downloads are kept only while its files are written.
            if (hostsDownload(profile)) {
              await removeHostDownloads(session, (m) => warn(h.id, m));
            }
          }
          async function provisionHost(): Promise<string> {
            // A master from before etcd had its own CA moves over in two stages (src/provision/etcd-ca-migration.ts).
            const transition = h.roles.includes('master') && (await probeEtcdCaTransition(session));
            let stage1 = emptyRecord();
            if (transition) {
              c.recorder.log(h.id, 'etcd moves to its own CA: stage 1 of 2 (etcd and the API server trust both CAs)');
              const host1 = etcdTransitionHost(plan, h, { clusterCaPem: c.pki!.ca.certPem, etcdCaPem: c.pki!.cas['etcd-ca'].certPem });
              stage1 = await executeSteps(session, hostSteps(plan, host1, inputs), execOpts);
              t.output = 'waiting for the API server before etcd drops the old CA';
              await waitApiReady(adminApi(c, plan, 'super-admin'), { timeoutMs: opts.verifyTimeoutMs ?? 120_000, intervalMs: 500, ...(opts.signal && { signal: opts.signal }) });
              c.recorder.log(h.id, 'etcd moves to its own CA: stage 2 of 2 (only the etcd CA)');
            }
            // After stage 1 the host holds files kubeup itself just wrote: no baseline, so they are not taken for drift.
            const done = await convergeHost(session, plan, h, inputs, transition ? undefined : deployedBefore, { ...execOpts, warn: (m) => warn(h.id, m) });
            if (transition) await session.exec(['rm', '-f', ...ETCD_TRANSITION_LEFTOVERS], { sudo: true });
            converged.push(done);
            const record = mergeRecords(stage1, done.record);
            c.records.set(h.id, record);
            c.recorder.host(h.id).record = record;
            record.warnings.forEach((w) => warn(h.id, w));
            const units = record.unitsRestarted.length + record.unitsStarted.length;
            return record.filesChanged.length || units
              ? `${record.filesChanged.length} files changed (${bytesText(record)}), ${units} units (re)started`
              : 'up to date, nothing changed';
          }
        }, provisionFailures)(ctx, task).run(ctx);
        const records = [...ctx.records.values()];
        if (records.some((r) => r.bytesUploaded > 0)) task.title = `Provision hosts: ${totalBytesText(records)}`;
        await recordProvisioned(opts.stateDir, plan, converged);
        const err = failuresError('provisioning', provisionFailures);
        if (err) throw err;
      }),
    },
    {
      title: 'Cluster roles (RBAC)',
      task: timed('rbac', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        // The admin's own binding is one of these objects: until it exists only system:masters can write them.
        const api = adminApi(ctx, plan, 'super-admin');
        const apiTimeout = opts.verifyTimeoutMs ?? 120_000;
        const apiStatus = withClock(apiTimeout, (line) => (task.output = line));
        apiStatus(`waiting for ${plan.cluster.apiServer.url}/readyz`);
        await waitApiReady(api, { timeoutMs: apiTimeout, intervalMs: 250, onStatus: apiStatus, ...(opts.signal && { signal: opts.signal }) });
        const results: string[] = [];
        for (const obj of renderRbacObjects()) {
          const collection = `/apis/rbac.authorization.k8s.io/v1/${obj.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings'}`;
          const r = await api.apply(collection, obj as never);
          if (r !== 'unchanged') results.push(`${obj.kind} ${obj.metadata.name} ${r}`);
        }
        task.title = results.length ? `Cluster roles: ${results.join(', ')}` : 'Cluster roles: up to date';
      }),
    },
    {
      title: 'Verify daemons',
      task: timed('verify', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        await perHost('verify', plan.hosts, opts.concurrency, (h) => h.id, async (c, h: HostPlan, t) => {
          const unitTimeout = opts.verifyTimeoutMs ?? 90_000;
          const unitStatus = withClock(unitTimeout, (line) => (t.output = line));
          const record = c.records.get(h.id);
          const waits = {
            sudo: true,
            timeoutMs: unitTimeout,
            startedThisRun: record ? [...record.unitsRestarted, ...record.unitsStarted] : [],
            extraArgs: profile.extraArgs,
            ...(opts.signal && { signal: opts.signal }),
          };
          await verifyUnits(c.sessions.get(h.id)!, h.units, {
            ...waits,
            // The host sees a unit start (or exit) within a fraction of a second, without a round trip per look.
            watchOnHost: true,
            onStatus: (s) => {
              const waiting = Object.entries(s).filter(([, v]) => v !== 'active');
              if (waiting.length) unitStatus(`waiting for ${waiting.map(([u, v]) => `${u.replace(/\.service$/, '')}: ${v}`).join(', ')}`);
              else t.output = 'all active';
            },
          });
          if (!h.units.includes('flanneld.service')) return `${h.units.length} units active`;
          t.output = 'waiting for flannel\'s pod subnet';
          const subnet = await waitForFlannelSubnet(c.sessions.get(h.id)!, waits);
          return `${h.units.length} units active, pod subnet ${subnet}`;
        }, verifyFailures)(ctx, task).run(ctx);
        const err = failuresError('verify-cluster', verifyFailures, VerifyError);
        if (err) throw withUnitFailures(err, verifyFailures);
      }),
    },
    {
      title: 'Cluster add-ons',
      task: timed('addons', opts.signal, async (ctx, task) => {
        task.title = addonsTitle(ctx.plan!, await applyPlanAddons(adminApi(ctx, ctx.plan!), ctx.plan!, (s) => (task.output = s)));
      }),
    },
    {
      title: 'Kubeconfig',
      task: timed('kubeconfig', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        const admin = ctx.pki!.certs.get('admin')!;
        const config = renderKubeconfig({ clusterName: plan.cluster.name, server: plan.cluster.apiServer.url, caPem: ctx.pki!.ca.certPem, user: `${ADMIN_USER}@${plan.cluster.name}`, certPem: admin.certPem, keyPem: admin.keyPem, contextName: plan.cluster.name });
        const r = await writeMergedKubeconfig(config, plan.cluster.name, { ...(opts.kubeconfig && { path: opts.kubeconfig }), now: deps.now() });
        ctx.kubeconfigPath = r.path;
        if (r.backupPath) ctx.kubeconfigBackup = r.backupPath;
        task.title = `Kubeconfig: context ${plan.cluster.name} in ${r.path}${r.changed ? (r.backupPath ? ` (backup ${r.backupPath})` : '') : ' (unchanged)'}`;
      }),
    },
    {
      title: 'Validate cluster',
      task: timed('validate', opts.signal, async (ctx, task) => {
        const plan = ctx.plan!;
        const validateTimeout = opts.validateTimeoutMs ?? 180_000;
        const validateStatus = withClock(validateTimeout, (line) => (task.output = line));
        result.report = await validateCluster(adminApi(ctx, plan), plan, { timeoutMs: validateTimeout, intervalMs: 500, onStatus: validateStatus, ...(opts.signal && { signal: opts.signal }), ...(opts.dnsTimeoutMs !== undefined && { dnsTimeoutMs: opts.dnsTimeoutMs }) });
        const ready = result.report.nodes.filter((n) => n.ready).length;
        const dns = result.report.dns;
        if (dns && !dns.available) warn(undefined, formatDnsReport(dns));
        task.title = `Validate cluster: ${ready} of ${result.report.nodes.length} nodes Ready, ${result.report.components.length} components healthy${dns ? `, CoreDNS ${dns.ready} of ${dns.wanted} ready${dns.available ? '' : ' (NOT available)'}` : ''}`;
      }),
    },
    {
      title: 'Prove the renewed certificates are in use',
      enabled: opts.renewCertificates !== undefined,
      task: timed('prove', opts.signal, async (ctx, task) => {
        ctx.proofs = await proveRenewal(ctx, ctx.plan!, ctx.renewal!, opts.verifyTimeoutMs ?? 90_000, opts.signal);
        const failed = ctx.proofs.filter((p) => !p.ok);
        task.title = `Renewed certificates: ${ctx.proofs.length - failed.length} of ${ctx.proofs.length} checks passed`;
        if (failed.length) throw new VerifyError(`renewed certificates not in use:\n${formatProofs(failed).trimEnd()}`, { hint: `run kubeup certs renew --profile ${profile.name} again; kubeup certs check shows what each host holds` });
      }),
    },
    {
      title: 'Remove hosts gone from the profile',
      enabled: opts.renewCertificates === undefined,
      task: timed('remove', opts.signal, async (_ctx, task) => {
        const removed = await removeDroppedHosts(profile, opts, deps, { log: (l) => _ctx.recorder.log('remove', l), onHost: (id, l) => (task.output = `${id}: ${l}`), ...(opts.signal && { signal: opts.signal }) });
        task.title = removed.length ? `Removed ${removed.map((r) => `${r.target.id} (node ${r.target.nodeName})`).join(', ')}` : 'No host to remove';
      }),
    },
  ];
}

/**
 * What can be known before connecting anywhere: an artefact nobody knows a sha256 for would stop the run at the
 * download phase, after preflight; say so at once instead.
 */
export function checkBeforeConnecting(profile: Profile): void {
  const missing = missingChecksums(releaseManifest(profile, ['amd64']).filter((a) => a.roles.some((r) => r !== 'local')));
  if (missing.length) throw missingChecksumError(missing);
}

export async function runUp(profile: Profile, opts: RunOptions, deps: RunDeps): Promise<UpResult> {
  checkBeforeConnecting(profile);
  const lock = acquireLocalLock(opts.stateDir, { command: opts.command ?? `kubeup up --profile ${profile.name}`, ...(opts.forceUnlock && { force: true }), onWarning: (m) => opts.onWarning?.(undefined, m), now: deps.now() });
  try {
    return await runUpLocked(profile, opts, deps, lock.holder);
  } finally {
    lock.release();
  }
}

async function runUpLocked(profile: Profile, opts: RunOptions, deps: RunDeps, lockHolder: LockHolder): Promise<UpResult> {
  const recorder = new RunRecorder(opts.stateDir, profile.name, opts.renewCertificates !== undefined ? 'certs renew' : 'up', deps.now());
  const ctx: RunCtx = { sessions: new Map(), facts: {}, artifacts: [], records: new Map(), acceptedHostKeys: new Map(), recorder, lockHolder };
  const result: { report?: ClusterReport } = {};
  const listr = new Listr<RunCtx>(buildUpTasks(profile, opts, deps, result), {
    ctx,
    exitOnError: true,
    concurrent: false,
    ...rendererOptions(opts.renderer, { collapseSubtasks: false, showErrorMessage: false }),
    registerSignalListeners: false,
  });
  let error: unknown;
  try {
    await listr.run(ctx);
  } catch (e) {
    error = e;
  } finally {
    await closeRun(ctx);
  }
  const files = recorder.finish(error === undefined, error === undefined ? undefined : describe(error));
  const records = Object.fromEntries(ctx.records);
  if (error !== undefined) {
    if (error instanceof KubeupError) Object.assign(error, { summaryPath: files.text, logDir: recorder.dir, records });
    throw error;
  }
  return {
    ctx,
    records,
    ...(result.report && { report: result.report, reportText: formatClusterReport(result.report, profile.name) }),
    summaryPath: files.text,
    logDir: recorder.dir,
  };
}
