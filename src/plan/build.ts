// buildPlan: profile + preflight facts -> the whole deploy as data. Pure and deterministic: no I/O, no clock,
// hosts in profile order, everything inside a host sorted.
import semver from 'semver';
import { corednsImage, corednsVersion, type AddonsPlan } from '../addons/index.js';
import { InternalError, PreflightError, ProfileError } from '../errors.js';
import { firstServiceIp, isIp, parseCidr } from '../profile/rules.js';
import { hasRole, hostId, type HostSpec, type Profile } from '../profile/types.js';
import { renderHost } from '../render/index.js';
import { MASTER_DAEMONS, WORKER_DAEMONS, unitName } from '../render/units.js';
import { binariesFor } from './binaries.js';
import { certificatesFor } from './certificates.js';
import { ARCHES, type ClusterPlan, type Facts, type HostFacts, type HostPlan, type HostTarget, type PhasePlan, type Plan } from './types.js';

const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

const urlHost = (address: string) => (address.includes(':') ? `[${address}]` : address);
const sortedUnique = (xs: string[]) => [...new Set(xs)].sort();

type Problem = PreflightError['problems'][number];

/** Node names: the profile's nodeName, else the host name preflight found (Kubernetes lower-cases it too). */
function resolveNodeNames(profile: Profile, facts: Facts): Map<HostSpec, { facts: HostFacts; nodeName: string }> {
  const problems: Problem[] = [];
  const out = new Map<HostSpec, { facts: HostFacts; nodeName: string }>();
  const owners = new Map<string, string>();
  profile.hosts.forEach((spec, i) => {
    const id = hostId(spec);
    const f = facts[id];
    if (!f) {
      throw new InternalError(`no preflight facts for host ${id}`, {
        host: id,
        hint: 'run preflight on every host of the profile before building the plan; this is a bug in kubeup',
      });
    }
    if (!ARCHES.includes(f.arch)) {
      problems.push({ host: id, check: 'architecture', message: `architecture ${String(f.arch)} is not supported`, hint: `use a host with ${ARCHES.join(' or ')}` });
    }
    const nodeName = spec.nodeName ?? f.hostname.trim().toLowerCase();
    if (!NODE_NAME.test(nodeName)) {
      problems.push({
        host: id,
        check: 'node name',
        message: `the host name "${f.hostname}" is not a valid Kubernetes node name`,
        hint: `set hosts[${i}].nodeName in the profile (lower-case letters, digits, "-" and ".")`,
      });
    }
    const other = owners.get(nodeName);
    if (other !== undefined) {
      problems.push({
        host: id,
        check: 'node name',
        message: `node name "${nodeName}" is already the node name of ${other}`,
        hint: `give each host its own name, or set hosts[${i}].nodeName in the profile`,
      });
    } else owners.set(nodeName, id);
    out.set(spec, { facts: f, nodeName });
  });
  if (problems.length) throw new PreflightError(problems);
  return out;
}

function buildCluster(profile: Profile, master: HostSpec, masterNodeName: string): ClusterPlan {
  const n = profile.network;
  const service = parseCidr(n.serviceCidr);
  if (typeof service === 'string') {
    throw new ProfileError(`profile ${profile.name} is not valid`, [{ path: 'network.serviceCidr', message: service }], {
      hint: 'fix the field, then run the command again',
    });
  }
  const kubernetesServiceIp = firstServiceIp(service);
  const domain = n.dnsDomain;
  const serviceNames = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`];
  return {
    name: profile.name,
    versions: { ...profile.versions },
    kubernetesMinor: `${semver.major(profile.versions.kubernetes)}.${semver.minor(profile.versions.kubernetes)}`,
    master: { id: hostId(master), address: master.address, nodeName: masterNodeName },
    apiServer: {
      port: n.apiServerPort,
      url: `https://${urlHost(master.address)}:${n.apiServerPort}`,
      localUrl: `https://127.0.0.1:${n.apiServerPort}`,
    },
    apiServerCertSans: sortedUnique([master.address, '127.0.0.1', 'localhost', kubernetesServiceIp, masterNodeName, ...serviceNames]),
    etcdCertSans: sortedUnique([master.address, '127.0.0.1', '::1', 'localhost', masterNodeName]),
    serviceCidr: n.serviceCidr,
    kubernetesServiceIp,
    podCidr: n.podCidr,
    clusterDns: n.clusterDns,
    dnsDomain: domain,
    nodePortRange: n.nodePortRange,
    flannelBackend: n.flannelBackend,
    serviceAccountIssuer: `https://kubernetes.default.svc.${domain}`,
    extraArgs: structuredClone(profile.extraArgs ?? {}),
    audit: { ...profile.audit },
    addons: addonsPlan(profile, `${semver.major(profile.versions.kubernetes)}.${semver.minor(profile.versions.kubernetes)}`),
  };
}

