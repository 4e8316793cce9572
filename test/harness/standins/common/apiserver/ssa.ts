/**
 * Server-side apply and managedFields, as the real server's field manager does them
 * (k8s.io/apimachinery/pkg/util/managedfields/internal: structuredmerge.go, conflict.go, stripmeta.go;
 * sigs.k8s.io/structured-merge-diff merge/update.go): an Apply sets what its manager owns; fields the manager
 * stops applying are removed unless someone else owns them; a field another manager owns with another value is a
 * conflict (409) unless force=true takes it over. Every other write (create, update, patch) is an Update by its
 * manager, which takes the fields it changed from everyone else.
 */
import { deepEqual, fieldSet, fromFieldsV1, merge, pathKey, printPath, removeAt, stripUnmanaged, toFieldsV1, valueAt, type FieldSet, type Json } from './fields.js';
import type { Schema } from './schemas.js';
import { make, type StatusError } from './status.js';

type Obj = { [k: string]: Json };

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

interface Manager {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  set: FieldSet;
}

const identity = (e: Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>) =>
  `${e.manager}\u0000${e.operation}\u0000${e.operation === 'Update' ? e.apiVersion : ''}\u0000${e.subresource ?? ''}`;

/** conflict.go printManager: `"kubeup"` for an applier, `"kubectl-edit" using apps/v1` for an updater. */
const printManager = (e: Manager['entry']) =>
  `${JSON.stringify(e.manager)}${e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`;

function readManaged(obj: Obj | undefined): Manager[] {
  const entries = ((obj?.metadata as Obj | undefined)?.managedFields ?? []) as unknown as ManagedFieldsEntry[];
  return entries.map(({ fieldsV1, ...entry }) => ({ entry, set: fromFieldsV1(fieldsV1) }));
}

function writeManaged(obj: Obj, managers: Manager[]): Obj {
  const managedFields = managers
    .filter((m) => m.set.size > 0)
    .map((m) => ({ ...m.entry, fieldsV1: toFieldsV1(m.set) }) as unknown as Json);
  return { ...obj, metadata: { ...((obj.metadata as Obj | undefined) ?? {}), managedFields } };
}

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** A value-holding field whose value differs between the two objects. */
function changed(a: Obj | undefined, b: Obj, path: string[]): boolean {
  return !deepEqual(valueAt(a, path), valueAt(b, path));
}

export interface ApplyInput {
  schema: Schema;
  live: Obj | undefined;
  applied: Obj;
  manager: string;
  apiVersion: string;
  force: boolean;
  now: string;
  /** The main resource of a type with a status subresource ignores status (the strategy's reset fields). */
  resetStatus: boolean;
}

export function applyConfiguration(input: ApplyInput): Obj {
  const { schema, live, manager, force } = input;
  const appliedConfig = stripUnmanaged(input.applied, input.resetStatus);
  const mine = fieldSet(schema, appliedConfig as Json);
  const managers = readManaged(live);
  const me = identity({ manager, operation: 'Apply', apiVersion: input.apiVersion });
  const previous = managers.find((m) => identity(m.entry) === me)?.set ?? new Map();
  const merged = merge(schema, live ?? {}, appliedConfig as Json) as Obj;

  // Conflicts: a field someone else owns that this apply gives another value.
  const conflicts: { manager: Manager; path: string[] }[] = [];
  for (const m of managers) {
    if (identity(m.entry) === me) continue;
    for (const [k, { path, leaf }] of mine) if (leaf && m.set.has(k) && changed(live, merged, path)) conflicts.push({ manager: m, path });
  }
  if (conflicts.length && !force) throw applyConflict(conflicts.map((c) => ({ manager: printManager(c.manager.entry), path: printPath(c.path) })));
  for (const c of conflicts) c.manager.set.delete(pathKey(c.path));

  // What this manager applied before and no longer does goes, unless another manager owns it as well.
  const ownedByOthers = (key: string) => managers.some((m) => identity(m.entry) !== me && [...m.set.keys()].some((k) => k === key || k.startsWith(`${key}\u0001`)));
  const dropped = [...previous.entries()].filter(([k]) => !mine.has(k) && !ownedByOthers(k)).sort(([, a], [, b]) => b.path.length - a.path.length);
  for (const [, { path }] of dropped) {
    removeAt(merged, path);
    // A map or struct left empty by the removal goes too, unless someone owns it as such.
    for (let up = path.slice(0, -1); up.length > 0; up = up.slice(0, -1)) {
      const parent = valueAt(merged, up);
      if (!isEmptyObject(parent) || ownedByOthers(pathKey(up)) || mine.has(pathKey(up))) break;
      removeAt(merged, up);
    }
  }

  const others = managers.filter((m) => identity(m.entry) !== me);
  const self: Manager = { entry: { manager, operation: 'Apply', apiVersion: input.apiVersion, time: input.now, fieldsType: 'FieldsV1' }, set: mine };
  return writeManaged(merged, [...others, self]);
}

export interface UpdateInput {
  schema: Schema;
  old: Obj | undefined;
  next: Obj;
  manager: string;
  apiVersion: string;
  now: string;
  resetStatus: boolean;
  subresource?: string;
}

/** An ordinary write: its manager takes every field it changed; fields that are gone leave every manager's set. */
export function recordUpdate(input: UpdateInput): Obj {
  const { schema, old, next } = input;
  const before = old ? fieldSet(schema, stripUnmanaged(old, input.resetStatus) as Json) : new Map();
  const after = fieldSet(schema, stripUnmanaged(next, input.resetStatus) as Json);
  const managers = readManaged(old);
  const took = new Map([...after].filter(([k, { path, leaf }]) => !before.has(k) || (leaf && changed(old, next, path))));
  for (const m of managers) for (const k of [...m.set.keys()]) if (!after.has(k) || took.has(k)) m.set.delete(k);
  const id = identity({ manager: input.manager, operation: 'Update', apiVersion: input.apiVersion, ...(input.subresource && { subresource: input.subresource }) });
  let mine = managers.find((m) => identity(m.entry) === id);
  if (!mine && took.size) {
    mine = { entry: { manager: input.manager, operation: 'Update', apiVersion: input.apiVersion, time: input.now, fieldsType: 'FieldsV1', ...(input.subresource && { subresource: input.subresource }) }, set: new Map() };
    managers.push(mine);
  }
  if (mine && took.size) {
    for (const [k, e] of took) mine.set.set(k, e);
    mine.entry.time = input.now;
  }
  return writeManaged(next, managers);
}

/** Equal apart from managedFields timestamps: the real server then writes nothing (IgnoreManagedFieldsTimestampsTransformer). */
export function sameIgnoringTimes(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const meta = { ...((o.metadata as Obj | undefined) ?? {}) };
    const { resourceVersion: _rv, ...rest } = meta;
    const managed = ((rest.managedFields ?? []) as Obj[]).map(({ time: _t, ...e }) => e);
    return { ...o, metadata: { ...rest, managedFields: managed } };
  };
  return deepEqual(strip(a), strip(b));
}

/** errors.NewApplyConflict with conflict.go's message. */
export function applyConflict(conflicts: { manager: string; path: string }[]): StatusError {
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${conflicts[0]!.manager}: ${conflicts[0]!.path}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return make(409, 'Conflict', message, { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.path })) });
}
