// Rules between fields of a profile whose shape is already right. Each rule is small and named, and reports the
// field path and how to fix it.
import ipaddr from 'ipaddr.js';
import semver from 'semver';
import type { ProfileIssue } from '../errors.js';
import { MAX_DNS_REPLICAS, MIN_ETCD, MIN_FLANNEL, SUPPORTED_KUBERNETES_MINORS } from './defaults.js';
import { extraFlagProblem } from './component-flags.js';
import { COMPONENTS, hasRole, type Profile } from './types.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
type Report = (path: string, message: string, hint?: string) => void;

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const SSH_USER = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * The canonical text of an IP address, or undefined when s is not one: IPv4 as four decimal numbers without leading
 * zeros, IPv6 as RFC 5952 writes it (lower case, zeros compressed), no zone. Only text that equals its canonical form
 * is taken (canonicalProblem says what to write instead): `10.244.0` is a valid address to inet_aton, and not what a
 * user means.
 */
export function canonicalIp(s: string): string | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s).toString();
  if (s.includes(':') && !s.includes('%') && ipaddr.IPv6.isValid(s)) return ipaddr.IPv6.parse(s).toRFC5952String();
  return undefined;
}

/** Whether s is an IP address in any form (validated profiles hold only canonical ones). */
export function isIp(s: string): boolean {
  return canonicalIp(s) !== undefined;
}

const IPV4_FORM = 'four decimal numbers from 0 to 255, such as 10.96.0.10';

/** Why s is not an IP address in canonical form, with the form expected; undefined when it is one. */
export function ipProblem(s: string): string | undefined {
  const canonical = canonicalIp(s);
  if (canonical === s) return undefined;
  if (canonical !== undefined) return `"${s}" is not in canonical form: write it as ${canonical}`;
  if (/^[\d.]+$/.test(s) || ipaddr.IPv4.isValid(s)) return `"${s}" is not a valid IPv4 address: write ${IPV4_FORM}`;
  if (s.includes(':')) return `"${s}" is not a valid IPv6 address (without a zone), e.g. fd00::10`;
  return `"${s}" is not a valid IP address: write ${IPV4_FORM}, or an IPv6 address`;
}

export function addressProblem(address: string): string | undefined {
  if (address === '') return 'is empty';
  if (/^[\d.]+$/.test(address) || address.includes(':') || ipaddr.IPv4.isValid(address)) return ipProblem(address);
  return HOSTNAME.test(address) ? undefined : `"${address}" is not a valid host name or IP address`;
}

/** Parses `address/bits` in canonical form; returns a message naming the form expected when it is not a network. */
export function parseCidr(s: string): Cidr | string {
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(s);
  if (!m) return `"${s}" is not a CIDR: write ADDRESS/BITS with the network address in full, e.g. 10.96.0.0/12`;
  const [, addrText, bitsText] = m;
  const problem = ipProblem(addrText!);
  if (problem) return `"${s}" is not a CIDR: its address ${problem.replace(/^"[^"]*" /, '')}`;
  const addr = ipaddr.parse(addrText!);
  const bits = Number(bitsText);
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  if (bits > max) return `"${s}" is not a CIDR: an ${addr.kind() === 'ipv4' ? 'IPv4' : 'IPv6'} prefix is at most /${max}`;
  const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(s) : ipaddr.IPv6.networkAddressFromCIDR(s);
  const canonical = addr.kind() === 'ipv4' ? network.toString() : (network as ipaddr.IPv6).toRFC5952String();
  if (canonical !== addrText) return `"${s}" has host bits set; the network is ${canonical}/${bits}`;
  return [addr, bits];
}

function contains(cidr: Cidr, ip: string): boolean {
  const a = ipaddr.parse(ip);
  return a.kind() === cidr[0].kind() && a.match(cidr);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  if (a[0].kind() !== b[0].kind()) return false;
  return a[0].match(b) || b[0].match(a);
}

