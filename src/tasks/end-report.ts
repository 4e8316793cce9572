// The end of a run as text, the same for the live view and for plain lines (CI): what went wrong (identical errors on
// several hosts once, with the hosts), the warnings grouped (once per run, with their hosts), the host table (changed
// / unchanged / restarted), one line with the outcome, its hint, and the next steps once. Printed after the live view
// has closed, so nothing in it is cut to fit a frame; the verdict comes last but for what to do next.
import type { HostRecord } from '../provision/execute.js';
import { groupBy, hostNeutral, hostRanges } from './host-ranges.js';
import type { HostView, RunState } from './run-store.js';

export interface ClusterFacts {
  server: string;
  nodes: { name: string; ready: boolean }[];
  components: { healthy: boolean }[];
  /** CoreDNS as validation found it; a success verdict never hides that DNS is not available. */
  dns?: { ready: number; wanted: number; available: boolean };
}

export interface EndReportInput {
  state: RunState;
  /** The run's error, if it failed: all it says but its hint, which comes with the verdict. */
  error?: { detail: string; hint?: string; field?: string };
  cluster?: ClusterFacts;
  kubeconfig?: { path: string; backup?: string };
  /** The run was cancelled (q in the view, or Ctrl-C / SIGTERM headless). */
  cancelled?: boolean;
  /**
   * Lines kept of each distinct error (its first line, the lines that say why, and the last): the live view keeps a
   * screenful; plain output (CI logs) keeps everything.
   */
  errorLines?: number;
  /** Host id -> its log file, for the hosts whose log exists (the CLI looks; this stays pure). */
  hostLogs?: Record<string, string>;
}

export const nodeNameOf = (h: Pick<HostView, 'nodeName' | 'learnedName'>) => h.nodeName ?? h.learnedName;
/** How a host is named in lists: its node name once known, else its id (address). */
export const hostLabel = (h: HostView) => nodeNameOf(h) ?? h.id;
export const roleText = (h: Pick<HostView, 'roles'>) => h.roles.join('+');
const isMasterOnly = (h: HostView) => !h.roles.includes('worker');

