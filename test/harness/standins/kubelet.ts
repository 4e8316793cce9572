/**
 * kubelet stand-in: the strict flags of its version, a KubeletConfiguration file decoded like the real kubelet
 * (unknown kinds/apiVersions and wrong types refused; unknown fields accepted with the lenient-decoding warning),
 * the kubeconfig's client certificate, Node registration and a status + Lease heartbeat, readiness from the CRI
 * Version call on containerRuntimeEndpoint (real containerd), TLS on :10250 with client-certificate auth and plain
 * /healthz on 127.0.0.1:10248.
 */
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import type { TLSSocket } from 'node:tls';
import {
  aggregate,
  ApiClient,
  delay,
  kernelTunables,
  openKmsg,
  podCgroupRoot,
  isAlreadyExists,
  isNotFound,
  klog,
  loadCertificates,
  loadKeyPair,
  loadKubeconfig,
  metaTime,
  microTime,
  parseCertificates,
  parseYamlStrict,
  readFileOrExit,
  runStandin,
  selfSignedServing,
  StandinExit,
  checkNotExpired,
  keyMatchesCertificate,
  versionParts,
  type KubeObject,
  type ParsedFlags,
  type StandinBuildInfo,
} from './common/index.js';
import { isObj, type Obj } from './common/objects.js';
import { parsePrivateKey } from './common/pki.js';
import { KUBELET_LABEL_NAMESPACES, KUBELET_LABELS, isKubeletLabel, isKubernetesLabel } from './common/apiserver/node-restriction.js';

const log = klog('server.go:525');
const statusLog = klog('kubelet_node_status.go:75');


/** Top-level fields of kubelet.config.k8s.io/v1beta1 KubeletConfiguration (v1.34/v1.35). */
const KUBELET_CONFIG_FIELDS = new Set(
  (
    'apiVersion kind enableServer staticPodPath podLogsDir syncFrequency fileCheckFrequency httpCheckFrequency staticPodURL ' +
    'staticPodURLHeader address port readOnlyPort tlsCertFile tlsPrivateKeyFile tlsCipherSuites tlsMinVersion ' +
    'rotateCertificates serverTLSBootstrap authentication authorization registryPullQPS registryBurst ' +
    'imagePullCredentialsVerificationPolicy preloadedImagesVerificationAllowlist eventRecordQPS eventBurst ' +
    'enableDebuggingHandlers enableContentionProfiling healthzPort healthzBindAddress oomScoreAdj clusterDomain clusterDNS ' +
    'streamingConnectionIdleTimeout nodeStatusUpdateFrequency nodeStatusReportFrequency nodeLeaseDurationSeconds ' +
    'imageMinimumGCAge imageMaximumGCAge imageGCHighThresholdPercent imageGCLowThresholdPercent volumeStatsAggPeriod ' +
    'kubeletCgroups systemCgroups cgroupRoot cgroupsPerQOS cgroupDriver cpuManagerPolicy singleProcessOOMKill ' +
    'cpuManagerPolicyOptions cpuManagerReconcilePeriod memoryManagerPolicy topologyManagerPolicy topologyManagerScope ' +
    'topologyManagerPolicyOptions qosReserved runtimeRequestTimeout hairpinMode maxPods podCIDR podPidsLimit resolvConf ' +
    'runOnce cpuCFSQuota cpuCFSQuotaPeriod nodeStatusMaxImages maxOpenFiles contentType kubeAPIQPS kubeAPIBurst ' +
    'serializeImagePulls maxParallelImagePulls evictionHard evictionSoft evictionSoftGracePeriod ' +
    'evictionPressureTransitionPeriod evictionMaxPodGracePeriod evictionMinimumReclaim mergeDefaultEvictionSettings ' +
    'podsPerCore enableControllerAttachDetach protectKernelDefaults makeIPTablesUtilChains iptablesMasqueradeBit ' +
    'iptablesDropBit featureGates failSwapOn memorySwap containerLogMaxSize containerLogMaxFiles containerLogMaxWorkers ' +
    'containerLogMonitorInterval configMapAndSecretChangeDetectionStrategy systemReserved kubeReserved reservedSystemCPUs ' +
    'showHiddenMetricsForVersion systemReservedCgroup kubeReservedCgroup enforceNodeAllocatable allowedUnsafeSysctls ' +
    'volumePluginDir providerID kernelMemcgNotification logging enableSystemLogHandler enableSystemLogQuery ' +
    'shutdownGracePeriod shutdownGracePeriodCriticalPods shutdownGracePeriodByPodPriority crashLoopBackOff reservedMemory ' +
    'enableProfilingHandler enableDebugFlagsHandler seccompDefault memoryThrottlingFactor registerWithTaints registerNode ' +
    'tracing localStorageCapacityIsolation containerRuntimeEndpoint imageServiceEndpoint failCgroupV1 userNamespaces'
  ).split(' '),
);

