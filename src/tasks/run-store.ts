// The live run view's one store: a pure reducer over events that the listr2 renderer (store-renderer.ts) derives from
// the engine's own tasks, plus the view's key actions. Progress has no other source: titles, states and output lines
// are the engine's, and byte progress is parsed from output lines with progress.ts. Times arrive with the events
// (`at`), so the reducer stays pure and tests can replay any timeline.
import type { HostRecord } from '../provision/execute.js';
import { hostId, type Profile } from '../profile/types.js';
import { parseOutputLine, type FileCounts } from './progress.js';

export type TaskState = 'waiting' | 'running' | 'done' | 'failed' | 'skipped';

/** Static facts about a host from the profile: the view shows them before any task has run. */
export interface HostInfo {
  id: string;
  address: string;
  roles: string[];
  nodeName?: string;
  /** The login user and whether sudo asks for a password: each sudo call costs a round trip more (a slower host). */
  user?: string;
  sudoPassword?: boolean;
}

export function hostsOfProfile(profile: Profile): HostInfo[] {
  return profile.hosts.map((h) => ({
    id: hostId(h),
    address: h.address,
    roles: [...h.roles],
    ...(h.nodeName !== undefined && { nodeName: h.nodeName }),
    user: h.user,
    ...(profile.ssh?.sudoPassword && h.user !== 'root' && { sudoPassword: true }),
  }));
}

export interface Transfer {
  name: string;
  done: number;
  total?: number;
  /** Smoothed over successive lines of this transfer; unknown until two lines have arrived. */
  bytesPerSec?: number;
  at: number;
}

export interface PhaseView {
  taskId: string;
  /** The title the engine gave the phase when it was created, without counts: "Preflight", "Provision hosts". */
  name: string;
  /** The engine's current title (with the result once done). */
  title: string;
  state: TaskState;
  startedAt?: number;
  endedAt?: number;
  /** The phase's last status line (its own output, not its hosts'). */
  status?: string;
  error?: string;
}

export interface HostStep {
  taskId: string;
  phase: string;
  initialTitle: string;
  state: TaskState;
  /** What the engine reported when the step ended ("12 files changed ..."). */
  result?: string;
  startedAt?: number;
  endedAt?: number;
}

export interface LogLine {
  stream: 'status' | 'stdout' | 'stderr';
  text: string;
  /** The step (task id) that printed it: a card shows only the running step's output. */
  step?: string;
}

export interface HostView extends HostInfo {
  steps: HostStep[];
  /** The last status line of the running step. */
  status?: string;
  upload?: Transfer;
  /** Files and bytes of the running provision step. */
  counts?: FileCounts;
  /** The last MAX_HOST_LINES lines of status and remote output, oldest first. */
  lines: LogLine[];
  error?: string;
  /** The host name preflight found: the node name when the profile sets none. */
  learnedName?: string;
  /** The phase whose step failed. */
  failedPhase?: string;
  /** An upgrade's move on this host: the version it ran when the run began and the one it goes to. */
  version?: { from?: string; to: string };
}

export interface RunState {
  hosts: HostView[];
  phases: PhaseView[];
  downloads: Transfer[];
  /** listr task id -> what it stands for. */
  tasks: Record<string, { kind: 'phase' } | { kind: 'host'; host: string; phase: string } | { kind: 'other' }>;
  contextName?: string;
  /** The command the view shows in its title and cancel question: up (the default) or upgrade. */
  command?: 'up' | 'upgrade';
  logDir?: string;
  warnings: { host?: string; message: string }[];
  /** What provisioning did on each host (from the run's records), once the run has ended. */
  records?: Record<string, HostRecord>;
  startedAt?: number;
  finished?: { ok: boolean; error?: string; at: number };
  focus: number;
  expanded: boolean;
  confirmingCancel: boolean;
  cancelRequested: boolean;
}

export type HostRecords = Record<string, HostRecord>;

export const MAX_HOST_LINES = 300;

