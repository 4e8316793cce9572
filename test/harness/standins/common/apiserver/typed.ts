/**
 * Writes to the types the stand-in has schemas for (schemas.ts), checked as the real API server checks them:
 * field validation (the fieldValidation query parameter: Strict refuses unknown fields, Warn drops them with a
 * Warning header, Ignore drops them; staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go, update.go,
 * patch.go), server-side apply (PATCH application/apply-patch+yaml; patch.go applyPatcher and the field manager),
 * managedFields on every write, and the update rules that make fields immutable (pkg/apis/core/validation:
 * ValidateServiceUpdate; pkg/apis/apps/validation: ValidateDeploymentUpdate; pkg/apis/rbac/validation:
 * ValidateClusterRoleBindingUpdate).
 */
import type { IncomingMessage } from 'node:http';
import { parseDocument } from 'yaml';
import type { KubeObject } from '../client.js';
import { checkFields, deepEqual, prune, type FieldProblem, type Json } from './fields.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { schemaFor, type Schema } from './schemas.js';
import { applyConfiguration, recordUpdate } from './ssa.js';
import { badRequest, invalid, StatusError } from './status.js';

type Obj = { [k: string]: Json };
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function typedSchema(d: ResourceDef): Schema | undefined {
  return schemaFor(d.group, d.kind);
}

/** `Deployment.apps`, `Service`: the qualified kind the real server's messages name. */
const qualifiedKind = (d: ResourceDef) => (d.group ? `${d.kind}.${d.group}` : d.kind);

export function fieldValidation(url: URL): FieldValidation {
  const v = url.searchParams.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Invalid value: ${JSON.stringify(v)}: fieldValidation must be one of "Ignore", "Warn", or "Strict"`);
}

/** managerOrUserAgent in handlers/rest.go: the fieldManager parameter, else the user agent up to its first "/". */
export function fieldManager(url: URL, req: IncomingMessage): string {
  const given = url.searchParams.get('fieldManager');
  if (given) return given;
  const ua = req.headers['user-agent'] ?? '';
  return ua.split('/')[0]!.slice(0, 128);
}

function typeError(d: ResourceDef, p: FieldProblem): StatusError {
  return badRequest(`${d.kind} in version "${d.version}" cannot be handled as a ${d.kind}: json: cannot unmarshal ${p.message.replace(/^expected (\S+), got (\S+)$/, '$2 into Go struct field .$PATH of type $1').replace('$PATH', p.jsonPath)}`);
}

/**
 * A create or update body: unknown fields refused (Strict) or dropped with a warning (Warn) or silently (Ignore),
 * values of the wrong type refused always.
 */
export function decodeTyped(d: ResourceDef, schema: Schema, obj: KubeObject, mode: FieldValidation): { obj: KubeObject; warnings: string[] } {
  const problems = checkFields(schema, obj as unknown as Json);
  const typed = problems.find((p) => p.kind === 'type');
  if (typed) throw typeError(d, typed);
  const unknown = problems.filter((p) => p.kind === 'unknown').map((p) => `unknown field ${JSON.stringify(p.jsonPath)}`);
  if (unknown.length === 0) return { obj, warnings: [] };
  if (mode === 'Strict') throw badRequest(`${d.kind} in version "${d.version}" cannot be handled as a ${d.kind}: strict decoding error: ${unknown.join(', ')}`);
  return { obj: prune(schema, obj as unknown as Json) as unknown as KubeObject, warnings: mode === 'Warn' ? unknown : [] };
}

/** The parsed body of an apply request, refused as the real server refuses it. */
export function parseApplyBody(d: ResourceDef, text: string, mode: FieldValidation, urlName: string): Obj {
  const doc = parseDocument(text, { uniqueKeys: false, version: '1.2' });
  if (doc.errors.length) throw badRequest(`error decoding YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const value = doc.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('error decoding YAML: the body of an apply request must be an object');
  if (mode !== 'Ignore') {
    const strict = parseDocument(text, { uniqueKeys: true, version: '1.2' });
    if (strict.errors.length && mode === 'Strict') throw badRequest(`error strict decoding YAML: ${strict.errors[0]!.message.split('\n')[0]}`);
  }
  const obj = value as Obj;
  if (typeof obj.kind !== 'string' || obj.kind === '') throw badRequest(`Object 'Kind' is missing in '${text.trim().slice(0, 200)}'`);
  if (obj.kind !== d.kind || obj.apiVersion !== apiVersionOf(d)) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(obj.apiVersion ?? '')}, expected: ${apiVersionOf(d)}`);
  }
  const meta = (obj.metadata ?? {}) as Obj;
  if (meta.managedFields !== undefined && meta.managedFields !== null) throw badRequest('metadata.managedFields must be nil');
  if (meta.name !== undefined && meta.name !== urlName) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${urlName})`);
  return obj;
}

