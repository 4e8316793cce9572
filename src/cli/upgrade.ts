// `kubeup upgrade --profile NAME --to 1.35.x`, and the same path for `up` with a changed versions block. Loaded lazily
// by deploy.ts.
import semver from 'semver';
import { UsageError } from '../errors.js';
import { SUPPORTED_KUBERNETES_MINORS } from '../profile/defaults.js';
import type { ProfileStore } from '../profile/store.js';
import type { Profile } from '../profile/types.js';
import { profileStateDir } from '../state.js';
import { runConnector } from '../tasks/connect.js';
import { adminClientFromState } from '../tasks/remove-node.js';
import { kubeupCommand } from '../invocation.js';
import { resumeHint, runUpgrade, upgradeHeader, type UpgradeOptions, type UpgradeResult } from '../tasks/upgrade.js';
import { upgradeViewFeed } from '../tasks/upgrade-view.js';
import type { CliValues } from '../cli.js';
import { clusterRuns, quietOptions, removeOptions } from './day2.js';
import type { CliIo } from './io.js';
import { cancelOnSignals, gatherSecrets, liveTerminal } from './run.js';

/** --to: an exact release (1.35.3 or v1.35.3) of a minor kubeup knows the flags of. */
export function targetVersion(to: string | undefined, profile: Profile): string {
  if (to === undefined) return profile.versions.kubernetes;
  const v = semver.valid(to.replace(/^v/, ''));
  if (!v || semver.prerelease(v)) throw new UsageError(`--to ${to} is not a Kubernetes release like 1.35.3`, { hint: 'give the exact patch release to upgrade to' });
  const minor = `${semver.major(v)}.${semver.minor(v)}`;
  if (!(SUPPORTED_KUBERNETES_MINORS as readonly string[]).includes(minor)) {
    throw new UsageError(`--to ${to}: kubeup knows the flags of Kubernetes ${SUPPORTED_KUBERNETES_MINORS.join(' and ')} only`, { hint: `pick a ${SUPPORTED_KUBERNETES_MINORS.at(-1)}.x release` });
  }
  return v;
}

/** --max-unavailable: workers drained at once (default 1). */
export function maxUnavailable(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--max-unavailable ${v} is not a whole number of at least 1`);
  return n;
}

/** The command that continues this upgrade, naming the profile as the user did (by name or by file). */
function continueCommand(profile: Profile, values: CliValues): string {
  return `${kubeupCommand()} upgrade ${values.profile ? `--profile ${values.profile}` : `--file ${values.file}`} --to ${profile.versions.kubernetes}`;
}

function upgradeOptions(profile: Profile, values: CliValues, io: CliIo, secrets: UpgradeOptions['secrets'], dryRun: boolean): UpgradeOptions {
  return {
    ...quietOptions(profile, values, secrets, io),
    maxUnavailable: maxUnavailable(values['max-unavailable']),
    drain: removeOptions(values),
    dryRun,
    command: continueCommand(profile, values),
    onProgress: (line) => io.out(line),
    ...(!dryRun && { signal: cancelOnSignals(io) }),
  };
}

/**
 * The upgrade itself: in a terminal, the live run view (phases, a pane per host with its version move and action;
 * q or Ctrl-C cancels between steps), else plain lines. Warnings the view kept are printed once it has closed.
 */
async function runForReal(profile: Profile, values: CliValues, io: CliIo, secrets: UpgradeOptions['secrets']): Promise<UpgradeResult> {
  if (!liveTerminal(io, values)) return run(profile, upgradeOptions(profile, values, io, secrets, false));
  const { openRunView } = await import('../../components/run/index.js');
  const view = openRunView(profile, {
    command: 'upgrade',
    cancelled: { message: 'upgrade cancelled: the steps that were running finished, the rest did not start', hint: resumeHint(continueCommand(profile, values)) },
  });
  // The dry run's options: no signal handlers of their own (the view's q and Ctrl-C cancel), no lines printed.
  const { onProgress: _lines, ...quiet } = upgradeOptions(profile, values, io, secrets, true);
  try {
    return await view.follow(run(profile, { ...quiet, dryRun: false, onEvent: upgradeViewFeed(view.store), signal: view.signal, onWarning: view.warn }), io.err);
  } finally {
    for (const w of view.store.getSnapshot().warnings) io.err(`warning: ${w.host ? `${w.host}: ` : ''}${w.message}`);
  }
}

async function run(profile: Profile, opts: UpgradeOptions): Promise<UpgradeResult> {
  const connector = runConnector();
  try {
    return await runUpgrade(profile, opts, { connect: connector.connect, now: () => new Date() });
  } finally {
    await connector.close();
  }
}

function printSteps(r: UpgradeResult, io: CliIo): void {
  io.out(upgradeHeader(r));
  for (const l of r.lines) io.out(`  ${l}`);
}

export async function upgradeCommand(profile: Profile, stored: Profile, values: CliValues, store: ProfileStore, io: CliIo): Promise<number> {
  const target = targetVersion(values.to, profile);
  maxUnavailable(values['max-unavailable']);
  if (!clusterRuns(profile)) throw new UsageError(`kubeup has no record of a deployment of ${profile.name}: there is nothing to upgrade`, { hint: `deploy it first: kubeup up --profile ${profile.name}` });
  const moved: Profile = { ...profile, versions: { ...profile.versions, kubernetes: target } };
  const secrets = await gatherSecrets(profile, io);
  if (values['dry-run'] === true || values.yes !== true) {
    printSteps(await run(moved, upgradeOptions(moved, values, io, secrets, true)), io);
    if (values['dry-run'] === true) return 0;
    if (!(await io.confirm(`Upgrade cluster ${profile.name} to Kubernetes ${target}?`, 'add --yes to upgrade without asking'))) {
      io.out('Nothing done.');
      return 0;
    }
  }
  const r = await runForReal(moved, values, io, secrets);
  io.out(`Upgraded ${profile.name} to Kubernetes ${target}: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'} done${r.alreadyDone.length ? `, ${r.alreadyDone.join(', ')} already there` : ''}.`);
  if (stored.versions.kubernetes !== target) {
    if (values.profile) {
      store.save({ ...stored, versions: { ...stored.versions, kubernetes: target } });
      io.out(`Profile ${profile.name}: versions.kubernetes is now ${target}.`);
    } else io.out(`Set versions.kubernetes: ${target} in ${values.file} yourself: kubeup does not rewrite profile files.`);
  }
  return 0;
}

