// Kubeconfig documents (pure): render one with embedded certificate data, merge one into an existing file's text,
// remove a context. Entries are sorted by name, as kubectl writes them.
import { parse, stringify } from 'yaml';
import { KubeconfigError } from './errors.js';
import { ADMIN_USER } from './identities.js';

export interface KubeconfigInput {
  clusterName: string;
  /** e.g. https://192.168.213.10:6443 */
  server: string;
  caPem: string;
  /** Name of the user entry. For a kubeconfig merged into the operator's file, make it unique per cluster. */
  user: string;
  certPem: string;
  keyPem: string;
  /** Defaults to clusterName. */
  contextName?: string;
}

type Entry = { name: string } & Record<string, unknown>;

interface KubeconfigDoc {
  apiVersion?: unknown;
  kind?: unknown;
  clusters: Entry[];
  contexts: Entry[];
  users: Entry[];
  'current-context'?: unknown;
  preferences?: unknown;
  [other: string]: unknown;
}

const LIST_KEYS = ['clusters', 'contexts', 'users'] as const;
const KEY_ORDER = ['apiVersion', 'kind', 'clusters', 'contexts', 'current-context', 'preferences', 'users'];

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
const byName = (a: Entry, b: Entry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The operator's admin kubeconfig for a cluster: context and cluster named after it, user `kubeup-admin@<cluster>` so
 * that merging several clusters into one file never mixes their credentials.
 */
export function adminKubeconfigInput(
  clusterName: string,
  server: string,
  pki: { ca: { certPem: string }; certs: ReadonlyMap<string, { certPem: string; keyPem: string }> },
): KubeconfigInput {
  const admin = pki.certs.get('admin');
  if (!admin) throw new KubeconfigError('the cluster PKI has no admin certificate', { hint: 'this is a bug in kubeup: report it' });
  return { clusterName, server, caPem: pki.ca.certPem, user: `${ADMIN_USER}@${clusterName}`, certPem: admin.certPem, keyPem: admin.keyPem };
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const context = input.contextName ?? input.clusterName;
  return serialize({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.clusterName, cluster: { 'certificate-authority-data': b64(input.caPem), server: input.server } }],
    contexts: [{ name: context, context: { cluster: input.clusterName, user: input.user } }],
    'current-context': context,
    preferences: {},
    users: [{ name: input.user, user: { 'client-certificate-data': b64(input.certPem), 'client-key-data': b64(input.keyPem) } }],
  });
}

function serialize(doc: KubeconfigDoc): string {
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (doc[key] !== undefined) ordered[key] = doc[key];
  for (const key of Object.keys(doc).sort()) if (!(key in ordered) && doc[key] !== undefined) ordered[key] = doc[key];
  for (const key of LIST_KEYS) ordered[key] = [...doc[key]].sort(byName);
  // lineWidth 0: base64 data stays on one line.
  return stringify(ordered, { lineWidth: 0 });
}

/** Parses kubeconfig text; `where` names the file in errors. Empty text is an empty config. */
export function parseKubeconfig(text: string | undefined, where: string): KubeconfigDoc {
  let raw: unknown;
  try {
    raw = text === undefined ? null : parse(text);
  } catch (cause) {
    throw new KubeconfigError('the kubeconfig file is not valid YAML', {
      file: where,
      cause,
      hint: 'fix the file, or move it away so kubeup can write a new one',
    });
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new KubeconfigError('the kubeconfig file does not hold a mapping', { file: where, hint: 'fix the file, or move it away' });
  }
  const doc = { ...(raw as Record<string, unknown>) };
  if (doc.kind !== undefined && doc.kind !== 'Config') {
    throw new KubeconfigError(`the kubeconfig file has kind "${String(doc.kind)}" instead of Config`, {
      file: where,
      field: 'kind',
      hint: 'point $KUBECONFIG at a kubeconfig file',
    });
  }
  for (const key of LIST_KEYS) {
    const list = doc[key] ?? [];
    if (!Array.isArray(list) || list.some((e) => typeof e !== 'object' || e === null || typeof (e as Entry).name !== 'string')) {
      throw new KubeconfigError(`"${key}" in the kubeconfig file is not a list of named entries`, {
        file: where,
        field: key,
        hint: 'fix the file, or move it away so kubeup can write a new one',
      });
    }
    doc[key] = list as Entry[];
  }
  return { apiVersion: 'v1', kind: 'Config', preferences: {}, ...doc } as KubeconfigDoc;
}

function refOf(context: Entry, field: 'cluster' | 'user'): string | undefined {
  const body = context.context as Record<string, unknown> | undefined;
  const v = body?.[field];
  return typeof v === 'string' ? v : undefined;
}

function upsert(list: Entry[], entry: Entry): Entry[] {
  return [...list.filter((e) => e.name !== entry.name), entry];
}

/**
 * `existing` with the context `contextName` of `newConfig`, and that context's cluster and user, added or replaced;
 * every other entry kept; current-context set to `contextName`.
 */
export function mergeKubeconfig(existing: string | undefined, newConfig: string, contextName: string, where = 'kubeconfig'): string {
  const target = parseKubeconfig(existing, where);
  const source = parseKubeconfig(newConfig, 'the new kubeconfig');
  const context = source.contexts.find((c) => c.name === contextName);
  const cluster = context && source.clusters.find((c) => c.name === refOf(context, 'cluster'));
  const user = context && source.users.find((u) => u.name === refOf(context, 'user'));
  if (!context || !cluster || !user) {
    throw new KubeconfigError(`the new kubeconfig has no complete context "${contextName}" (context, cluster and user)`, {
      hint: 'this is a bug in kubeup: report it',
    });
  }
  target.clusters = upsert(target.clusters, cluster);
  target.users = upsert(target.users, user);
  target.contexts = upsert(target.contexts, context);
  target['current-context'] = contextName;
  return serialize(target);
}

/**
 * `existing` without the context `contextName`, and without its cluster and user unless another context still uses
 * them. `removed` is false when there was no such context (the text is then returned unchanged).
 */
export function removeKubeconfigContext(existing: string | undefined, contextName: string, where = 'kubeconfig'): { yaml: string; removed: boolean } {
  const doc = parseKubeconfig(existing, where);
  const context = doc.contexts.find((c) => c.name === contextName);
  if (!context) return { yaml: existing ?? '', removed: false };
  doc.contexts = doc.contexts.filter((c) => c !== context);
  const cluster = refOf(context, 'cluster');
  const user = refOf(context, 'user');
  if (cluster !== undefined && !doc.contexts.some((c) => refOf(c, 'cluster') === cluster)) {
    doc.clusters = doc.clusters.filter((c) => c.name !== cluster);
  }
  if (user !== undefined && !doc.contexts.some((c) => refOf(c, 'user') === user)) {
    doc.users = doc.users.filter((u) => u.name !== user);
  }
  if (doc['current-context'] === contextName) doc['current-context'] = '';
  return { yaml: serialize(doc), removed: true };
}
