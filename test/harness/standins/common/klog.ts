/**
 * klog-style log lines on stderr: `I1125 23:23:14.123456   12345 server.go:1] "message" key="value"`.
 * Severity letter, month+day, wall time with microseconds, pid padded to 7, source, then a structured message.
 */
export type Severity = 'I' | 'W' | 'E' | 'F';

let verbosity = 0;
let sink: (line: string) => void = (line) => process.stderr.write(line);

export function setVerbosity(v: number): void {
  verbosity = v;
}

/** Tests and embedding code may redirect the lines. */
export function setLogSink(write: (line: string) => void): void {
  sink = write;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function header(sev: Severity, source: string, now = new Date()): string {
  const micros = String(now.getUTCMilliseconds() * 1000).padStart(6, '0');
  const time = `${two(now.getUTCHours())}:${two(now.getUTCMinutes())}:${two(now.getUTCSeconds())}.${micros}`;
  return `${sev}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())} ${time} ${String(process.pid).padStart(7)} ${source}]`;
}

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function formatLine(sev: Severity, source: string, msg: string, kv: Record<string, unknown> = {}): string {
  const pairs = Object.entries(kv).map(([k, v]) => ` ${k}=${formatValue(v)}`).join('');
  return `${header(sev, source)} ${JSON.stringify(msg)}${pairs}\n`;
}

/** A logger bound to a source name such as `server.go:1`. */
export class Klog {
  constructor(private readonly source: string) {}

  info(msg: string, kv?: Record<string, unknown>): void {
    sink(formatLine('I', this.source, msg, kv));
  }

  /** Printed only at `--v` >= level, like klog.V(level).Info. */
  v(level: number, msg: string, kv?: Record<string, unknown>): void {
    if (verbosity >= level) this.info(msg, kv);
  }

  warning(msg: string, kv?: Record<string, unknown>): void {
    sink(formatLine('W', this.source, msg, kv));
  }

  /** klog.Warningf: the text as it is, not quoted (older call sites that format their own message). */
  warningf(msg: string): void {
    sink(`${header('W', this.source)} ${msg}\n`);
  }

  error(msg: string, kv?: Record<string, unknown>): void {
    sink(formatLine('E', this.source, msg, kv));
  }
}

export function klog(source: string): Klog {
  return new Klog(source);
}
