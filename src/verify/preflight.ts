// Preflight: named read-only checks per host, after SSH connected and before anything changes. Every problem of
// every host is collected; the caller reports them together. Things kubeup can safely fix itself (kernel modules,
// sysctls) are warnings here and are fixed by the provision phase.
import type { Arch, HostFacts } from '../plan/types.js';
import type { Role } from '../profile/types.js';
import { ENCODINGS, type Encoding, type HostSession } from '../ssh/session.js';
import { NODE_HOST_PROBE, flagValue, nodeHostFindings, type NodeHostInput } from './node-host.js';

export interface PreflightFinding {
  check: string;
  message: string;
  hint?: string;
}

/** The host's own tools for transfers: the formats it expands, the programs it downloads with (preferred first). */
export interface HostTools {
  encodings: Encoding[];
  fetchers: ('curl' | 'wget')[];
}

export function hostTools(f: Record<string, string>): HostTools {
  return {
    encodings: ENCODINGS.filter((e) => f[`have_${e}`] === 'yes'),
    fetchers: (['curl', 'wget'] as const).filter((t) => f[`have_${t}`] === 'yes'),
  };
}

export interface PreflightResult {
  facts?: HostFacts;
  tools: HostTools;
  problems: PreflightFinding[];
  warnings: PreflightFinding[];
}

/** Ports a role listens on, with the unit that owns each (a port held by kubeup's own active unit is fine). */
export const ROLE_PORTS: Record<Role, { port: number; proto: 'tcp' | 'udp'; unit: string }[]> = {
  master: [
    { port: 2379, proto: 'tcp', unit: 'etcd.service' },
    { port: 2380, proto: 'tcp', unit: 'etcd.service' },
    { port: 10257, proto: 'tcp', unit: 'kube-controller-manager.service' },
    { port: 10259, proto: 'tcp', unit: 'kube-scheduler.service' },
  ],
  worker: [
    { port: 10250, proto: 'tcp', unit: 'kubelet.service' },
    { port: 10256, proto: 'tcp', unit: 'kube-proxy.service' },
    { port: 8472, proto: 'udp', unit: 'flanneld.service' },
  ],
};

// One round trip gathers every fact; each line is KEY=value. Read-only. Sent as the single argument of `sh -c`.
const PROBE = (
  [
    'echo "os=$(uname -s)"',
    'echo "machine=$(uname -m)"',
    'echo "hostname=$(hostname)"',
    'echo "uid=$(id -u)"',
    'echo "systemd=$([ -d /run/systemd/system ] && echo yes || echo no)"',
    'echo "tmpopts=$(findmnt -n -o OPTIONS --target /tmp 2>/dev/null)"',
    'echo "swap=$(tail -n +2 /proc/swaps 2>/dev/null | wc -l)"',
    'echo "overlay=$([ -d /sys/module/overlay ] && echo yes || echo no)"',
    'echo "br_netfilter=$([ -d /sys/module/br_netfilter ] && echo yes || echo no)"',
    'echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)"',
    'for t in iptables conntrack socat openssl; do echo "tool_$t=$(command -v $t >/dev/null 2>&1 || [ -x /usr/sbin/$t ] || [ -x /sbin/$t ] && echo yes || echo no)"; done',
    // What the host can expand (compressed uploads) and fetch with (download.from: hosts).
    'for t in zstd xz gzip curl wget; do echo "have_$t=$(command -v $t >/dev/null 2>&1 && echo yes || echo no)"; done',
    'echo "epoch=$(date +%s)"',
    'echo "listen=$( (ss -Hltn; ss -Hlun) 2>/dev/null | awk \'{print $1":"$5}\' | tr "\\n" " ")"',
    ...NODE_HOST_PROBE,
  ].join('; ')
);

export function parseProbe(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

const ARCH: Record<string, Arch> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64' };

/** Ports in use, as `tcp:6443` / `udp:8472`, from `ss` lines like `LISTEN:0.0.0.0:6443` or `UNCONN:[::]:8472`. */
export function listeningPorts(listen: string): Set<string> {
  const out = new Set<string>();
  for (const item of listen.split(/\s+/).filter(Boolean)) {
    const [state, ...rest] = item.split(':');
    const port = rest.at(-1);
    if (!port || !/^\d+$/.test(port)) continue;
    out.add(`${state === 'UNCONN' ? 'udp' : 'tcp'}:${port}`);
  }
  return out;
}

/**
 * The largest clock difference to a host that preflight lets through. Certificates are backdated by the same amount
 * (src/pki/ca.ts BACKDATE_MS, a test ties the two), so none can be "in the future" for a host that passed.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface PreflightInput {
  roles: Role[];
  apiServerPort: number;
  /** This machine's clock, to measure the host's skew. */
  localEpochSeconds: number;
  /** For a worker: what the profile says about the node (container checks: kmsg, sysctls, cgroups, conntrack). */
  node?: NodeHostInput;
  /** download.from: hosts: the URLs the host will download from for its arch (one per mirror), and the proxy. */
  hostDownloads?: { urls: (arch: Arch) => string[]; proxy?: string };
}

