// Derived facts the panes and the summary show, read from the store's state. Pure.
import type { HostStep, HostView, RunState, TaskState, Transfer } from '../../src/tasks/run-store.js';

export const roleText = (h: Pick<HostView, 'roles'>) => h.roles.join('+');

/** "Provision hosts" -> "Provision": the checklist in a pane has room for one word per phase. */
export const shortPhase = (phase: string) => phase.split(' ')[0] ?? phase;

export const nodeNameOf = (h: HostView) => h.nodeName ?? h.learnedName;

/** The host's state as one glyph shows it. */
export function hostState(h: HostView): TaskState {
  if (h.error !== undefined || h.failedPhase !== undefined) return 'failed';
  if (runningStep(h)) return 'running';
  return h.steps.length > 0 && h.steps.every((s) => s.state === 'done' || s.state === 'skipped') ? 'done' : 'waiting';
}

export function runningStep(h: HostView): HostStep | undefined {
  return h.steps.find((s) => s.state === 'running');
}

/** One line: what the host is doing now, or the last thing it did. */
export function currentStepText(h: HostView): string {
  const running = runningStep(h);
  if (running) return `${running.phase}: ${h.status ?? 'starting'}`;
  if (h.failedPhase) return `${h.failedPhase} failed`;
  const last = [...h.steps].reverse().find((s) => s.state !== 'waiting');
  if (!last) return h.steps.length ? `${h.steps[0]!.phase}: waiting` : 'waiting';
  return last.result ? `${last.phase}: ${last.result}` : `${last.phase}: ${last.state}`;
}

export function hostDurationMs(h: HostView): number {
  return h.steps.reduce((sum, s) => sum + (s.startedAt !== undefined && s.endedAt !== undefined ? s.endedAt - s.startedAt : 0), 0);
}

export type HostOutcome = 'ok' | 'failed' | 'cancelled' | 'stopped' | 'not started' | 'running';

export function hostOutcome(h: HostView, state: RunState): HostOutcome {
  const failed = h.error !== undefined || h.steps.some((s) => s.state === 'failed');
  if (failed) return state.cancelRequested && /cancel/i.test(h.error ?? '') ? 'cancelled' : 'failed';
  if (!state.finished) return 'running';
  if (state.finished.ok) return 'ok';
  if (state.cancelRequested) return 'cancelled';
  if (h.steps.length === 0) return 'not started';
  // The run ended early because of another host or phase: this host's work was not finished.
  return 'stopped';
}

export const failedHostIndexes = (s: RunState) => s.hosts.flatMap((h, i) => (h.error !== undefined || h.steps.some((st) => st.state === 'failed') ? [i] : []));

export function remoteTail(h: HostView, n: number): HostView['lines'] {
  return h.lines.filter((l) => l.stream !== 'status').slice(-n);
}

export const fractionOf = (t: Transfer) => (t.total ? Math.min(1, t.done / t.total) : 0);

/** The log file of a host in the run's folder, named as RunRecorder names it. */
export function hostLogPath(logDir: string, hostId: string): string {
  return `${logDir}/${hostId.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
}