/** Go types of the fields this stand-in reads: a wrong type is a decoding error (not strictness), so it is fatal. */
const FIELD_TYPES: Record<string, 'string' | 'int32' | 'bool' | '[]string' | 'object'> = {
  staticPodPath: 'string',
  address: 'string',
  port: 'int32',
  readOnlyPort: 'int32',
  tlsCertFile: 'string',
  tlsPrivateKeyFile: 'string',
  authentication: 'object',
  authorization: 'object',
  healthzPort: 'int32',
  healthzBindAddress: 'string',
  clusterDomain: 'string',
  clusterDNS: '[]string',
  cgroupDriver: 'string',
  podCIDR: 'string',
  resolvConf: 'string',
  maxPods: 'int32',
  failSwapOn: 'bool',
  registerNode: 'bool',
  containerRuntimeEndpoint: 'string',
  failCgroupV1: 'bool',
  providerID: 'string',
  cgroupsPerQOS: 'bool',
  enforceNodeAllocatable: '[]string',
  cgroupRoot: 'string',
  protectKernelDefaults: 'bool',
};

const NESTED_FIELDS: Record<string, Record<string, Set<string>>> = {
  authentication: {
    '': new Set(['x509', 'webhook', 'anonymous']),
    x509: new Set(['clientCAFile']),
    webhook: new Set(['enabled', 'cacheTTL']),
    anonymous: new Set(['enabled']),
  },
  authorization: { '': new Set(['mode', 'webhook']), webhook: new Set(['cacheAuthorizedTTL', 'cacheUnauthorizedTTL']) },
};

const goTypeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'string' : 'object';

function typeMatches(want: string, v: unknown): boolean {
  switch (want) {
    case 'string':
      return typeof v === 'string';
    case 'int32':
      return typeof v === 'number' && Number.isInteger(v);
    case 'bool':
      return typeof v === 'boolean';
    case '[]string':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    default:
      return isObj(v);
  }
}

export interface KubeletConfig {
  staticPodPath?: string;
  address: string;
  port: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCAFile?: string;
  anonymousAuth: boolean;
  authorizationMode: string;
  healthzPort: number;
  healthzBindAddress: string;
  clusterDomain?: string;
  clusterDNS: string[];
  cgroupDriver: string;
  maxPods: number;
  failSwapOn: boolean;
  registerNode: boolean;
  containerRuntimeEndpoint: string;
  failCgroupV1: boolean;
  cgroupsPerQOS: boolean;
  enforceNodeAllocatable: string[];
  cgroupRoot: string;
  protectKernelDefaults: boolean;
}