// $1 curl|wget, then the URLs; the proxy (or an empty line) on stdin. Asks for each URL's headers only; prints
// "unreachable <url> <what the tool said>" for each one the host cannot get.
const REACH_SCRIPT = `IFS= read -r proxy || true
if [ -n "$proxy" ]; then export http_proxy="$proxy" https_proxy="$proxy" HTTPS_PROXY="$proxy"; fi
tool=$1; shift
for u do
  case $tool in
    curl) out=$(curl -fsSIL --connect-timeout 5 --max-time 20 -o /dev/null "$u" 2>&1) ;;
    *) out=$(wget -q --spider -T 10 -t 1 "$u" 2>&1) ;;
  esac || { rc=$?; printf 'unreachable %s %s\\n' "$u" "$(printf '%s' "\${out:-exit $rc}" | tr '\\n' ' ')"; }
done`;

/** download.from: hosts: the host needs a download tool and a way to each mirror it will download from. */
async function hostDownloadFindings(session: HostSession, tools: HostTools, arch: Arch | undefined, input: NonNullable<PreflightInput['hostDownloads']>): Promise<PreflightFinding[]> {
  const tool = tools.fetchers[0];
  if (!tool) {
    return [{ check: 'download.from', message: 'neither curl nor wget is installed; with download.from: hosts the host downloads its releases itself', hint: 'install curl (apt-get install curl), or leave download.from out so that this machine sends them' }];
  }
  const urls = arch ? input.urls(arch) : [];
  if (urls.length === 0) return [];
  const r = await session.exec(['sh', '-c', REACH_SCRIPT, 'sh', tool, ...urls], { allowFailure: true, stdin: `${input.proxy ?? ''}\n` });
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('unreachable '))
    .map((l) => {
      const [, url = '?', ...said] = l.split(' ');
      return {
        check: 'download.from',
        message: `the host cannot reach ${url} with ${tool}: ${said.join(' ').trim() || 'no answer'}`,
        hint: `with download.from: hosts each host downloads its releases itself: give it a route to the mirror (download.mirrors)${input.proxy ? ' or check download.proxy' : ' or a proxy (download.proxy)'}, or leave download.from out so that this machine sends them`,
      };
    });
}

