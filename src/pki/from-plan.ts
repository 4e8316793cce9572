// The identity table's input, read from the deploy plan (pure): the plan has already resolved node names.
import type { Plan } from '../plan/types.js';
import type { ClusterIdentityInput } from './identities.js';

export function identityInputFromPlan(plan: Plan): ClusterIdentityInput {
  const c = plan.cluster;
  return {
    clusterName: c.name,
    masterAddress: c.master.address,
    masterHostname: c.master.nodeName,
    serviceCidr: c.serviceCidr,
    dnsDomain: c.dnsDomain,
    apiServerPort: c.apiServer.port,
    nodes: plan.hosts.filter((h) => h.roles.includes('worker')).map((h) => ({ nodeName: h.nodeName, address: h.address })),
  };
}