/** The typed conversion of the applied configuration (structuredmerge.go): every problem is fatal, whatever fieldValidation says. */
export function checkApplied(d: ResourceDef, schema: Schema, obj: Obj, namespace: string | undefined, name: string): void {
  const problems = checkFields(schema, obj);
  if (problems.length === 0) return;
  const errs = problems.map((p) => `${p.smdPath}: ${p.message}`);
  const text = errs.length === 1 ? errs[0] : `errors:\n${errs.map((e) => `  ${e}`).join('\n')}`;
  throw new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `failed to create typed patch object (${d.group ? `${d.group}/` : '/'}${d.version}, Kind=${d.kind}) ${namespace ? `${namespace}/` : ''}${name}: ${text}`,
    reason: '',
    code: 500,
  });
}

export interface WriteContext {
  manager: string;
  now: string;
}

export function applied(d: ResourceDef, schema: Schema, live: KubeObject | undefined, config: Obj, ctx: WriteContext & { force: boolean }): KubeObject {
  return applyConfiguration({
    schema,
    live: live as unknown as Obj | undefined,
    applied: config,
    manager: ctx.manager,
    apiVersion: apiVersionOf(d),
    force: ctx.force,
    now: ctx.now,
    resetStatus: d.subresources.includes('status'),
  }) as unknown as KubeObject;
}

export function withManagedFields(d: ResourceDef, schema: Schema, old: KubeObject | undefined, next: KubeObject, ctx: WriteContext & { subresource?: string }): KubeObject {
  return recordUpdate({
    schema,
    old: old as unknown as Obj | undefined,
    next: next as unknown as Obj,
    manager: ctx.manager,
    apiVersion: apiVersionOf(d),
    now: ctx.now,
    resetStatus: d.subresources.includes('status') && ctx.subresource !== 'status',
    ...(ctx.subresource && { subresource: ctx.subresource }),
  }) as unknown as KubeObject;
}

const spec = (o: KubeObject) => ((o as { spec?: Obj }).spec ?? {}) as Obj;

/** The update rules of the types served here that make a field immutable. */
export function validateUpdate(d: ResourceDef, old: KubeObject, next: KubeObject): void {
  const name = old.metadata.name;
  if (d.group === '' && d.kind === 'Service') {
    const before = (spec(old).clusterIPs as string[] | undefined) ?? [];
    let after = (spec(next).clusterIPs as string[] | undefined) ?? (spec(next).clusterIP !== undefined ? [spec(next).clusterIP as string] : []);
    // A new clusterIP with the old clusterIPs: the service storage syncs clusterIPs[0] to it before validating
    // (pkg/registry/core/service/storage/storage.go, normalizeClusterIPs).
    const ip = spec(next).clusterIP as string | undefined;
    if (ip !== undefined && ip !== spec(old).clusterIP && deepEqual(after, before)) after = [ip, ...after.slice(1)];
    if (before.length && spec(old).type !== 'ExternalName' && before[0] !== 'None') {
      if (after.length === 0) {
        throw invalid('Service', name, '', [{ field: 'spec.clusterIPs[0]', message: `Invalid value: []: primary clusterIP can not be unset`, type: 'FieldValueInvalid' }]);
      }
      if (after[0] !== before[0]) {
        throw invalid('Service', name, '', [{ field: 'spec.clusterIPs[0]', message: `Invalid value: ${JSON.stringify(after)}: may not change once set`, type: 'FieldValueInvalid' }]);
      }
    }
  }
  if (d.group === 'apps' && d.kind === 'Deployment' && !deepEqual(spec(old).selector, spec(next).selector)) {
    throw invalid(qualifiedKind(d), name, d.group, [{ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(spec(next).selector ?? null)}: field is immutable`, type: 'FieldValueInvalid' }]);
  }
  if (d.kind === 'ClusterRoleBinding' && !deepEqual((old as { roleRef?: unknown }).roleRef, (next as { roleRef?: unknown }).roleRef)) {
    throw invalid(qualifiedKind(d), name, d.group, [{ field: 'roleRef', message: `Invalid value: ${JSON.stringify((next as { roleRef?: unknown }).roleRef ?? null)}: cannot change roleRef`, type: 'FieldValueInvalid' }]);
  }
}

/** metadata.generation: 1 on create, +1 whenever the spec changes (the apps strategies' PrepareForUpdate). */
export function nextGeneration(d: ResourceDef, old: KubeObject | undefined, next: KubeObject): KubeObject {
  if (!(d.group === 'apps' && d.kind === 'Deployment')) return next;
  const gen = old ? ((old.metadata as { generation?: number }).generation ?? 1) + (deepEqual(spec(old), spec(next)) ? 0 : 1) : 1;
  return { ...next, metadata: { ...next.metadata, generation: gen } as KubeObject['metadata'] };
}
