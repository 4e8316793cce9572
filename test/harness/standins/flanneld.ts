/**
 * flanneld stand-in (kube subnet manager mode): the flags of its version with Go `flag` package semantics
 * (`-flag` and `--flag` alike, FLANNELD_* environment variables, exit 2 on a bad flag), the kubeconfig's client
 * certificate, then, like the real one: take the Node's spec.podCIDR (set by kube-controller-manager; without one it
 * exits 1, to be restarted), annotate the Node with flannel.alpha.coreos.com/* through nodes/status, write
 * subnet.env and mark NetworkUnavailable=False.
 * Creates no VXLAN device and no routes.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import {
  ApiClient,
  buildInfo,
  checkNotExpired,
  delay,
  FlagError,
  flagSpecFromReference,
  keyMatchesCertificate,
  klog,
  loadKubeconfig,
  parseCertificates,
  parseFlags,
  setVerbosity,
  StandinExit,
  type KubeObject,
  type ParsedFlags,
} from './common/index.js';
import { goOpenError, parsePrivateKey } from './common/pki.js';

const log = klog('main.go:215');
const kubeLog = klog('kube.go:140');

/** Go's flag package: `-x` and `--x` are the same flag; parsing stops at the first non-flag argument. */
function normaliseArgv(argv: readonly string[], takesValue: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') break;
    const long = arg.startsWith('--') ? arg : `-${arg}`;
    out.push(long);
    const name = long.slice(2).split('=')[0]!;
    if (!long.includes('=') && takesValue(name) && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

function usage(names: string[]): string {
  return `Usage of flanneld:\n${names
    .sort()
    .map((n) => `  -${n}`)
    .join('\n')}\n`;
}

/** flagutil.SetFlagsFromEnv: FLANNELD_IFACE etc. set flags that the command line did not. */
function envArgs(names: string[], env: NodeJS.ProcessEnv, given: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const n of names) {
    const v = env[`FLANNELD_${n.toUpperCase().replace(/-/g, '_')}`];
    if (v !== undefined && !given.has(n)) out.push(`--${n}=${v}`);
  }
  return out;
}

function parseGoFlags(argv: readonly string[]): ParsedFlags {
  const info = buildInfo();
  if (!info.flags) throw new Error('flanneld: no flag list was bundled');
  const spec = flagSpecFromReference(info.flags);
  const names = Object.keys(spec.flags);
  if (argv.some((a) => ['-h', '-help', '--help', '--h'].includes(a))) {
    process.stderr.write(usage(names));
    process.exit(0);
  }
  const cli = normaliseArgv(argv, (n) => {
    const t = spec.flags[n]?.type;
    return t !== undefined && t !== 'bool';
  });
  try {
    const fromCli = parseFlags(cli, spec, 'flanneld');
    return parseFlags([...envArgs(names, process.env, new Set(fromCli.given)), ...cli], spec, 'flanneld');
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    const unknown = /^unknown flag: --(.+)$/.exec(err.message);
    const invalid = /^invalid argument "(.*)" for "-?-([^"]+)" flag: (.*)$/.exec(err.message);
    const text = unknown
      ? `flag provided but not defined: -${unknown[1]}`
      : invalid
        ? `invalid value "${invalid[1]}" for flag -${invalid[2]}: ${invalid[3]}`
        : err.message;
    process.stderr.write(`${text}\n${usage(names)}`);
    process.exit(2);
  }
}

export interface NetConf {
  /** IPv4 pod network, absent when EnableIPv4 is false. */
  Network?: string;
  IPv6Network?: string;
  Backend: { Type: string };
}

function isCidr(v: unknown, family: 'ipv4' | 'ipv6'): v is string {
  if (typeof v !== 'string' || !ipaddr.isValidCIDR(v)) return false;
  return ipaddr.parseCIDR(v)[0].kind() === family;
}

function readNetConf(file: string): NetConf {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StandinExit(`Failed to create SubnetManager: error parsing subnet config: failed to read net conf: ${goOpenError(file, err)}`);
  }
  let conf: unknown;
  try {
    conf = JSON.parse(text);
  } catch (err) {
    throw new StandinExit(`Failed to create SubnetManager: error parsing subnet config: ${(err as Error).message} (file ${file})`);
  }
  const c = conf as { Network?: unknown; IPv6Network?: unknown; EnableIPv4?: unknown; EnableIPv6?: unknown; Backend?: { Type?: unknown } };
  const v4 = c.EnableIPv4 !== false;
  const v6 = c.EnableIPv6 === true;
  if (v4 && !isCidr(c.Network, 'ipv4')) {
    throw new StandinExit(`Failed to create SubnetManager: error parsing subnet config: please define a correct Network parameter in the flannel config (file ${file})`);
  }
  if (v6 && !isCidr(c.IPv6Network, 'ipv6')) {
    throw new StandinExit(`Failed to create SubnetManager: error parsing subnet config: please define a correct IPv6Network parameter in the flannel config (file ${file})`);
  }
  const type = typeof c.Backend?.Type === 'string' ? c.Backend.Type : 'udp';
  if (!['vxlan', 'host-gw', 'udp', 'wireguard', 'ipip'].includes(type)) {
    throw new StandinExit(`failed to create backend: unknown backend type: ${type}`);
  }
  return { ...(v4 ? { Network: c.Network as string } : {}), ...(v6 ? { IPv6Network: c.IPv6Network as string } : {}), Backend: { Type: type } };
}

