/**
 * Stand-in for kube-controller-manager: the real flags; its kubeconfig against the API server (authorised by RBAC
 * as system:kube-controller-manager, or per-controller service accounts with --use-service-account-credentials);
 * leader election; node IPAM (spec.podCIDR(s) from --cluster-cidr); node lifecycle (stale heartbeats -> Ready
 * Unknown + unreachable taint); the default service account per namespace; HTTPS /healthz on --secure-port.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  ApiClient, ApiError, StandinExit, aggregate, checkDelegationKubeconfigs, lookupInClusterAuthentication, clientFromKubeconfig, delay, isAlreadyExists, isNotFound,
  klog, loadCertificates, loadKeyPair, loadPrivateKey, metaTime, overlaps, parseCidr4, runLeaderElection, runStandin, serveSecure,
  subnet, type Cidr4, type KubeObject, type ParsedFlags,
} from './common/index.js';
import { watchAuthenticationCAs } from './common/authentication-cas.js';

const log = klog('controllermanager.go:1');

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

type Node = KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[]; taints?: Taint[] }; status?: { conditions?: NodeCondition[] } };

interface KcmOptions {
  readonly allocateNodeCidrs: boolean;
  readonly clusterCidr?: Cidr4;
  readonly serviceCidr?: Cidr4;
  readonly nodeMaskBits: number;
  readonly gracePeriodMs: number;
  /** For nodes that never posted status (--node-startup-grace-period). */
  readonly startupGraceMs: number;
  readonly monitorPeriodMs: number;
  readonly controllers: string[];
  readonly useServiceAccountCredentials: boolean;
}

function controllerEnabled(list: string[], ...names: string[]): boolean {
  if (names.some((n) => list.includes(`-${n}`))) return false;
  return list.includes('*') || names.some((n) => list.includes(n));
}

function options(flags: ParsedFlags): KcmOptions {
  const errors: string[] = [];
  const allocate = flags.bool('allocate-node-cidrs', false);
  let clusterCidr: Cidr4 | undefined;
  let serviceCidr: Cidr4 | undefined;
  const clusterText = flags.string('cluster-cidr');
  if (clusterText !== '') {
    try {
      clusterCidr = parseCidr4(clusterText.split(',')[0] ?? '');
    } catch (err) {
      errors.push(`--cluster-cidr: ${(err as Error).message}`);
    }
  }
  const serviceText = flags.string('service-cluster-ip-range');
  if (serviceText !== '') {
    try {
      serviceCidr = parseCidr4(serviceText.split(',')[0] ?? '');
    } catch (err) {
      errors.push(`--service-cluster-ip-range: ${(err as Error).message}`);
    }
  }
  const mask = flags.int('node-cidr-mask-size-ipv4', 0) || flags.int('node-cidr-mask-size', 24);
  const controllers = flags.list('controllers', ['*']);
  if (allocate && controllerEnabled(controllers, 'node-ipam-controller', 'nodeipam')) {
    if (!clusterCidr) errors.push('failed to start controller "node-ipam-controller": --cluster-cidr must be specified when --allocate-node-cidrs=true');
    else if (mask < clusterCidr.bits || mask > 30) {
      errors.push('Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family');
    }
  }
  if (errors.length > 0) throw new StandinExit(aggregate(errors));
  return {
    allocateNodeCidrs: allocate,
    ...(clusterCidr ? { clusterCidr } : {}),
    ...(serviceCidr ? { serviceCidr } : {}),
    nodeMaskBits: mask,
    gracePeriodMs: flags.duration('node-monitor-grace-period', 40_000),
    startupGraceMs: flags.duration('node-startup-grace-period', 60_000),
    monitorPeriodMs: flags.duration('node-monitor-period', 5_000),
    controllers,
    useServiceAccountCredentials: flags.bool('use-service-account-credentials', false),
  };
}

/** With --use-service-account-credentials each controller runs as kube-system/<name>, with a requested token. */
class ControllerClients {
  private readonly cache = new Map<string, { client: ApiClient; until: number }>();

  constructor(private readonly root: ApiClient, private readonly perController: boolean) {}