/** Decodes the --config file like kubelet's codec; returns defaults applied and the strict-decoding complaints. */
export function loadKubeletConfig(path: string | undefined, version: string): { config: KubeletConfig; unknownFields: string[] } {
  const minor = Number(versionParts(version).minor);
  const unknownFields: string[] = [];
  let doc: Obj = {};
  if (path) {
    const fail = (why: string): never => {
      throw new StandinExit(`failed to load kubelet config file, path: ${path}, error: failed to load Kubelet config file ${path}, error failed to decode: ${why}`);
    };
    const text = readFileOrExit(path, `failed to load kubelet config file, path: ${path}, error: failed to read kubelet config file "${path}"`).toString('utf8');
    let parsed: unknown;
    try {
      parsed = parseYamlStrict(text, path);
    } catch (err) {
      fail((err as Error).message);
    }
    if (!isObj(parsed)) fail("Object 'Kind' is missing in '" + text.trim().slice(0, 80) + "'");
    doc = parsed as Obj;
    if (typeof doc.kind !== 'string' || doc.kind === '') fail(`Object 'Kind' is missing in '${text.trim().slice(0, 80)}'`);
    if (doc.apiVersion !== 'kubelet.config.k8s.io/v1beta1' || doc.kind !== 'KubeletConfiguration') {
      fail(`no kind "${String(doc.kind)}" is registered for version "${String(doc.apiVersion)}" in scheme "pkg/kubelet/apis/config/scheme/scheme.go:34"`);
    }
    for (const [field, value] of Object.entries(doc)) {
      if (!KUBELET_CONFIG_FIELDS.has(field)) {
        unknownFields.push(`unknown field "${field}"`);
        continue;
      }
      const want = FIELD_TYPES[field];
      if (want && value !== null && !typeMatches(want, value)) {
        fail(`json: cannot unmarshal ${goTypeOf(value)} into Go struct field KubeletConfiguration.${field} of type ${want === 'object' ? `v1beta1.Kubelet${field[0]!.toUpperCase()}${field.slice(1)}` : want}`);
      }
      const nested = NESTED_FIELDS[field];
      if (nested && isObj(value)) {
        for (const [k, v] of Object.entries(value)) {
          if (!nested['']!.has(k)) unknownFields.push(`unknown field "${field}.${k}"`);
          else if (nested[k] && isObj(v)) for (const kk of Object.keys(v)) if (!nested[k]!.has(kk)) unknownFields.push(`unknown field "${field}.${k}.${kk}"`);
        }
      }
    }
  }
  const authn = isObj(doc.authentication) ? doc.authentication : {};
  const x509 = isObj(authn.x509) ? authn.x509 : {};
  const anonymous = isObj(authn.anonymous) ? authn.anonymous : {};
  const authz = isObj(doc.authorization) ? doc.authorization : {};
  const str = (k: string): string | undefined => (typeof doc[k] === 'string' && doc[k] !== '' ? (doc[k] as string) : undefined);
  const num = (k: string, d: number): number => (typeof doc[k] === 'number' ? (doc[k] as number) : d);
  const bool = (k: string, d: boolean): boolean => (typeof doc[k] === 'boolean' ? (doc[k] as boolean) : d);
  return {
    unknownFields,
    config: {
      staticPodPath: str('staticPodPath'),
      address: str('address') ?? '0.0.0.0',
      port: num('port', 10250),
      tlsCertFile: str('tlsCertFile'),
      tlsPrivateKeyFile: str('tlsPrivateKeyFile'),
      clientCAFile: typeof x509.clientCAFile === 'string' && x509.clientCAFile !== '' ? x509.clientCAFile : undefined,
      // v1beta1 defaults: anonymous off, webhook authorization.
      anonymousAuth: anonymous.enabled === true,
      authorizationMode: typeof authz.mode === 'string' ? authz.mode : 'Webhook',
      healthzPort: num('healthzPort', 10248),
      healthzBindAddress: str('healthzBindAddress') ?? '127.0.0.1',
      clusterDomain: str('clusterDomain'),
      clusterDNS: Array.isArray(doc.clusterDNS) ? (doc.clusterDNS as string[]) : [],
      cgroupDriver: str('cgroupDriver') ?? 'cgroupfs',
      maxPods: num('maxPods', 110),
      failSwapOn: bool('failSwapOn', true),
      registerNode: bool('registerNode', true),
      containerRuntimeEndpoint: str('containerRuntimeEndpoint') ?? 'unix:///run/containerd/containerd.sock',
      // Kubernetes 1.35 refuses cgroup v1 hosts by default.
      failCgroupV1: bool('failCgroupV1', minor >= 35),
      cgroupsPerQOS: bool('cgroupsPerQOS', true),
      // v1beta1 defaulting: nil means ["pods"]; an empty list stays empty.
      enforceNodeAllocatable: Array.isArray(doc.enforceNodeAllocatable) ? (doc.enforceNodeAllocatable as string[]) : ['pods'],
      cgroupRoot: str('cgroupRoot') ?? '/',
      protectKernelDefaults: bool('protectKernelDefaults', false),
    },
  };
}

