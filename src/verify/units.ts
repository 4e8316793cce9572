// verify-cluster: every unit a host's roles need must be `active`. kube-up used `pgrep -f` with 30 tries 2 s apart;
// systemd knows better, and on failure the unit's own journal says why.
import { CancelledError, VerifyError, type KubeupErrorOptions } from '../errors.js';
import type { HostSession } from '../ssh/session.js';

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `systemctl is-active a b c` prints one state per unit, in order; exit code is non-zero unless all are active. */
export async function unitStates(session: HostSession, units: readonly string[], sudo = false): Promise<Record<string, string>> {
  const r = await session.exec(['systemctl', 'is-active', ...units], { allowFailure: true, sudo });
  const lines = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  return Object.fromEntries(units.map((u, i) => [u, lines[i] ?? 'unknown']));
}

const ERROR_LINE = /\b(E\d{4} |F\d{4} |Error:|error:|fatal|failed|unknown flag|refused|denied)/i;

// cobra's usage text after a flag error: `Usage:`, `Flags:`, the `  kubelet [flags]` line, each `  --flag type  help`
// line and its indented continuation lines. They say nothing about the failure, and there are ~60 of them.
const USAGE_LINE = /^(Usage:|Flags:|Global Flags:|\s+\S+ \[flags\]$|\s+(-\w, )?--\S+|\s{6,}\S)/;

/** The message of a journal line (`-o cat` prints only the message; `short-iso` prefixes `date host unit[pid]: `). */
const message = (line: string) => line.replace(/^(?:\S+ \S+ )?[^:\s]+\[\d+\]: /, '');

/**
 * The unit's last journal lines without usage dumps, and before them its last error lines when they scrolled out of
 * that window (a daemon refusing a flag prints the error and its whole usage text).
 */
export function journalExcerpt(journal: string, lines: number): string {
  const all = journal.trimEnd().split('\n').filter(Boolean);
  const kept: string[] = [];
  let cut = 0;
  for (const l of all) {
    if (USAGE_LINE.test(message(l))) cut++;
    else {
      if (cut) kept.push(`(${cut} lines of usage text cut)`);
      cut = 0;
      kept.push(l);
    }
  }
  if (cut) kept.push(`(${cut} lines of usage text cut)`);
  const tail = kept.slice(-lines);
  const errors = kept.slice(0, -lines).filter((l) => ERROR_LINE.test(l)).slice(-5);
  return errors.length ? [...errors, '...', ...tail].join('\n') : tail.join('\n');
}

/**
 * The one line that says why a unit failed: cobra's `Error: ...` (flag and config errors), else klog's
 * `"command failed" err="..."`, else the last klog error or fatal line. Undefined when the journal has none.
 */
export function unitErrorLine(journal: string): string | undefined {
  const lines = journal.split('\n').map(message).filter(Boolean).reverse();
  const cobra = lines.find((l) => /^Error: /.test(l));
  if (cobra) return cobra;
  const failed = lines.map((l) => /"command failed" err="((?:[^"\\]|\\.)*)"/.exec(l)?.[1]).find(Boolean);
  if (failed) return `Error: ${failed.replace(/\\(.)/g, '$1')}`;
  return lines.find((l) => /^[EF]\d{4} /.test(l));
}

/** The profile's flag that an error line names (`unknown flag: --x`, `invalid argument "v" for "--x"`), as a field path. */
export function profileFieldFor(daemon: string, errorLine: string, extraArgs: Readonly<Record<string, readonly string[] | undefined>> = {}): string | undefined {
  const args = extraArgs[daemon] ?? [];
  const named = [...errorLine.matchAll(/--([a-z0-9][a-z0-9_-]*)/gi)].map((m) => m[1]!);
  const i = args.findIndex((a) => named.includes(a.replace(/^--/, '').split('=')[0]!));
  return i < 0 ? undefined : `extraArgs.${daemon}[${i}]`;
}

