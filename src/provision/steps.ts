// A host's part of the plan as Steps: plain data that the executor (execute.ts) is the only one to run, and that
// --dry-run prints. Steps come from the plan alone plus where each binary and certificate is on this machine.
import { posix } from 'node:path';
import { InternalError } from '../errors.js';
import type { HostPlan, Plan } from '../plan/types.js';
import { CA_NAMES, kubeletIdentityName, type CaName, type ClusterPki } from '../pki/index.js';
import type { FetchedArtifact } from '../release/index.js';
import type { CommandArg } from '../ssh/quote.js';

export type UploadSource = { text: string } | { localPath: string };

export type Step =
  | {
      kind: 'upload';
      path: string;
      mode: number;
      owner: string;
      source: UploadSource;
      /** A private key: never logged, written 0600 before its bytes arrive. */
      sensitive: boolean;
      /** Units to restart when this file changes. */
      restarts: string[];
      what: 'binary' | 'certificate' | 'key' | 'file';
    }
  | {
      kind: 'exec';
      title: string;
      argv: CommandArg[];
      /** A best-effort fix (modprobe in a container): a failure becomes a warning, not an error. */
      bestEffort?: boolean;
    }
  | {
      kind: 'units';
      /** In start order. */
      units: string[];
    };

/** Directories the daemons need that no uploaded file creates. Private ones hold keys or cluster data. */
export function dataDirs(host: HostPlan, plan?: Pick<Plan, 'cluster'>): { path: string; mode: number }[] {
  const dirs: { path: string; mode: number }[] = [];
  if (host.roles.includes('master')) dirs.push({ path: '/var/lib/etcd', mode: 0o700 });
  // The audit log holds who did what: readable by root only (the API server writes its files 0600).
  if (host.roles.includes('master') && plan?.cluster.audit.enabled) dirs.push({ path: posix.dirname(plan.cluster.audit.logPath), mode: 0o700 });
  if (host.roles.includes('worker')) {
    dirs.push({ path: '/var/lib/kubelet', mode: 0o700 }, { path: '/var/lib/kube-proxy', mode: 0o755 }, { path: '/run/flannel', mode: 0o755 });
  }
  return dirs;
}

const MODULES = ['overlay', 'br_netfilter'];
const SYSCTLS = ['net.bridge.bridge-nf-call-iptables = 1', 'net.bridge.bridge-nf-call-ip6tables = 1', 'net.ipv4.ip_forward = 1'];
export const MODULES_FILE = '/etc/modules-load.d/kubeup.conf';
export const SYSCTL_FILE = '/etc/sysctl.d/99-kubeup.conf';

function nodePrerequisites(plan: Plan): Step[] {
  const header = `# managed by kubeup — profile ${plan.profile}\n`;
  return [
    { kind: 'upload', path: MODULES_FILE, mode: 0o644, owner: 'root:root', source: { text: header + MODULES.join('\n') + '\n' }, sensitive: false, restarts: [], what: 'file' },
    { kind: 'upload', path: SYSCTL_FILE, mode: 0o644, owner: 'root:root', source: { text: header + SYSCTLS.join('\n') + '\n' }, sensitive: false, restarts: [], what: 'file' },
    { kind: 'exec', title: 'load kernel modules', argv: ['modprobe', '-a', ...MODULES], bestEffort: true },
    { kind: 'exec', title: 'apply sysctls', argv: ['sysctl', '-p', SYSCTL_FILE], bestEffort: true },
  ];
}

export interface LocalInputs {
  /** Verified downloads for this host's arch. */
  artifacts: FetchedArtifact[];
  pki: Pick<ClusterPki, 'cas' | 'certs' | 'serviceAccount' | 'encryptionConfig'>;
}

function localBinary(inputs: LocalInputs, host: HostPlan, name: string, component: string): string {
  for (const a of inputs.artifacts) {
    if (a.artifact.arch !== host.arch || a.artifact.component !== component) continue;
    const b = a.binaries.find((x) => x.name === name);
    if (b) return b.path;
  }
  throw new InternalError(`no downloaded ${component} binary ${name} for ${host.arch}`, { host: host.id });
}