/** The address right after the network address: Kubernetes gives it to the `kubernetes` API service. */
export function firstServiceIp(cidr: Cidr): string {
  const bytes = cidr[0].toByteArray();
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = (bytes[i]! + 1) & 0xff;
    if (bytes[i] !== 0) break;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

function checkHosts(p: Profile, report: Report): void {
  if (p.hosts.length === 0) {
    report('hosts', 'has no hosts', 'add at least one host with the master role and one with the worker role');
    return;
  }
  const seen = new Map<string, number>();
  const nodeNames = new Map<string, number>();
  p.hosts.forEach((h, i) => {
    const problem = addressProblem(h.address);
    if (problem) report(`hosts[${i}].address`, problem, 'use an IPv4 or IPv6 address, or a host name');
    if (!SSH_USER.test(h.user)) report(`hosts[${i}].user`, `"${h.user}" is not a valid user name`, 'use a Linux login name such as root or ubuntu');
    const key = `${h.address.toLowerCase()}:${h.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      report(`hosts[${i}]`, `duplicates hosts[${first}] (same address ${h.address} and port ${h.port})`, 'remove one of them');
    } else seen.set(key, i);
    if (h.nodeName !== undefined) {
      if (!NODE_NAME.test(h.nodeName)) {
        report(`hosts[${i}].nodeName`, `"${h.nodeName}" is not a valid node name`, 'use lower-case letters, digits, "-" and "."');
      }
      const other = nodeNames.get(h.nodeName);
      if (other !== undefined) report(`hosts[${i}].nodeName`, `"${h.nodeName}" is already the node name of hosts[${other}]`, 'give each host its own node name');
      else nodeNames.set(h.nodeName, i);
    }
    if (h.hostKey !== undefined && !FINGERPRINT.test(h.hostKey)) {
      report(`hosts[${i}].hostKey`, `"${h.hostKey}" is not a SHA256 host-key fingerprint`, 'copy it from `ssh-keygen -lf` or from kubeup\'s preflight message: SHA256:<43 characters>');
    }
  });
  const masters = p.hosts.filter(hasRole('master')).length;
  if (masters === 0) report('hosts', 'no host has the master (control plane) role', 'give one host the roles [master] or [master, worker] (kube-up: a or ai)');
  if (masters > 1) {
    report('hosts', `${masters} hosts have the master role; a highly available control plane is not supported yet`, 'keep the master role on exactly one host');
  }
  if (!p.hosts.some(hasRole('worker'))) report('hosts', 'no host has the worker role', 'give at least one host the role worker (kube-up: i or ai)');
}

function checkNetwork(p: Profile, report: Report): void {
  const n = p.network;
  const service = parseCidr(n.serviceCidr);
  const pods = parseCidr(n.podCidr);
  if (typeof service === 'string') report('network.serviceCidr', service, 'use a private range such as 10.96.0.0/12');
  if (typeof pods === 'string') report('network.podCidr', pods, 'use a private range such as 10.244.0.0/16');
  if (typeof service !== 'string' && typeof pods !== 'string') {
    if (overlaps(service, pods)) {
      report('network.podCidr', `${n.podCidr} overlaps the service CIDR ${n.serviceCidr}`, 'choose two ranges that do not overlap');
    }
    // kube-controller-manager hands each node a /24 of the pod network: it must hold one per worker.
    const workers = p.hosts.filter(hasRole('worker')).length;
    const fits = 2 ** Math.max(0, 24 - pods[1]);
    if (pods[0].kind() === 'ipv4' && (pods[1] > 24 || fits < workers)) {
      // The largest prefix (smallest network) with a /24 for every worker, at the same place as the one written.
      const bits = 24 - Math.ceil(Math.log2(Math.max(1, workers)));
      const network = ipaddr.IPv4.networkAddressFromCIDR(`${pods[0].toString()}/${bits}`).toString();
      report(
        'network.podCidr',
        `${n.podCidr} is too small: each node gets a /24 from it, and it holds ${pods[1] > 24 ? 'none' : fits} for ${workers} worker${workers === 1 ? '' : 's'}`,
        `use a /${bits} or larger, e.g. ${network}/${bits} (room for ${2 ** (24 - bits)} node${bits === 24 ? '' : 's'})`,
      );
    }
  }
  p.hosts.forEach((h, i) => {
    if (!isIp(h.address)) return;
    for (const [field, cidr] of [['serviceCidr', service], ['podCidr', pods]] as const) {
      if (typeof cidr !== 'string' && contains(cidr, h.address)) {
        report(`network.${field}`, `${n[field]} contains the address of hosts[${i}] (${h.address})`, 'choose a range that none of your hosts are in');
      }
    }
  });
  const dnsProblem = ipProblem(n.clusterDns);
  if (dnsProblem) {
    report('network.clusterDns', dnsProblem, 'use an address inside the service CIDR, e.g. its tenth address');
  } else if (typeof service !== 'string') {
    if (!contains(service, n.clusterDns)) {
      report('network.clusterDns', `${n.clusterDns} is outside the service CIDR ${n.serviceCidr}`, 'pick an address inside the service CIDR');
    } else if (ipaddr.parse(n.clusterDns).toString() === firstServiceIp(service)) {
      report('network.clusterDns', `${n.clusterDns} is the first address of ${n.serviceCidr}, which the kubernetes API service takes`, 'use another address, e.g. the tenth');
    } else if (ipaddr.parse(n.clusterDns).toString() === service[0].toString()) {
      report('network.clusterDns', `${n.clusterDns} is the network address of ${n.serviceCidr}`, 'use another address, e.g. the tenth');
    }
  }
  if (!HOSTNAME.test(n.dnsDomain)) report('network.dnsDomain', `"${n.dnsDomain}" is not a valid DNS domain`, 'use e.g. cluster.local');
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(n.nodePortRange.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo >= hi) {
    report('network.nodePortRange', `"${n.nodePortRange}" is not a port range`, 'write it as LOW-HIGH with 1 <= LOW < HIGH <= 65535, e.g. 30000-32767');
  } else if (n.apiServerPort >= lo && n.apiServerPort <= hi) {
    report('network.apiServerPort', `${n.apiServerPort} lies inside the node port range ${n.nodePortRange}`, 'move one of them');
  }
}

function checkVersions(p: Profile, report: Report): void {
  for (const c of COMPONENTS) {
    if (!semver.valid(p.versions[c])) report(`versions.${c}`, `"${p.versions[c]}" is not a version such as 1.2.3`, 'write an exact release, e.g. 1.35.2');
  }
  const k = p.versions.kubernetes;
  if (semver.valid(k)) {
    const minor = `${semver.major(k)}.${semver.minor(k)}`;
    if (!(SUPPORTED_KUBERNETES_MINORS as readonly string[]).includes(minor)) {
      report('versions.kubernetes', `Kubernetes ${k} is not supported`, `use a ${SUPPORTED_KUBERNETES_MINORS.join(' or ')} release`);
    }
  }
  if (semver.valid(p.versions.etcd) && semver.lt(p.versions.etcd, MIN_ETCD)) {
    report('versions.etcd', `etcd ${p.versions.etcd} is too old`, `use ${MIN_ETCD} or newer`);
  }
  if (semver.valid(p.versions.flannel) && semver.lt(p.versions.flannel, MIN_FLANNEL)) {
    report('versions.flannel', `flannel ${p.versions.flannel} is too old`, `use ${MIN_FLANNEL} or newer`);
  }
}

function checkSsh(p: Profile, report: Report): void {
  if (p.ssh.jumpHost !== undefined && !parseJumpHost(p.ssh.jumpHost)) {
    report('ssh.jumpHost', `"${p.ssh.jumpHost}" is not of the form user@host:port`, 'e.g. admin@bastion.example.com:22');
  }
  if (p.ssh.jumpHostKey !== undefined && !FINGERPRINT.test(p.ssh.jumpHostKey)) {
    report('ssh.jumpHostKey', `"${p.ssh.jumpHostKey}" is not a SHA256 host-key fingerprint`, 'SHA256:<43 characters>');
  }
  if (!p.ssh.agent && !p.ssh.password && !p.ssh.identityFile && p.hosts.some((h) => !h.identityFile)) {
    report('ssh', 'no way to log in: agent, password and identity file are all off', 'turn on ssh.agent, set ssh.identityFile, or set ssh.password to true');
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

function checkDownload(p: Profile, report: Report): void {
  for (const [file, sum] of Object.entries(p.download.checksums ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = `download.checksums["${file}"]`;
    if (file.trim() === '' || file.includes('/')) {
      report(path, `"${file}" is not a file name`, 'use the bare upstream file name, e.g. flanneld-amd64');
    }
    if (!SHA256_HEX.test(sum)) {
      report(path, `"${sum}" is not a sha256`, 'write the sha256 of the file as 64 hex digits, as sha256sum prints it');
    }
  }
}

export function parseJumpHost(s: string): { user?: string; host: string; port: number } | undefined {
  const m = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : 22;
  if (addressProblem(host) || port < 1 || port > 65535) return undefined;
  return { ...(m[1] && { user: m[1] }), host, port };
}

// What systemd's EnvironmentFile and the ExecStart word splitting can carry: one word, no quotes or $.
const EXTRA_ARG = /^--[a-z0-9][a-z0-9_-]*(=[^\s"'\\$`]*)?$/;

function checkExtraArgs(p: Profile, report: Report): void {
  for (const [daemon, args] of Object.entries(p.extraArgs)) {
    (args ?? []).forEach((arg, i) => {
      if (!EXTRA_ARG.test(arg)) {
        report(`extraArgs.${daemon}[${i}]`, `"${arg}" is not a flag kubeup can pass`, 'write it as --name=value, without spaces, quotes or $');
        return;
      }
      // A flag the daemon would ignore next to its config file is refused here, never dropped in silence.
      const problem = extraFlagProblem(daemon, arg);
      if (problem) report(`extraArgs.${daemon}[${i}]`, problem.message, problem.hint);
    });
  }
}

// An image reference's repository part as the distribution spec has it: host[:port] and lower-case path parts.
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REPOSITORY = new RegExp(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::\\d{1,5})?(?:/${PATH_PART})*$`);

/** An upstream resolver as CoreDNS's forward plugin takes it: an IP, or IPv4:port, or [IPv6]:port. */
export function resolverAddress(s: string): { ip: string; port: number } | undefined {
  if (isIp(s)) return { ip: s, port: 53 };
  const m = /^\[([0-9a-fA-F:]+)\]:(\d{1,5})$/.exec(s) ?? /^([\d.]+):(\d{1,5})$/.exec(s);
  if (!m || !isIp(m[1]!)) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { ip: m[1]!, port } : undefined;
}

function checkAddons(p: Profile, report: Report): void {
  const dns = p.addons.dns;
  if (dns.replicas < 1 || dns.replicas > MAX_DNS_REPLICAS) {
    report('addons.dns.replicas', `${dns.replicas} is not a number of CoreDNS replicas kubeup runs`, `use 1 to ${MAX_DNS_REPLICAS} (2 is kubeadm's default); set addons.dns.enabled: false for no cluster DNS`);
  }
  const repo = dns.imageRepository;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) {
    report('addons.dns.imageRepository', `"${repo}" has a URL scheme`, 'write the registry as the hosts pull from it, without https://, e.g. registry.example.com:5000/k8s');
  } else if (!IMAGE_REPOSITORY.test(repo)) {
    report('addons.dns.imageRepository', `"${repo}" is not an image repository`, 'write host[:port][/path] with a lower-case path and no tag, e.g. registry.example.com/k8s');
  }
  const seen = new Set<string>();
  dns.upstreamResolvers.forEach((r, i) => {
    const path = `addons.dns.upstreamResolvers[${i}]`;
    if (!resolverAddress(r)) {
      report(path, `"${r}" is not a resolver address`, 'write an IP address, optionally with a port: 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53');
      return;
    }
    if (seen.has(r)) report(path, `"${r}" is listed twice`, 'remove one of them');
    seen.add(r);
  });
}