function validate(c: KubeletConfig, flags: ParsedFlags): string[] {
  const errs: string[] = [];
  if (!['cgroupfs', 'systemd'].includes(c.cgroupDriver)) errs.push(`invalid configuration: cgroupDriver (--cgroup-driver) ${JSON.stringify(c.cgroupDriver)} must be "cgroupfs" or "systemd"`);
  for (const ip of c.clusterDNS) if (net.isIP(ip) === 0) errs.push(`invalid configuration: option "${ip}" specified for ClusterDNS (--cluster-dns). Must be a valid IP address`);
  if (c.port < 1 || c.port > 65535) errs.push(`invalid configuration: port (--port) ${c.port} must be between 1 and 65535, inclusive`);
  if (c.healthzPort < 0 || c.healthzPort > 65535) errs.push(`invalid configuration: healthzPort (--healthz-port) ${c.healthzPort} must be between 1 and 65535, inclusive`);
  const nodeIp = flags.string('node-ip');
  for (const ip of nodeIp === '' ? [] : nodeIp.split(',')) if (net.isIP(ip.trim()) === 0) errs.push(`failed to parse node IP "${ip}"`);
  if (!c.cgroupsPerQOS && c.enforceNodeAllocatable.length > 0) {
    errs.push('invalid configuration: enforceNodeAllocatable (--enforce-node-allocatable) is not supported unless cgroupsPerQOS (--cgroups-per-qos) feature is turned on');
  }
  // Another cgroup root must exist in every controller and be the parent of kubepods: not modelled, so refused.
  if (c.cgroupRoot !== '/') errs.push(`invalid configuration: cgroupRoot ${JSON.stringify(c.cgroupRoot)}: the kubeup stand-in models only "/"`);
  if (!c.containerRuntimeEndpoint.startsWith('unix://')) errs.push(`invalid configuration: containerRuntimeEndpoint ${JSON.stringify(c.containerRuntimeEndpoint)} must be a unix:// endpoint`);
  return errs;
}

/** Flags deprecated in favour of the config file still override it, like the real kubelet. */
function applyFlagOverrides(c: KubeletConfig, flags: ParsedFlags): void {
  if (flags.has('container-runtime-endpoint')) c.containerRuntimeEndpoint = flags.string('container-runtime-endpoint');
  if (flags.has('register-node')) c.registerNode = flags.bool('register-node', true);
  if (flags.has('cgroup-driver')) c.cgroupDriver = flags.string('cgroup-driver');
  if (flags.has('fail-swap-on')) c.failSwapOn = flags.bool('fail-swap-on', true);
  if (flags.has('client-ca-file')) c.clientCAFile = flags.string('client-ca-file');
  if (flags.has('tls-cert-file')) c.tlsCertFile = flags.string('tls-cert-file');
  if (flags.has('tls-private-key-file')) c.tlsPrivateKeyFile = flags.string('tls-private-key-file');
  if (flags.has('port')) c.port = flags.int('port', c.port);
  if (flags.has('healthz-port')) c.healthzPort = flags.int('healthz-port', c.healthzPort);
  if (flags.has('address')) c.address = flags.string('address');
  if (flags.has('cluster-dns')) c.clusterDNS = flags.list('cluster-dns');
  if (flags.has('cluster-domain')) c.clusterDomain = flags.string('cluster-domain');
  if (flags.has('fail-cgroupv1')) c.failCgroupV1 = flags.bool('fail-cgroupv1', c.failCgroupV1);
  if (flags.has('cgroups-per-qos')) c.cgroupsPerQOS = flags.bool('cgroups-per-qos', c.cgroupsPerQOS);
  if (flags.has('enforce-node-allocatable')) c.enforceNodeAllocatable = flags.list('enforce-node-allocatable').filter(Boolean);
  if (flags.has('cgroup-root')) c.cgroupRoot = flags.string('cgroup-root');
  if (flags.has('protect-kernel-defaults')) c.protectKernelDefaults = flags.bool('protect-kernel-defaults', c.protectKernelDefaults);
}

function checkHost(c: KubeletConfig): void {
  if (c.failCgroupV1 && !existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    throw new StandinExit(
      'failed to run Kubelet: kubelet is configured to not run on a host using cgroup v1. cgroup v1 support is unsupported and will be removed in a future release',
    );
  }
  if (c.failSwapOn) {
    const swaps = existsSync('/proc/swaps') ? readFileSync('/proc/swaps', 'utf8').trim().split('\n').slice(1) : [];
    if (swaps.length > 0) {
      throw new StandinExit('failed to run Kubelet: running with swap on is not supported, please disable swap or set --fail-swap-on flag to false');
    }
  }
  // NewMainKubelet makes the OOM watcher, which opens /dev/kmsg; outside a user namespace its error is fatal.
  const kmsg = openKmsg();
  if (kmsg) throw new StandinExit(`failed to run Kubelet: failed to create kubelet: ${kmsg}`);
}

