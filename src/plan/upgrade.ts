// Upgrade planning, as pure functions: which version moves are allowed (the Kubernetes version skew policy) and in
// which order the hosts' components move. No I/O: the upgrade flow (not built yet) reads what runs on each host and
// hands it here; the plan and the tests read the same answers.
//
// The rules follow the version skew policy of the release-1.35 docs
// (kubernetes/website content/en/releases/version-skew-policy.md):
// - kube-apiserver instances within one minor of each other, so a control plane moves one minor at a time;
// - kubelet and kube-proxy never newer than kube-apiserver, at most three minors older;
// - kube-controller-manager and kube-scheduler never newer than kube-apiserver, at most one minor older;
// - the supported upgrade order: kube-apiserver first, then the controllers, then the nodes.
// kubeup adds one rule of its own: no downgrade (etcd's storage and the API server's stored versions are not
// guaranteed to go back), including a patch downgrade.
import semver from 'semver';
import type { Role } from '../profile/types.js';

export type SkewRule = 'skip-minor' | 'downgrade' | 'kubelet-newer-than-apiserver' | 'kubelet-too-old' | 'same-version';

export interface SkewViolation {
  rule: SkewRule;
  message: string;
  /** The way forward, for the user. */
  hint: string;
}

interface Minor {
  major: number;
  minor: number;
}

function minorOf(version: string): Minor {
  const v = semver.parse(version);
  if (!v) throw new TypeError(`not a version: ${version}`);
  return { major: v.major, minor: v.minor };
}

/** How many minors `a` is ahead of `b` (negative when behind); majors other than 1 are not Kubernetes releases. */
function minorsAhead(a: string, b: string): number {
  const x = minorOf(a);
  const y = minorOf(b);
  return (x.major - y.major) * 1000 + (x.minor - y.minor);
}

/** The next minor's first release line, e.g. 1.35 for 1.34.7. */
function nextMinor(version: string): string {
  const { major, minor } = minorOf(version);
  return `${major}.${minor + 1}`;
}

/**
 * Whether the control plane may move from `from` to `to`. An empty list means the move is allowed; `same-version`
 * alone means there is nothing to do (a re-run of a finished upgrade).
 */
export function controlPlaneMove(from: string, to: string): SkewViolation[] {
  if (semver.eq(from, to)) {
    return [{ rule: 'same-version', message: `the cluster already runs Kubernetes ${to}`, hint: 'nothing to upgrade' }];
  }
  if (semver.lt(to, from)) {
    return [
      {
        rule: 'downgrade',
        message: `Kubernetes ${to} is older than the ${from} the cluster runs: kubeup does not downgrade`,
        hint: `pick a release newer than ${from}; to go back, restore etcd from a backup taken before the upgrade`,
      },
    ];
  }
  const ahead = minorsAhead(to, from);
  if (ahead > 1) {
    return [
      {
        rule: 'skip-minor',
        message: `Kubernetes ${from} → ${to} skips ${ahead - 1} minor release${ahead === 2 ? '' : 's'}: the API server moves one minor at a time`,
        hint: `upgrade to the latest ${nextMinor(from)}.x first, then to ${to}`,
      },
    ];
  }
  return [];
}

/**
 * Whether a node (kubelet, kube-proxy) at `node` may run against an API server at `apiserver`: not newer, and at most
 * three minors older.
 */
export function nodeSkew(node: string, apiserver: string): SkewViolation[] {
  if (semver.gt(node, apiserver)) {
    return [
      {
        rule: 'kubelet-newer-than-apiserver',
        message: `kubelet ${node} would be newer than the API server ${apiserver}`,
        hint: 'upgrade the control plane first (kubeup upgrade does this in order)',
      },
    ];
  }
  const behind = minorsAhead(apiserver, node);
  if (behind > 3) {
    return [
      {
        rule: 'kubelet-too-old',
        message: `kubelet ${node} is ${behind} minors behind the API server ${apiserver} (at most 3 are supported)`,
        hint: 'upgrade the nodes before the control plane moves further',
      },
    ];
  }
  return [];
}

/** A host as the upgrade sees it: its roles and the versions it runs now (undefined: not known, or not installed). */
export interface UpgradeHost {
  id: string;
  roles: readonly Role[];
  /** kube-apiserver's version (masters). */
  apiserverRunning?: string;
  /** kubelet's version (workers). */
  kubeletRunning?: string;
  etcdRunning?: string;
  /**
   * The worker step was left half done although the kubelet already says the target version (the node is still
   * cordoned, or kube-proxy or the runtime were not replaced yet): it is done again.
   */
  workerUnfinished?: boolean;
  /** The controller-manager or scheduler binary is not the target's yet although the API server is. */
  controllersUnfinished?: boolean;
}