export async function journalTail(session: HostSession, unit: string, lines: number, sudo = false): Promise<string> {
  const r = await session.exec(['journalctl', '-u', unit, '-n', '300', '--no-pager', '-o', 'cat'], { allowFailure: true, sudo });
  return journalExcerpt(r.stdout || r.stderr, lines);
}

export interface UnitStatus {
  state: string;
  /** systemd's SubState: `auto-restart` means the unit exited and systemd will start it again. */
  subState: string;
  /** ActiveEnterTimestampMonotonic, microseconds. */
  since: number;
  /** NRestarts: automatic restarts since the unit was last started by hand (systemctl restart resets it). */
  restarts: number;
  /** Result: `success`, `exit-code`, `signal`, `timeout`, ... */
  result: string;
  /** ExecMainStatus: the main process's exit status. */
  exitStatus: number;
  /** The id of the unit's pending systemd job (a queued start or restart); 0 when none. */
  job: number;
}

export interface UnitSnapshot {
  units: Record<string, UnitStatus>;
  /** The host's monotonic clock in microseconds, like ActiveEnterTimestampMonotonic; 0 when the host does not say. */
  nowUsec: number;
}

const SHOWN = 'Id,ActiveState,SubState,ActiveEnterTimestampMonotonic,NRestarts,Result,ExecMainStatus,Job';

// The host's CLOCK_MONOTONIC (the clock of systemd's *Monotonic timestamps; /proc/timer_list's "now at N nsecs",
// root only), then each unit's properties; one round trip. Not /proc/uptime: that is CLOCK_BOOTTIME, which runs on
// while a machine or VM is suspended or paused, so units would look older than they are. An empty first line means
// the host does not say, and verify falls back to timing two looks itself.
export const SNAPSHOT_SCRIPT = `sed -n 's/^now at \\([0-9]*\\) nsecs$/\\1/p;/^now at/q' /proc/timer_list 2>/dev/null | head -n 1; echo; systemctl show -p ${SHOWN} "$@"`;

export async function unitSnapshot(session: HostSession, units: readonly string[], sudo = false): Promise<UnitSnapshot> {
  const r = await session.exec(['sh', '-c', SNAPSHOT_SCRIPT, 'sh', ...units], { allowFailure: true, sudo });
  return parseUnitSnapshot(r.stdout, units);
}

/** How often the host looks at its units while it waits for a change (watchUnits): systemctl show is cheap there. */
export const WATCH_STEP_MS = 200;

// The first argument is how many steps of WATCH_STEP_MS to wait at most; the host looks at the units each step and
// stops waiting at the first change of any of their properties (a start, an exit, a restart), then answers as
// SNAPSHOT_SCRIPT does. No round trip per look, and a change is seen within a step.
export const WATCH_SCRIPT = `n=$1; shift
first=$(systemctl show -p ${SHOWN} "$@")
while [ "$n" -gt 0 ] && sleep ${WATCH_STEP_MS / 1000} && [ "$(systemctl show -p ${SHOWN} "$@")" = "$first" ]; do n=$((n - 1)); done
${SNAPSHOT_SCRIPT}`;

/** The number of watch steps a wait of `ms` takes (at least one). */
export function watchSteps(ms: number): number {
  return Math.max(1, Math.ceil(ms / WATCH_STEP_MS));
}

/** A snapshot taken after up to `ms` of waiting on the host, sooner when any of the units changes. */
export async function watchUnits(session: HostSession, units: readonly string[], ms: number, sudo = false): Promise<UnitSnapshot> {
  const r = await session.exec(['sh', '-c', WATCH_SCRIPT, 'sh', String(watchSteps(ms)), ...units], { allowFailure: true, sudo });
  return parseUnitSnapshot(r.stdout, units);
}