/**
 * The container manager's start once the runtime answers (initializeRuntimeDependentModules): kernel tunables, then
 * the pod cgroups. A failure ends the kubelet with exit 1, and the unit's Restart= brings it back to fail again.
 */
function startContainerManager(c: KubeletConfig): void {
  const tunables = kernelTunables(c.protectKernelDefaults ? 'error' : 'modify');
  const err = tunables.length > 0 ? aggregate(tunables) : c.cgroupsPerQOS ? podCgroupRoot(c.cgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs') : undefined;
  if (err) {
    klog('kubelet.go:1650').error('Failed to start ContainerManager', { err });
    process.exit(1);
  }
}

/** What the CRI runtime answered to Version, or why it could not be reached. */
type RuntimeState = { ok: true; runtimeName: string; runtimeVersion: string } | { ok: false; message: string };

/** Reads the string fields of a protobuf message (CRI VersionResponse: 1 version, 2 name, 3 runtime version, 4 api). */
function protoStrings(buf: Buffer): Map<number, string> {
  const out = new Map<number, string>();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++] ?? 0;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0 || i >= buf.length) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 2) {
      const len = varint();
      out.set(key >> 3, buf.subarray(i, i + len).toString('utf8'));
      i += len;
    } else if (wire === 0) varint();
    else break;
  }
  return out;
}

/** One gRPC call runtime.v1.RuntimeService/Version over the unix socket, as kubelet's remote runtime does. */
function criVersion(endpoint: string, timeoutMs = 2000): Promise<RuntimeState> {
  const socket = endpoint.replace(/^unix:\/\//, '');
  const dialError = (why: string): RuntimeState => ({
    ok: false,
    message: `container runtime is down: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${socket}: ${why}"`,
  });
  if (!existsSync(socket)) return Promise.resolve(dialError('connect: no such file or directory'));
  return new Promise((resolve) => {
    let settled = false;
    const done = (s: RuntimeState): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.close();
      client.destroy();
      resolve(s);
    };
    const client = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
    const timer = setTimeout(() => done({ ok: false, message: 'container runtime is down: rpc error: code = DeadlineExceeded desc = context deadline exceeded' }), timeoutMs);
    client.on('error', (err: NodeJS.ErrnoException) => done(dialError(err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message)));
    const req = client.request({ ':method': 'POST', ':path': '/runtime.v1.RuntimeService/Version', 'content-type': 'application/grpc', te: 'trailers' });
    const parts: Buffer[] = [];
    let grpcStatus = '';
    let grpcMessage = '';
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    });
    req.on('trailers', (t) => {
      grpcStatus = String(t['grpc-status'] ?? grpcStatus);
      grpcMessage = String(t['grpc-message'] ?? '');
    });
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('error', (err) => done(dialError(err.message)));
    req.on('end', () => {
      if (grpcStatus !== '0') {
        done({ ok: false, message: `container runtime is down: rpc error: code = ${grpcStatus} desc = ${decodeURIComponent(grpcMessage)}` });
        return;
      }
      const body = Buffer.concat(parts).subarray(5);
      const fields = protoStrings(body);
      done({ ok: true, runtimeName: fields.get(2) ?? 'unknown', runtimeVersion: fields.get(3) ?? 'unknown' });
    });
    req.end(Buffer.alloc(5));
  });
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr('/etc/os-release', ''));
  return m?.[1] ?? 'Linux';
}

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64' })[process.arch as string] ?? process.arch;

interface NodeIdentity {
  name: string;
  nodeIPs: string[];
}

function nodeConditions(runtime: RuntimeState, now: string, since: Map<string, string>): Obj[] {
  const cond = (type: string, status: string, reason: string, message: string): Obj => {
    const key = `${type}=${status}`;
    if (!since.has(key)) {
      for (const k of [...since.keys()]) if (k.startsWith(`${type}=`)) since.delete(k);
      since.set(key, now);
    }
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: since.get(key) };
  };
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    runtime.ok
      ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : cond('Ready', 'False', 'ContainerRuntimeNotReady', runtime.message),
  ];
}

