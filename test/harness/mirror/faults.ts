// Faults the mirror can inject, per request path or path pattern, switched on and off while it runs.

export type Fault =
  /** Checksum files list a digest that does not match (set it on the artefact's path or on the checksum file's). */
  | { kind: 'wrong-checksum' }
  /** Content-Length announces the full size, then the connection is closed after `afterBytes` (default: half). */
  | { kind: 'truncate'; afterBytes?: number }
  | { kind: 'status'; status: 404 | 500 }
  /** Status 200 with an HTML error page instead of the file (what a captive portal or a bad mirror does). */
  | { kind: 'html' }
  /** The body is sent at no more than this many bytes per second. */
  | { kind: 'slow'; bytesPerSecond: number };

/**
 * A pattern is matched against the full request path (`/kubernetes/v1.35.2/bin/linux/amd64/kubelet`):
 * a RegExp, or a string where `**` matches anything and `*` anything but `/`; without wildcards it must be equal.
 */
export type PathPattern = string | RegExp;

function toRegExp(pattern: PathPattern): RegExp {
  if (pattern instanceof RegExp) return pattern;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') {
      re += '[^/]*';
    } else {
      re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

interface Rule {
  key: string;
  re: RegExp;
  fault: Fault;
}

export class FaultSwitches {
  private rules: Rule[] = [];

  /** Switches `fault` on for paths matching `pattern`, replacing a fault of the same kind set on the same pattern. */
  set(pattern: PathPattern, fault: Fault): void {
    const key = String(pattern);
    this.rules = this.rules.filter((r) => !(r.key === key && r.fault.kind === fault.kind));
    this.rules.push({ key, re: toRegExp(pattern), fault });
  }

  /** Switches off the faults set on `pattern`, or every fault when no pattern is given. */
  clear(pattern?: PathPattern): void {
    this.rules = pattern === undefined ? [] : this.rules.filter((r) => r.key !== String(pattern));
  }

  /** The faults that apply to `urlPath`, in the order they were set. */
  match(urlPath: string): Fault[] {
    return this.rules.filter((r) => r.re.test(urlPath)).map((r) => r.fault);
  }

  has(urlPath: string, kind: Fault['kind']): boolean {
    return this.match(urlPath).some((f) => f.kind === kind);
  }

  list(): { pattern: string; fault: Fault }[] {
    return this.rules.map((r) => ({ pattern: r.key, fault: r.fault }));
  }
}
