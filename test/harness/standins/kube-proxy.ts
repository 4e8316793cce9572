/**
 * kube-proxy stand-in: the strict flags of its version, a KubeProxyConfiguration file (--config; then every flag but
 * the logging ones, --hostname-override and --master is ignored, silently, as by the real one) or flags, the
 * kubeconfig's client certificate, and the API calls kube-proxy depends on (get its Node, list Services and
 * EndpointSlices as system:kube-proxy), retried until they succeed. /healthz (default 0.0.0.0:10256) answers 200 only
 * after a successful sync, 503 before, like the real one; /metrics and /configz on 127.0.0.1:10249. Programs no rules.
 */
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import {
  ApiClient,
  checkNotExpired,
  delay,
  keyMatchesCertificate,
  klog,
  loadKubeconfig,
  parseCertificates,
  CONNTRACK_DEFAULTS,
  parseDuration,
  parseYamlStrict,
  readFileOrExit,
  setupConntrack,
  type ConntrackConfig,
  runStandin,
  StandinExit,
  type ParsedFlags,
  type StandinBuildInfo,
} from './common/index.js';
import { isObj, type Obj } from './common/objects.js';
import { parsePrivateKey } from './common/pki.js';

const log = klog('server.go:211');
const syncLog = klog('proxier.go:805');


/** Top-level fields of kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration (v1.34/v1.35). */
const PROXY_CONFIG_FIELDS = new Set(
  (
    'apiVersion kind featureGates clientConnection hostnameOverride bindAddress healthzBindAddress metricsBindAddress ' +
    'bindAddressHardFail enableProfiling showHiddenMetricsForVersion mode iptables ipvs nftables winkernel ' +
    'detectLocalMode detectLocal clusterCIDR nodePortAddresses oomScoreAdj conntrack configSyncPeriod portRange ' +
    'logging windowsRunAsService syncPeriod minSyncPeriod'
  ).split(' '),
);
const CLIENT_CONNECTION_FIELDS = new Set(['kubeconfig', 'acceptContentTypes', 'contentType', 'qps', 'burst']);
const CONNTRACK_FIELDS = new Set(['maxPerCore', 'min', 'tcpEstablishedTimeout', 'tcpCloseWaitTimeout', 'tcpBeLiberal', 'udpTimeout', 'udpStreamTimeout']);
const MODES = ['', 'iptables', 'ipvs', 'nftables'];

export interface ProxyConfig {
  kubeconfig: string;
  hostnameOverride: string;
  clusterCIDR: string;
  mode: string;
  healthzBindAddress: string;
  metricsBindAddress: string;
  conntrack: ConntrackConfig;
  /** iptables.masqueradeAll / nftables.masqueradeAll, or --masquerade-all without a config file. */
  masqueradeAll: boolean;
}

