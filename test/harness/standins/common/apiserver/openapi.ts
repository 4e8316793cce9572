/**
 * A minimal OpenAPI v3 description: the root index (/openapi/v3) and per group-version documents listing each
 * resource's paths, with the PATCH operations tagged by x-kubernetes-group-version-kind and the `fieldValidation`
 * query parameter. That is what kubectl looks for to decide the server validates fields itself (so `kubectl
 * create -f` / `apply -f` work); schemas of the types are not described.
 */
import { createHash } from 'node:crypto';
import { resources, type ResourceDef } from './resources.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const d of resources) if (!d.virtual) seen.set(gvPath(d.group, d.version), { group: d.group, version: d.version });
  return [...seen.values()];
}

function operation(d: ResourceDef, action: string): object {
  return {
    operationId: `${action}${d.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: d.group, version: d.version, kind: d.kind },
    parameters: [
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
    ],
    responses: { '200': { description: 'OK' } },
  };
}

export function gvDocument(group: string, version: string): object | null {
  const defs = resources.filter((d) => d.group === group && d.version === version && !d.virtual);
  if (defs.length === 0) return null;
  const paths: Record<string, object> = {};
  const prefix = `/${gvPath(group, version)}`;
  for (const d of defs) {
    const collection = d.namespaced ? `${prefix}/namespaces/{namespace}/${d.name}` : `${prefix}/${d.name}`;
    paths[collection] = { get: operation(d, 'list'), post: operation(d, 'post') };
    paths[`${collection}/{name}`] = { get: operation(d, 'get'), put: operation(d, 'put'), patch: operation(d, 'patch'), delete: operation(d, 'delete') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.35.2 (kubeup stand-in)' }, paths, components: {} };
}

export function rootIndex(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    const hash = createHash('sha512').update(JSON.stringify(gvDocument(group, version))).digest('hex').slice(0, 128).toUpperCase();
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
  }
  return { paths };
}
