/**
 * flanneld stand-in (kube subnet manager mode): the flags of its version with Go `flag` package semantics
 * (`-flag` and `--flag` alike, FLANNELD_* environment variables, exit 2 on a bad flag), the kubeconfig's client
 * certificate, then: wait for the Node's spec.podCIDR (set by kube-controller-manager), write subnet.env, annotate the
 * Node with flannel.alpha.coreos.com/* and mark NetworkUnavailable=False through nodes/status, like the real one.
 * Creates no VXLAN device and no routes.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
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
  Network: string;
  Backend: { Type: string };
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
  const c = conf as Partial<NetConf>;
  if (typeof c.Network !== 'string' || !/^[0-9.]+\/\d+$/.test(c.Network)) {
    throw new StandinExit(`Failed to create SubnetManager: error parsing subnet config: please define a correct Network parameter in the flannel config (file ${file})`);
  }
  const type = c.Backend?.Type ?? 'udp';
  if (!['vxlan', 'host-gw', 'udp', 'wireguard', 'ipip'].includes(type)) {
    throw new StandinExit(`failed to create backend: unknown backend type: ${type}`);
  }
  return { Network: c.Network, Backend: { Type: type } };
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The lines of /run/flannel/subnet.env for a pod CIDR: the subnet's first address is the node's gateway. */
export function subnetEnv(network: string, podCIDR: string, mtu: number, ipMasq: boolean): string {
  const [ip, bits] = podCIDR.split('/');
  return `FLANNEL_NETWORK=${network}\nFLANNEL_SUBNET=${intToIp(ipToInt(ip!) + 1)}/${bits}\nFLANNEL_MTU=${mtu}\nFLANNEL_IPMASQ=${ipMasq}\n`;
}

function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

/** --public-ip, else the address of --iface (name or IP), else the node's InternalIP. */
function publicIp(flags: ParsedFlags, node: KubeObject): { ip: string; mtu: number } {
  const given = flags.string('public-ip');
  if (given) return { ip: given, mtu: 1500 };
  const ifaces = os.networkInterfaces();
  for (const want of flags.list('iface')) {
    if (net.isIP(want)) return { ip: want, mtu: 1500 };
    const v4 = ifaces[want]?.find((a) => a.family === 'IPv4');
    if (v4) return { ip: v4.address, mtu: 1500 };
    throw new StandinExit(`Failed to find any valid interface to use: error looking up interface ${want}: route ip+net: no such network interface`);
  }
  const addresses = ((node.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? []);
  const internal = addresses.find((a) => a.type === 'InternalIP')?.address;
  if (internal) return { ip: internal, mtu: 1500 };
  throw new StandinExit('Failed to find any valid interface to use: failed to get default interface: node has no InternalIP');
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

  // Wait for kube-controller-manager to give the node its pod CIDR.
  let node: KubeObject | undefined;
  let podCIDR = '';
  let lastMsg = '';
  while (!stop.signal.aborted && !podCIDR) {
    try {
      const current = await api.get({ resource: 'nodes', name: nodeName });
      node = current;
      podCIDR = ((current.spec as { podCIDR?: string } | undefined)?.podCIDR ?? '').trim();
      if (!podCIDR && lastMsg !== 'wait') {
        kubeLog.info('Waiting for the node to have a pod CIDR', { node: nodeName });
        lastMsg = 'wait';
      }
    } catch (err) {
      const msg = `failed to acquire lease: ${(err as Error).message}`;
      if (msg !== lastMsg) kubeLog.error(msg);
      lastMsg = msg;
    }
    if (!podCIDR) await delay(1000, stop.signal);
  }
  if (stop.signal.aborted || !node) {
    api.close();
    healthz?.close();
    process.exit(0);
  }

  const { ip, mtu: ifaceMtu } = publicIp(flags, node);
  const vxlan = netConf.Backend.Type === 'vxlan';
  const mtu = vxlan ? ifaceMtu - 50 : ifaceMtu;
  writeAtomically(subnetFile, subnetEnv(netConf.Network, podCIDR, mtu, ipMasq));
  log.info('Wrote subnet file', { file: subnetFile, subnet: podCIDR });

  const annotations: Record<string, string> = {
    [`${prefix}/backend-type`]: netConf.Backend.Type,
    [`${prefix}/backend-data`]: vxlan ? JSON.stringify({ VNI: 1, VtepMAC: '0a:58:0a:f4:00:01' }) : 'null',
    [`${prefix}/kube-subnet-manager`]: 'true',
    [`${prefix}/public-ip`]: ip,
  };
  try {
    await api.patch({ resource: 'nodes', name: nodeName, subresource: 'status' }, { metadata: { annotations } }, 'strategic');
    if (flags.bool('set-node-network-unavailable', true)) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await api.patch(
        { resource: 'nodes', name: nodeName, subresource: 'status' },
        { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'FlannelIsUp', message: 'Flannel is running on this node', lastTransitionTime: now, lastHeartbeatTime: now }] } },
        'strategic',
      );
    }
  } catch (err) {
    throw new StandinExit(`failed to acquire lease: failed to patch node ${nodeName}: ${(err as Error).message}`);
  }
  log.info('Running backend', { type: netConf.Backend.Type, publicIP: ip });

  // Stay up like the daemon, until a signal.
  while (!stop.signal.aborted) await delay(60_000, stop.signal);
  api.close();
  healthz?.close();
  process.exit(0);
}

main().catch(fail);
