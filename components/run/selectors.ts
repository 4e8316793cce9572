// Derived facts the panes show, read from the store's state. Pure. The ones the end report shares live with it in
// src/tasks/end-report.ts.
import { CAUSE_LINE, hostNeutral } from '../../src/tasks/host-ranges.js';
import type { HostStep, HostView, RunState, TaskState, Transfer } from '../../src/tasks/run-store.js';

export { hostDurationMs, hostLabel, nodeNameOf, roleText } from '../../src/tasks/end-report.js';

/** "Provision hosts" -> "Provision": the checklist in a pane has room for one word per phase. */
export const shortPhase = (phase: string) => phase.split(' ')[0] ?? phase;

/** The host's state as one glyph shows it. */
export function hostState(h: HostView): TaskState {
  if (h.error !== undefined || h.failedPhase !== undefined) return 'failed';
  if (runningStep(h)) return 'running';
  return h.steps.length > 0 && h.steps.every((s) => s.state === 'done' || s.state === 'skipped') ? 'done' : 'waiting';
}

export function runningStep(h: HostView): HostStep | undefined {
  return h.steps.find((s) => s.state === 'running');
}

/** One line: what the host is doing now, or the last thing it did (the checklist next to it names the step). */
export function currentStepText(h: HostView): string {
  const running = runningStep(h);
  if (running) return h.status ?? 'starting';
  if (h.failedPhase) return `${h.failedPhase} failed`;
  const last = [...h.steps].reverse().find((s) => s.state !== 'waiting');
  if (!last) return 'waiting';
  return last.result ?? last.state;
}

/** The same with the step's name, for one-line hosts that have no checklist. */
export function stepAndStatus(h: HostView): string {
  const step = runningStep(h) ?? [...h.steps].reverse().find((s) => s.state !== 'waiting');
  return `${versionMove(h)}${step ? `${shortPhase(step.phase)} · ${currentStepText(h)}` : 'waiting'}`;
}

/** An upgrade's move on the host, ahead of its step: "v1.35.2 → v1.35.3 · " (just the version when it was there already). */
export function versionMove(h: HostView): string {
  if (!h.version) return '';
  const { from, to } = h.version;
  return `${from === to ? `v${to}` : `v${from ?? '?'} → v${to}`} · `;
}

export const failedHostIndexes = (s: RunState) => s.hosts.flatMap((h, i) => (h.error !== undefined || h.steps.some((st) => st.state === 'failed') ? [i] : []));

/** The last remote lines of the running step: a step's output (sysctl's, say) goes when the step ends. */
export function remoteTail(h: HostView, n: number): HostView['lines'] {
  const running = runningStep(h);
  if (!running || n <= 0) return [];
  return h.lines.filter((l) => l.stream !== 'status' && l.step === running.taskId).slice(-n);
}

/**
 * The line of an error that says why: a daemon's `Error: …` (or klog's E/F line) when the error carries one, else its
 * first line.
 */
export function errorLineOf(text: string): string {
  const lines = hostNeutral(text).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(1).find((l) => CAUSE_LINE.test(l) && !/^hint: /.test(l)) ?? lines[0] ?? '';
}

export const fractionOf = (t: Transfer) => (t.total ? Math.min(1, t.done / t.total) : 0);

/** The log file of a host in the run's folder, named as RunRecorder names it. */
export function hostLogPath(logDir: string, hostId: string): string {
  return `${logDir}/${hostId.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
}
