// The add-ons phase of `kubeup up` and `kubeup addons apply`: every object of every add-on that is on, applied
// through the API in order; the objects of an add-on turned off in the profile removed (only those kubeup applied).
import { join } from 'node:path';
import { allAddonObjects, planAddons } from '../addons/index.js';
import { CA_NAME, certFile, keyFile } from '../pki/index.js';
import { readIfExists } from '../pki/files.js';
import type { Plan } from '../plan/types.js';
import { ApiClient } from '../verify/api-client.js';
import { applyObjects, deleteObjects } from '../verify/addons-api.js';

export interface AddonsResult {
  /** e.g. `ConfigMap kube-system/coredns updated`; objects already right are not listed. */
  changes: string[];
  unchanged: number;
  removed: string[];
}

export async function applyPlanAddons(api: ApiClient, plan: Plan, onStatus?: (line: string) => void): Promise<AddonsResult> {
  const addons = planAddons(plan.cluster.addons);
  const result: AddonsResult = { changes: [], unchanged: 0, removed: [] };
  for (const addon of addons) {
    const outcomes = await applyObjects(api, addon.objects, onStatus);
    for (const [o, outcome] of outcomes) {
      if (outcome === 'unchanged') result.unchanged++;
      else result.changes.push(`${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} ${outcome}`);
    }
  }
  if (!plan.cluster.addons.dns) result.removed = await deleteObjects(api, allAddonObjects(), { onlyOwned: true });
  return result;
}

export function addonsTitle(plan: Plan, r: AddonsResult): string {
  const dns = plan.cluster.addons.dns;
  if (!dns) return r.removed.length ? `Cluster add-ons: CoreDNS is off, removed ${r.removed.join(', ')}` : 'Cluster add-ons: none (CoreDNS is off)';
  const what = `CoreDNS ${dns.version} at ${dns.clusterDns}`;
  return r.changes.length ? `Cluster add-ons: ${what}: ${r.changes.join(', ')}` : `Cluster add-ons: ${what}: up to date, nothing changed`;
}

/**
 * The admin client of a cluster kubeup deployed from this machine: the CA and admin certificate in the profile's
 * state folder. Undefined when there are none (nothing was deployed from here).
 */
export async function adminApiFromState(stateDir: string, plan: Plan): Promise<ApiClient | undefined> {
  const dir = join(stateDir, 'pki');
  const [caPem, certPem, keyPem] = await Promise.all([certFile(dir, CA_NAME), certFile(dir, 'admin'), keyFile(dir, 'admin')].map((f) => readIfExists(f)));
  if (!caPem || !certPem || !keyPem) return undefined;
  return new ApiClient({ server: plan.cluster.apiServer.url, caPem, certPem, keyPem }, 5000);
}