function nodeStatus(id: NodeIdentity, c: KubeletConfig, info: StandinBuildInfo, runtime: RuntimeState, conditions: Obj[]): Obj {
  const capacity = {
    cpu: String(os.cpus().length),
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: String(c.maxPods),
    'ephemeral-storage': '10Gi',
  };
  return {
    capacity,
    allocatable: capacity,
    conditions,
    // An invalid --node-ip fails the address setter: the real kubelet logs it and posts no InternalIP.
    addresses: [...id.nodeIPs.filter((ip) => !nodeIpProblem(ip)).map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: id.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: c.port } },
    nodeInfo: {
      machineID: readOr('/etc/machine-id', ''),
      systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''),
      bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: runtime.ok ? `${runtime.runtimeName}://${runtime.runtimeVersion}` : '',
      // VersionInfo (pkg/kubelet/nodestatus/setters.go): the gitVersion, v-prefixed. No kubeProxyVersion: 1.33+ leave
      // it unset (DisableNodeKubeProxyVersion on by default, pkg/features/kube_features.go).
      kubeletVersion: info.version,
      operatingSystem: 'linux',
      architecture: goArch(),
    },
  };
}

/** A node IP for the Node object: --node-ip, else the first non-loopback IPv4 address, like the real default lookup. */
function nodeIPs(flags: ParsedFlags): string[] {
  const given = flags.string('node-ip');
  if (given !== '') return given.split(',').map((s) => s.trim());
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return [a.address];
  }
  return [];
}

/** kubelet's validateNodeIP: why a --node-ip cannot be used, or undefined when it can. */
export function nodeIpProblem(ip: string): string | undefined {
  if (net.isIP(ip) === 0) return 'nodeIP must be a valid IP address';
  if (/^127\./.test(ip) || ip === '::1') return "nodeIP can't be loopback address";
  if (/^(22[4-9]|23\d)\./.test(ip) || /^ff/i.test(ip)) return "nodeIP can't be a multicast address";
  if (/^169\.254\./.test(ip) || /^fe80:/i.test(ip)) return "nodeIP can't be a link-local unicast address";
  if (ip === '0.0.0.0' || ip === '::') return "nodeIP can't be an all zeros address";
  const local = Object.values(os.networkInterfaces()).flatMap((a) => (a ?? []).map((x) => x.address));
  return local.includes(ip) ? undefined : `node IP: "${ip}" not found in the host's network interfaces`;
}

function checkClientCredentials(kubeconfigPath: string): ReturnType<typeof loadKubeconfig> {
  const cfg = loadKubeconfig(kubeconfigPath);
  const context = `failed to run Kubelet: invalid kubeconfig ${kubeconfigPath}`;
  if (cfg.certPem && cfg.keyPem) {
    const cert = parseCertificates(cfg.certPem, kubeconfigPath, context)[0]!;
    const key = parsePrivateKey(cfg.keyPem, kubeconfigPath, context);
    if (!keyMatchesCertificate(key, cert)) {
      throw new StandinExit(`${context}: tls: private key does not match public key (user ${cfg.userName})`);
    }
    checkNotExpired(cert, kubeconfigPath, context);
  }
  return cfg;
}

class NodeAgent {
  private readonly since = new Map<string, string>();
  registered = false;
  private lastReady: boolean | undefined;
  private containerManagerStarted = false;
  private readonly nodeLog = klog('kubelet_node_status.go:125');

  constructor(
    private readonly api: ApiClient,
    private readonly id: NodeIdentity,
    private readonly c: KubeletConfig,
    private readonly info: StandinBuildInfo,
    private readonly labels: Record<string, string>,
  ) {}

