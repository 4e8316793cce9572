/**
 * Stand-in for kube-scheduler: the real flags; --config (KubeSchedulerConfiguration, strictly decoded; with it the
 * deprecated --kubeconfig and friends are ignored as the real one does); HTTPS /healthz on --secure-port; leader
 * election; binds pending pods (spec.nodeName empty, schedulerName default-scheduler) to Ready, untainted nodes.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  ApiError, StandinExit, checkDelegationKubeconfigs, lookupInClusterAuthentication, clientFromKubeconfig, delay, goOpenError, klog, parseDuration, parseYamlStrict,
  runLeaderElection, runStandin, serveSecure, type ApiClient, type KubeObject, type ParsedFlags,
} from './common/index.js';

const log = klog('schedule_one.go:1');
const configApiVersion = 'kubescheduler.config.k8s.io/v1';

interface SchedulerConfig {
  kubeconfig: string;
  leaderElect: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  resourceName: string;
  resourceNamespace: string;
  schedulerNames: string[];
}

const allowedFields: Record<string, readonly string[]> = {
  '': ['apiVersion', 'kind', 'parallelism', 'leaderElection', 'clientConnection', 'healthzBindAddress', 'metricsBindAddress', 'enableProfiling', 'enableContentionProfiling', 'percentageOfNodesToScore', 'podInitialBackoffSeconds', 'podMaxBackoffSeconds', 'profiles', 'extenders', 'delayCacheUntilActive'],
  leaderElection: ['leaderElect', 'leaseDuration', 'renewDeadline', 'retryPeriod', 'resourceLock', 'resourceName', 'resourceNamespace'],
  clientConnection: ['kubeconfig', 'acceptContentTypes', 'contentType', 'qps', 'burst'],
};

function strictCheck(obj: Record<string, unknown>, section: string, path: string): void {
  const allowed = allowedFields[section] ?? [];
  for (const key of Object.keys(obj).sort()) {
    if (!allowed.includes(key)) {
      throw new StandinExit(`couldn't decode as KubeSchedulerConfiguration, file ${path}: strict decoding error: unknown field "${section ? `${section}.` : ''}${key}"`);
    }
  }
}

function loadConfigFile(path: string): SchedulerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StandinExit(`failed to read config file "${path}": ${goOpenError(path, err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYamlStrict(text, path);
  } catch (err) {
    throw new StandinExit(`couldn't decode as KubeSchedulerConfiguration: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new StandinExit(`couldn't decode as KubeSchedulerConfiguration, file ${path}: Object 'Kind' is missing`);
  const cfg = doc as Record<string, unknown>;
  if (cfg.kind !== 'KubeSchedulerConfiguration') {
    throw new StandinExit(`couldn't decode as KubeSchedulerConfiguration, file ${path}: ${cfg.kind === undefined ? "Object 'Kind' is missing" : `no kind "${String(cfg.kind)}" is registered for version "${String(cfg.apiVersion)}" in scheme "pkg/scheduler/apis/config/scheme/scheme.go:30"`}`);
  }
  if (cfg.apiVersion !== configApiVersion) {
    throw new StandinExit(`no kind "KubeSchedulerConfiguration" is registered for version "${String(cfg.apiVersion)}" in scheme "pkg/scheduler/apis/config/scheme/scheme.go:30" (file ${path}; use apiVersion ${configApiVersion})`);
  }
  strictCheck(cfg, '', path);
  const le = (cfg.leaderElection ?? {}) as Record<string, unknown>;
  const cc = (cfg.clientConnection ?? {}) as Record<string, unknown>;
  strictCheck(le, 'leaderElection', path);
  strictCheck(cc, 'clientConnection', path);
  const dur = (v: unknown, field: string, fallback: number): number => {
    if (v === undefined) return fallback;
    try {
      return parseDuration(String(v));
    } catch (err) {
      throw new StandinExit(`couldn't decode as KubeSchedulerConfiguration, file ${path}: ${field}: ${(err as Error).message}`);
    }
  };
  const kc = typeof cc.kubeconfig === 'string' ? cc.kubeconfig : '';
  const profiles = Array.isArray(cfg.profiles) ? (cfg.profiles as { schedulerName?: string }[]) : [];
  return {
    kubeconfig: kc === '' || isAbsolute(kc) ? kc : resolve(dirname(path), kc),
    leaderElect: le.leaderElect === undefined ? true : le.leaderElect === true,
    leaseDurationMs: dur(le.leaseDuration, 'leaderElection.leaseDuration', 15_000),
    renewDeadlineMs: dur(le.renewDeadline, 'leaderElection.renewDeadline', 10_000),
    retryPeriodMs: dur(le.retryPeriod, 'leaderElection.retryPeriod', 2_000),
    resourceName: typeof le.resourceName === 'string' ? le.resourceName : 'kube-scheduler',
    resourceNamespace: typeof le.resourceNamespace === 'string' ? le.resourceNamespace : 'kube-system',
    schedulerNames: profiles.length > 0 ? profiles.map((p) => p.schedulerName ?? 'default-scheduler') : ['default-scheduler'],
  };
}

function configFromFlags(flags: ParsedFlags): SchedulerConfig {
  const file = flags.string('config');
  if (file !== '') return loadConfigFile(file);
  return {
    kubeconfig: flags.string('kubeconfig'),
    leaderElect: flags.bool('leader-elect', true),
    leaseDurationMs: flags.duration('leader-elect-lease-duration', 15_000),
    renewDeadlineMs: flags.duration('leader-elect-renew-deadline', 10_000),
    retryPeriodMs: flags.duration('leader-elect-retry-period', 2_000),
    resourceName: flags.string('leader-elect-resource-name', 'kube-scheduler'),
    resourceNamespace: flags.string('leader-elect-resource-namespace', 'kube-system'),
    schedulerNames: ['default-scheduler'],
  };
}

type Node = KubeObject & { spec?: { unschedulable?: boolean; taints?: { key: string; effect: string }[] }; status?: { conditions?: { type: string; status: string }[] } };
type Pod = KubeObject & { spec?: { nodeName?: string; schedulerName?: string; tolerations?: { key?: string; operator?: string; effect?: string }[] } };

function schedulable(node: Node, pod: Pod): boolean {
  if (node.spec?.unschedulable) return false;
  if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
  const tolerations = pod.spec?.tolerations ?? [];
  return (node.spec?.taints ?? [])
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .every((t) => tolerations.some((tol) => (tol.operator === 'Exists' && (!tol.key || tol.key === t.key)) || tol.key === t.key));
}

async function scheduleOnce(client: ApiClient, cfg: SchedulerConfig): Promise<void> {
  const pods = (await client.list<Pod>('/api/v1/pods')).items;
  const pending = pods.filter((p) => !p.spec?.nodeName && cfg.schedulerNames.includes(p.spec?.schedulerName ?? 'default-scheduler'));
  if (pending.length === 0) return;
  const nodes = (await client.list<Node>('/api/v1/nodes')).items;
  const load = new Map<string, number>();
  for (const p of pods) if (p.spec?.nodeName) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
  for (const pod of pending) {
    const ns = pod.metadata.namespace ?? 'default';
    const fits = nodes.filter((n) => schedulable(n, pod)).sort((a, b) => (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) || (a.metadata.name < b.metadata.name ? -1 : 1));
    const target = fits[0];
    if (!target) {
      log.info('Unable to schedule pod; no fit; waiting', { pod: `${ns}/${pod.metadata.name}`, err: `0/${nodes.length} nodes are available` });
      continue;
    }
    try {
      await client.create(`/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: ns },
        target: { apiVersion: 'v1', kind: 'Node', name: target.metadata.name },
      });
      load.set(target.metadata.name, (load.get(target.metadata.name) ?? 0) + 1);
      log.info('Successfully bound pod to node', { pod: `${ns}/${pod.metadata.name}`, node: target.metadata.name });
    } catch (err) {
      // 409: bound meanwhile (by another scheduler instance or an earlier cycle); nothing left to do for it
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}

runStandin({
  description:
    'The Kubernetes scheduler is a control plane process which assigns Pods to Nodes.',
  // kube-scheduler marks these DEPRECATED in their help text only; using them prints nothing.
  specOptions: { deprecatedInHelpOnly: ['contention-profiling', 'kube-api-burst', 'kube-api-content-type', 'kube-api-qps', 'kubeconfig', 'pod-max-in-unschedulable-pods-duration', 'profiling'] },
  main: async (flags) => {
    const cfg = configFromFlags(flags);
    const client = clientFromKubeconfig(cfg.kubeconfig, flags.string('master'), 'kube-scheduler');
    checkDelegationKubeconfigs(flags.string('authentication-kubeconfig'), flags.string('authorization-kubeconfig'));
    if (!flags.string('requestheader-client-ca-file')) await lookupInClusterAuthentication(flags.string('authentication-kubeconfig'), 'kube-scheduler', flags.bool('authentication-tolerate-lookup-failure', true));
    // --secure-port=0 turns the HTTPS endpoint off, as with the real binary.
    const securePort = flags.int('secure-port', 10259);
    const serving = securePort === 0 ? { close: async () => undefined } : await serveSecure({
      component: 'kube-scheduler',
      bindAddress: flags.string('bind-address', '0.0.0.0'),
      port: securePort,
      ...(flags.string('tls-cert-file') ? { certFile: flags.string('tls-cert-file') } : {}),
      ...(flags.string('tls-private-key-file') ? { keyFile: flags.string('tls-private-key-file') } : {}),
    });
    const abort = new AbortController();
    let leader = !cfg.leaderElect;
    if (cfg.leaderElect) {
      void runLeaderElection(client, {
        namespace: cfg.resourceNamespace,
        name: cfg.resourceName,
        identity: `${hostname()}_${randomUUID()}`,
        leaseDurationMs: cfg.leaseDurationMs,
        renewDeadlineMs: cfg.renewDeadlineMs,
        retryPeriodMs: cfg.retryPeriodMs,
      }, { onStartedLeading: () => { leader = true; }, onStoppedLeading: () => { leader = false; } }, abort.signal);
    }
    void (async () => {
      while (!abort.signal.aborted) {
        if (leader) {
          try {
            await scheduleOnce(client, cfg);
          } catch (err) {
            log.error('scheduling cycle failed', { err: (err as Error).message });
          }
        }
        await delay(1000, abort.signal);
      }
    })();
    return {
      close: async () => {
        abort.abort();
        await serving.close();
        client.close();
      },
    };
  },
});