function loadProxyConfigFile(path: string): { doc: Obj; unknownFields: string[] } {
  const fail = (why: string): never => {
    throw new StandinExit(`failed to load config file "${path}": ${why}`);
  };
  const text = readFileOrExit(path, `failed to read config file "${path}"`).toString('utf8');
  let doc: unknown;
  try {
    doc = parseYamlStrict(text, path);
  } catch (err) {
    fail((err as Error).message);
  }
  if (!isObj(doc)) return fail(`Object 'Kind' is missing in '${text.trim().slice(0, 80)}'`);
  if (doc.apiVersion !== 'kubeproxy.config.k8s.io/v1alpha1' || doc.kind !== 'KubeProxyConfiguration') {
    fail(`no kind "${String(doc.kind)}" is registered for version "${String(doc.apiVersion)}" in scheme "pkg/proxy/apis/config/scheme/scheme.go:29"`);
  }
  const unknownFields: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (!PROXY_CONFIG_FIELDS.has(k)) unknownFields.push(`unknown field "${k}"`);
    else if (['clusterCIDR', 'mode', 'hostnameOverride', 'healthzBindAddress', 'metricsBindAddress'].includes(k) && typeof v !== 'string') {
      fail(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field KubeProxyConfiguration.${k} of type string`);
    } else if (k === 'clientConnection') {
      if (!isObj(v)) fail('json: cannot unmarshal into Go struct field KubeProxyConfiguration.clientConnection of type v1alpha1.ClientConnectionConfiguration');
      for (const kk of Object.keys(v as Obj)) if (!CLIENT_CONNECTION_FIELDS.has(kk)) unknownFields.push(`unknown field "clientConnection.${kk}"`);
    } else if (k === 'conntrack') {
      if (!isObj(v)) fail('json: cannot unmarshal into Go struct field KubeProxyConfiguration.conntrack of type v1alpha1.KubeProxyConntrackConfiguration');
      for (const [kk, vv] of Object.entries(v as Obj)) {
        if (!CONNTRACK_FIELDS.has(kk)) unknownFields.push(`unknown field "conntrack.${kk}"`);
        else if (['maxPerCore', 'min'].includes(kk) && vv !== null && !Number.isInteger(vv)) fail(`json: cannot unmarshal ${typeof vv} into Go struct field KubeProxyConntrackConfiguration.conntrack.${kk} of type int32`);
        else if (kk.endsWith('Timeout') && vv !== null && typeof vv !== 'string') fail(`json: cannot unmarshal ${typeof vv} into Go struct field KubeProxyConntrackConfiguration.conntrack.${kk} of type v1.Duration`);
      }
    }
  }
  return { doc, unknownFields };
}

/** conntrack from the config file: a missing field takes its v1alpha1 default; durations in seconds. */
function conntrackFromDoc(doc: Obj): ConntrackConfig {
  const ct = isObj(doc.conntrack) ? doc.conntrack : {};
  const int = (k: keyof ConntrackConfig): number => (typeof ct[k] === 'number' ? (ct[k] as number) : CONNTRACK_DEFAULTS[k]);
  const seconds = (k: keyof ConntrackConfig): number => {
    const v = ct[k];
    if (typeof v !== 'string') return CONNTRACK_DEFAULTS[k];
    try {
      return Math.floor(parseDuration(v) / 1000);
    } catch (err) {
      throw new StandinExit(`failed to load config file: conntrack.${k}: ${(err as Error).message}`);
    }
  };
  return { maxPerCore: int('maxPerCore'), min: int('min'), tcpEstablishedTimeout: seconds('tcpEstablishedTimeout'), tcpCloseWaitTimeout: seconds('tcpCloseWaitTimeout') };
}

function conntrackFromFlags(flags: ParsedFlags): ConntrackConfig {
  const d = CONNTRACK_DEFAULTS;
  return {
    maxPerCore: flags.int('conntrack-max-per-core', d.maxPerCore),
    min: flags.int('conntrack-min', d.min),
    tcpEstablishedTimeout: Math.floor(flags.duration('conntrack-tcp-timeout-established', d.tcpEstablishedTimeout * 1000) / 1000),
    tcpCloseWaitTimeout: Math.floor(flags.duration('conntrack-tcp-timeout-close-wait', d.tcpCloseWaitTimeout * 1000) / 1000),
  };
}

/**
 * With --config, the file replaces everything the flags set, except the logging flags, --hostname-override and
 * --master, and kube-proxy says nothing about the flags it dropped (cmd/kube-proxy/app/options.go, Options.Complete
 * and processHostnameOverrideFlag). Without it, the flags are the configuration.
 */
export function proxyConfig(flags: ParsedFlags): ProxyConfig {
  const configPath = flags.string('config');
  const hostnameOverride = (fromFile: string): string => {
    if (!flags.has('hostname-override')) return fromFile;
    const name = flags.string('hostname-override').trim();
    if (name === '') throw new StandinExit('failed complete: empty hostname-override is invalid');
    return name.toLowerCase();
  };
  if (configPath) {
    const { doc, unknownFields } = loadProxyConfigFile(configPath);
    if (unknownFields.length > 0) {
      klog('server.go:446').info('Using lenient decoding as strict decoding failed', { err: `strict decoding error: ${unknownFields.join(', ')}` });
    }
    const cc = isObj(doc.clientConnection) ? doc.clientConnection : {};
    const s = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
    const mode = s(doc.mode);
    // v1alpha1 keeps masqueradeAll per mode; the conversion takes the running mode's (nftables, else iptables).
    const modeSection = mode === 'nftables' ? doc.nftables : doc.iptables;
    return {
      kubeconfig: s(cc.kubeconfig),
      hostnameOverride: hostnameOverride(s(doc.hostnameOverride)),
      clusterCIDR: s(doc.clusterCIDR),
      mode,
      healthzBindAddress: s(doc.healthzBindAddress, '0.0.0.0:10256'),
      metricsBindAddress: s(doc.metricsBindAddress, '127.0.0.1:10249'),
      conntrack: conntrackFromDoc(doc),
      masqueradeAll: isObj(modeSection) && modeSection.masqueradeAll === true,
    };
  }
  return {
    kubeconfig: flags.string('kubeconfig'),
    hostnameOverride: hostnameOverride(''),
    clusterCIDR: flags.string('cluster-cidr'),
    mode: flags.string('proxy-mode'),
    healthzBindAddress: flags.string('healthz-bind-address', '0.0.0.0:10256'),
    metricsBindAddress: flags.string('metrics-bind-address', '127.0.0.1:10249'),
    conntrack: conntrackFromFlags(flags),
    masqueradeAll: flags.bool('masquerade-all', false),
  };
}

/** /configz as the real one serves it: the internal config type, which has no JSON tags (Go field names). */
export function configz(c: ProxyConfig): unknown {
  return {
    'kubeproxy.config.k8s.io': {
      ClientConnection: { Kubeconfig: c.kubeconfig },
      HostnameOverride: c.hostnameOverride,
      Mode: c.mode,
      HealthzBindAddress: c.healthzBindAddress,
      MetricsBindAddress: c.metricsBindAddress,
      DetectLocal: { ClusterCIDRs: c.clusterCIDR === '' ? [] : c.clusterCIDR.split(',') },
      Linux: { MasqueradeAll: c.masqueradeAll },
    },
  };
}

function validate(c: ProxyConfig): string[] {
  const errs: string[] = [];
  if (!MODES.includes(c.mode)) errs.push(`KubeProxyConfiguration.Mode: Invalid value: ${JSON.stringify(c.mode)}: must be iptables, ipvs or nftables`);
  for (const cidr of c.clusterCIDR === '' ? [] : c.clusterCIDR.split(',')) {
    const [ip, bits] = cidr.split('/');
    if (!ip || net.isIP(ip) === 0 || bits === undefined || !/^\d+$/.test(bits)) {
      errs.push(`KubeProxyConfiguration.DetectLocal.ClusterCIDRs: Invalid value: ${JSON.stringify(cidr)}: must be a valid CIDR`);
    }
  }
  for (const [field, hp] of [
    ['HealthzBindAddress', c.healthzBindAddress],
    ['MetricsBindAddress', c.metricsBindAddress],
  ] as const) {
    if (hp !== '' && !/^(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d+$/.test(hp)) errs.push(`KubeProxyConfiguration.${field}: Invalid value: ${JSON.stringify(hp)}: must be IP:port`);
  }
  return errs;
}

function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

function apiClient(kubeconfig: string, info: StandinBuildInfo): ApiClient {
  if (!kubeconfig) {
    throw new StandinExit('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const cfg = loadKubeconfig(kubeconfig);
  if (cfg.certPem && cfg.keyPem) {
    const context = `invalid kubeconfig ${kubeconfig}`;
    const cert = parseCertificates(cfg.certPem, kubeconfig, context)[0]!;
    if (!keyMatchesCertificate(parsePrivateKey(cfg.keyPem, kubeconfig, context), cert)) {
      throw new StandinExit(`${context}: tls: private key does not match public key (user ${cfg.userName})`);
    }
    checkNotExpired(cert, kubeconfig, context);
  }
  return new ApiClient(cfg, { userAgent: `kube-proxy/${info.version} (linux/amd64) kubernetes/standin` });
}

async function listen(server: http.Server, hp: string): Promise<void> {
  const { host, port } = splitHostPort(hp);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StandinExit(`failed to start healthz/metrics server on ${hp}: listen tcp ${hp}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
}

async function main(flags: ParsedFlags, info: StandinBuildInfo): Promise<{ close(): Promise<void> }> {
  const c = proxyConfig(flags);
  const errs = validate(c);
  if (errs.length > 0) throw new StandinExit(`invalid configuration: [${errs.join(', ')}]`);
  const api = apiClient(c.kubeconfig, info);
  const nodeName = (c.hostnameOverride || os.hostname()).toLowerCase();
  // platformSetup, before the proxier: a conntrack sysctl it cannot raise stops kube-proxy.
  const conntrackError = setupConntrack(c.conntrack);
  if (conntrackError) {
    klog('server.go:570').error('Error running ProxyServer', { err: conntrackError });
    throw new StandinExit(conntrackError);
  }
  log.info('Using iptables Proxier', { mode: c.mode || 'iptables' });

  let lastSync: Date | undefined;
  let syncs = 0;
  let lastError = '';
  const healthz = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    const healthy = lastSync !== undefined;
    res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify({ lastUpdated: (lastSync ?? new Date(0)).toISOString(), currentTime: new Date().toISOString(), nodeEligible: true }));
  });
  const metrics = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      res.writeHead(200).end('ok');
      return;
    }
    if (path === '/configz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(configz(c)));
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404).end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(
      '# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds [ALPHA] The last time proxy rules were successfully synced\n' +
        '# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge\n' +
        `kubeproxy_sync_proxy_rules_last_timestamp_seconds ${lastSync ? lastSync.getTime() / 1000 : 0}\n` +
        '# HELP kubeproxy_sync_proxy_rules_total kubeup stand-in: successful syncs\n' +
        '# TYPE kubeproxy_sync_proxy_rules_total counter\n' +
        `kubeproxy_sync_proxy_rules_total ${syncs}\n`,
    );
  });
  if (c.healthzBindAddress) await listen(healthz, c.healthzBindAddress);
  if (c.metricsBindAddress) await listen(metrics, c.metricsBindAddress);

  const stop = new AbortController();
  const loop = (async () => {
    let nodeSeen = false;
    while (!stop.signal.aborted) {
      try {
        if (!nodeSeen) {
          await api.get({ resource: 'nodes', name: nodeName });
          nodeSeen = true;
          log.info('Successfully retrieved node IP(s)', { node: nodeName });
        }
        await api.list({ resource: 'services' });
        await api.list({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' });
        lastSync = new Date();
        syncs++;
        if (lastError !== '' || syncs === 1) syncLog.info('Synced proxy rules', { node: nodeName });
        lastError = '';
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (msg !== lastError) {
          syncLog.error('Failed to sync with the API server, will retry', { err: msg });
          lastError = msg;
        }
      }
      // The real informers resync on watch; a poll every few seconds is enough to show the API works.
      await delay(nodeSeen && lastError === '' ? 10_000 : 1_000, stop.signal);
    }
  })();

  return {
    close: async () => {
      stop.abort();
      await loop;
      api.close();
      await Promise.all(
        [healthz, metrics].map(
          (s) =>
            new Promise<void>((resolve) => {
              if (!s.listening) return resolve();
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

runStandin({
  description:
    'The Kubernetes network proxy runs on each node. (kubeup test stand-in: checks that the API server answers to ' +
    'system:kube-proxy and reports health; programs no rules.)',
  main,
});