  async forController(name: string): Promise<ApiClient> {
    if (!this.perController) return this.root;
    const cached = this.cache.get(name);
    if (cached && cached.until > Date.now()) return cached.client;
    const saPath = '/api/v1/namespaces/kube-system/serviceaccounts';
    try {
      await this.root.get(`${saPath}/${name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.root.create(saPath, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'kube-system' } });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    const tr = await this.root.create<{ status: { token: string } }>(`${saPath}/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    cached?.client.close();
    const client = this.root.withToken(tr.status.token, `kube-controller-manager/${name}`);
    this.cache.set(name, { client, until: Date.now() + 30 * 60_000 });
    return client;
  }
}

/** `reader` lists (kcm's own list/watch-everything credentials, like its shared informers); `client` writes. */
async function allocateCidrs(reader: ApiClient, client: ApiClient, o: KcmOptions): Promise<void> {
  const range = o.clusterCidr;
  if (!range) return;
  const nodes = (await reader.list<Node>('/api/v1/nodes')).items;
  const count = 2 ** (o.nodeMaskBits - range.bits);
  const used = new Set<number>();
  for (const n of nodes) {
    for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) {
      try {
        const parsed = parseCidr4(c);
        if (overlaps(parsed, range)) used.add(Math.floor((parsed.base - range.base) / 2 ** (32 - o.nodeMaskBits)));
      } catch (err) {
        // the real range allocator also skips what it cannot parse, and says so
        log.error('Node PodCIDR is not a valid CIDR; not marking it as used', { node: n.metadata.name, podCIDR: c, err: (err as Error).message });
      }
    }
  }
  for (let i = 0; i < count; i++) {
    if (o.serviceCidr && overlaps(subnet(range, o.nodeMaskBits, i), o.serviceCidr)) used.add(i);
  }
  for (const node of nodes) {
    if (node.spec?.podCIDR) continue;
    let index = -1;
    for (let i = 0; i < count; i++) {
      if (!used.has(i)) {
        index = i;
        break;
      }
    }
    if (index < 0) {
      log.error('CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range', { node: node.metadata.name });
      continue;
    }
    used.add(index);
    const cidr = subnet(range, o.nodeMaskBits, index).text;
    await client.patch(`/api/v1/nodes/${node.metadata.name}`, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'strategic');
    klog('range_allocator.go:422').info('Set node PodCIDR', { node: node.metadata.name, podCIDRs: [cidr] });
  }
}

const pressureTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };

async function monitorNodes(reader: ApiClient, client: ApiClient, o: KcmOptions): Promise<void> {
  const nodes = (await reader.list<Node>('/api/v1/nodes')).items;
  const leases = (await reader.list('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).items as (KubeObject & { spec?: { renewTime?: string } })[];
  const now = Date.now();
  for (const node of nodes) {
    const name = node.metadata.name;
    const conditions = node.status?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    const lease = leases.find((l) => l.metadata.name === name);
    const beats = [ready?.lastHeartbeatTime, lease?.spec?.renewTime].filter((t): t is string => !!t).map((t) => Date.parse(t));
    const last = beats.length > 0 ? Math.max(...beats) : Date.parse(node.metadata.creationTimestamp ?? '') || now;
    const stale = now - last > (beats.length > 0 ? o.gracePeriodMs : o.startupGraceMs);
    const tainted = (node.spec?.taints ?? []).some((t) => t.key === unreachable.key && t.effect === unreachable.effect);
    if (stale && ready?.status !== 'Unknown') {
      const never = !ready;
      const ts = metaTime();
      const byType = new Map(conditions.map((c) => [c.type, c]));
      for (const type of pressureTypes) {
        const prev = byType.get(type);
        byType.set(type, {
          type,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: never ? 'Kubelet never posted node status.' : 'Kubelet stopped posting node status.',
          lastHeartbeatTime: prev?.lastHeartbeatTime ?? node.metadata.creationTimestamp ?? ts,
          lastTransitionTime: ts,
        });
      }
      try {
        await client.update(`/api/v1/nodes/${name}/status`, { ...node, status: { ...node.status, conditions: [...byType.values()] } });
        klog('node_lifecycle_controller.go:1').info('Node is unresponsive: set its conditions to Unknown', { node: name });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
    }
    if (stale && !tainted) {
      await client.patch(`/api/v1/nodes/${name}`, { spec: { taints: [...(node.spec?.taints ?? []), { ...unreachable, timeAdded: metaTime() }] } }, 'merge');
    } else if (!stale && tainted && ready?.status === 'True') {
      await client.patch(`/api/v1/nodes/${name}`, { spec: { taints: (node.spec?.taints ?? []).filter((t) => t.key !== unreachable.key) } }, 'merge');
    }
  }
}

async function ensureDefaultServiceAccounts(reader: ApiClient, client: ApiClient): Promise<void> {
  const namespaces = (await reader.list('/api/v1/namespaces')).items;
  for (const ns of namespaces) {
    const name = ns.metadata.name;
    if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating') continue;
    try {
      await client.create(`/api/v1/namespaces/${name}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

async function controllerLoop(reader: ApiClient, clients: ControllerClients, o: KcmOptions, signal: AbortSignal, isLeader: () => boolean): Promise<void> {
  const loops: { name: string; sa: string; enabled: boolean; run: (r: ApiClient, c: ApiClient) => Promise<void> }[] = [
    { name: 'node-ipam-controller', sa: 'node-controller', enabled: o.allocateNodeCidrs && controllerEnabled(o.controllers, 'node-ipam-controller', 'nodeipam'), run: (r, c) => allocateCidrs(r, c, o) },
    { name: 'node-lifecycle-controller', sa: 'node-controller', enabled: controllerEnabled(o.controllers, 'node-lifecycle-controller', 'nodelifecycle'), run: (r, c) => monitorNodes(r, c, o) },
    { name: 'serviceaccount-controller', sa: 'service-account-controller', enabled: controllerEnabled(o.controllers, 'serviceaccount-controller', 'serviceaccount'), run: ensureDefaultServiceAccounts },
  ];
  for (const l of loops) if (l.enabled) klog('controllermanager.go:781').info('Started controller', { controller: l.name });
  // The real node IPAM controller acts on informer events (a new Node gets its pod CIDR within moments); the others
  // here run every --node-monitor-period. A short tick stands in for IPAM's events.
  const tick = Math.min(500, o.monitorPeriodMs);
  let lastMonitor = 0;
  while (!signal.aborted) {
    if (isLeader()) {
      const monitor = Date.now() - lastMonitor >= o.monitorPeriodMs;
      if (monitor) lastMonitor = Date.now();
      for (const l of loops) {
        if (!l.enabled || signal.aborted || (l.name !== 'node-ipam-controller' && !monitor)) continue;
        try {
          await l.run(reader, await clients.forController(l.sa));
        } catch (err) {
          log.error('controller sync failed', { controller: l.name, err: (err as Error).message });
        }
      }
    }
    await delay(tick, signal);
  }
}

runStandin({
  description:
    'The Kubernetes controller manager is a daemon that embeds the core control loops shipped with Kubernetes.',
  main: async (flags) => {
    const o = options(flags);
    const client = clientFromKubeconfig(flags.string('kubeconfig'), flags.string('master'), 'kube-controller-manager');
    checkDelegationKubeconfigs(flags.string('authentication-kubeconfig'), flags.string('authorization-kubeconfig'));
    if (!flags.string('requestheader-client-ca-file')) await lookupInClusterAuthentication(flags.string('authentication-kubeconfig'), 'kube-controller-manager', flags.bool('authentication-tolerate-lookup-failure', false));
    const signCert = flags.string('cluster-signing-cert-file');
    const signKey = flags.string('cluster-signing-key-file');
    if ((signCert === '') !== (signKey === '')) {
      throw new StandinExit('cannot specify --cluster-signing-cert-file without --cluster-signing-key-file (and the other way round)');
    }
    if (signCert) loadKeyPair(signCert, signKey, 'failed to start controller "certificatesigningrequest-signing-controller": error reading CA cert file');
    const rootCa = flags.string('root-ca-file');
    if (rootCa) loadCertificates(rootCa, 'error reading root-ca-file');
    const saKey = flags.string('service-account-private-key-file');
    if (saKey) loadPrivateKey(saKey, 'error reading key for service account token controller');

    // --secure-port=0 turns the HTTPS endpoint off, as with the real binary.
    const securePort = flags.int('secure-port', 10257);
    const serving = securePort === 0 ? { close: async () => undefined } : await serveSecure({
      component: 'kube-controller-manager',
      bindAddress: flags.string('bind-address', '0.0.0.0'),
      port: securePort,
      ...(flags.string('tls-cert-file') ? { certFile: flags.string('tls-cert-file') } : {}),
      ...(flags.string('tls-private-key-file') ? { keyFile: flags.string('tls-private-key-file') } : {}),
    });

    const abort = new AbortController();
    let leader = false;
    const clients = new ControllerClients(client, o.useServiceAccountCredentials);
    const leaderElect = flags.bool('leader-elect', true);
    if (leaderElect) {
      const identity = `${hostname()}_${randomUUID()}`;
      void runLeaderElection(client, {
        namespace: flags.string('leader-elect-resource-namespace', 'kube-system'),
        name: flags.string('leader-elect-resource-name', 'kube-controller-manager'),
        identity,
        leaseDurationMs: flags.duration('leader-elect-lease-duration', 15_000),
        renewDeadlineMs: flags.duration('leader-elect-renew-deadline', 10_000),
        retryPeriodMs: flags.duration('leader-elect-retry-period', 2_000),
      }, { onStartedLeading: () => { leader = true; }, onStoppedLeading: () => { leader = false; } }, abort.signal);
    } else {
      leader = true;
    }
    void controllerLoop(client, clients, o, abort.signal, () => leader);
    // Delegated authentication reads its CAs from kube-system/extension-apiserver-authentication, and complains for
    // as long as one is missing (an API server without --requestheader-client-ca-file).
    const authn = flags.string('authentication-kubeconfig');
    if (authn) void watchAuthenticationCAs(clientFromKubeconfig(authn, '', 'kube-controller-manager'), abort.signal);
    return {
      close: async () => {
        abort.abort();
        await serving.close();
        client.close();
      },
    };
  },
});
