/**
 * The write paths of server.ts for the types with schemas: create, update and patch keep managedFields and the
 * update rules; PATCH application/apply-patch+yaml is server-side apply. Types without a schema pass through as
 * before, except apply, which the stand-in refuses for them rather than guess.
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../client.js';
import { metaTime } from '../time.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceDef } from './resources.js';
import { sameIgnoringTimes } from './ssa.js';
import { internalError, invalid, StatusError } from './status.js';
import { applied, checkApplied, decodeTyped, fieldManager, fieldValidation, nextGeneration, parseApplyBody, typedSchema, validateUpdate, withManagedFields } from './typed.js';

type Obj = Record<string, unknown>;

export function warningHeaders(warnings: string[]): Record<string, string> {
  return warnings.length ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') } : {};
}

const withEmptyStatus = (d: ResourceDef, o: KubeObject): KubeObject => (d.kind === 'Deployment' && (o as Obj).status === undefined ? ({ ...o, status: {} } as KubeObject) : o);

export function typedCreate(d: ResourceDef, obj: KubeObject, url: URL, req: IncomingMessage): { obj: KubeObject; warnings: string[] } {
  const mode = fieldValidation(url);
  const schema = typedSchema(d);
  if (!schema) return { obj, warnings: [] };
  const decoded = decodeTyped(d, schema, obj, mode);
  const managed = withManagedFields(d, schema, undefined, decoded.obj, { manager: fieldManager(url, req), now: metaTime() });
  return { obj: withEmptyStatus(d, nextGeneration(d, undefined, managed)), warnings: decoded.warnings };
}

export function typedUpdate(d: ResourceDef, cur: KubeObject, next: KubeObject, url: URL, req: IncomingMessage, subresource: string): { obj: KubeObject; warnings: string[]; unchanged: boolean } {
  const mode = fieldValidation(url);
  const schema = typedSchema(d);
  if (!schema) return { obj: next, warnings: [], unchanged: false };
  const decoded = decodeTyped(d, schema, next, mode);
  if (subresource === '') validateUpdate(d, cur, decoded.obj);
  const managed = withManagedFields(d, schema, cur, nextGeneration(d, cur, decoded.obj), { manager: fieldManager(url, req), now: metaTime(), ...(subresource && { subresource }) });
  return { obj: managed, warnings: decoded.warnings, unchanged: sameIgnoringTimes(managed as unknown as never, cur as unknown as never) };
}

export function typedPatched(d: ResourceDef, cur: KubeObject, patched: KubeObject, url: URL, req: IncomingMessage, subresource: string): { obj: KubeObject; warnings: string[] } {
  const r = typedUpdate(d, cur, patched, url, req, subresource);
  return { obj: r.obj, warnings: r.warnings };
}

export interface ApplyStore {
  get(name: string): Promise<KubeObject | undefined>;
  create(obj: KubeObject): Promise<KubeObject>;
  update(name: string, next: KubeObject, cur: KubeObject): Promise<KubeObject>;
  namespace: string | undefined;
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Server-side apply: creates the object, changes it, or (nothing changed) leaves it and its resourceVersion alone. */
export async function appliedObject(store: ApplyStore, d: ResourceDef, info: RequestInfo, url: URL, req: IncomingMessage): Promise<{ obj: KubeObject; created: boolean }> {
  const text = await readText(req);
  const schema = typedSchema(d);
  if (!schema || info.subresource !== '') {
    throw internalError(`the kubeup stand-in does not model server-side apply for ${d.name}${info.subresource ? `/${info.subresource}` : ''}; refusing rather than guessing`);
  }
  const manager = url.searchParams.get('fieldManager') ?? '';
  if (manager === '') {
    throw invalid('PatchOptions.meta.k8s.io', '', 'meta.k8s.io', [{ field: 'fieldManager', message: 'Required value: is required for apply patch', type: 'FieldValueRequired' }]);
  }
  const mode = fieldValidation(url);
  const config = parseApplyBody(d, text, mode, info.name);
  checkApplied(d, schema, config as never, store.namespace, info.name);
  const ctx = { manager, force: url.searchParams.get('force') === 'true', now: metaTime() };
  for (let attempt = 0; ; attempt++) {
    const live = await store.get(info.name);
    if (!live) {
      const fresh = applied(d, schema, undefined, config as never, ctx);
      const meta = { ...fresh.metadata, name: info.name, ...(store.namespace ? { namespace: store.namespace } : {}) };
      return { obj: await store.create(withEmptyStatus(d, nextGeneration(d, undefined, { ...fresh, metadata: meta }))), created: true };
    }
    const next = nextGeneration(d, live, applied(d, schema, live, config as never, ctx));
    validateUpdate(d, live, next);
    if (sameIgnoringTimes(next as never, live as never)) return { obj: live, created: false };
    try {
      return { obj: await store.update(info.name, next, live), created: false };
    } catch (err) {
      // A write in between: apply again on the newer object, as GuaranteedUpdate does.
      if (attempt < 3 && err instanceof StatusError && err.status.code === 409 && /has been modified/.test(err.status.message)) continue;
      throw err;
    }
  }
}
