// What becomes of an extra flag for a daemon that kubeup starts with a config file.
//
// kube-proxy with --config ignores, without a word, every flag except the logging flags, --hostname-override and
// --master (kubernetes cmd/kube-proxy/app/options.go, Options.Complete: the loaded file replaces the flag-filled
// config). kube-scheduler with --config ignores its deprecated flags (cmd/kube-scheduler/app/options/options.go,
// ApplyTo: "honor the leader election CLI flags only"). So kubeup writes such a flag into the config file field it
// stands for, and refuses, as a profile error, a flag that would be ignored and has no field. kubelet's flags win
// over its config file (cmd/kubelet/app/server.go, kubeletConfigFlagPrecedence), so its extra flags stay flags.
//
// One table per daemon, for Kubernetes 1.34 and 1.35 (their kube-proxy and kube-scheduler flags are the same).

export type FlagValueType = 'bool' | 'int' | 'float' | 'duration' | 'string' | 'list' | 'gates';

/** A flag written into the config file: the field's path in the v1alpha1 / v1 document, and the value's type. */
export interface ConfigField {
  fields: readonly string[];
  type: FlagValueType;
}

export type FlagFate =
  | { kind: 'flag' }
  | { kind: 'config'; field: ConfigField }
  | { kind: 'refused'; why: string; hint: string };

const field = (type: FlagValueType, ...fields: string[]): FlagFate => ({ kind: 'config', field: { fields, type } });
const refused = (why: string, hint: string): FlagFate => ({ kind: 'refused', why, hint });

// Logging flags are copied over the loaded file (copyLogsFromFlags), and klog's own go flags act on klog directly.
const LOGGING_FLAGS = [
  'v', 'vmodule', 'log-flush-frequency', 'logging-format', 'log-text-split-stream', 'log-text-info-buffer-size',
  'log-json-split-stream', 'log-json-info-buffer-size', 'add_dir_header', 'alsologtostderr', 'log_backtrace_at',
  'log_dir', 'log_file', 'log_file_max_size', 'logtostderr', 'one_output', 'skip_headers', 'skip_log_headers',
  'stderrthreshold',
];

const NOT_FOR_A_DAEMON = (daemon: string) => refused(`makes ${daemon} do something else than run as the node's daemon`, 'remove it; kubeup starts the daemon itself');

const KUBE_PROXY: Record<string, FlagFate> = {
  ...Object.fromEntries(LOGGING_FLAGS.map((f) => [f, { kind: 'flag' } as FlagFate])),
  'hostname-override': { kind: 'flag' },
  master: { kind: 'flag' },
  config: refused('is set by kubeup (/etc/kubernetes/kube-proxy-config.yaml)', 'remove it'),
  'write-config-to': NOT_FOR_A_DAEMON('kube-proxy'),
  cleanup: NOT_FOR_A_DAEMON('kube-proxy'),
  'init-only': NOT_FOR_A_DAEMON('kube-proxy'),
  help: NOT_FOR_A_DAEMON('kube-proxy'),
  version: NOT_FOR_A_DAEMON('kube-proxy'),
  'bind-address': field('string', 'bindAddress'),
  'bind-address-hard-fail': field('bool', 'bindAddressHardFail'),
  // v1alpha1 keeps one field per mode; the flag applies to whichever mode runs (conversion in
  // pkg/proxy/apis/config/v1alpha1/conversion.go), so kubeup writes both.
  'masquerade-all': field('bool', 'iptables.masqueradeAll', 'nftables.masqueradeAll'),
  'iptables-masquerade-bit': field('int', 'iptables.masqueradeBit'),
  'iptables-localhost-nodeports': field('bool', 'iptables.localhostNodePorts'),
  'iptables-sync-period': field('duration', 'iptables.syncPeriod', 'nftables.syncPeriod'),
  'iptables-min-sync-period': field('duration', 'iptables.minSyncPeriod', 'nftables.minSyncPeriod'),
  'ipvs-sync-period': field('duration', 'ipvs.syncPeriod'),
  'ipvs-min-sync-period': field('duration', 'ipvs.minSyncPeriod'),
  'ipvs-scheduler': field('string', 'ipvs.scheduler'),
  'ipvs-exclude-cidrs': field('list', 'ipvs.excludeCIDRs'),
  'ipvs-strict-arp': field('bool', 'ipvs.strictARP'),
  'ipvs-tcp-timeout': field('duration', 'ipvs.tcpTimeout'),
  'ipvs-tcpfin-timeout': field('duration', 'ipvs.tcpFinTimeout'),
  'ipvs-udp-timeout': field('duration', 'ipvs.udpTimeout'),
  'cluster-cidr': field('string', 'clusterCIDR'),
  'config-sync-period': field('duration', 'configSyncPeriod'),
  'conntrack-max-per-core': field('int', 'conntrack.maxPerCore'),
  'conntrack-min': field('int', 'conntrack.min'),
  'conntrack-tcp-be-liberal': field('bool', 'conntrack.tcpBeLiberal'),
  'conntrack-tcp-timeout-close-wait': field('duration', 'conntrack.tcpCloseWaitTimeout'),
  'conntrack-tcp-timeout-established': field('duration', 'conntrack.tcpEstablishedTimeout'),
  'conntrack-udp-timeout': field('duration', 'conntrack.udpTimeout'),
  'conntrack-udp-timeout-stream': field('duration', 'conntrack.udpStreamTimeout'),
  'detect-local-mode': field('string', 'detectLocalMode'),
  'pod-bridge-interface': field('string', 'detectLocal.bridgeInterface'),
  'pod-interface-name-prefix': field('string', 'detectLocal.interfaceNamePrefix'),
  'feature-gates': field('gates', 'featureGates'),
  'healthz-bind-address': field('string', 'healthzBindAddress'),
  'metrics-bind-address': field('string', 'metricsBindAddress'),
  kubeconfig: field('string', 'clientConnection.kubeconfig'),
  'kube-api-burst': field('int', 'clientConnection.burst'),
  'kube-api-content-type': field('string', 'clientConnection.contentType'),
  'kube-api-qps': field('float', 'clientConnection.qps'),
  'nodeport-addresses': field('list', 'nodePortAddresses'),
  'oom-score-adj': field('int', 'oomScoreAdj'),
  profiling: field('bool', 'enableProfiling'),
  'proxy-mode': field('string', 'mode'),
  'show-hidden-metrics-for-version': field('string', 'showHiddenMetricsForVersion'),
  // Hidden, deprecated, and ignored next to --config.
  'healthz-port': refused('is ignored by kube-proxy next to its config file', 'use --healthz-bind-address=0.0.0.0:PORT'),
  'metrics-port': refused('is ignored by kube-proxy next to its config file', 'use --metrics-bind-address=127.0.0.1:PORT'),
  'proxy-port-range': refused('has no effect in kube-proxy 1.34 and 1.35', 'remove it'),
};