export function hostDurationMs(h: HostView): number {
  return h.steps.reduce((sum, s) => sum + (s.startedAt !== undefined && s.endedAt !== undefined ? s.endedAt - s.startedAt : 0), 0);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** 0:07, 1:05, 1:02:03. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export type HostOutcome = 'ok' | 'up to date' | 'failed' | 'cancelled' | 'not started' | 'not provisioned' | 'not verified' | 'running';

const isFailed = (h: HostView) => h.error !== undefined || h.steps.some((s) => s.state === 'failed');
const unchanged = (r: HostRecord | undefined) => r !== undefined && r.filesChanged.length === 0 && r.unitsRestarted.length === 0 && r.unitsStarted.length === 0;

/** The per-host phases this run reached: a host that finished all of them is done, whatever other hosts did. */
function hostPhases(state: RunState): string[] {
  return [...new Set(state.hosts.flatMap((h) => h.steps.map((s) => s.phase)))];
}

export function hostOutcome(h: HostView, state: RunState): HostOutcome {
  if (isFailed(h)) return state.cancelRequested && /cancel/i.test(h.error ?? '') ? 'cancelled' : 'failed';
  if (!state.finished) return 'running';
  if (h.steps.length === 0) return state.cancelRequested ? 'cancelled' : 'not started';
  const done = new Set(h.steps.filter((s) => s.state === 'done' || s.state === 'skipped').map((s) => s.phase));
  const missing = hostPhases(state).filter((p) => !done.has(p));
  // The run ended early elsewhere (another host, a later phase): this host's own work went as far as it says.
  if (missing.length === 0 && (state.finished.ok || /verify/i.test(h.steps[h.steps.length - 1]!.phase))) {
    return unchanged(state.records?.[h.id]) ? 'up to date' : 'ok';
  }
  if (state.cancelRequested) return 'cancelled';
  return h.steps.some((s) => /provision/i.test(s.phase) && s.state === 'done') ? 'not verified' : 'not provisioned';
}

const shortPhase = (phase: string) => phase.split(' ')[0] ?? phase;

function outcomeText(h: HostView, state: RunState): string {
  const o = hostOutcome(h, state);
  return o === 'failed' ? `FAILED (${shortPhase(h.failedPhase ?? h.steps.find((s) => s.state === 'failed')?.phase ?? 'run')})` : o;
}

/** Every line of `text` broken at spaces to `width` (no cutting: the text is no longer live). */
export function wrapLines(lines: readonly string[], width?: number, indent = '  '): string[] {
  if (!width) return [...lines];
  const out: string[] = [];
  for (const raw of lines) {
    let line = raw;
    while (line.length > width) {
      const cut = line.lastIndexOf(' ', width);
      // A path or word longer than the line is not cut: the terminal wraps it whole.
      const at = cut > indent.length ? cut : line.indexOf(' ', width);
      if (at < 0) break;
      out.push(line.slice(0, at));
      // Every continuation line is indented, the third as much as the second.
      line = `${indent}${line.slice(at + 1)}`;
    }
    out.push(line);
  }
  return out;
}

/** Lines of an error worth keeping when it has to be short: the first, those that say why, and the last. */
const WHY = /\b(Error:|error:|E\d{4} |fatal|failed|unknown flag|refused|denied|hint:)/;

export function cutError(lines: readonly string[], n: number | undefined): string[] {
  if (n === undefined || lines.length <= n) return [...lines];
  const keep = new Set<number>([0]);
  lines.forEach((l, i) => {
    if (keep.size < n - 1 && i > 0 && WHY.test(l)) keep.add(i);
  });
  for (let i = lines.length - 1; keep.size < n && i > 0; i--) keep.add(i);
  const picked = [...keep].sort((a, b) => a - b);
  const out: string[] = [];
  picked.forEach((i, k) => {
    if (k > 0 && i !== picked[k - 1]! + 1) out.push('    …');
    out.push(lines[i]!);
  });
  return out;
}

/**
 * The run's error in full (the engine already lists identical host errors once, with their hosts), each host's entry
 * ("  - h2–h4: ...") cut to `errorLines` when it has to be short.
 */
function errorSection(input: EndReportInput): string[] {
  if (!input.error) return [];
  const lines = input.error.detail.split('\n');
  const out: string[] = [];
  let entry: string[] = [];
  const flush = () => {
    out.push(...cutError(entry, input.errorLines));
    entry = [];
  };
  lines.forEach((l, i) => {
    if (/^ {2}- /.test(l)) flush();
    if (i === 0) out.push(`✗ ${l}`);
    else entry.push(l);
  });
  flush();
  return out;
}

/** Each distinct warning once, with the hosts that gave it. */
export function warningLines(state: RunState): string[] {
  const label = (id: string | undefined) => {
    const h = state.hosts.find((x) => x.id === id);
    return h ? hostLabel(h) : id;
  };
  return groupBy(state.warnings, (w) => w.message).map((g) => {
    // In profile order, whatever order the hosts warned in.
    const order = (id: string | undefined) => state.hosts.findIndex((h) => h.id === id);
    const hosts = [...g.items].sort((a, b) => order(a.host) - order(b.host)).map((w) => label(w.host)).filter((h): h is string => h !== undefined);
    return `warning: ${g.key}${hosts.length ? ` (${hosts.length === state.hosts.length && hosts.length > 1 ? 'all hosts' : hostRanges(hosts)})` : ''}`;
  });
}

const HEADER = ['host', 'name', 'roles', 'result', 'changed', 'unchanged', 'restarted', 'time'] as const;
const NUMERIC = new Set([4, 5, 6, 7]);

export function hostTable(state: RunState, width?: number): string[] {
  const rows = state.hosts.map((h) => {
    const r = state.records?.[h.id];
    const restarted = r ? r.unitsRestarted.length + r.unitsStarted.length : undefined;
    return [h.id, nodeNameOf(h) ?? '-', roleText(h), outcomeText(h, state), r ? String(r.filesChanged.length) : '-', r ? String(r.filesUnchanged) : '-', restarted === undefined ? '-' : String(restarted), formatDuration(hostDurationMs(h))];
  });
  // No node names known (the run never got past connecting): no name column.
  let columns = HEADER.map((_, i) => i).filter((c) => c !== 1 || rows.some((r) => r[1] !== '-'));
  const widthOf = (cols: number[]) => cols.reduce((sum, c) => sum + Math.max(HEADER[c]!.length, ...rows.map((r) => r[c]!.length)), 0) + 2 * (cols.length - 1);
  // Narrow terminals lose the node name first (the host is still named by its address), then the roles.
  for (const drop of [1, 2]) if (width && widthOf(columns) > width) columns = columns.filter((c) => c !== drop);
  const widths = HEADER.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => columns.map((c) => (NUMERIC.has(c) ? cells[c]!.padStart(widths[c]!) : cells[c]!.padEnd(widths[c]!))).join('  ').trimEnd();
  const notes = state.hosts.filter(isMasterOnly).map((h) => `${hostLabel(h)} is master only: it runs no kubelet, so it is not a node of the cluster.`);
  return [line(HEADER), ...rows.map(line), ...notes];
}

/** True when provisioning changed nothing anywhere: every host up to date. */
export function nothingChanged(state: RunState): boolean {
  return state.hosts.length > 0 && state.hosts.every((h) => unchanged(state.records?.[h.id]));
}

/** What validation found, in one line: where the control plane answers, which nodes are Ready. */
export function clusterLine(c: ClusterFacts): string {
  const ready = c.nodes.filter((n) => n.ready).map((n) => n.name);
  const notReady = c.nodes.filter((n) => !n.ready).map((n) => n.name);
  const nodes = `${ready.length ? `node${ready.length === 1 ? '' : 's'} ${hostRanges(ready)} Ready` : 'no node Ready'}${notReady.length ? `, ${hostRanges(notReady)} not Ready` : ''}`;
  return `Cluster validation succeeded: control plane at ${c.server}; ${nodes}; ${plural(c.components.filter((x) => x.healthy).length, 'component')} healthy.`;
}

/** The one line with the outcome. */
export function verdictLine(input: EndReportInput): string {
  const { state } = input;
  const f = state.finished;
  const took = f && state.startedAt !== undefined ? ` in ${formatDuration(f.at - state.startedAt)}` : '';
  const cluster = input.cluster;
  const dnsDown = cluster?.dns && !cluster.dns.available ? `, but cluster DNS is not available (CoreDNS ${cluster.dns.ready} of ${cluster.dns.wanted} ready)` : '';
  const nodes = cluster ? `; ${cluster.nodes.filter((n) => n.ready).length} of ${plural(cluster.nodes.length, 'node')} Ready${dnsDown}` : '';
  if (!f) return 'running';
  if ((state.cancelRequested || input.cancelled) && !f.ok) {
    const at = state.phases.find((p) => p.state === 'failed' || p.state === 'running')?.name;
    return `– Cancelled${at ? ` during ${at}` : ''}${took}: the steps that were running finished, nothing is half-written.`;
  }
  if (f.ok) {
    if (nothingChanged(state)) return `✓ No changes – ${plural(state.hosts.length, 'host')} up to date${nodes}${took}.`;
    const records = state.hosts.map((h) => state.records?.[h.id]);
    const changedHosts = records.filter((r) => r && !unchanged(r)).length;
    const restarts = records.reduce((n, r) => n + (r ? r.unitsRestarted.length + r.unitsStarted.length : 0), 0);
    return `✓ Deployed ${state.contextName ?? 'the cluster'}${took}: ${changedHosts} of ${plural(state.hosts.length, 'host')} changed, ${plural(restarts, 'unit')} (re)started${nodes}.`;
  }
  const failed = state.hosts.filter(isFailed);
  const phase = state.phases.find((p) => p.state === 'failed')?.name;
  const where = failed.length ? ` on ${failed.length === state.hosts.length && failed.length > 1 ? 'all hosts' : hostRanges(failed.map(hostLabel))}` : '';
  const first = failed.length ? hostNeutral(failed[0]!.error ?? '').split('\n')[0] : input.error?.detail.split('\n')[0];
  const after = took.replace(' in ', ' after ');
  return `✗ ${phase ? `${phase} ` : ''}FAILED${where}${after}${first ? `: ${first.replace(/[.:]$/, '')}` : ''}`;
}

function nextSteps(input: EndReportInput): string[] {
  const { state } = input;
  const cancelled = state.cancelRequested || input.cancelled === true;
  // The summary sits with one log per host in the run folder; scripts read this line (bench, tests).
  const logs = state.logDir ? [`Summary: ${state.logDir}/summary.txt`] : [];
  if (state.finished?.ok) {
    const ctx = state.contextName ?? 'CLUSTER';
    const kube = input.kubeconfig ? [`Kubeconfig: ${input.kubeconfig.path} (context ${ctx})${input.kubeconfig.backup ? `, previous file saved as ${input.kubeconfig.backup}` : ''}`] : [];
    return [...kube, `Next: kubectl --context ${ctx} get nodes -o wide`, ...logs];
  }
  if (cancelled) return ['Next: run kubeup up again to carry on: what is already done is kept and not redone.', ...logs];
  // The failed hosts' own logs (what each host did up to its error): by file name when they sit beside the summary,
  // whose folder the next line gives whole, so that the host table stays on an 80x24 screen; else whole paths.
  const failedLogs = state.hosts.filter(isFailed).flatMap((h) => input.hostLogs?.[h.id] ?? []);
  const folder = state.logDir ? `${state.logDir}/` : undefined;
  const beside = folder !== undefined && failedLogs.every((f) => f.startsWith(folder) && !f.slice(folder.length).includes('/'));
  const named = beside ? failedLogs.map((f) => f.slice(folder.length)) : failedLogs;
  const many = failedLogs.length !== 1;
  const hostLogs = failedLogs.length ? [`Log${many ? 's' : ''} of the failed host${many ? 's' : ''}${beside ? ', beside the summary' : ''}: ${named.join(' ')}`] : [];
  return ['Next: fix the cause, then run kubeup up again: hosts that are already right are left as they are.', ...hostLogs, ...logs];
}

export type ReportSection = { kind: 'errors' | 'cluster' | 'warnings' | 'table' | 'verdict'; lines: string[] };

/** The report's sections in print order, each wrapped to `width` (the CLI prints warnings on stderr). */
export function endReportSections(input: EndReportInput, width?: number): ReportSection[] {
  const sections: ReportSection[] = [];
  const cancelled = input.state.cancelRequested || input.cancelled === true;
  // A cancel is no error: the verdict says what happened.
  const errors = input.state.finished?.ok || cancelled ? [] : errorSection(input);
  if (errors.length) sections.push({ kind: 'errors', lines: errors });
  if (input.state.finished?.ok && input.cluster) sections.push({ kind: 'cluster', lines: [clusterLine(input.cluster)] });
  const warnings = warningLines(input.state);
  if (warnings.length) sections.push({ kind: 'warnings', lines: warnings });
  sections.push({ kind: 'table', lines: hostTable(input.state, width) });
  const hint = !input.state.finished?.ok && !cancelled && input.error?.hint ? [`  hint: ${input.error.hint}${input.error.field && !input.error.hint.includes(input.error.field) ? ` (profile field ${input.error.field})` : ''}`] : [];
  sections.push({ kind: 'verdict', lines: [verdictLine(input), ...hint, ...nextSteps(input)] });
  return sections.map((sec) => ({ ...sec, lines: wrapLines(sec.lines, width) }));
}

/** The whole report as lines, a blank line between sections. */
export function endReport(input: EndReportInput, width?: number): string[] {
  return endReportSections(input, width).flatMap((sec, i) => [...(i > 0 ? [''] : []), ...sec.lines]);
}