/** The gateway address flannel gives the node: the first address of its pod subnet. */
function firstAddress(cidr: string): string {
  const [net, bits] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray();
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) + 1;
  return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
}

/** The lines of /run/flannel/subnet.env for the node's pod CIDRs, in the order flanneld writes them. */
export function subnetEnv(conf: NetConf, podCIDRs: string[], mtu: number, ipMasq: boolean): string {
  const v4 = podCIDRs.find((c) => isCidr(c, 'ipv4'));
  const v6 = podCIDRs.find((c) => isCidr(c, 'ipv6'));
  const lines: string[] = [];
  if (conf.Network && v4) lines.push(`FLANNEL_NETWORK=${conf.Network}`, `FLANNEL_SUBNET=${firstAddress(v4)}`);
  if (conf.IPv6Network && v6) lines.push(`FLANNEL_IPV6_NETWORK=${conf.IPv6Network}`, `FLANNEL_IPV6_SUBNET=${firstAddress(v6)}`);
  lines.push(`FLANNEL_MTU=${mtu}`, `FLANNEL_IPMASQ=${ipMasq}`);
  return `${lines.join('\n')}\n`;
}

function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

function interfaceMtu(name: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim()) || 1500;
  } catch {
    return 1500;
  }
}

/** The interface that holds `ip`, like flannel's LookupExtIface for an --iface given as an address. */
function interfaceWithIp(ip: string): string | undefined {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if ((addrs ?? []).some((a) => a.address === ip)) return name;
  }
  return undefined;
}

interface ExternalInterface {
  ip: string;
  mtu: number;
}

/** --iface (an address or an interface name), looked up at start like flannel's LookupExtIface. */
function interfaceFromFlags(flags: ParsedFlags): ExternalInterface | undefined {
  const want = flags.list('iface')[0];
  if (want === undefined) return undefined;
  let chosen: { ip: string; name: string };
  if (net.isIP(want)) {
    const name = interfaceWithIp(want);
    if (!name) throw new StandinExit(`Failed to find any valid interface to use: error looking up interface ${want}: no interface with IP address ${want} found`);
    chosen = { ip: want, name };
  } else {
    const addrs = os.networkInterfaces()[want];
    const addr = addrs?.find((x) => x.family === 'IPv4') ?? addrs?.[0];
    if (!addr) throw new StandinExit(`Failed to find any valid interface to use: error looking up interface ${want}: route ip+net: no such network interface`);
    chosen = { ip: addr.address, name: want };
  }
  return { ip: flags.string('public-ip') || chosen.ip, mtu: interfaceMtu(chosen.name) };
}

