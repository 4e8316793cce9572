// verify-cluster: every unit a host's roles need must be `active`. kube-up used `pgrep -f` with 30 tries 2 s apart;
// systemd knows better, and on failure the unit's own journal says why.
import { CancelledError, VerifyError } from '../errors.js';
import type { HostSession } from '../ssh/session.js';

export interface VerifyUnitsOptions {
  intervalMs?: number;
  /** Total time allowed for all units to become active. */
  timeoutMs?: number;
  journalLines?: number;
  sudo?: boolean;
  onStatus?: (states: Record<string, string>) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** A cancelled run stops waiting at the next look. */
  signal?: AbortSignal;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `systemctl is-active a b c` prints one state per unit, in order; exit code is non-zero unless all are active. */
export async function unitStates(session: HostSession, units: readonly string[], sudo = false): Promise<Record<string, string>> {
  const r = await session.exec(['systemctl', 'is-active', ...units], { allowFailure: true, sudo });
  const lines = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  return Object.fromEntries(units.map((u, i) => [u, lines[i] ?? 'unknown']));
}

const ERROR_LINE = /\b(E\d{4} |Error:|error:|fatal|failed|unknown flag|refused|denied)/i;

/**
 * The unit's last journal lines, and before them its last error lines when they scrolled out of that window (a daemon
 * refusing a flag prints the error first and its whole usage text after it).
 */
export function journalExcerpt(journal: string, lines: number): string {
  const all = journal.trimEnd().split('\n').filter(Boolean);
  const tail = all.slice(-lines);
  const errors = all.slice(0, -lines).filter((l) => ERROR_LINE.test(l)).slice(-5);
  return errors.length ? [...errors, '...', ...tail].join('\n') : tail.join('\n');
}

export async function journalTail(session: HostSession, unit: string, lines: number, sudo = false): Promise<string> {
  const r = await session.exec(['journalctl', '-u', unit, '-n', '300', '--no-pager', '-o', 'short-iso'], { allowFailure: true, sudo });
  return journalExcerpt(r.stdout || r.stderr, lines);
}

/**
 * Waits until every unit is active. A unit that stays inactive or failed past the deadline fails with its journal
 * excerpt; `activating` counts as not yet.
 */
export interface UnitSnapshot {
  units: Record<string, { state: string; since: number }>;
  /** The host's monotonic clock (from /proc/uptime), in microseconds like ActiveEnterTimestampMonotonic. */
  nowUsec: number;
}

// The host's uptime, then each unit's Id, ActiveState and ActiveEnterTimestampMonotonic; one round trip. (Uptime
// counts time suspended and the monotonic clock does not: on a host that slept, units look older than they are.)
export const SNAPSHOT_SCRIPT = 'cut -d" " -f1 /proc/uptime; systemctl show -p Id,ActiveState,ActiveEnterTimestampMonotonic "$@"';

export async function unitSnapshot(session: HostSession, units: readonly string[], sudo = false): Promise<UnitSnapshot> {
  const r = await session.exec(['sh', '-c', SNAPSHOT_SCRIPT, 'sh', ...units], { allowFailure: true, sudo });
  return parseUnitSnapshot(r.stdout, units);
}

/** The output of SNAPSHOT_SCRIPT: the uptime line, then `systemctl show` blocks. */
export function parseUnitSnapshot(stdout: string, units: readonly string[]): UnitSnapshot {
  const [uptime = '0', ...rest] = stdout.split('\n');
  const found: UnitSnapshot['units'] = {};
  for (const block of rest.join('\n').split(/\n\s*\n/)) {
    const f = Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
    if (f.Id) found[f.Id] = { state: f.ActiveState ?? 'unknown', since: Number(f.ActiveEnterTimestampMonotonic ?? 0) };
  }
  return {
    nowUsec: Math.round(Number(uptime) * 1e6),
    units: Object.fromEntries(units.map((u) => [u, found[u] ?? { state: 'unknown', since: 0 }])),
  };
}

/** How long a unit must have been active to count as running rather than between two crashes. */
export const STABLE_AFTER_USEC = 3_000_000;

/**
 * Waits until every unit is active and has been for a few seconds (a daemon that exits at once and is restarted by
 * systemd looks active for a moment). A unit that is not there by the deadline fails with its journal excerpt.
 */
export async function verifyUnits(session: HostSession, units: readonly string[], opts: VerifyUnitsOptions = {}): Promise<void> {
  const interval = opts.intervalMs ?? 1000;
  const timeout = opts.timeoutMs ?? 90_000;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + timeout;
  const seen = new Map<string, number>();
  const restarted = new Set<string>();
  let states: Record<string, string> = {};
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError('cancelled while verifying the units', { host: session.target });
    const snap = await unitSnapshot(session, units, opts.sudo);
    for (const u of units) {
      const { state, since } = snap.units[u]!;
      if (state === 'active' && seen.has(u) && seen.get(u) !== since) restarted.add(u);
      if (state === 'active') seen.set(u, since);
    }
    const stable = (u: string) => snap.units[u]!.state === 'active' && snap.nowUsec - snap.units[u]!.since >= STABLE_AFTER_USEC;
    states = Object.fromEntries(units.map((u) => [u, stable(u) ? 'active' : snap.units[u]!.state === 'active' ? (restarted.has(u) ? 'restarted' : 'starting') : snap.units[u]!.state]));
    opts.onStatus?.(states);
    if (units.every(stable)) return;
    if (now() + interval > deadline) break;
    await sleep(interval);
  }
  const bad = units.filter((u) => states[u] !== 'active');
  const excerpts: string[] = [];
  for (const u of bad) {
    const journal = await journalTail(session, u, opts.journalLines ?? 20, opts.sudo);
    excerpts.push(`--- ${u} (${states[u]}), last journal lines:\n${journal || '(journal is empty)'}`);
  }
  throw new VerifyError(`${bad.map((u) => `${u} is ${states[u] === 'restarted' ? 'restarting again and again' : states[u]}`).join(', ')} after ${Math.round(timeout / 1000)} s\n${excerpts.join('\n')}`, {
    host: session.target,
    hint: `look at the unit on the host: systemctl status ${bad[0]}; journalctl -u ${bad[0]}`,
  });
}

