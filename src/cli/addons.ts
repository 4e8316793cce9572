// `kubeup addons apply --profile NAME`: the add-ons alone, through the API of a cluster kubeup deployed from this
// machine (its admin certificate in the profile's state folder); no host is contacted.
import { DeployError } from '../errors.js';
import { assumedFacts, buildPlan } from '../plan/index.js';
import type { Profile } from '../profile/types.js';
import { profileStateDir } from '../state.js';
import { adminApiFromState, addonsTitle, applyPlanAddons } from '../tasks/addons.js';
import { formatDnsReport, waitCoredns } from '../verify/addons-api.js';
import { waitApiReady } from '../verify/validate-cluster.js';
import type { CliIo } from './io.js';

export async function addonsApplyCommand(profile: Profile, io: CliIo): Promise<number> {
  // The API address and the add-ons do not depend on what preflight learns about hosts.
  const plan = buildPlan(profile, assumedFacts(profile));
  const dir = profileStateDir(profile.name);
  const api = await adminApiFromState(dir, plan);
  if (!api) {
    throw new DeployError(`no admin credentials for profile ${profile.name} in ${dir}`, { hint: `deploy it first: kubeup up --profile ${profile.name}` });
  }
  await waitApiReady(api, { timeoutMs: 30_000, intervalMs: 1000 });
  const r = await applyPlanAddons(api, plan);
  io.out(addonsTitle(plan, r));
  const dns = plan.cluster.addons.dns;
  if (dns) {
    const timeoutMs = Number(process.env.KUBEUP_DNS_TIMEOUT_MS ?? 120_000);
    const report = await waitCoredns(api, dns.replicas, { timeoutMs, intervalMs: 2000, onStatus: (s) => io.err(s) });
    if (report.available) io.out(formatDnsReport(report));
    else io.err(`warning: ${formatDnsReport(report)}`);
  }
  return 0;
}