function addonsPlan(profile: Profile, minor: string): AddonsPlan {
  const dns = profile.addons.dns;
  if (!dns.enabled) return {};
  const version = corednsVersion(minor);
  return {
    dns: {
      version,
      image: corednsImage(dns.imageRepository, version),
      replicas: dns.replicas,
      clusterDns: profile.network.clusterDns,
      dnsDomain: profile.network.dnsDomain,
      upstreamResolvers: [...dns.upstreamResolvers],
    },
  };
}

function buildPhases(hosts: HostPlan[], master: string): PhasePlan[] {
  const all = hosts.map((h) => h.id);
  return [
    { id: 'preflight', title: 'Check hosts', runsOn: 'hosts', hosts: all },
    { id: 'download', title: 'Download releases', runsOn: 'local', hosts: all },
    { id: 'certificates', title: 'Issue certificates', runsOn: 'local', hosts: all },
    { id: 'provision', title: 'Provision hosts', runsOn: 'hosts', hosts: all },
    { id: 'rbac', title: 'Create cluster roles', runsOn: 'api', hosts: [master] },
    { id: 'verify', title: 'Verify daemons', runsOn: 'hosts', hosts: all },
    { id: 'addons', title: 'Apply cluster add-ons', runsOn: 'api', hosts: [master] },
    { id: 'kubeconfig', title: 'Write kubeconfig', runsOn: 'local', hosts: [] },
    { id: 'validate', title: 'Validate cluster', runsOn: 'api', hosts: [master] },
  ];
}

export function buildPlan(profile: Profile, facts: Facts): Plan {
  const master = profile.hosts.find(hasRole('master'));
  if (!master) {
    throw new ProfileError(`profile ${profile.name} is not valid`, [{ path: 'hosts', message: 'no host has the master role' }], {
      hint: 'give one host the roles [master] or [master, worker] (kube-up: a or ai)',
    });
  }
  const resolved = resolveNodeNames(profile, facts);
  const cluster = buildCluster(profile, master, resolved.get(master)!.nodeName);
  const hosts = profile.hosts.map((spec): HostPlan => {
    const { facts: f, nodeName } = resolved.get(spec)!;
    const roles = [...spec.roles];
    const units = [
      ...(roles.includes('master') ? MASTER_DAEMONS : []),
      ...(roles.includes('worker') ? WORKER_DAEMONS : []),
    ].map(unitName);
    const target: HostTarget = {
      id: hostId(spec),
      spec: structuredClone(spec),
      address: spec.address,
      nodeName,
      arch: f.arch,
      roles,
      units,
      binaries: binariesFor(roles, profile.versions),
      certificates: certificatesFor(roles, units, nodeName),
    };
    return { ...target, files: renderHost({ cluster }, target) };
  });
  return { profile: profile.name, cluster, hosts, phases: buildPhases(hosts, cluster.master.id) };
}

/**
 * Facts for `--dry-run`, where nothing is contacted: amd64 everywhere, and the node name, or else the address,
 * as host name (an IPv6 address with its colons as dashes, to stay a valid node name). The CLI must say that these are assumptions.
 */
export function assumedFacts(profile: Profile): Facts {
  return Object.fromEntries(
    profile.hosts.map((h) => [hostId(h), { hostname: h.nodeName ?? (isIp(h.address) ? h.address.replace(/:/g, '-') : h.address), arch: 'amd64' as const }]),
  );
}