  private nodeObject(runtime: RuntimeState, conditions: Obj[]): Obj {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.id.name,
        labels: {
          'beta.kubernetes.io/arch': goArch(),
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': goArch(),
          'kubernetes.io/hostname': this.id.name,
          'kubernetes.io/os': 'linux',
          ...this.labels,
        },
        annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: {},
      status: nodeStatus(this.id, this.c, this.info, runtime, conditions),
    };
  }

  /** One heartbeat: register if needed, post status, renew the Lease. Errors are logged, and the next beat retries. */
  async beat(): Promise<void> {
    const runtime = await criVersion(this.c.containerRuntimeEndpoint);
    if (runtime.ok && !this.containerManagerStarted) {
      startContainerManager(this.c);
      this.containerManagerStarted = true;
    }
    const now = metaTime();
    const conditions = nodeConditions(runtime, now, this.since);
    for (const ip of this.id.nodeIPs) {
      const problem = nodeIpProblem(ip);
      if (problem) klog('kubelet_node_status.go:600').error('Failed to set some node status fields', { err: `failed to validate nodeIP: ${problem}`, node: this.id.name });
    }
    if (runtime.ok !== this.lastReady) {
      if (runtime.ok) statusLog.info('Recording event message for node', { node: this.id.name, event: 'NodeReady' });
      else statusLog.info('Node became not ready', { node: this.id.name, reason: 'ContainerRuntimeNotReady', message: runtime.message });
      this.lastReady = runtime.ok;
    }
    try {
      if (!this.registered) await this.register(runtime, conditions);
      await this.api.patch(
        { resource: 'nodes', name: this.id.name, subresource: 'status' },
        { status: nodeStatus(this.id, this.c, this.info, runtime, conditions) },
        'strategic',
      );
      await this.renewLease();
    } catch (err) {
      this.nodeLog.error('Error updating node status, will retry', { err: err instanceof Error ? err.message : String(err) });
    }
    await this.finishDeletedPods();
  }

  /**
   * A pod being deleted gracefully waits for its kubelet: the real one stops its containers, then its status manager
   * deletes the pod with grace period 0 and the pod's UID as precondition (pkg/kubelet/status/status_manager.go). This
   * kubelet runs no containers, so it confirms at once.
   */
  private async finishDeletedPods(): Promise<void> {
    if (!this.registered) return;
    try {
      const pods = await this.api.list({ resource: 'pods' }, `fieldSelector=${encodeURIComponent(`spec.nodeName=${this.id.name}`)}`);
      for (const pod of pods.items) {
        if (pod.metadata.deletionTimestamp === undefined) continue;
        const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
        await this.api.json('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
        klog('status_manager.go:895').info('Pod fully terminated and removed from etcd', { pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
      }
    } catch (err) {
      if (!isNotFound(err)) this.nodeLog.error('Failed to delete status for pod', { err: err instanceof Error ? err.message : String(err) });
    }
  }

  private async register(runtime: RuntimeState, conditions: Obj[]): Promise<void> {
    this.nodeLog.info('Attempting to register node', { node: this.id.name });
    try {
      await this.api.create({ resource: 'nodes' }, this.nodeObject(runtime, conditions));
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.nodeLog.error('Unable to register node with API server', { err: (err as Error).message, node: this.id.name });
        throw err;
      }
      // Re-registration after a restart: make the existing Node carry our labels again.
      const wanted = (this.nodeObject(runtime, conditions).metadata as Obj).labels;
      await this.api.patch({ resource: 'nodes', name: this.id.name }, { metadata: { labels: wanted } }, 'strategic');
    }
    this.registered = true;
    this.nodeLog.info('Successfully registered node', { node: this.id.name });
  }

  private async renewLease(): Promise<void> {
    const ref = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease', name: this.id.name };
    const spec = { holderIdentity: this.id.name, leaseDurationSeconds: 40, renewTime: microTime() };
    let lease: KubeObject | undefined;
    try {
      lease = await this.api.get(ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!lease) {
      const node = await this.api.get({ resource: 'nodes', name: this.id.name });
      await this.api.create(
        { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' },
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.id.name,
            namespace: 'kube-node-lease',
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.id.name, uid: node.metadata.uid }],
          },
          spec,
        },
      );
      return;
    }
    await this.api.update(ref, { ...lease, spec: { ...(lease.spec as Obj), ...spec } });
  }
}

function requestHandler(authenticated: (req: http.IncomingMessage) => string | undefined) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const user = authenticated(req);
    if (user === undefined) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Unauthorized');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/pods' || path === '/pods/') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  };
}

async function listen(server: net.Server, port: number, address: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hp = `${address}:${port}`;
      reject(new StandinExit(`failed to listen on ${hp}: listen tcp ${hp}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`));
    });
    server.listen(port, address, () => resolve());
  });
}

