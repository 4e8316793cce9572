/**
 * Object storage in etcd the way the real API server keeps it: one key per object under /registry/<resource>/
 * [<namespace>/]<name>, resourceVersion = the key's mod_revision (never stored in the value), uid and
 * creationTimestamp set on create, optimistic concurrency through etcd transactions.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../client.js';
import { metaTime } from '../time.js';
import type { EtcdClient, KeyValue } from './etcd.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { alreadyExists, badRequest, conflict, internalError, invalid, notFound } from './status.js';

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function nameProblem(def: ResourceDef, name: string): string | null {
  if (def.group === 'rbac.authorization.k8s.io') {
    // RBAC objects only need to be valid path segments ("system:kube-scheduler" is fine).
    if (name === '.' || name === '..') return `may not be '${name}'`;
    if (name.includes('/') || name.includes('%')) return `may not contain '${name.includes('/') ? '/' : '%'}'`;
    return null;
  }
  if (def.name === 'namespaces') {
    return dns1123Label.test(name) && name.length <= 63
      ? null
      : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return dns1123Subdomain.test(name) && name.length <= 253
    ? null
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
}

/** What stored values go through on their way to and from etcd (encryption at rest, see encryption.ts). */
export interface ValueTransformer {
  toStorage(resource: string, data: Buffer): Buffer;
  fromStorage(resource: string, stored: Buffer): Buffer;
}

/** The resource's name in an EncryptionConfiguration: `secrets`, `leases.coordination.k8s.io`. */
const configName = (def: ResourceDef) => (def.group === '' ? def.name : `${def.name}.${def.group}`);

export class Store {
  constructor(
    private readonly etcd: EtcdClient,
    private readonly transformer?: ValueTransformer,
  ) {}

  key(def: ResourceDef, namespace: string | undefined, name: string): string {
    return `/registry/${def.storage}/${def.namespaced ? `${namespace}/` : ''}${name}`;
  }

  private decode(def: ResourceDef, kv: KeyValue): KubeObject {
    let raw = kv.value;
    try {
      raw = this.transformer ? this.transformer.fromStorage(configName(def), kv.value) : kv.value;
    } catch (err) {
      throw internalError(`unable to transform key "${kv.key}": ${(err as Error).message}`);
    }
    const obj = JSON.parse(raw.toString('utf8')) as KubeObject;
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    obj.metadata = { ...obj.metadata, resourceVersion: String(kv.modRevision) };
    return obj;
  }

  private encode(def: ResourceDef, obj: KubeObject): Buffer {
    const { resourceVersion: _rv, ...meta } = obj.metadata;
    const data = Buffer.from(JSON.stringify({ ...obj, metadata: meta }));
    return this.transformer ? this.transformer.toStorage(configName(def), data) : data;
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const { kv } = await this.etcd.get(this.key(def, namespace, name));
    if (!kv) throw notFound(def.name, def.group, name);
    return this.decode(def, kv);
  }

  async tryGet(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const { kv } = await this.etcd.get(this.key(def, namespace, name));
    return kv ? this.decode(def, kv) : undefined;
  }

  async list(def: ResourceDef, namespace?: string): Promise<{ items: KubeObject[]; revision: number }> {
    const prefix = `/registry/${def.storage}/${def.namespaced && namespace ? `${namespace}/` : ''}`;
    const { kvs, revision } = await this.etcd.list(prefix);
    // Nested prefixes (services/specs vs services/endpoints) are separate storage names, so every key here is ours.
    const items = kvs.map((kv) => this.decode(def, kv)).sort((a, b) => {
      const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
      const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return { items, revision };
  }

  /** Fills metadata like the generic registry does and creates the key only if absent. */
  async create(def: ResourceDef, namespace: string | undefined, input: KubeObject): Promise<KubeObject> {
    const meta = { ...(input.metadata ?? {}) } as KubeObject['metadata'];
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    const name = meta.name ?? '';
    if (name === '') {
      throw invalid(def.kind, '', def.group, [{ field: 'metadata.name', message: 'Required value: name or generateName is required', type: 'FieldValueRequired' }]);
    }
    const problem = nameProblem(def, name);
    if (problem) {
      throw invalid(def.kind, name, def.group, [{ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${problem}`, type: 'FieldValueInvalid' }]);
    }
    if (def.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = metaTime();
    const obj: KubeObject = { ...input, apiVersion: apiVersionOf(def), kind: def.kind, metadata: meta };
    const res = await this.etcd.create(this.key(def, namespace, name), this.encode(def, obj));
    if (!res.succeeded) throw alreadyExists(def.name, def.group, name);
    return { ...obj, metadata: { ...meta, resourceVersion: String(res.revision) } };
  }

  /**
   * Replaces an object. A resourceVersion in `next` must match the stored one (409 Conflict otherwise); without one
   * the update is unconditional. uid and creationTimestamp cannot change.
   */
  async update(def: ResourceDef, namespace: string | undefined, name: string, next: KubeObject, current?: KubeObject): Promise<KubeObject> {
    const cur = current ?? (await this.get(def, namespace, name));
    const wanted = next.metadata?.resourceVersion;
    if (wanted && wanted !== cur.metadata.resourceVersion) {
      throw conflict(def.name, def.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (next.metadata?.uid && next.metadata.uid !== cur.metadata.uid) {
      throw conflict(def.name, def.group, name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    const meta = {
      ...next.metadata,
      name,
      uid: cur.metadata.uid,
      creationTimestamp: cur.metadata.creationTimestamp,
      ...(def.namespaced ? { namespace } : {}),
    } as KubeObject['metadata'];
    if (!def.namespaced) delete meta.namespace;
    const obj: KubeObject = { ...next, apiVersion: apiVersionOf(def), kind: def.kind, metadata: meta };
    const res = await this.etcd.update(this.key(def, namespace, name), this.encode(def, obj), Number(cur.metadata.resourceVersion));
    if (!res.succeeded) {
      if (!res.current) throw notFound(def.name, def.group, name);
      throw conflict(def.name, def.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return { ...obj, metadata: { ...meta, resourceVersion: String(res.revision) } };
  }

  /** Read-modify-write with retries on races, as the registry's GuaranteedUpdate does for patches. */
  async guaranteedUpdate(def: ResourceDef, namespace: string | undefined, name: string, mutate: (cur: KubeObject) => KubeObject): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(def, namespace, name);
      const next = mutate(structuredClone(cur));
      const precondition = next.metadata?.resourceVersion;
      try {
        return await this.update(def, namespace, name, { ...next, metadata: { ...next.metadata, resourceVersion: precondition ?? cur.metadata.resourceVersion } }, cur);
      } catch (err) {
        const retriable = attempt < 5 && (precondition === undefined || precondition === cur.metadata.resourceVersion);
        if (!retriable || !(err instanceof Error) || !/has been modified/.test(err.message)) throw err;
      }
    }
  }

  async delete(def: ResourceDef, namespace: string | undefined, name: string, preconditionRv?: string): Promise<KubeObject> {
    const cur = await this.get(def, namespace, name);
    if (preconditionRv && preconditionRv !== cur.metadata.resourceVersion) {
      throw conflict(def.name, def.group, name, `Precondition failed: ResourceVersion in precondition: ${preconditionRv}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    const res = await this.etcd.delete(this.key(def, namespace, name), Number(cur.metadata.resourceVersion));
    if (!res.succeeded) {
      if (!res.current) throw notFound(def.name, def.group, name);
      throw conflict(def.name, def.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return cur;
  }
}