/** Without --iface: the interface holding the node's InternalIP (the real one takes the default route's). */
function interfaceFromNode(flags: ParsedFlags, node: KubeObject): ExternalInterface {
  const addresses = (node.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [];
  const internal = addresses.find((a) => a.type === 'InternalIP')?.address;
  const name = internal ? interfaceWithIp(internal) : undefined;
  if (!internal || !name) throw new StandinExit('Failed to find any valid interface to use: failed to get default interface: the node has no InternalIP on this machine');
  return { ip: flags.string('public-ip') || internal, mtu: interfaceMtu(name) };
}

function apiClient(kubeconfig: string, apiUrl: string): ApiClient {
  if (!kubeconfig) {
    throw new StandinExit('Failed to create SubnetManager: fail to create kubernetes config: unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const cfg = loadKubeconfig(kubeconfig);
  if (cfg.certPem && cfg.keyPem) {
    const context = `Failed to create SubnetManager: fail to create kubernetes config: ${kubeconfig}`;
    const cert = parseCertificates(cfg.certPem, kubeconfig, context)[0]!;
    if (!keyMatchesCertificate(parsePrivateKey(cfg.keyPem, kubeconfig, context), cert)) {
      throw new StandinExit(`${context}: tls: private key does not match public key (user ${cfg.userName})`);
    }
    checkNotExpired(cert, kubeconfig, context);
  }
  return new ApiClient(apiUrl ? { ...cfg, server: apiUrl.replace(/\/+$/, '') } : cfg, { userAgent: 'flanneld/standin' });
}

function fail(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  klog('main.go:1').error(msg);
  process.exit(1);
}

async function main(): Promise<void> {
  const flags = parseGoFlags(process.argv.slice(2));
  const info = buildInfo();
  if (flags.bool('version', false)) {
    process.stderr.write(`${info.version}\n`);
    process.exit(0);
  }
  setVerbosity(flags.int('v', 0));
  if (!flags.bool('kube-subnet-mgr', false)) {
    throw new StandinExit(
      `Failed to create SubnetManager: this flanneld stand-in supports only --kube-subnet-mgr (the etcd backend at ${flags.string('etcd-endpoints', 'http://127.0.0.1:4001,http://127.0.0.1:2379')} is not emulated)`,
    );
  }
  const nodeName = process.env.NODE_NAME ?? '';
  if (!nodeName) throw new StandinExit('Failed to create SubnetManager: env variables POD_NAME and POD_NAMESPACE must be set');
  const fromFlags = interfaceFromFlags(flags);
  const netConf = readNetConf(flags.string('net-config-path', '/etc/kube-flannel/net-conf.json'));
  const api = apiClient(flags.string('kubeconfig-file'), flags.string('kube-api-url'));
  const subnetFile = flags.string('subnet-file', '/run/flannel/subnet.env');
  const prefix = flags.string('kube-annotation-prefix', 'flannel.alpha.coreos.com');
  const ipMasq = flags.bool('ip-masq', false);
  log.info('Created subnet manager', { kind: 'Kubernetes Subnet Manager', node: nodeName });

  let healthz: http.Server | undefined;
  const healthzPort = flags.int('healthz-port', 0);
  if (healthzPort > 0) {
    healthz = http.createServer((_req, res) => res.writeHead(200).end('flanneld is running'));
    await new Promise<void>((resolve, reject) => {
      healthz!.once('error', reject);
      healthz!.listen(healthzPort, flags.string('healthz-ip', '0.0.0.0'), () => resolve());
    });
  }

  const stop = new AbortController();
  const shutdown = (): void => {
    stop.abort();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  // AcquireLease, as pkg/subnet/kube does it: wait up to 30 s (polling every 3 s) for the Node to exist, then take
  // its pod CIDR; with none assigned yet the real flanneld exits 1 and its service manager restarts it.
  const lease = (why: string): StandinExit => new StandinExit(`Error registering network: failed to acquire lease: ${why}`);
  let node: KubeObject | undefined;
  let lastErr = '';
  const deadline = Date.now() + 30_000;
  while (!stop.signal.aborted && !node) {
    try {
      node = await api.get({ resource: 'nodes', name: nodeName });
    } catch (err) {
      lastErr = (err as Error).message;
      kubeLog.v(2, 'Failed to get node', { node: nodeName, err: lastErr });
      if (Date.now() >= deadline) throw lease(`timeout contacting kube-api, failed to patch node "${nodeName}". Error: ${lastErr}`);
      await delay(3000, stop.signal);
    }
  }
  if (!node) process.exit(0);
  const spec = (node.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
  const podCIDRs = spec.podCIDRs?.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
  if (podCIDRs.length === 0) throw lease(`node "${nodeName}" pod cidr not assigned`);

  const { ip, mtu: ifaceMtu } = fromFlags ?? interfaceFromNode(flags, node);
  const vxlan = netConf.Backend.Type === 'vxlan';
  const annotations: Record<string, string> = {
    [`${prefix}/backend-type`]: netConf.Backend.Type,
    [`${prefix}/backend-data`]: vxlan ? JSON.stringify({ VNI: 1, VtepMAC: '0a:58:0a:f4:00:01' }) : 'null',
    [`${prefix}/kube-subnet-manager`]: 'true',
    [`${prefix}/public-ip`]: ip,
  };
  try {
    await api.patch({ resource: 'nodes', name: nodeName, subresource: 'status' }, { metadata: { annotations } }, 'strategic');
  } catch (err) {
    throw lease((err as Error).message);
  }

  // VXLAN encapsulation costs 50 bytes over IPv4 and 70 over IPv6.
  const mtu = vxlan ? ifaceMtu - (net.isIPv6(ip) ? 70 : 50) : ifaceMtu;
  writeAtomically(subnetFile, subnetEnv(netConf, podCIDRs, mtu, ipMasq));
  log.info('Wrote subnet file', { file: subnetFile, subnet: podCIDRs.join(',') });

  if (flags.bool('set-node-network-unavailable', true)) {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await api.patch(
        { resource: 'nodes', name: nodeName, subresource: 'status' },
        { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'FlannelIsUp', message: 'Flannel is running on this node', lastTransitionTime: now, lastHeartbeatTime: now }] } },
        'strategic',
      );
    } catch (err) {
      kubeLog.error('Failed to set NetworkUnavailable to False', { node: nodeName, err: (err as Error).message });
    }
  }
  log.info('Running backend', { type: netConf.Backend.Type, publicIP: ip });

  // Stay up like the daemon, until a signal.
  while (!stop.signal.aborted) await delay(60_000, stop.signal);
  api.close();
  healthz?.close();
  process.exit(0);
}

main().catch(fail);