export type UpgradeStep =
  | { kind: 'etcd'; host: string; from?: string; to: string }
  | { kind: 'apiserver'; host: string; from?: string; to: string }
  | { kind: 'controllers'; host: string; from?: string; to: string }
  | { kind: 'workers'; hosts: string[]; to: string };

export interface UpgradeOrderInput {
  hosts: readonly UpgradeHost[];
  kubernetes: string;
  etcd: string;
  /** Workers drained at once (`--max-unavailable`), at least 1. */
  maxUnavailable: number;
}

/**
 * The order of an upgrade: etcd one member at a time (only where its version changes), each API server, each
 * master's controller-manager and scheduler, then the workers in batches of `maxUnavailable`. A host with both roles
 * has its worker step in the last batch. Hosts already at the target version are left out, so a re-run after an
 * interruption continues from where it stopped.
 */
export function upgradeOrder(input: UpgradeOrderInput): UpgradeStep[] {
  if (!Number.isInteger(input.maxUnavailable) || input.maxUnavailable < 1) {
    throw new RangeError(`maxUnavailable must be a whole number of at least 1, not ${input.maxUnavailable}`);
  }
  const masters = input.hosts.filter((h) => h.roles.includes('master'));
  const behind = (running: string | undefined) => running === undefined || semver.neq(running, input.kubernetes);
  const steps: UpgradeStep[] = [];
  for (const m of masters) {
    if (m.etcdRunning === undefined || semver.neq(m.etcdRunning, input.etcd)) {
      steps.push({ kind: 'etcd', host: m.id, ...(m.etcdRunning !== undefined && { from: m.etcdRunning }), to: input.etcd });
    }
  }
  const mastersToMove = masters.filter((m) => behind(m.apiserverRunning));
  for (const m of mastersToMove) {
    steps.push({ kind: 'apiserver', host: m.id, ...(m.apiserverRunning !== undefined && { from: m.apiserverRunning }), to: input.kubernetes });
  }
  for (const m of masters.filter((x) => behind(x.apiserverRunning) || x.controllersUnfinished)) {
    steps.push({ kind: 'controllers', host: m.id, ...(m.apiserverRunning !== undefined && { from: m.apiserverRunning }), to: input.kubernetes });
  }
  const workers = input.hosts.filter((h) => h.roles.includes('worker') && (behind(h.kubeletRunning) || h.workerUnfinished));
  // Dedicated workers first, hosts that are also masters last: a master's node is drained only once every other
  // node already runs the new version.
  const ordered = [...workers.filter((h) => !h.roles.includes('master')), ...workers.filter((h) => h.roles.includes('master'))];
  for (let i = 0; i < ordered.length; i += input.maxUnavailable) {
    steps.push({ kind: 'workers', hosts: ordered.slice(i, i + input.maxUnavailable).map((h) => h.id), to: input.kubernetes });
  }
  return steps;
}

/**
 * What each control-plane step replaces and restarts, as data: the binaries (by release file name) and their units.
 * A worker step converges the whole host to the new plan (kubelet, kube-proxy, containerd, runc, CNI, flannel: what
 * the new versions change), so it lists no binaries of its own.
 */
export const CONTROL_PLANE_PARTS = {
  etcd: { binaries: ['etcd', 'etcdctl'], units: ['etcd.service'] },
  apiserver: { binaries: ['kube-apiserver'], units: ['kube-apiserver.service'] },
  controllers: { binaries: ['kube-controller-manager', 'kube-scheduler'], units: ['kube-controller-manager.service', 'kube-scheduler.service'] },
} as const satisfies Record<Exclude<UpgradeStep['kind'], 'workers'>, { binaries: readonly string[]; units: readonly string[] }>;

export type UpgradeAction =
  | 'replace binaries'
  | 'restart'
  | 'wait for etcd health'
  | 'wait for /readyz'
  | 'wait for units'
  | 'check skew'
  | 'cordon'
  | 'drain'
  | 'converge host'
  | 'wait for Ready at the new version'
  | 'uncordon';