export type RunEvent =
  | { type: 'task-added'; taskId: string; parentId?: string; title: string; at: number }
  | { type: 'task-state'; taskId: string; state: TaskState; at: number }
  | { type: 'task-title'; taskId: string; title: string; at: number }
  | { type: 'task-output'; taskId: string; output: string; at: number }
  | { type: 'task-error'; taskId: string; message: string; at: number }
  | { type: 'log-dir'; dir: string }
  | { type: 'warning'; host?: string; message: string }
  | { type: 'run-ended'; ok: boolean; error?: string; at: number }
  | { type: 'host-records'; records: Record<string, HostRecord> }
  | { type: 'host-version'; host: string; from?: string; to: string }
  | { type: 'focus'; delta: 1 | -1 }
  | { type: 'toggle-expand' }
  | { type: 'ask-cancel' }
  | { type: 'answer-cancel'; yes: boolean };

export function initialRunState(hosts: HostInfo[], contextName?: string, command?: RunState['command']): RunState {
  return {
    ...(command !== undefined && { command }),
    hosts: hosts.map((h) => ({ ...h, roles: [...h.roles], steps: [], lines: [] })),
    phases: [],
    downloads: [],
    tasks: {},
    ...(contextName !== undefined && { contextName }),
    warnings: [],
    focus: 0,
    expanded: false,
    confirmingCancel: false,
    cancelRequested: false,
  };
}

/** "Preflight (3 hosts)" -> "Preflight": the phase's name without the counts the engine adds. */
export function phaseName(title: string): string {
  return title.replace(/\s*\(.*$/, '').replace(/:.*$/, '').trim();
}

/**
 * The host a per-host task is about: its title is the host id, alone or followed by " (roles)" or ": result". The
 * longest matching id wins, so "10.0.0.1:2222" is not taken for "10.0.0.1".
 */
export function hostOfTitle(title: string, hostIds: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const id of hostIds) {
    const matches = title === id || title.startsWith(`${id} `) || title.startsWith(`${id}:`);
    if (matches && (!best || id.length > best.length)) best = id;
  }
  return best;
}

/** What follows "<initial title>: " once a task has renamed itself with its result. */
function resultOf(title: string, initial: string): string | undefined {
  return title.startsWith(`${initial}: `) ? title.slice(initial.length + 2) : undefined;
}

const PREFLIGHT = 'Preflight';
const RATE_SMOOTHING = 0.5;

function nextTransfer(prev: Transfer | undefined, name: string, done: number, total: number | undefined, at: number): Transfer {
  const t: Transfer = { name, done, at, ...(total !== undefined && { total }) };
  if (!prev || prev.name !== name || done < prev.done) return t;
  const seconds = (at - prev.at) / 1000;
  if (seconds <= 0) return prev.bytesPerSec === undefined ? t : { ...t, bytesPerSec: prev.bytesPerSec };
  const rate = (done - prev.done) / seconds;
  return { ...t, bytesPerSec: prev.bytesPerSec === undefined ? rate : RATE_SMOOTHING * rate + (1 - RATE_SMOOTHING) * prev.bytesPerSec };
}

/** Seconds until the transfer ends at its current rate; undefined while unknown. */
export function secondsLeft(t: Transfer): number | undefined {
  if (t.total === undefined || !t.bytesPerSec) return undefined;
  return Math.max(0, (t.total - t.done) / t.bytesPerSec);
}

function updateHost(state: RunState, id: string, fn: (h: HostView) => HostView): RunState {
  return { ...state, hosts: state.hosts.map((h) => (h.id === id ? fn(h) : h)) };
}

function updateStep(h: HostView, taskId: string, fn: (s: HostStep) => HostStep): HostView {
  return { ...h, steps: h.steps.map((s) => (s.taskId === taskId ? fn(s) : s)) };
}

function appendLines(h: HostView, lines: LogLine[]): HostView {
  const all = [...h.lines, ...lines];
  return { ...h, lines: all.length > MAX_HOST_LINES ? all.slice(all.length - MAX_HOST_LINES) : all };
}

function timesFor(state: TaskState, at: number, prev: { startedAt?: number; endedAt?: number }) {
  if (state === 'running') return { startedAt: prev.startedAt ?? at, endedAt: undefined };
  if (state === 'done' || state === 'failed' || state === 'skipped') return { startedAt: prev.startedAt ?? at, endedAt: at };
  return {};
}