/** The output of SNAPSHOT_SCRIPT: the uptime line, then `systemctl show` blocks. */
export function parseUnitSnapshot(stdout: string, units: readonly string[]): UnitSnapshot {
  const [clock = '', ...rest] = stdout.split('\n');
  const found: Record<string, UnitStatus> = {};
  for (const block of rest.join('\n').split(/\n\s*\n/)) {
    const f = Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
    if (f.Id) {
      found[f.Id] = {
        state: f.ActiveState ?? 'unknown',
        subState: f.SubState ?? '',
        since: Number(f.ActiveEnterTimestampMonotonic ?? 0),
        restarts: Number(f.NRestarts ?? 0) || 0,
        result: f.Result ?? '',
        exitStatus: Number(f.ExecMainStatus ?? 0) || 0,
        job: Number(f.Job ?? 0) || 0,
      };
    }
  }
  const missing: UnitStatus = { state: 'unknown', subState: '', since: 0, restarts: 0, result: '', exitStatus: 0, job: 0 };
  return { nowUsec: /^\d+$/.test(clock.trim()) ? Math.floor(Number(clock.trim()) / 1000) : 0, units: Object.fromEntries(units.map((u) => [u, found[u] ?? missing])) };
}

/**
 * How long a unit must have been active, with no restart, to count as running rather than between two crashes. The
 * restart counter and `auto-restart` catch a unit that exited at any time since kubeup started it; this window
 * catches one that is still inside its first start (a daemon refusing its flags or config exits within a second).
 */
export const STABLE_AFTER_USEC = 2_000_000;

/**
 * One unit that failed on one host, as data (the run view groups identical `errorLine`s across hosts; the CLI
 * prints `describe()`):
 * - `state`: `failed`, `restarting` (it exited and systemd starts it again, or it already did), or its systemd state
 *   when it simply never became active within the bound;
 * - `restarts`: automatic restarts seen since kubeup started it;
 * - `errorLine`: the unit's own `Error: ...` line (cobra's, or klog's "command failed" err), when its journal has one;
 * - `profileField`: the profile field that caused it (`extraArgs.kubelet[0]`) when the error names one of its flags;
 * - `journal`: its last journal lines with usage dumps cut.
 */
export interface UnitFailure {
  host: string;
  unit: string;
  state: string;
  restarts: number;
  errorLine?: string;
  profileField?: string;
  journal: string;
}

/** verify failed on one host (or, from the run, on several): `failures` holds one entry per unit. */
export class UnitFailureError extends VerifyError {
  readonly failures: readonly UnitFailure[];

  constructor(message: string, failures: readonly UnitFailure[], opts: KubeupErrorOptions = {}) {
    super(message, opts);
    this.failures = failures;
  }
}

export function unitFailureHint(failures: readonly UnitFailure[]): string {
  const fields = [...new Set(failures.map((f) => f.profileField).filter(Boolean))];
  if (fields.length) return `fix ${fields.join(', ')} in the profile (the unit refused it) and run kubeup up again`;
  const unit = failures[0]?.unit ?? 'the unit';
  return `look at the unit on the host: systemctl status ${unit}; journalctl -u ${unit}`;
}

export interface VerifyUnitsOptions {
  /** First pause between looks; it grows to `intervalMs`. */
  firstIntervalMs?: number;
  intervalMs?: number;
  /** Total time allowed for all units to become active. */
  timeoutMs?: number;
  journalLines?: number;
  sudo?: boolean;
  /** Units kubeup (re)started in this run: their restart counter started at 0. Others count from the first look. */
  startedThisRun?: readonly string[];
  /** The profile's extraArgs, to name the field when a unit refuses one of them. */
  extraArgs?: Readonly<Record<string, readonly string[] | undefined>>;
  onStatus?: (states: Record<string, string>) => void;
  /**
   * Wait on the host between looks (watchUnits): the next look comes at the first change of a unit, within
   * WATCH_STEP_MS, instead of after a pause that grows to `intervalMs`. Without it, kubeup pauses (`sleep`) and
   * looks again.
   */
  watchOnHost?: boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** A cancelled run stops waiting at the next look. */
  signal?: AbortSignal;
}

/**
 * Waits until every unit is active and has been for a moment. A unit that exits (systemd's `auto-restart`), fails,
 * or restarts fails verify at once, with its error line; one that is not active by the deadline fails with its
 * journal excerpt.
 */
