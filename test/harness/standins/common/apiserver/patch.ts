/**
 * PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch (merge patch plus merging of the lists the
 * built-in types key by a field, e.g. node conditions by type), and JSON patch (RFC 6902).
 */
import { badRequest, StatusError } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/** Lists that the built-in types merge by key (patchMergeKey) in strategic merge patches. */
const mergeKeys: Record<string, string> = {
  conditions: 'type',
  addresses: 'type',
  taints: 'key',
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  finalizers: '',
  podCIDRs: '',
};

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys') continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const key = mergeKeys[k];
    const cur = out[k];
    if (Array.isArray(v) && Array.isArray(cur) && key) {
      const merged = [...cur];
      for (const item of v) {
        if (!isObject(item)) continue;
        const idx = merged.findIndex((m) => isObject(m) && m[key] === item[key]);
        if (item.$patch === 'delete') {
          if (idx >= 0) merged.splice(idx, 1);
        } else if (idx >= 0) merged[idx] = strategicMergePatch(merged[idx] ?? null, item);
        else merged.push(item);
      }
      out[k] = merged;
    } else if (Array.isArray(v) && Array.isArray(cur) && key === '') {
      // primitive lists with merge strategy: union, keeping order
      out[k] = [...cur, ...v.filter((x) => !cur.includes(x))];
    } else {
      out[k] = strategicMergePatch(cur ?? null, v);
    }
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request: invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('the server rejected our request due to an error in our request: json patch must be a list of operations');
  let root = structuredClone(doc);
  for (const op of ops as { op?: string; path?: string; value?: Json; from?: string }[]) {
    const parts = pointer(op.path ?? '');
    const last = parts[parts.length - 1];
    let parent: Json = root;
    for (const p of parts.slice(0, -1)) {
      parent = Array.isArray(parent) ? (parent[Number(p)] ?? null) : isObject(parent) ? (parent[p] ?? null) : null;
      if (parent === null) throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"`, reason: 'Invalid', code: 422 });
    }
    if (last === undefined) {
      if (op.op === 'replace' || op.op === 'add') root = op.value ?? null;
      continue;
    }
    const get = (): Json | undefined => (Array.isArray(parent) ? parent[Number(last)] : isObject(parent) ? parent[last] : undefined);
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value ?? null);
        else if (isObject(parent)) parent[last] = op.value ?? null;
        break;
      case 'replace':
      case 'remove':
        if (get() === undefined) {
          throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `jsonpatch ${op.op} operation does not apply: doc is missing key: ${op.path}`, reason: 'Invalid', code: 422 });
        }
        if (op.op === 'remove') {
          if (Array.isArray(parent)) parent.splice(Number(last), 1);
          else if (isObject(parent)) delete parent[last];
        } else if (Array.isArray(parent)) parent[Number(last)] = op.value ?? null;
        else if (isObject(parent)) parent[last] = op.value ?? null;
        break;
      case 'test':
        if (JSON.stringify(get()) !== JSON.stringify(op.value)) {
          throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `testing value ${op.path} failed: test operation failed`, reason: 'Invalid', code: 422 });
        }
        break;
      default:
        throw badRequest(`the server rejected our request due to an error in our request: unsupported json patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return root;
}