/** True when the profile names a Kubernetes release that the API server or a node does not run yet. */
async function versionsDiffer(profile: Profile): Promise<boolean> {
  if (!clusterRuns(profile)) return false;
  try {
    // A short bound: a host that is down must not hold up every up for long.
    const api = await adminClientFromState(profile, profileStateDir(profile.name), 3000);
    // Both at once: one round trip on the no-op re-run's path, not two.
    const [version, nodes] = await Promise.all([
      api.request<{ gitVersion?: string }>('GET', '/version'),
      api.request<{ items?: { status?: { nodeInfo?: { kubeletVersion?: string } } }[] }>('GET', '/api/v1/nodes'),
    ]);
    if (version.status !== 200 || nodes.status !== 200) return false;
    // A Node that has not posted its status yet says no version: it is not a reason to upgrade.
    const versions = [version.body.gitVersion, ...(nodes.body.items ?? []).flatMap((n) => (n.status?.nodeInfo?.kubeletVersion ? [n.status.nodeInfo.kubeletVersion] : []))];
    return versions.some((v) => v !== `v${profile.versions.kubernetes}`);
  } catch {
    // No admin certificate here, or the API server does not answer: up repairs the cluster as it is.
    return false;
  }
}

/**
 * `up` on a running cluster whose profile names another Kubernetes release than the cluster runs: the change goes
 * through the upgrade (in order, drained, resumable) before up converges the rest. 'no' when the versions agree or
 * the API server cannot be asked; 'declined' when the user said no.
 */
export async function upgradeFirst(profile: Profile, values: CliValues, io: CliIo): Promise<'no' | 'done' | 'declined'> {
  if (!(await versionsDiffer(profile))) return 'no';
  const secrets = await gatherSecrets(profile, io);
  io.out(`The cluster does not run Kubernetes ${profile.versions.kubernetes} everywhere yet: it is upgraded first, in order (as kubeup upgrade --to ${profile.versions.kubernetes}), then up converges the rest.`);
  if (values.yes !== true) {
    printSteps(await run(profile, upgradeOptions(profile, values, io, secrets, true)), io);
    if (!(await io.confirm(`Upgrade cluster ${profile.name} to Kubernetes ${profile.versions.kubernetes}?`, 'add --yes to upgrade without asking'))) return 'declined';
  }
  await runForReal(profile, values, io, secrets);
  return 'done';
}

/** For `kubeup plan`: the upgrade's steps (old → new per host) when the profile's release is not the cluster's. */
export async function upgradePreview(profile: Profile, values: CliValues, io: CliIo): Promise<void> {
  if (!(await versionsDiffer(profile))) return;
  const r = await run(profile, upgradeOptions(profile, values, io, await gatherSecrets(profile, io), true));
  io.out('');
  printSteps(r, io);
  io.out(`(up runs these steps first, in this order; or: kubeup upgrade ${values.profile ? `--profile ${values.profile}` : `--file ${values.file}`} --to ${profile.versions.kubernetes})`);
}