export async function verifyUnits(session: HostSession, units: readonly string[], opts: VerifyUnitsOptions = {}): Promise<void> {
  const maxInterval = opts.intervalMs ?? 1000;
  let interval = Math.min(opts.firstIntervalMs ?? 200, maxInterval);
  const timeout = opts.timeoutMs ?? 90_000;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + timeout;
  const started = new Set(opts.startedThisRun ?? []);
  const baseline = new Map<string, number>();
  // Units kubeup (re)started whose restart was still queued at the first look, with that job's id.
  const queued = new Map<string, number>();
  const seenActive = new Map<string, { since: number; at: number }>();
  let snap: UnitSnapshot;
  let states: Record<string, string> = {};
  let bad: string[] = [];
  // With watchOnHost, how long the host may wait for a change before it answers the next look.
  let hostWait = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError('cancelled while verifying the units', { host: session.target });
    snap = hostWait > 0 ? await watchUnits(session, units, hostWait, opts.sudo) : await unitSnapshot(session, units, opts.sudo);
    const firstLook = baseline.size === 0;
    for (const u of units) if (!baseline.has(u)) baseline.set(u, started.has(u) ? 0 : snap.units[u]!.restarts);
    // kubeup queues its restarts (--no-block): until that job has run, a unit still shows its previous life (a crash
    // at boot and its restart counter, or the old process running), which neither fails nor passes this start. The
    // job ran once the unit's pending job is another one, or none.
    if (firstLook) for (const u of units) if (started.has(u) && snap.units[u]!.job) queued.set(u, snap.units[u]!.job);
    for (const [u, job] of queued) if (snap.units[u]!.job !== job) queued.delete(u);
    const ours = (u: string) => !queued.has(u);
    const restarted = (u: string) => snap.units[u]!.restarts > baseline.get(u)! || snap.units[u]!.subState === 'auto-restart';
    const broken = units.filter((u) => ours(u) && (restarted(u) || snap.units[u]!.state === 'failed'));
    if (broken.length) {
      states = Object.fromEntries(broken.map((u) => [u, snap.units[u]!.state === 'failed' ? 'failed' : 'restarting']));
      bad = broken;
      break;
    }
    // How long each unit has been active: by the host's monotonic clock when it says, and in any case by how long
    // kubeup itself has seen it active with the same ActiveEnterTimestampMonotonic.
    for (const u of units) {
      const { state, since } = snap.units[u]!;
      if (state !== 'active') seenActive.delete(u);
      else if (seenActive.get(u)?.since !== since) seenActive.set(u, { since, at: now() });
    }
    const age = (u: string) =>
      Math.max(snap.nowUsec > 0 ? snap.nowUsec - snap.units[u]!.since : 0, seenActive.has(u) ? (now() - seenActive.get(u)!.at) * 1000 : 0);
    const stable = (u: string) => ours(u) && snap.units[u]!.state === 'active' && age(u) >= STABLE_AFTER_USEC;
    states = Object.fromEntries(units.map((u) => [u, stable(u) ? 'active' : !ours(u) ? 'queued' : snap.units[u]!.state === 'active' ? 'starting' : `${snap.units[u]!.state}${snap.units[u]!.subState ? ` (${snap.units[u]!.subState})` : ''}`]));
    opts.onStatus?.(states);
    if (units.every(stable)) return;
    // All up and only young: look again the moment the youngest is old enough.
    // Waiting on the host, a change ends the wait at once: it can be as long as the longest pause.
    const wait = units.every((u) => ours(u) && snap.units[u]!.state === 'active')
      ? Math.max(50, Math.ceil((STABLE_AFTER_USEC - Math.min(...units.map(age))) / 1000))
      : opts.watchOnHost ? maxInterval : interval;
    if (now() + wait > deadline) {
      bad = units.filter((u) => states[u] !== 'active');
      break;
    }
    if (opts.watchOnHost) hostWait = wait;
    else await sleep(wait);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
  const failures: UnitFailure[] = [];
  for (const u of bad) {
    const journal = await journalTail(session, u, opts.journalLines ?? 20, opts.sudo);
    const errorLine = unitErrorLine(journal);
    const profileField = errorLine && profileFieldFor(u.replace(/\.service$/, ''), errorLine, opts.extraArgs);
    failures.push({
      host: session.target,
      unit: u,
      state: states[u]!,
      restarts: Math.max(0, snap.units[u]!.restarts - baseline.get(u)!),
      ...(errorLine && { errorLine }),
      ...(profileField && { profileField }),
      journal,
    });
  }
  const what = (f: UnitFailure) =>
    f.state === 'restarting' ? `${f.unit} exited${f.restarts ? ` and was restarted ${f.restarts}×` : ' and is being restarted'}` : f.state === 'failed' ? `${f.unit} failed` : `${f.unit} is still ${f.state} after ${Math.round(timeout / 1000)} s`;
  const lines = failures.map((f) => `${what(f)}${f.errorLine ? `: ${f.errorLine}` : ''}${f.profileField ? ` (profile field ${f.profileField})` : ''}\n--- ${f.unit}, last journal lines:\n${f.journal || '(journal is empty)'}`);
  throw new UnitFailureError(lines.join('\n'), failures, { host: session.target, hint: unitFailureHint(failures) });
}