function certificateSteps(host: HostPlan, inputs: LocalInputs): Step[] {
  const steps: Step[] = [];
  for (const c of host.certificates) {
    const restarts = c.restarts;
    if ((CA_NAMES as readonly string[]).includes(c.identity)) {
      const ca = inputs.pki.cas[c.identity as CaName];
      steps.push({ kind: 'upload', path: c.cert!, mode: 0o644, owner: 'root:root', source: { text: ca.certPem }, sensitive: false, restarts, what: 'certificate' });
      continue;
    }
    if (c.identity === 'encryption-config') {
      steps.push({ kind: 'upload', path: c.key!, mode: 0o600, owner: 'root:root', source: { text: inputs.pki.encryptionConfig }, sensitive: true, restarts, what: 'key' });
      continue;
    }
    if (c.identity === 'service-account') {
      const sa = inputs.pki.serviceAccount;
      if (c.key) steps.push({ kind: 'upload', path: c.key, mode: 0o600, owner: 'root:root', source: { text: sa.keyPem }, sensitive: true, restarts, what: 'key' });
      if (c.publicKey) steps.push({ kind: 'upload', path: c.publicKey, mode: 0o644, owner: 'root:root', source: { text: sa.pubPem }, sensitive: false, restarts, what: 'certificate' });
      continue;
    }
    // A node's kubelet identity is its own (CN system:node:<name>), installed under the generic file name.
    const name = c.identity === 'kubelet' ? kubeletIdentityName(host.nodeName) : c.identity;
    const issued = inputs.pki.certs.get(name);
    if (!issued) throw new InternalError(`certificate ${name} was not issued`, { host: host.id });
    if (c.cert) steps.push({ kind: 'upload', path: c.cert, mode: 0o644, owner: 'root:root', source: { text: issued.certPem }, sensitive: false, restarts, what: 'certificate' });
    if (c.key) steps.push({ kind: 'upload', path: c.key, mode: 0o600, owner: 'root:root', source: { text: issued.keyPem }, sensitive: true, restarts, what: 'key' });
  }
  return steps;
}

/** Everything one host gets, in order: directories, prerequisites, binaries, certificates, files, then units. */
export function hostSteps(plan: Plan, host: HostPlan, inputs: LocalInputs): Step[] {
  const dirs = dataDirs(host, plan);
  const steps: Step[] = [];
  for (const mode of [0o700, 0o755]) {
    const paths = dirs.filter((d) => d.mode === mode).map((d) => d.path);
    if (paths.length) steps.push({ kind: 'exec', title: 'create data directories', argv: ['install', '-d', '-m', `0${mode.toString(8)}`, ...paths] });
  }
  if (host.roles.includes('worker')) steps.push(...nodePrerequisites(plan));
  for (const b of host.binaries) {
    steps.push({ kind: 'upload', path: b.path, mode: b.mode, owner: 'root:root', source: { localPath: localBinary(inputs, host, b.name, b.component) }, sensitive: false, restarts: unitsUsingBinary(host, b.path), what: 'binary' });
  }
  steps.push(...certificateSteps(host, inputs));
  for (const f of host.files) {
    steps.push({ kind: 'upload', path: f.path, mode: f.mode, owner: f.owner, source: { text: f.content }, sensitive: false, restarts: f.restarts, what: 'file' });
  }
  steps.push({ kind: 'units', units: host.units });
  return steps;
}

/** A unit restarts when its own binary changes (ExecStart=/opt/bin/<daemon>), or a helper it runs (the shim, runc). */
export function unitsUsingBinary(host: HostPlan, path: string): string[] {
  const name = path.split('/').pop()!;
  const direct = host.units.filter((u) => u === `${name}.service`);
  if (direct.length) return direct;
  if (['containerd-shim-runc-v2', 'runc', 'ctr'].includes(name)) return host.units.filter((u) => u === 'containerd.service');
  return [];
}