function addTask(state: RunState, e: Extract<RunEvent, { type: 'task-added' }>): RunState {
  if (state.tasks[e.taskId]) return state;
  const parent = e.parentId === undefined ? undefined : state.tasks[e.parentId];
  if (e.parentId === undefined) {
    const phase: PhaseView = { taskId: e.taskId, name: phaseName(e.title), title: e.title, state: 'waiting' };
    return { ...state, phases: [...state.phases, phase], tasks: { ...state.tasks, [e.taskId]: { kind: 'phase' } } };
  }
  if (parent?.kind === 'phase') {
    const host = hostOfTitle(e.title, state.hosts.map((h) => h.id));
    const phase = state.phases.find((p) => p.taskId === e.parentId)!.name;
    if (host) {
      const withTask = { ...state, tasks: { ...state.tasks, [e.taskId]: { kind: 'host' as const, host, phase } } };
      return updateHost(withTask, host, (h) => ({ ...h, steps: [...h.steps.filter((s) => s.phase !== phase), { taskId: e.taskId, phase, initialTitle: e.title, state: 'waiting' }] }));
    }
  }
  // Deeper tasks belong to the same host as their parent.
  if (parent?.kind === 'host') return { ...state, tasks: { ...state.tasks, [e.taskId]: parent } };
  return { ...state, tasks: { ...state.tasks, [e.taskId]: { kind: 'other' } } };
}

function setState(state: RunState, e: Extract<RunEvent, { type: 'task-state' }>): RunState {
  const kind = state.tasks[e.taskId];
  if (!kind) return state;
  const started = state.startedAt ?? (e.state === 'running' ? e.at : undefined);
  const base = started === undefined ? state : { ...state, startedAt: started };
  if (kind.kind === 'phase') {
    return { ...base, phases: base.phases.map((p) => (p.taskId === e.taskId ? { ...p, state: e.state, ...timesFor(e.state, e.at, p) } : p)) };
  }
  if (kind.kind === 'host') {
    return updateHost(base, kind.host, (h) => {
      const own = h.steps.some((s) => s.taskId === e.taskId);
      if (!own) return h;
      const next = updateStep(h, e.taskId, (s) => ({ ...s, state: e.state, ...timesFor(e.state, e.at, s) }));
      if (e.state === 'running') return { ...next, status: undefined };
      // An upload belongs to the step that made it: once that ends, its bar goes.
      const { upload: _ended, counts: _counted, ...withoutUpload } = next;
      if (e.state === 'failed') return { ...withoutUpload, failedPhase: kind.phase };
      return e.state === 'waiting' ? next : withoutUpload;
    });
  }
  return base;
}

function setTitle(state: RunState, e: Extract<RunEvent, { type: 'task-title' }>): RunState {
  const kind = state.tasks[e.taskId];
  if (kind?.kind === 'phase') return { ...state, phases: state.phases.map((p) => (p.taskId === e.taskId ? { ...p, title: e.title } : p)) };
  if (kind?.kind !== 'host') return state;
  return updateHost(state, kind.host, (h) => {
    const step = h.steps.find((s) => s.taskId === e.taskId);
    const result = step && resultOf(e.title, step.initialTitle);
    if (!step || result === undefined) return h;
    const next = updateStep(h, e.taskId, (s) => ({ ...s, result }));
    // Preflight ends with "<host>: <host name> <arch>": the host name is the node name unless the profile sets one.
    const learned = step.phase === PREFLIGHT ? result.split(' ')[0] : undefined;
    return learned && !h.nodeName && !h.learnedName ? { ...next, learnedName: learned } : next;
  });
}