/**
 * flanneld is only useful once it holds a lease for the node's pod subnet and wrote it to /run/flannel/subnet.env
 * (kube-up waited for the same file). Until the controller-manager assigns the node a pod CIDR, flanneld exits and
 * systemd restarts it, so `is-active` alone can catch it between two attempts.
 */
export async function waitForFlannelSubnet(session: HostSession, opts: VerifyUnitsOptions = {}): Promise<string> {
  const maxInterval = opts.intervalMs ?? 1000;
  let interval = Math.min(opts.firstIntervalMs ?? 200, maxInterval);
  const timeout = opts.timeoutMs ?? 90_000;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + timeout;
  const unit = 'flanneld.service';
  let baseline: number | undefined;
  // One round trip per look: the subnet file, then flanneld's state (an exit while waiting fails at once).
  const script = `cat ${FLANNEL_SUBNET_ENV} 2>/dev/null; echo; systemctl show -p ActiveState,SubState,NRestarts ${unit}`;
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError('cancelled while waiting for flannel', { host: session.target });
    const r = await session.exec(['sh', '-c', script], { allowFailure: true, sudo: opts.sudo });
    const subnet = /^FLANNEL_SUBNET=(\S+)/m.exec(r.stdout)?.[1];
    const prop = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(r.stdout)?.[1]?.trim() ?? '';
    const restarts = Number(prop('NRestarts')) || 0;
    baseline ??= restarts;
    if (prop('SubState') === 'auto-restart' || restarts > baseline || prop('ActiveState') === 'failed') {
      const journal = await journalTail(session, unit, opts.journalLines ?? 20, opts.sudo);
      const errorLine = unitErrorLine(journal);
      const failure: UnitFailure = { host: session.target, unit, state: 'restarting', restarts: restarts - baseline, ...(errorLine && { errorLine }), journal };
      throw new UnitFailureError(`${unit} exited while waiting for its pod subnet${errorLine ? `: ${errorLine}` : ''}\n--- ${unit}, last journal lines:\n${journal || '(journal is empty)'}`, [failure], {
        host: session.target,
        hint: FLANNEL_HINT,
      });
    }
    if (subnet && prop('ActiveState') === 'active') return subnet;
    if (now() + interval > deadline) break;
    await sleep(interval);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
  const journal = await journalTail(session, unit, opts.journalLines ?? 20, opts.sudo);
  throw new VerifyError(`flanneld wrote no pod subnet to ${FLANNEL_SUBNET_ENV} within ${Math.round(timeout / 1000)} s\n--- flanneld.service, last journal lines:\n${journal || '(journal is empty)'}`, {
    host: session.target,
    hint: FLANNEL_HINT,
  });
}

const FLANNEL_HINT = 'flanneld needs the node registered (kubelet) and a pod CIDR from kube-controller-manager (--allocate-node-cidrs); check both units on the hosts';

export const FLANNEL_SUBNET_ENV = '/run/flannel/subnet.env';