/** The actions of one step, in order: what the run does, what the dry-run and the run view print. */
export function upgradeActions(step: UpgradeStep): UpgradeAction[] {
  switch (step.kind) {
    case 'etcd':
      return ['replace binaries', 'restart', 'wait for units', 'wait for etcd health'];
    case 'apiserver':
      return ['replace binaries', 'restart', 'wait for /readyz'];
    case 'controllers':
      return ['replace binaries', 'restart', 'wait for units'];
    case 'workers':
      return ['check skew', 'cordon', 'drain', 'converge host', 'wait for units', 'wait for Ready at the new version', 'uncordon'];
  }
}

/** The component a step moves, for its line ("kube-apiserver 1.35.2 → 1.35.3"). */
function stepWhat(step: UpgradeStep): string {
  switch (step.kind) {
    case 'etcd':
      return 'etcd';
    case 'apiserver':
      return 'kube-apiserver';
    case 'controllers':
      return 'kube-controller-manager, kube-scheduler';
    case 'workers':
      return 'node (kubelet, kube-proxy, runtime, CNI)';
  }
}

/** One line per step: "2. h1: kube-apiserver 1.35.2 → 1.35.3 (replace binaries, restart, wait for /readyz)". */
export function formatUpgradeSteps(steps: readonly UpgradeStep[], hosts: readonly UpgradeHost[]): string[] {
  const kubeletOf = new Map(hosts.map((h) => [h.id, h.kubeletRunning]));
  return steps.map((s, i) => {
    const arrow = (from: string | undefined, to: string) => `${from ?? '?'} → ${to}`;
    const who =
      s.kind === 'workers'
        ? `${s.hosts.length === 1 ? 'worker' : 'workers'} ${s.hosts.map((h) => `${h} ${arrow(kubeletOf.get(h), s.to)}`).join(', ')}`
        : `${s.host}: ${stepWhat(s)} ${arrow(s.from, s.to)}`;
    return `${i + 1}. ${who}${s.kind === 'workers' ? `: ${stepWhat(s)}` : ''} (${upgradeActions(s).join(', ')})`;
  });
}

/** What the cluster runs now, as the API and the hosts report it (versions without the leading v). */
export interface RunningVersions {
  apiserver: string;
  /** Node name -> kubelet version. */
  kubelets: Record<string, string>;
}

/**
 * Everything the version skew policy refuses for an upgrade to `target`: a downgrade or a skipped minor of the
 * control plane, a kubelet that runs newer than the target (it would end up newer than the API server), and a
 * kubelet more than three minors behind the target API server. An empty list: the upgrade may go ahead (also when it
 * is a re-run with the API server already at the target).
 */
export function upgradePreflight(running: RunningVersions, target: string): SkewViolation[] {
  const out = controlPlaneMove(running.apiserver, target).filter((v) => v.rule !== 'same-version');
  for (const [node, version] of Object.entries(running.kubelets).sort(([a], [b]) => a.localeCompare(b))) {
    if (semver.gt(version, target)) {
      out.push({
        rule: 'kubelet-newer-than-apiserver',
        message: `node ${node} runs kubelet ${version}, newer than the target ${target}: the API server would end up older than a kubelet`,
        hint: `pick a target of at least ${version}`,
      });
      continue;
    }
    for (const v of nodeSkew(version, target)) out.push({ ...v, message: `node ${node}: ${v.message}` });
  }
  return out;
}

/**
 * The phases of an upgrade as the run view and the summary show them, in run order: what every run does first (the
 * hosts reached, the skew rules checked, the target release fetched), then one phase per kind of step.
 */
export const UPGRADE_PHASES = [
  { id: 'preflight', name: 'Preflight' },
  { id: 'download', name: 'Download releases' },
  { id: 'etcd', name: 'etcd' },
  { id: 'apiserver', name: 'API server' },
  { id: 'controllers', name: 'Controllers' },
  { id: 'workers', name: 'Workers' },
] as const satisfies readonly { id: string; name: string }[];

export type UpgradePhase = (typeof UPGRADE_PHASES)[number]['id'];

/**
 * Each host's version before and after, as the run view shows it ("v1.35.2 → v1.35.3"): the oldest Kubernetes
 * component it runs (the API server on a master, the kubelet on a worker; unknown when the host says none).
 */
export function hostVersionMoves(hosts: readonly UpgradeHost[], target: string): { host: string; from?: string; to: string }[] {
  return hosts.map((h) => {
    const running = [h.apiserverRunning, h.kubeletRunning].filter((v): v is string => v !== undefined && semver.valid(v) !== null);
    const oldest = running.sort(semver.compare)[0];
    return { host: h.id, ...(oldest !== undefined && { from: oldest }), to: target };
  });
}
