/**
 * Go's strconv / time parsers, with Go's exact error texts, so that stand-ins reject flag values the way the real
 * (Go) binaries do. Each function returns the parsed value or throws an Error whose message is Go's err.Error().
 */

function syntaxError(fn: string, s: string): Error {
  return new Error(`strconv.${fn}: parsing ${JSON.stringify(s)}: invalid syntax`);
}

function rangeError(fn: string, s: string): Error {
  return new Error(`strconv.${fn}: parsing ${JSON.stringify(s)}: value out of range`);
}

export function parseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw syntaxError('ParseBool', s);
}

/** The digits of an integer literal with Go's base-0 rules (0x, 0o, 0b, legacy leading 0, underscores). */
function integerDigits(fn: string, s: string, body: string): bigint {
  let base = 10;
  let digits = body;
  if (/^0[xX]/.test(body)) {
    base = 16;
    digits = body.slice(2);
  } else if (/^0[oO]/.test(body)) {
    base = 8;
    digits = body.slice(2);
  } else if (/^0[bB]/.test(body)) {
    base = 2;
    digits = body.slice(2);
  } else if (body.length > 1 && body.startsWith('0')) {
    base = 8;
    digits = body.slice(1);
  }
  // Underscores are allowed only between digits (and after a base prefix).
  if (digits.includes('_')) {
    if (base === 10 && !/^[0-9](_?[0-9])*$/.test(digits)) throw syntaxError(fn, s);
    digits = digits.replace(/_/g, '');
  }
  const alphabet = '0123456789abcdef'.slice(0, base);
  if (digits.length === 0 || ![...digits.toLowerCase()].every((c) => alphabet.includes(c))) throw syntaxError(fn, s);
  let value = 0n;
  for (const c of digits.toLowerCase()) value = value * BigInt(base) + BigInt(alphabet.indexOf(c));
  return value;
}

/** strconv.ParseInt(s, 0, bits). */
export function parseInt(s: string, bits: 32 | 64): number {
  const fn = 'ParseInt';
  if (s.length === 0) throw syntaxError(fn, s);
  const negative = s.startsWith('-');
  const body = s.startsWith('-') || s.startsWith('+') ? s.slice(1) : s;
  const magnitude = integerDigits(fn, s, body);
  const value = negative ? -magnitude : magnitude;
  const limit = 1n << BigInt(bits - 1);
  if (value >= limit || value < -limit) throw rangeError(fn, s);
  return Number(value);
}

/** strconv.ParseUint(s, 0, bits). */
export function parseUint(s: string, bits: 32 | 64): number {
  const fn = 'ParseUint';
  if (s.length === 0 || s.startsWith('-') || s.startsWith('+')) throw syntaxError(fn, s);
  const value = integerDigits(fn, s, s);
  if (value >= 1n << BigInt(bits)) throw rangeError(fn, s);
  return Number(value);
}

/** strconv.ParseFloat(s, 64) for the decimal forms flags use. */
export function parseFloat(s: string): number {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?0[xX][0-9a-fA-F.]+[pP][+-]?\d+$/.test(t)) {
    throw syntaxError('ParseFloat', s);
  }
  const v = Number(t);
  if (!Number.isFinite(v)) throw rangeError('ParseFloat', s);
  return v;
}

const unitNanos: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration, returning milliseconds. */
export function parseDuration(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let nanos = 0;
  while (rest.length > 0) {
    const num = /^(\d*)(\.(\d*))?/.exec(rest);
    const whole = num?.[1] ?? '';
    const frac = num?.[3] ?? '';
    if (!num || (whole === '' && frac === '')) throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(num[0].length);
    const unit = /^[^0-9.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = unitNanos[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    nanos += Number(`${whole || '0'}.${frac || '0'}`) * scale;
  }
  if (nanos > Number.MAX_SAFE_INTEGER * 1024) throw new Error(`time: invalid duration ${quoted}`);
  return (sign * nanos) / 1e6;
}

/** Go's time.Duration.String() for a duration given in milliseconds (e.g. 40000 -> "40s", 90000 -> "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  let out = '';
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  out += `${Number(s.toFixed(9))}s`;
  return (neg ? '-' : '') + out;
}

/** Go's net.ParseIP: dotted IPv4 or IPv6 text; returns null when the text is no IP. */
export function parseIP(s: string): string | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    // Go rejects leading zeros ("010.0.0.1") since 1.17.
    if (v4.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return null;
    return parts.every((p) => p <= 255) ? parts.join('.') : null;
  }
  if (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s)) {
    const doubleColons = s.split('::').length - 1;
    if (doubleColons > 1) return null;
    const groups = s.split(':');
    return groups.length <= 8 ? s.toLowerCase() : null;
  }
  return null;
}

/** Go's net.ParseCIDR error text: `invalid CIDR address: x`. Returns [address, prefix length]. */
export function parseCIDR(s: string): { ip: string; bits: number; family: 4 | 6 } {
  const slash = s.indexOf('/');
  const ip = slash < 0 ? null : parseIP(s.slice(0, slash));
  const bitsText = slash < 0 ? '' : s.slice(slash + 1);
  const family = ip?.includes(':') ? 6 : 4;
  const max = family === 6 ? 128 : 32;
  if (!ip || !/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) throw new Error(`invalid CIDR address: ${s}`);
  return { ip, bits: Number(bitsText), family };
}