// An audit log path goes into /etc/default/kube-apiserver as one word.
const AUDIT_PATH = /^\/[^\s"'\\$`]*[^/\s"'\\$`]$/;

function checkAudit(p: Profile, report: Report): void {
  if (!AUDIT_PATH.test(p.audit.logPath) || p.audit.logPath.split('/').includes('..')) {
    report('audit.logPath', `"${p.audit.logPath}" is not a file path kubeup can give the API server`, 'use an absolute path to a file, without spaces, quotes, $ or "..", e.g. /var/log/kubernetes/audit/audit.log');
  }
}

export function checkRules(p: Profile): { issues: ProfileIssue[]; warnings: ProfileIssue[] } {
  const issues: ProfileIssue[] = [];
  const report: Report = (path, message, hint) => issues.push({ path, message, ...(hint && { hint }) });
  if (!PROFILE_NAME.test(p.name)) {
    report('name', `"${p.name}" is not safe as a file name`, 'use letters, digits, "-" and "_" (at most 63), starting with a letter or digit');
  }
  checkHosts(p, report);
  checkNetwork(p, report);
  checkVersions(p, report);
  checkSsh(p, report);
  checkDownload(p, report);
  checkExtraArgs(p, report);
  checkAddons(p, report);
  checkAudit(p, report);
  return { issues, warnings: [] };
}
