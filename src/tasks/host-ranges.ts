// Lists of hosts as people write them: "h2–h4", "192.168.213.12–14", "h1, h3". Used wherever one message stands for
// several hosts (grouped warnings and errors, the verdict).

/** Splits "h12" into "h" and 12, "192.168.213.14" into "192.168.213." and 14; undefined without a trailing number. */
function numbered(label: string): { prefix: string; n: number } | undefined {
  const m = /^(.*?)(\d+)$/.exec(label);
  if (!m || m[2]!.length > 1 && m[2]!.startsWith('0')) return undefined;
  return { prefix: m[1]!, n: Number(m[2]) };
}

/**
 * The labels in the order given, with runs of three or more consecutive numbers under one prefix written as a range
 * ("h2–h4"; for addresses only the last part repeats: "192.168.213.12–14").
 */
export function hostRanges(labels: readonly string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < labels.length) {
    const first = numbered(labels[i]!);
    let j = i + 1;
    if (first) {
      while (j < labels.length) {
        const next = numbered(labels[j]!);
        if (!next || next.prefix !== first.prefix || next.n !== first.n + (j - i)) break;
        j++;
      }
    }
    if (first && j - i >= 3) {
      const last = labels[j - 1]!;
      const end = first.prefix.includes('.') || first.prefix.includes(':') ? last.slice(first.prefix.length) : last;
      parts.push(`${labels[i]}–${end}`);
      i = j;
    } else {
      parts.push(labels[i]!);
      i++;
    }
  }
  return parts.join(', ');
}

/** Groups items by a key, in the order each key first appears. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): { key: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return [...groups].map(([k, list]) => ({ key: k, items: list }));
}

// journalctl -o short-iso: "2026-12-01T20:20:21+0000 h2 kubelet[1234]: ...".
const JOURNAL_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d\d:?\d\d|Z)? \S+ [^\s:]+: /gm;

/**
 * One host's error as it reads for any host: without journal timestamps, host names and pids, and without the
 * "(host X)" the error adds. Two hosts failing for the same reason give the same text.
 */
export function hostNeutral(text: string): string {
  // (`journalctl -o cat` prints no prefix; short-iso does.)
  return text.replace(JOURNAL_PREFIX, '').replace(/ \(host [^)]*\)/g, '');
}

/** A line that says why something failed: a daemon's `Error: …`, klog's E/F lines. */
export const CAUSE_LINE = /\b(Error|error|E\d{4}|F\d{4})[: ]/;

/**
 * What two hosts' errors must share to be told once: the first line and the first line that says why (a daemon's
 * `Error: …`). Journal lines around them differ per host (restart counters, times) and do not count.
 */
export function causeOf(text: string): string {
  const lines = hostNeutral(text).split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.slice(1).find((l) => CAUSE_LINE.test(l) && !/^hint: /.test(l));
  // "restarted 3×" on one host, "4×" on another: the same cause.
  const first = (lines[0] ?? '').replace(/\b\d+×/g, 'N×');
  return why ? `${first}\n${why}` : first;
}