// Only the deprecated flags are ignored next to --config; every other kube-scheduler flag is honoured.
const KUBE_SCHEDULER: Record<string, FlagFate> = {
  config: refused('is set by kubeup (/etc/kubernetes/kube-scheduler-config.yaml)', 'remove it'),
  kubeconfig: field('string', 'clientConnection.kubeconfig'),
  'kube-api-burst': field('int', 'clientConnection.burst'),
  'kube-api-content-type': field('string', 'clientConnection.contentType'),
  'kube-api-qps': field('float', 'clientConnection.qps'),
  profiling: field('bool', 'enableProfiling'),
  'contention-profiling': field('bool', 'enableContentionProfiling'),
  'pod-max-in-unschedulable-pods-duration': refused('is ignored by kube-scheduler next to its config file and has no field in kubescheduler.config.k8s.io/v1', 'remove it'),
};

/** Daemons whose flag table is complete: a flag not in it is not a flag of that daemon. */
const COMPLETE = new Set(['kube-proxy']);

const TABLES: Record<string, Record<string, FlagFate>> = { 'kube-proxy': KUBE_PROXY, 'kube-scheduler': KUBE_SCHEDULER };

/** pflag accepts `_` for `-` in flag names (klog's own flags keep their underscores). */
const lookup = (table: Record<string, FlagFate>, name: string) => table[name] ?? table[name.replace(/_/g, '-')] ?? table[name.replace(/-/g, '_')];

export function flagFate(daemon: string, name: string): FlagFate {
  const table = TABLES[daemon];
  if (!table) return { kind: 'flag' };
  const fate = lookup(table, name);
  if (fate) return fate;
  return COMPLETE.has(daemon)
    ? refused(`is not a ${daemon} flag in Kubernetes 1.34 or 1.35`, `see kubernetes.io/docs/reference/command-line-tools-reference/${daemon}/`)
    : { kind: 'flag' };
}

export function splitFlag(arg: string): { name: string; value: string | undefined } {
  const eq = arg.indexOf('=');
  return eq < 0 ? { name: arg.replace(/^--?/, ''), value: undefined } : { name: arg.slice(0, eq).replace(/^--?/, ''), value: arg.slice(eq + 1) };
}

const GO_BOOL: Record<string, boolean> = { 1: true, t: true, T: true, TRUE: true, true: true, True: true, 0: false, f: false, F: false, FALSE: false, false: false, False: false };
const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$/;

/** The flag's value as the config field holds it, or a message saying why it is not one. */
export function configValue(type: FlagValueType, raw: string | undefined): { value: unknown } | { error: string } {
  if (type === 'bool') {
    if (raw === undefined) return { value: true };
    return raw in GO_BOOL ? { value: GO_BOOL[raw] } : { error: `"${raw}" is not true or false` };
  }
  if (raw === undefined) return { error: 'needs a value (--name=value)' };
  switch (type) {
    case 'int':
      return /^[-+]?\d+$/.test(raw) && Math.abs(Number(raw)) < 2 ** 31 ? { value: Number(raw) } : { error: `"${raw}" is not a whole number` };
    case 'float':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? { value: Number(raw) } : { error: `"${raw}" is not a number` };
    case 'duration':
      return GO_DURATION.test(raw) ? { value: raw } : { error: `"${raw}" is not a duration such as 30s, 5m or 1h30m` };
    case 'list':
      return { value: raw.split(',').filter(Boolean) };
    case 'gates': {
      const gates: Record<string, boolean> = {};
      for (const pair of raw.split(',').filter(Boolean)) {
        const [k, v, ...rest] = pair.split('=');
        if (!k || v === undefined || rest.length || !(v in GO_BOOL)) return { error: `"${pair}" is not Name=true or Name=false` };
        gates[k] = GO_BOOL[v]!;
      }
      return { value: gates };
    }
    default:
      return { value: raw };
  }
}

/** One extra flag checked against its daemon's table: undefined when kubeup can honour it. */
export function extraFlagProblem(daemon: string, arg: string): { message: string; hint: string } | undefined {
  const { name, value } = splitFlag(arg);
  const fate = flagFate(daemon, name);
  if (fate.kind === 'refused') return { message: `--${name} ${fate.why}`, hint: fate.hint };
  if (fate.kind === 'config') {
    const v = configValue(fate.field.type, value);
    if ('error' in v) return { message: `--${name}: ${v.error}`, hint: `kubeup writes it into ${daemon}'s config file as ${fate.field.fields.join(' and ')}` };
  }
  return undefined;
}