export async function preflightHost(session: HostSession, input: PreflightInput): Promise<PreflightResult> {
  const problems: PreflightFinding[] = [];
  const warnings: PreflightFinding[] = [];
  // sudo first among the problems: without it nothing else can be fixed or installed (the SSH layer asks with the
  // run's password). The probe needs no sudo: both go at once, one round trip.
  const [sudo, r] = await Promise.all([
    session.exec(['id', '-u'], { sudo: true }).then(
      (id) => (id.stdout.trim() === '0' ? undefined : { check: 'sudo', message: `commands run through sudo as uid ${id.stdout.trim()}, not root`, hint: 'let this user run any command as root with sudo' }),
      (e: { message: string; hint?: string }) => ({ check: 'sudo', message: e.message, ...(e.hint && { hint: e.hint }) }),
    ),
    session.exec(['sh', '-c', PROBE], { allowFailure: true }),
  ]);
  if (sudo) problems.push(sudo);
  const f = parseProbe(r.stdout);

  if (f.os !== 'Linux') problems.push({ check: 'os', message: `the host runs ${f.os || 'an unknown system'}, not Linux`, hint: 'kubeup deploys to Linux hosts only' });
  const arch = ARCH[f.machine ?? ''];
  if (!arch) problems.push({ check: 'arch', message: `CPU architecture ${f.machine || '?'} is not supported`, hint: 'use amd64 (x86_64) or arm64 (aarch64) hosts' });
  if (f.systemd !== 'yes') problems.push({ check: 'systemd', message: 'systemd is not running as the init system', hint: 'kubeup installs systemd units; use a distribution booted with systemd' });
  if ((f.tmpopts ?? '').split(',').includes('noexec')) {
    problems.push({ check: 'tmp', message: '/tmp is mounted noexec', hint: 'remount /tmp without noexec (mount -o remount,exec /tmp) or change its fstab entry' });
  }
  if (Number(f.swap ?? 0) > 0 && input.roles.includes('worker') && flagValue(input.node?.kubeletArgs ?? [], 'fail-swap-on') !== 'false') {
    problems.push({ check: 'swap', message: 'swap is on; kubelet refuses to start with swap', hint: 'turn it off (swapoff -a) and remove it from /etc/fstab, or (a container sees its machine\'s swap) add --fail-swap-on=false to extraArgs.kubelet' });
  }
  // The units that talk to the API server wait for its /readyz with openssl s_client (render/wait-ready.ts).
  if (f.tool_openssl !== 'yes') problems.push({ check: 'openssl', message: 'openssl is not installed; kubeup\'s units wait for the API server with it', hint: 'install it: apt-get install openssl (or your distribution\'s package)' });
  if (input.roles.includes('worker')) {
    if (f.tool_iptables !== 'yes') problems.push({ check: 'iptables', message: 'iptables is not installed; kube-proxy and flannel need it', hint: 'install it: apt-get install iptables (or your distribution\'s package)' });
    for (const t of ['conntrack', 'socat'] as const) {
      if (f[`tool_${t}`] !== 'yes') warnings.push({ check: t, message: `${t} is not installed`, hint: `install it (apt-get install ${t}); kube-proxy and port-forward use it` });
    }
    for (const m of ['overlay', 'br_netfilter'] as const) {
      if (f[m] !== 'yes') warnings.push({ check: `module ${m}`, message: `kernel module ${m} is not loaded`, hint: 'kubeup loads it during provisioning (modprobe) and lists it in /etc/modules-load.d/kubeup.conf' });
    }
    if (f.ip_forward !== '1') warnings.push({ check: 'sysctl', message: 'net.ipv4.ip_forward is off', hint: 'kubeup sets it in /etc/sysctl.d/99-kubeup.conf during provisioning' });
    const node = nodeHostFindings(f, input.node ?? { field: 'hosts[?]', container: false, kubeletArgs: [] });
    problems.push(...node.problems);
    warnings.push(...node.warnings);
  }
  const epoch = Number(f.epoch);
  if (Number.isFinite(epoch)) {
    const skew = Math.abs(epoch - input.localEpochSeconds);
    if (skew > MAX_CLOCK_SKEW_SECONDS) {
      problems.push({
        check: 'clock',
        message: `the host's clock is ${skew} s off this machine's (the limit is ${MAX_CLOCK_SKEW_SECONDS} s: certificates start ${MAX_CLOCK_SKEW_SECONDS} s before they are issued, so a host that lags more would see them as not valid yet)`,
        hint: 'fix the time (e.g. enable systemd-timesyncd or chrony) on the host or on this machine, then run again',
      });
    }
    else if (skew > 5) warnings.push({ check: 'clock', message: `the host's clock is ${skew} s off this machine's`, hint: 'enable time synchronisation (systemd-timesyncd or chrony)' });
  }

  const used = listeningPorts(f.listen ?? '');
  const wanted = [
    ...(input.roles.includes('master') ? [{ port: input.apiServerPort, proto: 'tcp' as const, unit: 'kube-apiserver.service' }, ...ROLE_PORTS.master] : []),
    ...(input.roles.includes('worker') ? ROLE_PORTS.worker : []),
  ];
  const busy = wanted.filter((w) => used.has(`${w.proto}:${w.port}`));
  if (busy.length) {
    // A port held by kubeup's own unit (a re-run) is expected; anything else is a conflict.
    const units = [...new Set(busy.map((b) => b.unit))];
    const states = await session.exec(['systemctl', 'is-active', ...units], { allowFailure: true });
    const active = new Set(units.filter((_, i) => states.stdout.split('\n')[i]?.trim() === 'active'));
    for (const b of busy.filter((x) => !active.has(x.unit))) {
      problems.push({ check: 'ports', message: `port ${b.port}/${b.proto} is already in use by another program`, hint: `free it (ss -lntup | grep ${b.port} shows who holds it); ${b.unit} needs it` });
    }
  }
  const tools = hostTools(f);
  if (input.hostDownloads) problems.push(...(await hostDownloadFindings(session, tools, arch, input.hostDownloads)));
  const facts = arch && f.hostname ? { hostname: f.hostname.toLowerCase(), arch } : undefined;
  return { ...(facts && { facts }), tools, problems, warnings };
}
