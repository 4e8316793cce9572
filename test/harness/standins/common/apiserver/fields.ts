/**
 * Field sets over the schemas in schemas.ts, the way structured-merge-diff (sigs.k8s.io/structured-merge-diff,
 * fieldpath + typed + merge) sees an object: every leaf a path (`f:spec`, `f:replicas`; list items by key
 * `k:{"name":"coredns"}`, set items by value `v:"x"`), atomic lists and scalars as single leaves. From them:
 * unknown-field and type checks, managedFields (FieldsV1), the merge of an applied configuration into the live
 * object, and the conflicts between field managers.
 */
import type { Schema } from './schemas.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
export type Path = string[];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------- checks

export interface FieldProblem {
  /** structured-merge-diff's form, `.spec.template.spec.containers[name="coredns"].foo` */
  smdPath: string;
  /** the JSON decoder's form, `spec.template.spec.containers[0].foo` */
  jsonPath: string;
  kind: 'unknown' | 'type';
  message: string;
}

/** Default values of list-map keys (the only one kubeup's types have: protocol, +default="TCP"). */
const KEY_DEFAULTS: Record<string, Json> = { protocol: 'TCP' };

function keyObject(item: Obj, keys: string[]): Obj | string {
  const out: Obj = {};
  for (const k of [...keys].sort()) {
    const v = item[k] ?? KEY_DEFAULTS[k];
    if (v === undefined || v === null) return k;
    out[k] = v;
  }
  return out;
}

function smdKey(key: Obj): string {
  return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
}

function scalarOk(of: string, v: Json): boolean {
  switch (of) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'int-or-string':
      return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
    case 'quantity':
      return typeof v === 'string' || typeof v === 'number';
    default:
      return false;
  }
}

const jsonType = (v: Json): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v);

/** Every field the schema does not declare, and every value of the wrong type. */
export function checkFields(schema: Schema, value: Json, smd = '', json = ''): FieldProblem[] {
  if (value === null) return [];
  const here = (kind: FieldProblem['kind'], message: string): FieldProblem[] => [{ smdPath: smd, jsonPath: json, kind, message }];
  switch (schema.t) {
    case 'opaque':
      return [];
    case 'scalar':
      return scalarOk(schema.of, value) ? [] : here('type', `expected ${schema.of}, got ${jsonType(value)}`);
    case 'struct': {
      if (!isObj(value)) return here('type', `expected map, got ${jsonType(value)}`);
      return Object.entries(value).flatMap(([k, v]) => {
        const child = schema.fields[k];
        const s = `${smd}.${k}`;
        const j = json ? `${json}.${k}` : k;
        return child ? checkFields(child, v, s, j) : [{ smdPath: s, jsonPath: j, kind: 'unknown' as const, message: 'field not declared in schema' }];
      });
    }
    case 'map':
      if (!isObj(value)) return here('type', `expected map, got ${jsonType(value)}`);
      return Object.entries(value).flatMap(([k, v]) => checkFields(schema.values, v, `${smd}.${k}`, json ? `${json}.${k}` : k));
    case 'list': {
      if (!Array.isArray(value)) return here('type', `expected list, got ${jsonType(value)}`);
      const list = schema.list;
      return value.flatMap((item, i) => {
        let s = `${smd}[${i}]`;
        if (typeof list === 'object' && isObj(item)) {
          const key = keyObject(item, list.keys);
          if (typeof key === 'string') return here('type', `element ${i} omits key field ${JSON.stringify(key)} (and doesn't have default value)`);
          s = `${smd}${smdKey(key)}`;
        } else if (list === 'set') s = `${smd}[=${JSON.stringify(item)}]`;
        return checkFields(schema.items, item, s, `${json}[${i}]`);
      });
    }
  }
}

/** The value without the fields the schema does not declare (what the decoder keeps under Warn or Ignore). */
export function prune(schema: Schema, value: Json): Json {
  if (value === null) return value;
  switch (schema.t) {
    case 'struct':
      return isObj(value) ? Object.fromEntries(Object.entries(value).filter(([k]) => k in schema.fields).map(([k, v]) => [k, prune(schema.fields[k]!, v)])) : value;
    case 'map':
      return isObj(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, prune(schema.values, v)])) : value;
    case 'list':
      return Array.isArray(value) ? value.map((v) => prune(schema.items, v)) : value;
    default:
      return value;
  }
}

// ---------------------------------------------------------------- field sets

export interface FieldEntry {
  path: Path;
  /** A leaf holds a value (scalar, atomic list, empty map); a member is a list item that also has fields below it. */
  leaf: boolean;
}
export type FieldSet = Map<string, FieldEntry>;
export const pathKey = (p: Path): string => p.join('\u0001');

/** metadata and type fields that are never managed (managedfields/internal/stripmeta.go). */
const UNMANAGED_META = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

export function stripUnmanaged(obj: Obj, resetStatus: boolean): Obj {
  const { apiVersion: _a, kind: _k, status: _s, ...rest } = obj;
  const meta = isObj(obj.metadata) ? Object.fromEntries(Object.entries(obj.metadata).filter(([k]) => !UNMANAGED_META.includes(k))) : undefined;
  return { ...rest, ...(meta && Object.keys(meta).length ? { metadata: meta } : {}), ...(!resetStatus && obj.status !== undefined ? { status: obj.status } : {}) } as Obj;
}

