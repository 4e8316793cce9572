/**
 * Legacy (unaggregated) discovery documents: /api, /apis, /api/v1, /apis/<group>/<version>. Clients that ask for
 * aggregated discovery (apidiscovery.k8s.io/v2) get these as plain application/json, which tells them (per the
 * protocol) to fall back to per-group discovery, as kubectl does.
 */
import { createHash } from 'node:crypto';
import { apiGroups, resources, type ResourceDef } from './resources.js';

function hash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest('base64').slice(0, 11) + '=';
}

const subresourceVerbs: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  token: ['create'],
  binding: ['create'],
  eviction: ['create'],
  approval: ['get', 'patch', 'update'],
};

export function coreVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function groupList(): object {
  const extra = [
    { name: 'authentication.k8s.io', version: 'v1' },
    { name: 'authorization.k8s.io', version: 'v1' },
  ];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...apiGroups(), ...extra].map((g) => ({
      name: g.name,
      versions: [{ groupVersion: `${g.name}/${g.version}`, version: g.version }],
      preferredVersion: { groupVersion: `${g.name}/${g.version}`, version: g.version },
    })),
  };
}

export function resourceList(group: string, version: string): object | null {
  const defs = resources.filter((d) => d.group === group && d.version === version);
  const groupVersion = group === '' ? version : `${group}/${version}`;
  let list: object[] = [];
  for (const d of defs) {
    list.push({
      name: d.name,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: [...d.verbs],
      ...(d.shortNames ? { shortNames: [...d.shortNames] } : {}),
      ...(d.categories ? { categories: [...d.categories] } : {}),
      ...(d.virtual ? {} : { storageVersionHash: hash(d) }),
    });
    for (const sub of d.subresources) {
      const kind = sub === 'token' ? 'TokenRequest' : sub === 'binding' ? 'Binding' : sub === 'eviction' ? 'Eviction' : d.kind;
      const subGroup = sub === 'token' ? { group: 'authentication.k8s.io', version: 'v1' } : sub === 'eviction' ? { group: 'policy', version: 'v1' } : {};
      list.push({ name: `${d.name}/${sub}`, singularName: '', namespaced: d.namespaced, ...subGroup, kind, verbs: subresourceVerbs[sub] ?? ['get'] });
    }
  }
  if (group === 'authentication.k8s.io' && version === 'v1') {
    list = [{ name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] }];
  }
  if (group === 'authorization.k8s.io' && version === 'v1') {
    list = [{ name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] }];
  }
  if (list.length === 0) return null;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list };
}