function addOutput(state: RunState, e: Extract<RunEvent, { type: 'task-output' }>): RunState {
  const kind = state.tasks[e.taskId];
  const lines = e.output.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!kind || lines.length === 0) return state;
  let next = state;
  for (const raw of lines) {
    const line = parseOutputLine(raw);
    if (kind.kind === 'phase') {
      if (line.kind === 'transfer') {
        const prev = next.downloads.find((d) => d.name === line.name);
        const t = nextTransfer(prev, line.name, line.done, line.total, e.at);
        const downloads = [...next.downloads.filter((d) => d.name !== line.name), t].sort((a, b) => a.name.localeCompare(b.name));
        next = { ...next, downloads };
      } else if (line.kind !== 'counts') {
        next = { ...next, phases: next.phases.map((p) => (p.taskId === e.taskId ? { ...p, status: line.text } : p)) };
      }
    } else if (kind.kind === 'host') {
      next = updateHost(next, kind.host, (h) => {
        if (line.kind === 'transfer') {
          return { ...h, upload: nextTransfer(h.upload, line.name, line.done, line.total, e.at) };
        }
        if (line.kind === 'counts') return { ...h, counts: line.counts };
        const step = ownStep(h, e.taskId);
        if (line.kind === 'remote') return appendLines(h, [{ stream: benign(line) ? 'stdout' : line.stream, text: line.text, ...(step && { step }) }]);
        return appendLines({ ...h, status: line.text }, [{ stream: 'status', text: line.text, ...(step && { step }) }]);
      });
    }
  }
  return next;
}

/** The host step a task's output belongs to (the task itself, or the running step for deeper tasks). */
function ownStep(h: HostView, taskId: string): string | undefined {
  return h.steps.some((s) => s.taskId === taskId) ? taskId : h.steps.find((s) => s.state === 'running')?.taskId;
}

/**
 * What systemctl prints on stderr when all is well: `enable` reports its symlinks there. Shown as plain output, not
 * as a warning.
 */
const BENIGN_STDERR = [/^Created symlink /, /^Removed "?\//];

function benign(line: { stream: 'stdout' | 'stderr'; text: string }): boolean {
  return line.stream === 'stderr' && BENIGN_STDERR.some((re) => re.test(line.text));
}

function setError(state: RunState, e: Extract<RunEvent, { type: 'task-error' }>): RunState {
  const kind = state.tasks[e.taskId];
  if (kind?.kind === 'phase') return { ...state, phases: state.phases.map((p) => (p.taskId === e.taskId ? { ...p, error: e.message } : p)) };
  if (kind?.kind !== 'host') return state;
  return updateHost(state, kind.host, (h) => ({ ...h, error: e.message, failedPhase: kind.phase }));
}

export function reduceRun(state: RunState, e: RunEvent): RunState {
  switch (e.type) {
    case 'task-added':
      return addTask(state, e);
    case 'task-state':
      return setState(state, e);
    case 'task-title':
      return setTitle(state, e);
    case 'task-output':
      return addOutput(state, e);
    case 'task-error':
      return setError(state, e);
    case 'host-records':
      return { ...state, records: e.records };
    case 'host-version':
      return updateHost(state, e.host, (h) => ({ ...h, version: { ...(e.from !== undefined && { from: e.from }), to: e.to } }));
    case 'log-dir':
      return { ...state, logDir: e.dir };
    case 'warning':
      return { ...state, warnings: [...state.warnings, { ...(e.host !== undefined && { host: e.host }), message: e.message }] };
    case 'run-ended':
      return { ...state, confirmingCancel: false, finished: { ok: e.ok, at: e.at, ...(e.error !== undefined && { error: e.error }) } };
    case 'focus': {
      const n = state.hosts.length;
      return n === 0 ? state : { ...state, focus: (state.focus + e.delta + n) % n };
    }
    case 'toggle-expand':
      return { ...state, expanded: !state.expanded };
    case 'ask-cancel':
      return state.finished || state.cancelRequested ? state : { ...state, confirmingCancel: true };
    case 'answer-cancel':
      return { ...state, confirmingCancel: false, cancelRequested: state.cancelRequested || (e.yes && !state.finished) };
  }
}

/** The store React reads with useSyncExternalStore: one state, replaced on every event, listeners told after. */
export class RunStore {
  private state: RunState;
  private readonly listeners = new Set<() => void>();

  constructor(initial: RunState) {
    this.state = initial;
  }

  readonly getSnapshot = (): RunState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly dispatch = (event: RunEvent): void => {
    const next = reduceRun(this.state, event);
    if (next === this.state) return;
    this.state = next;
    for (const l of [...this.listeners]) l();
  };
}
