/**
 * meta.k8s.io/v1 Table answers (what `kubectl get` asks for with `Accept: ...;as=Table;...`), with the columns the
 * real server's printers produce for the types served here, and the generic NAME / CREATED AT table otherwise.
 */
import type { KubeObject } from '../client.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type = 'string', format = '', priority = 0): Column => ({ name, type, format, description: name, priority });

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(obj: KubeObject, now: number): string {
  const ts = obj.metadata.creationTimestamp;
  return ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

type Any = Record<string, unknown>;
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Any)[k] : undefined), o);

function nodeStatus(node: KubeObject): string {
  const conditions = (get(node, 'status', 'conditions') as { type: string; status: string }[] | undefined) ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const parts = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (get(node, 'spec', 'unschedulable') === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const addrs = (get(node, 'status', 'addresses') as { type: string; address: string }[] | undefined) ?? [];
  return addrs.find((a) => a.type === type)?.address ?? '<none>';
}

function orUnknown(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : '<unknown>';
}

function csCondition(cs: KubeObject): { status: string; message: string; error: string } {
  const c = (cs.conditions as { type: string; status: string; message?: string; error?: string }[] | undefined)?.find((x) => x.type === 'Healthy');
  const status = c?.status === 'True' ? 'Healthy' : c?.status === 'False' ? 'Unhealthy' : 'Unknown';
  return { status, message: c?.message ?? '', error: c?.error ?? '' };
}

function servicePorts(svc: KubeObject): string {
  const ports = (get(svc, 'spec', 'ports') as { port: number; protocol?: string; nodePort?: number }[] | undefined) ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function endpointsText(ep: KubeObject): string {
  const subsets = (ep.subsets as { addresses?: { ip: string }[]; ports?: { port: number }[] }[] | undefined) ?? [];
  const list: string[] = [];
  for (const s of subsets) for (const a of s.addresses ?? []) for (const p of s.ports ?? [{ port: 0 }]) list.push(p.port ? `${a.ip}:${p.port}` : a.ip);
  if (list.length === 0) return '<none>';
  return list.length > 3 ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...` : list.join(',');
}

function subjectsOf(b: KubeObject, kind: string): string {
  const s = ((b.subjects as { kind: string; name: string; namespace?: string }[] | null | undefined) ?? []).filter((x) => x.kind === kind);
  return s.map((x) => (kind === 'ServiceAccount' ? `${x.namespace ?? ''}/${x.name}` : x.name)).join(', ');
}

interface Printer {
  columns: Column[];
  cells: (obj: KubeObject, now: number) => (string | number)[];
}

const nameCol = col('Name', 'string', 'name');

const printers: Record<string, Printer> = {
  nodes: {
    columns: [nameCol, col('Status'), col('Roles'), col('Age'), col('Version'), col('Internal-IP', 'string', '', 1), col('External-IP', 'string', '', 1), col('OS-Image', 'string', '', 1), col('Kernel-Version', 'string', '', 1), col('Container-Runtime', 'string', '', 1)],
    cells: (o, now) => [
      o.metadata.name, nodeStatus(o), nodeRoles(o), age(o, now), String(get(o, 'status', 'nodeInfo', 'kubeletVersion') ?? ''),
      nodeAddress(o, 'InternalIP'), nodeAddress(o, 'ExternalIP'), orUnknown(get(o, 'status', 'nodeInfo', 'osImage')),
      orUnknown(get(o, 'status', 'nodeInfo', 'kernelVersion')), orUnknown(get(o, 'status', 'nodeInfo', 'containerRuntimeVersion')),
    ],
  },
  namespaces: {
    columns: [nameCol, col('Status'), col('Age')],
    cells: (o, now) => [o.metadata.name, String(get(o, 'status', 'phase') ?? ''), age(o, now)],
  },
  componentstatuses: {
    columns: [nameCol, col('Status'), col('Message'), col('Error')],
    cells: (o) => {
      const c = csCondition(o);
      return [o.metadata.name, c.status, c.message, c.error];
    },
  },
  services: {
    columns: [nameCol, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 'string', '', 1)],
    cells: (o, now) => {
      const sel = get(o, 'spec', 'selector') as Record<string, string> | undefined;
      return [o.metadata.name, String(get(o, 'spec', 'type') ?? 'ClusterIP'), String(get(o, 'spec', 'clusterIP') ?? '<none>'), '<none>', servicePorts(o), age(o, now),
        sel && Object.keys(sel).length > 0 ? Object.entries(sel).sort().map(([k, v]) => `${k}=${v}`).join(',') : '<none>'];
    },
  },
  pods: {
    columns: [nameCol, col('Ready'), col('Status'), col('Restarts'), col('Age'), col('IP', 'string', '', 1), col('Node', 'string', '', 1), col('Nominated Node', 'string', '', 1), col('Readiness Gates', 'string', '', 1)],
    cells: (o, now) => {
      const containers = (get(o, 'spec', 'containers') as unknown[] | undefined) ?? [];
      const statuses = (get(o, 'status', 'containerStatuses') as { ready?: boolean; restartCount?: number }[] | undefined) ?? [];
      const ready = statuses.filter((c) => c.ready).length;
      const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      const reason = get(o, 'status', 'reason');
      return [o.metadata.name, `${ready}/${containers.length}`, String(reason ?? get(o, 'status', 'phase') ?? 'Pending'), String(restarts), age(o, now),
        String(get(o, 'status', 'podIP') ?? '<none>'), String(get(o, 'spec', 'nodeName') ?? '<none>'), '<none>', '<none>'];
    },
  },
  endpoints: {
    columns: [nameCol, col('Endpoints'), col('Age')],
    cells: (o, now) => [o.metadata.name, endpointsText(o), age(o, now)],
  },
  leases: {
    columns: [nameCol, col('Holder'), col('Age')],
    cells: (o, now) => [o.metadata.name, String(get(o, 'spec', 'holderIdentity') ?? ''), age(o, now)],
  },
  // pkg/printers/internalversion/printers.go printDeployment
  deployments: {
    columns: [nameCol, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Age'), col('Containers', 'string', '', 1), col('Images', 'string', '', 1), col('Selector', 'string', '', 1)],
    cells: (o, now) => {
      const containers = ((get(o, 'spec', 'template', 'spec', 'containers') as { name: string; image: string }[] | undefined) ?? []);
      const labels = (get(o, 'spec', 'selector', 'matchLabels') as Record<string, string> | undefined) ?? {};
      return [
        o.metadata.name,
        `${Number(get(o, 'status', 'readyReplicas') ?? 0)}/${Number(get(o, 'spec', 'replicas') ?? 1)}`,
        Number(get(o, 'status', 'updatedReplicas') ?? 0),
        Number(get(o, 'status', 'availableReplicas') ?? 0),
        age(o, now),
        containers.map((c) => c.name).join(','),
        containers.map((c) => c.image).join(','),
        Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
      ];
    },
  },
  configmaps: {
    columns: [nameCol, col('Data', 'integer'), col('Age')],
    cells: (o, now) => [o.metadata.name, Object.keys((o.data as object | undefined) ?? {}).length + Object.keys((o.binaryData as object | undefined) ?? {}).length, age(o, now)],
  },
  secrets: {
    columns: [nameCol, col('Type'), col('Data', 'integer'), col('Age')],
    cells: (o, now) => [o.metadata.name, String(o.type ?? 'Opaque'), Object.keys((o.data as object | undefined) ?? {}).length, age(o, now)],
  },
  serviceaccounts: {
    columns: [nameCol, col('Secrets', 'integer'), col('Age')],
    cells: (o, now) => [o.metadata.name, ((o.secrets as unknown[] | undefined) ?? []).length, age(o, now)],
  },
  clusterrolebindings: {
    columns: [nameCol, col('Role'), col('Age'), col('Users', 'string', '', 1), col('Groups', 'string', '', 1), col('ServiceAccounts', 'string', '', 1)],
    cells: (o, now) => [o.metadata.name, `${String(get(o, 'roleRef', 'kind'))}/${String(get(o, 'roleRef', 'name'))}`, age(o, now), subjectsOf(o, 'User'), subjectsOf(o, 'Group'), subjectsOf(o, 'ServiceAccount')],
  },
};
printers.rolebindings = printers.clusterrolebindings as Printer;

const defaultPrinter: Printer = {
  columns: [nameCol, col('Created At', 'date')],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''],
};

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

export function toTable(resource: string, items: KubeObject[], resourceVersion: string, includeObject: string | null, now = Date.now()): object {
  const p = printers[resource] ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: p.columns,
    rows: items.map((o) => ({
      cells: p.cells(o, now),
      ...(includeObject === 'None'
        ? {}
        : { object: includeObject === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}