/** ValidateKubeletFlags (cmd/kubelet/app/options/options.go): --node-labels may not claim kubernetes.io labels that are not the kubelet's. */
function checkNodeLabels(flags: ParsedFlags): void {
  const unknown = Object.keys(flags.map('node-labels')).filter((k) => isKubernetesLabel(k) && !isKubeletLabel(k)).sort();
  if (unknown.length === 0) return;
  throw new StandinExit(
    `failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${unknown.join(' ')}]\n` +
      `--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (${KUBELET_LABEL_NAMESPACES.join(', ')}) or be in the specifically allowed set (${[...KUBELET_LABELS].join(', ')})`,
  );
}

async function main(flags: ParsedFlags, info: StandinBuildInfo): Promise<{ close(): Promise<void> }> {
  checkNodeLabels(flags);
  const configPath = flags.string('config');
  const { config: c, unknownFields } = loadKubeletConfig(configPath || undefined, info.version);
  if (unknownFields.length > 0) {
    klog('codec.go:96').info('Using lenient decoding as strict decoding failed', { err: `strict decoding error: ${unknownFields.join(', ')}` });
  }
  applyFlagOverrides(c, flags);
  const errs = validate(c, flags);
  if (errs.length > 0) throw new StandinExit(`failed to validate kubelet configuration, error: [${errs.join(', ')}], path: ${configPath || '(none)'}`);
  checkHost(c);

  // Serving certificate and client CA, checked before anything listens.
  let serving: { certPem: string; keyPem: string };
  if (c.tlsCertFile || c.tlsPrivateKeyFile) {
    if (!c.tlsCertFile || !c.tlsPrivateKeyFile) throw new StandinExit('failed to run Kubelet: tlsCertFile and tlsPrivateKeyFile must be set together');
    serving = loadKeyPair(c.tlsCertFile, c.tlsPrivateKeyFile, 'failed to run Kubelet: failed to load serving certificate');
  } else {
    serving = selfSignedServing(os.hostname(), [], [os.hostname()]);
  }
  const clientCAs = c.clientCAFile ? loadCertificates(c.clientCAFile, `unable to load client CA file ${c.clientCAFile}`) : [];
  const clientCAPem = clientCAs.map((x) => x.toString()).join('\n');

  const kubeconfigPath = flags.string('kubeconfig');
  const name = (flags.string('hostname-override') || os.hostname()).toLowerCase().trim();
  const id: NodeIdentity = { name, nodeIPs: nodeIPs(flags) };
  const api = kubeconfigPath ? new ApiClient(checkClientCredentials(kubeconfigPath), { userAgent: `kubelet/${info.version} (linux/${goArch()}) kubernetes/standin` }) : undefined;

  const authenticated = (req: http.IncomingMessage): string | undefined => {
    const sock = req.socket as TLSSocket;
    if (sock.authorized) return (sock.getPeerCertificate().subject?.CN as string | undefined) ?? '';
    return c.anonymousAuth ? 'system:anonymous' : undefined;
  };
  const secure = https.createServer(
    { cert: serving.certPem, key: serving.keyPem, requestCert: true, rejectUnauthorized: false, ...(clientCAPem ? { ca: clientCAPem } : {}) },
    requestHandler(authenticated),
  );
  await listen(secure, c.port, c.address);
  log.info('Starting to listen', { address: c.address, port: c.port });

  const healthz = http.createServer((req, res) => {
    const ok = new URL(req.url ?? '/', 'http://localhost').pathname === '/healthz';
    res.writeHead(ok ? 200 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'ok' : '404 page not found\n');
  });
  if (c.healthzPort > 0) await listen(healthz, c.healthzPort, c.healthzBindAddress);

  const stop = new AbortController();
  let loop: Promise<void> = Promise.resolve();
  if (!api) {
    log.info('No API server defined - no node status update will be sent');
  } else if (c.registerNode) {
    const labels = flags.map('node-labels');
    const agent = new NodeAgent(api, id, c, info, labels);
    loop = (async () => {
      while (!stop.signal.aborted) {
        await agent.beat();
        // Until the Node exists, retry soon (the real kubelet backs off up to 7 s); then one status per 10 s.
        await delay(agent.registered ? 10_000 : 2_000, stop.signal);
      }
    })();
  }
  return {
    close: async () => {
      stop.abort();
      await loop;
      api?.close();
      await Promise.all(
        [secure, healthz].map(
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
    'The kubelet is the primary "node agent" that runs on each node. (kubeup test stand-in: registers its Node, keeps it ' +
    'Ready while the container runtime answers, runs no pods.)',
  main,
});
