// `up` on a cluster that already runs: before a host is provisioned, one read-only pass shows what differs; files
// changed on the host since kubeup wrote them (drift) are named with what changed, then put back. The same pass
// feeds the executor's no-op check, so an up-to-date host still costs one round trip.
import { updateDeployedRecord } from '../deployed-record.js';
import { diffHost, type DeployedHost, type DeployedRecord, type FileChange, type HostDiff } from '../plan/diff.js';
import type { HostPlan, Plan } from '../plan/types.js';
import { executeSteps, type ExecuteOptions, type HostRecord } from '../provision/execute.js';
import { deployedHost, desiredFiles, observeHost } from '../provision/observe.js';
import { hostSteps, type LocalInputs } from '../provision/steps.js';
import { recordSums } from '../provision/file-state.js';
import type { HostSession } from '../ssh/session.js';

export interface ConvergedHost {
  record: HostRecord;
  diff: HostDiff;
  deployed: DeployedHost;
}

/** The message for one drifted file: which file, on which host, what changed, and the diff when one can be shown. */
export function driftMessage(host: string, f: FileChange): string {
  const what = f.change === 'add' ? 'was removed' : `changed (${f.what.join(', ')})`;
  const body = f.diff ? `\n${f.diff.trimEnd()}` : f.note ? ` [${f.note}]` : '';
  return `drift: ${f.path} on ${host} ${what} since kubeup wrote it; putting it back${body}`;
}

export async function convergeHost(
  session: HostSession,
  plan: Plan,
  host: HostPlan,
  inputs: LocalInputs,
  record: DeployedRecord | undefined,
  opts: ExecuteOptions & { warn: (message: string) => void },
): Promise<ConvergedHost> {
  const steps = hostSteps(plan, host, inputs);
  const desired = await desiredFiles(steps);
  const observed = await observeHost(session, { id: host.id, files: desired, units: host.units });
  const deployed = record?.hosts.find((d) => d.id === host.id);
  const diff = diffHost({ id: host.id, nodeName: host.nodeName, units: host.units, desired, observed, ...(deployed && { deployed }) });
  for (const f of diff.files.filter((x) => x.drift)) {
    opts.warn(driftMessage(host.id, f));
    opts.log?.(driftMessage(host.id, f));
  }
  const executed = await executeSteps(session, steps, { ...opts, observed: observed.files });
  // Every file now holds what kubeup would write (the host is locked): the next look need not hash them again.
  if (executed.filesChanged.length || observed.sums?.misses !== 0) await recordSums(session, desired);
  return { record: executed, diff, deployed: deployedHost(host, desired) };
}

/** After provisioning: the hosts that succeeded become the new baseline; the others keep their old entry. */
export async function recordProvisioned(stateDir: string, plan: Plan, converged: readonly ConvergedHost[]): Promise<void> {
  if (converged.length === 0) return;
  await updateDeployedRecord(stateDir, plan.profile, converged.map((c) => c.deployed));
}
