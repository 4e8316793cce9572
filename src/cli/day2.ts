// `kubeup plan` (online), `kubeup status`, `kubeup remove-node`: commands for a cluster that already runs.
// Loaded lazily by deploy.ts. All three connect read-only first; only remove-node changes anything, after asking.
import { UsageError } from '../errors.js';
import { formatDiff, hasChanges, type ClusterDiff } from '../plan/diff.js';
import type { ProfileStore } from '../profile/store.js';
import type { Profile } from '../profile/types.js';
import { profileStateDir } from '../state.js';
import { runConnector } from '../tasks/connect.js';
import type { RunDeps, RunOptions, RunSecrets } from '../tasks/context.js';
import { observeCluster } from '../tasks/observe-cluster.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, findRemovalTarget, formatRemoval, runRemoveNode, type RemoveOptions } from '../tasks/remove-node.js';
import { clusterStatus, formatStatus, statusExitCode } from '../tasks/status.js';
import { readDeployedRecord } from '../deployed-record.js';
import { unverifiableWarning } from '../release/unpinned.js';
import type { CliValues } from '../cli.js';
import type { CliIo } from './io.js';
import { cancelOnSignals, concurrency, gatherSecrets } from './run.js';

/** Options for a flow that shows nothing live: plain warnings on stderr. */
export function quietOptions(profile: Profile, values: CliValues, secrets: RunSecrets, io: CliIo, signal?: AbortSignal): RunOptions {
  return {
    concurrency: concurrency(values.concurrency),
    acceptNewHostKeys: values['accept-new-host-keys'] === true,
    secrets,
    stateDir: profileStateDir(profile.name),
    renderer: 'silent',
    onWarning: (host, m) => io.err(`warning: ${host ? `${host}: ` : ''}${m}`),
    ...(values['force-unlock'] === true && { forceUnlock: true }),
    ...(signal && { signal }),
  };
}

async function withConnector<T>(fn: (deps: RunDeps) => Promise<T>): Promise<T> {
  const connector = runConnector();
  try {
    return await fn({ connect: connector.connect, now: () => new Date() });
  } finally {
    await connector.close();
  }
}

/** What `up` would change, as data; the CLI prints it with formatDiff. */
export async function changeSummary(profile: Profile, values: CliValues, secrets: RunSecrets, io: CliIo): Promise<ClusterDiff> {
  const opts = quietOptions(profile, values, secrets, io);
  return (await withConnector((deps) => observeCluster(profile, opts, deps))).diff;
}

/** True when kubeup has deployed this profile before (so `up` changes a running cluster). */
export function clusterRuns(profile: Profile): boolean {
  return readDeployedRecord(profileStateDir(profile.name)) !== undefined;
}

export async function planCommand(profile: Profile, values: CliValues, io: CliIo): Promise<number> {
  // Said before connecting: `up` would stop at it before connecting too.
  const warning = unverifiableWarning(profile);
  if (warning) io.out(warning);
  const secrets = await gatherSecrets(profile, io);
  io.out(formatDiff(await changeSummary(profile, values, secrets, io)).trimEnd());
  return 0;
}

export async function statusCommand(profile: Profile, values: CliValues, io: CliIo): Promise<number> {
  if (!clusterRuns(profile)) throw new UsageError(`kubeup has no record of a deployment of ${profile.name}`, { hint: `deploy it first: kubeup up --profile ${profile.name}` });
  const secrets = await gatherSecrets(profile, io);
  const opts = quietOptions(profile, values, secrets, io);
  const s = await withConnector((deps) => clusterStatus(profile, opts, deps));
  io.out(formatStatus(s).trimEnd());
  return statusExitCode(s);
}

function seconds(flag: string, v: string | undefined, allowNegative = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/s$/, ''));
  if (!Number.isInteger(n) || n < (allowNegative ? -1 : 0)) throw new UsageError(`--${flag} ${v} is not a whole number of seconds${allowNegative ? ' (or -1)' : ''}`);
  return n;
}

/** --grace-period, --timeout, --force as kubectl drain reads them (DaemonSet pods are always left alone). */
export function removeOptions(values: CliValues): RemoveOptions {
  const grace = seconds('grace-period', values['grace-period'], true);
  const timeout = seconds('timeout', values.timeout);
  return {
    force: values.force === true,
    ignoreDaemonSets: true,
    timeoutMs: timeout === undefined || timeout === 0 ? DEFAULT_DRAIN_TIMEOUT_MS : timeout * 1000,
    ...(grace !== undefined && grace >= 0 && { gracePeriodSeconds: grace }),
  };
}

export async function removeNodeCommand(profile: Profile, host: string | undefined, values: CliValues, store: ProfileStore, io: CliIo): Promise<number> {
  if (!host) throw new UsageError('which host? kubeup remove-node --profile NAME HOST (its address or node name)');
  const target = findRemovalTarget(profile, readDeployedRecord(profileStateDir(profile.name)), host);
  const remove = removeOptions(values);
  if (values.yes !== true) {
    const q = `Remove ${target.id} (node ${target.nodeName}) from cluster ${profile.name}: cordon, drain, stop and clean the host, delete the Node${target.inProfile ? ', drop it from the profile' : ''}?`;
    if (!(await io.confirm(q, 'add --yes to remove it without asking'))) {
      io.out('Nothing done.');
      return 0;
    }
  }
  const secrets = await gatherSecrets(profile, io);
  const opts = { ...quietOptions(profile, values, secrets, io, cancelOnSignals(io)), remove };
  const r = await withConnector((deps) => runRemoveNode(profile, host, opts, deps));
  if (target.inProfile) {
    if (values.profile) {
      store.save(r.profile);
      io.out(`Profile ${profile.name}: ${target.id} removed.`);
    } else io.out(`Remove ${target.id} from ${values.file} yourself: kubeup does not rewrite profile files.`);
  }
  io.out(formatRemoval(r));
  return 0;
}

export { formatDiff, hasChanges };