export function fieldSet(schema: Schema, value: Json, prefix: Path = [], out: FieldSet = new Map()): FieldSet {
  const add = (path: Path, leaf: boolean) => out.set(pathKey(path), { path, leaf });
  if (value === null) return out;
  switch (schema.t) {
    case 'struct':
    case 'map': {
      if (!isObj(value)) return out;
      const entries = Object.entries(value).filter(([, v]) => v !== null);
      if (entries.length === 0 && prefix.length) add(prefix, true);
      for (const [k, v] of entries) {
        const child = schema.t === 'struct' ? schema.fields[k] : schema.values;
        if (child) fieldSet(child, v, [...prefix, `f:${k}`], out);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) return out;
      const list = schema.list;
      if (list === 'atomic') add(prefix, true);
      else if (list === 'set') for (const item of value) add([...prefix, `v:${JSON.stringify(item)}`], true);
      else {
        for (const item of value) {
          if (!isObj(item)) continue;
          const key = keyObject(item, list.keys);
          if (typeof key === 'string') continue;
          const p = [...prefix, `k:${JSON.stringify(key)}`];
          add(p, false);
          fieldSet(schema.items, item, p, out);
        }
      }
      return out;
    }
    default:
      if (prefix.length) add(prefix, true);
      return out;
  }
}

/** The value at a field path, or undefined. */
export function valueAt(obj: Json | undefined, path: Path): Json | undefined {
  let cur: Json | undefined = obj;
  for (const el of path) {
    if (cur === undefined || cur === null) return undefined;
    const kind = el.slice(0, 2);
    const rest = el.slice(2);
    if (kind === 'f:') cur = isObj(cur) ? cur[rest] : undefined;
    else if (kind === 'k:') {
      const key = JSON.parse(rest) as Obj;
      cur = Array.isArray(cur) ? cur.find((i) => isObj(i) && Object.entries(key).every(([k, v]) => deepEqual(i[k] ?? KEY_DEFAULTS[k], v))) : undefined;
    } else if (kind === 'v:') {
      const want = JSON.parse(rest) as Json;
      cur = Array.isArray(cur) ? cur.find((i) => deepEqual(i, want)) : undefined;
    } else return undefined;
  }
  return cur;
}

/** Removes the field (or list item) at a path; parents stay. */
export function removeAt(obj: Obj, path: Path): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const el = path[path.length - 1]!;
  const target = valueAt(obj, path);
  if (el.startsWith('f:') && isObj(parent)) delete parent[el.slice(2)];
  else if (Array.isArray(parent) && target !== undefined) parent.splice(parent.indexOf(target), 1);
}

/** The printed path of a conflict (fieldpath.Path.String()): `.spec.replicas`, `.spec.ports[port=53,protocol="UDP"]`. */
export function printPath(path: Path): string {
  return path
    .map((el) => {
      const rest = el.slice(2);
      if (el.startsWith('f:')) return `.${rest}`;
      if (el.startsWith('k:')) return smdKey(JSON.parse(rest) as Obj);
      return `[=${rest}]`;
    })
    .join('');
}

// ---------------------------------------------------------------- FieldsV1

export function toFieldsV1(set: FieldSet): Obj {
  const root: Obj = {};
  const entries = [...set.values()].sort((a, b) => a.path.length - b.path.length);
  for (const { path } of entries) {
    let node = root;
    for (const el of path) node = (node[el] ??= {}) as Obj;
  }
  // A member with fields below it carries "." (the item itself is owned too).
  for (const { path } of entries) {
    const node = path.reduce<Obj>((n, el) => n[el] as Obj, root);
    if (Object.keys(node).some((k) => k !== '.')) node['.'] = {};
  }
  return root;
}

export function fromFieldsV1(tree: Json, prefix: Path = [], out: FieldSet = new Map()): FieldSet {
  if (!isObj(tree)) return out;
  for (const [el, child] of Object.entries(tree)) {
    if (el === '.') continue;
    const path = [...prefix, el];
    const children = isObj(child) ? Object.keys(child).filter((k) => k !== '.') : [];
    if (children.length === 0) out.set(pathKey(path), { path, leaf: true });
    else {
      if (isObj(child) && '.' in child) out.set(pathKey(path), { path, leaf: false });
      fromFieldsV1(child, path, out);
    }
  }
  return out;
}

// ---------------------------------------------------------------- merge

/** The applied configuration merged into the live object: applied values win, list maps merge by key, sets by value. */
export function merge(schema: Schema, live: Json | undefined, applied: Json): Json {
  if (live === undefined || live === null || applied === null) return structuredClone(applied);
  switch (schema.t) {
    case 'struct':
    case 'map': {
      if (!isObj(live) || !isObj(applied)) return structuredClone(applied);
      const out: Obj = { ...structuredClone(live) };
      for (const [k, v] of Object.entries(applied)) {
        const child = schema.t === 'struct' ? schema.fields[k] : schema.values;
        out[k] = child ? merge(child, live[k], v) : structuredClone(v);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(live) || !Array.isArray(applied) || schema.list === 'atomic') return structuredClone(applied);
      const out = structuredClone(live);
      const list: 'set' | { keys: string[] } = schema.list;
      for (const item of applied) {
        const i = list === 'set'
          ? out.findIndex((x) => deepEqual(x, item))
          : out.findIndex((x) => isObj(x) && isObj(item) && deepEqual(keyObject(x, list.keys), keyObject(item, list.keys)));
        if (i < 0) out.push(structuredClone(item));
        else out[i] = merge(schema.items, out[i], item);
      }
      return out;
    }
    default:
      return structuredClone(applied);
  }
}