/**
 * flanneld is only useful once it holds a lease for the node's pod subnet and wrote it to /run/flannel/subnet.env
 * (kube-up waited for the same file). Until the controller-manager assigns the node a pod CIDR, flanneld exits and
 * systemd restarts it, so `is-active` alone can catch it between two attempts.
 */
export async function waitForFlannelSubnet(session: HostSession, opts: VerifyUnitsOptions = {}): Promise<string> {
  const interval = opts.intervalMs ?? 2000;
  const timeout = opts.timeoutMs ?? 90_000;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + timeout;
  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError('cancelled while waiting for flannel', { host: session.target });
    const r = await session.exec(['cat', FLANNEL_SUBNET_ENV], { allowFailure: true, sudo: opts.sudo });
    const subnet = /^FLANNEL_SUBNET=(\S+)/m.exec(r.stdout)?.[1];
    if (r.code === 0 && subnet) {
      const state = await unitStates(session, ['flanneld.service'], opts.sudo);
      if (state['flanneld.service'] === 'active') return subnet;
    }
    if (now() + interval > deadline) break;
    await sleep(interval);
  }
  const journal = await journalTail(session, 'flanneld.service', opts.journalLines ?? 20, opts.sudo);
  throw new VerifyError(`flanneld wrote no pod subnet to ${FLANNEL_SUBNET_ENV} within ${Math.round(timeout / 1000)} s\n--- flanneld.service, last journal lines:\n${journal || '(journal is empty)'}`, {
    host: session.target,
    hint: 'flanneld needs the node registered (kubelet) and a pod CIDR from kube-controller-manager (--allocate-node-cidrs); check both units on the hosts',
  });
}

export const FLANNEL_SUBNET_ENV = '/run/flannel/subnet.env';
