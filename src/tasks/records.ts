// Every run leaves a log per host and a summary in the profile's state folder:
// <state>/clusters/<profile>/runs/<run-id>/{<host>.log, summary.json, summary.txt}.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRecord } from '../provision/execute.js';

export interface PhaseTiming {
  phase: string;
  ms: number;
  ok: boolean;
}

export interface RunSummary {
  profile: string;
  command: 'up' | 'down' | 'upgrade' | 'certs renew';
  runId: string;
  startedAt: string;
  ok: boolean;
  error?: string;
  phases: PhaseTiming[];
  /** Per host: phase -> ms, and what provisioning changed. */
  hosts: Record<string, { phases: Record<string, number>; record?: HostRecord; error?: string }>;
  peakRssBytes: number;
}

export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

const safeName = (host: string) => host.replace(/[^A-Za-z0-9._-]/g, '_');

/** The log file of `host` in the run folder `dir`. */
export function hostLogPath(dir: string, host: string): string {
  return join(dir, `${safeName(host)}.log`);
}

/** Host id -> its log file, for the hosts of the run folder `dir` that have one. */
export function existingHostLogs(dir: string, hosts: readonly string[]): Record<string, string> {
  return Object.fromEntries(hosts.map((h) => [h, hostLogPath(dir, h)] as const).filter(([, path]) => existsSync(path)));
}

export class RunRecorder {
  readonly dir: string;
  readonly summary: RunSummary;

  constructor(profileStateDir: string, profile: string, command: 'up' | 'down' | 'upgrade' | 'certs renew', now = new Date()) {
    const runId = newRunId(now);
    this.dir = join(profileStateDir, 'runs', runId);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.summary = { profile, command, runId, startedAt: now.toISOString(), ok: false, phases: [], hosts: {}, peakRssBytes: 0 };
  }

  logPath(host: string): string {
    return hostLogPath(this.dir, host);
  }

  /** Appends a line to the host's log. Callers never pass secrets (the SSH layer redacts sudo passwords). */
  log(host: string, line: string): void {
    appendFileSync(this.logPath(host), `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
    this.sampleMemory();
  }

  host(host: string): RunSummary['hosts'][string] {
    return (this.summary.hosts[host] ??= { phases: {} });
  }

  hostPhase(host: string, phase: string, ms: number): void {
    this.host(host).phases[phase] = (this.host(host).phases[phase] ?? 0) + ms;
  }

  phase(phase: string, ms: number, ok: boolean): void {
    this.summary.phases.push({ phase, ms, ok });
    this.sampleMemory();
  }

  sampleMemory(): void {
    this.summary.peakRssBytes = Math.max(this.summary.peakRssBytes, process.memoryUsage.rss());
  }

  finish(ok: boolean, error?: string): { json: string; text: string } {
    this.summary.ok = ok;
    if (error) this.summary.error = error;
    this.sampleMemory();
    const json = join(this.dir, 'summary.json');
    const text = join(this.dir, 'summary.txt');
    writeFileSync(json, JSON.stringify(this.summary, null, 2) + '\n', { mode: 0o600 });
    writeFileSync(text, formatSummary(this.summary), { mode: 0o600 });
    return { json, text };
  }
}

export function formatSummary(s: RunSummary): string {
  const lines = [`kubeup ${s.command} ${s.profile}: ${s.ok ? 'succeeded' : `FAILED${s.error ? `: ${s.error.split('\n')[0]}` : ''}`}`, ''];
  lines.push('phase            time     result');
  for (const p of s.phases) lines.push(`${p.phase.padEnd(16)} ${(p.ms / 1000).toFixed(1).padStart(6)} s ${p.ok ? 'ok' : 'failed'}`);
  lines.push('', 'host                     delivered    on wire  files changed  unchanged  restarted / started');
  const hosts = Object.entries(s.hosts).sort(([a], [b]) => a.localeCompare(b));
  const bytes = (n: number | undefined) => (n === undefined ? '-' : formatBytes(n)).padStart(9);
  for (const [host, h] of hosts) {
    const r = h.record;
    const units = r ? [...r.unitsRestarted.map((u) => `${u} (restarted)`), ...r.unitsStarted.map((u) => `${u} (started)`)].join(', ') || 'none' : '-';
    lines.push(
      `${host.padEnd(24)} ${bytes(r?.bytesUploaded)}  ${bytes(r?.wireBytes)}  ${String(r?.filesChanged.length ?? '-').padStart(13)}  ${String(r?.filesUnchanged ?? '-').padStart(9)}  ${units}${h.error ? `  ERROR: ${h.error.split('\n')[0]}` : ''}`,
    );
  }
  const records = hosts.flatMap(([, h]) => (h.record ? [h.record] : []));
  if (records.length) lines.push(`${'total'.padEnd(24)} ${bytes(records.reduce((n, r) => n + r.bytesUploaded, 0))}  ${bytes(records.reduce((n, r) => n + r.wireBytes, 0))}`);
  lines.push('', `peak memory of kubeup: ${formatBytes(s.peakRssBytes)}`);
  return lines.join('\n') + '\n';
}

/** What a host's writes weighed: "98.0 MiB delivered, 31.2 MiB on the wire" (one figure when they are equal). */
export function bytesText(r: Pick<HostRecord, 'bytesUploaded' | 'wireBytes'>): string {
  if (r.wireBytes === r.bytesUploaded) return formatBytes(r.bytesUploaded);
  return `${formatBytes(r.bytesUploaded)} delivered, ${formatBytes(r.wireBytes)} on the wire`;
}

/** Every host's writes together: "3 hosts: 410.2 MiB delivered, 120.5 MiB on the wire (29 %)". */
export function totalBytesText(records: readonly Pick<HostRecord, 'bytesUploaded' | 'wireBytes'>[]): string {
  const delivered = records.reduce((n, r) => n + r.bytesUploaded, 0);
  const wire = records.reduce((n, r) => n + r.wireBytes, 0);
  const share = delivered > 0 ? ` (${Math.round((wire / delivered) * 100)} %)` : '';
  return `${records.length} host${records.length === 1 ? '' : 's'}: ${formatBytes(delivered)} delivered, ${formatBytes(wire)} on the wire${share}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
