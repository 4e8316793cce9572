/**
 * A pflag/cobra-style command line parser driven by the flag lists of the real binaries (test/fixtures/k8s-flags).
 * It accepts exactly the flags of one component version and checks values the way the Go types do, with pflag's
 * and cobra's error texts.
 */
import { parseBool, parseDuration, parseFloat, parseIP, parseInt, parseUint } from './go-parse.js';

export type FlagType =
  | 'bool'
  | 'int'
  | 'int32'
  | 'int64'
  | 'uint'
  | 'uint32'
  | 'uint64'
  | 'float'
  | 'duration'
  | 'string'
  | 'stringSlice'
  | 'mapStringString'
  | 'mapStringBool'
  | 'stringToString'
  | 'colonSeparatedMultimapStringString'
  | 'portRange'
  | 'quantity'
  | 'version'
  | 'moduleSpec'
  | 'traceLocation'
  | 'taintSlice'
  | 'reservedMemory'
  | 'ignored'
  | 'ip';

export interface FlagDef {
  readonly type: FlagType;
  readonly deprecated: boolean;
  /** pflag prints `Flag --x has been deprecated, <note>` when a MarkDeprecated flag is used. */
  readonly deprecationNote?: string;
  /** Deprecated only in its help text (no warning when used), like kube-scheduler's --kubeconfig. */
  readonly deprecatedInHelpOnly?: boolean;
}

export interface FlagSpec {
  readonly component: string;
  readonly version: string;
  readonly flags: Readonly<Record<string, FlagDef>>;
  /** one-letter form -> long name, e.g. v -> v, h -> help */
  readonly shorthands: Readonly<Record<string, string>>;
}

/** The JSON files in test/fixtures/k8s-flags (see its README.md). */
export interface FlagReference {
  component: string;
  version: string;
  flags: Record<string, { type: string; deprecated: boolean }>;
  shorthands?: Record<string, string>;
  deprecation_notes?: Record<string, string>;
  deprecated_with_shared_message?: { message: string; flags: string[] }[];
  known_undocumented_flags?: { name: string; type: string; deprecated: boolean; evidence?: string }[];
}

const knownTypes: ReadonlySet<string> = new Set<FlagType>([
  'bool', 'int', 'int32', 'int64', 'uint', 'uint32', 'uint64', 'float', 'duration', 'string', 'stringSlice',
  'mapStringString', 'mapStringBool', 'stringToString', 'colonSeparatedMultimapStringString', 'portRange', 'quantity',
  'version', 'moduleSpec', 'traceLocation', 'taintSlice', 'reservedMemory', 'ignored', 'ip',
]);

export interface SpecOptions {
  /** Flags whose DEPRECATED mark is only in the help text: they work silently (kube-scheduler's ComponentConfig flags). */
  readonly deprecatedInHelpOnly?: readonly string[];
  /** Type corrections for flags the reference page prints loosely. */
  readonly typeOverrides?: Readonly<Record<string, FlagType>>;
}

/** Builds a FlagSpec from a reference JSON: documented flags plus the hidden ones it lists as still accepted. */
export function flagSpecFromReference(ref: FlagReference, opts: SpecOptions = {}): FlagSpec {
  const shared = new Map<string, string>();
  for (const group of ref.deprecated_with_shared_message ?? []) for (const f of group.flags) shared.set(f, group.message);
  const helpOnly = new Set(opts.deprecatedInHelpOnly ?? []);
  const flags: Record<string, FlagDef> = {};
  const add = (name: string, type: string, deprecated: boolean): void => {
    const t = opts.typeOverrides?.[name] ?? type;
    if (!knownTypes.has(t)) throw new Error(`flag --${name} of ${ref.component} ${ref.version} has unknown type ${t}`);
    const note = ref.deprecation_notes?.[name] ?? shared.get(name);
    flags[name] = {
      type: t as FlagType,
      deprecated,
      ...(note !== undefined ? { deprecationNote: note } : {}),
      ...(helpOnly.has(name) ? { deprecatedInHelpOnly: true } : {}),
    };
  };
  for (const [name, def] of Object.entries(ref.flags)) add(name, def.type, def.deprecated);
  for (const hidden of ref.known_undocumented_flags ?? []) {
    if (!(hidden.name in flags)) add(hidden.name, hidden.type, hidden.deprecated);
  }
  return { component: ref.component, version: ref.version, flags, shorthands: { ...(ref.shorthands ?? {}) } };
}

/** A command line the binary refuses: printed as cobra prints it (`Error: <message>`), exit 1. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

type Value = string | number | boolean | string[] | Record<string, string>;

export interface ParsedFlags {
  /** Names (normalised, without dashes) given on the command line, in order of first use. */
  readonly given: readonly string[];
  readonly help: boolean;
  /** `--version` / `--version=raw` as given; undefined when absent or false. */
  readonly version?: string;
  readonly warnings: readonly string[];
  has(name: string): boolean;
  string(name: string, fallback?: string): string;
  bool(name: string, fallback: boolean): boolean;
  int(name: string, fallback: number): number;
  float(name: string, fallback: number): number;
  /** Milliseconds. */
  duration(name: string, fallbackMs: number): number;
  list(name: string, fallback?: readonly string[]): string[];
  map(name: string): Record<string, string>;
}

/** cliflag.WordSepNormalizeFunc: `_` and `-` are the same in flag names. */
function normalise(name: string): string {
  return name.replace(/_/g, '-');
}

/** encoding/csv as pflag's stringSlice uses it: comma separated, double quotes allowed around fields. */
export function splitCsv(value: string): string[] {
  if (value === '') return [];
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let fieldStart = true;
  while (i < value.length) {
    const c = value[i] as string;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        if (i < value.length && value[i] !== ',') {
          throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        }
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (c === '"') throw new Error(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
    if (c === ',') {
      out.push(field);
      field = '';
      fieldStart = true;
      i++;
      continue;
    }
    field += c;
    fieldStart = false;
    i++;
  }
  if (quoted) throw new Error(`parse error on line 1, column ${value.length + 1}: extraneous or missing " in quoted-field`);
  out.push(field);
  return out;
}

function parsePairs(value: string, what: string, check?: (k: string, v: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of value.split(',')) {
    const pair = item.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error(`malformed pair, expect ${what}`);
    const k = pair.slice(0, eq).trim();
    const v = pair.slice(eq + 1).trim();
    check?.(k, v);
    out[k] = v;
  }
  return out;
}

function checkBoolPair(k: string, v: string): void {
  try {
    parseBool(v);
  } catch (err) {
    throw new Error(`invalid value of ${k}=${v}, err: ${(err as Error).message}`);
  }
}

/** --feature-gates: `Gate=bool` pairs, optionally prefixed by a component (`kube:Gate=true` in 1.31+). */
function checkFeatureGates(raw: string): void {
  for (const item of raw.split(',')) {
    const pair = item.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error(`missing bool value for ${pair}`);
    const key = pair.slice(0, eq).trim().replace(/^[a-z-]+:/, '');
    const value = pair.slice(eq + 1).trim();
    try {
      parseBool(value);
    } catch (err) {
      throw new Error(`invalid value of ${key}=${value}, err: ${(err as Error).message}`);
    }
  }
}

/** Checks one value for a flag type; returns the value as stored. Throws with the Go error text. */
function convert(type: FlagType, raw: string, previous: Value | undefined, name = ''): Value {
  if (name === 'feature-gates') checkFeatureGates(raw);
  switch (type) {
    case 'bool':
      return parseBool(raw);
    case 'version':
      // verflag's versionValue: a bool, or the word "raw".
      if (raw === 'raw') return raw;
      return parseBool(raw) ? 'true' : 'false';
    case 'int':
    case 'int64':
      return parseInt(raw, 64);
    case 'int32':
      return parseInt(raw, 32);
    case 'uint':
    case 'uint64':
      return parseUint(raw, 64);
    case 'uint32':
      return parseUint(raw, 32);
    case 'float':
      return parseFloat(raw);
    case 'duration':
      return parseDuration(raw);
    case 'ip': {
      const ip = parseIP(raw.trim());
      if (ip === null) throw new Error(`failed to parse IP: ${JSON.stringify(raw)}`);
      return ip;
    }
    case 'stringSlice': {
      // The first use replaces the default, later uses append (pflag's stringSlice.Set).
      const items = splitCsv(raw);
      return Array.isArray(previous) ? [...previous, ...items] : items;
    }
    case 'taintSlice':
    case 'reservedMemory':
      return Array.isArray(previous) ? [...previous, raw] : [raw];
    case 'mapStringString':
    case 'stringToString':
    case 'colonSeparatedMultimapStringString': {
      const what = type === 'stringToString' ? 'key=value' : 'string=string';
      let pairs: Record<string, string>;
      try {
        pairs = parsePairs(raw, what);
      } catch (err) {
        if (type === 'stringToString') throw new Error(`${raw} must be formatted as key=value`);
        throw err;
      }
      const merged = { ...(typeof previous === 'object' && !Array.isArray(previous) ? previous : {}), ...pairs };
      return merged;
    }
    case 'mapStringBool': {
      const pairs = parsePairs(raw, 'string=bool', checkBoolPair);
      return { ...(typeof previous === 'object' && !Array.isArray(previous) ? previous : {}), ...pairs };
    }
    case 'portRange':
      if (!/^\d+(-\d+|\+\d+)?$/.test(raw.trim())) throw new Error(`unable to parse port range: ${raw}`);
      return raw;
    case 'quantity':
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/.test(raw)) {
        throw new Error('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
      }
      return raw;
    case 'moduleSpec':
      for (const item of raw.split(',')) {
        if (item === '') continue;
        const [pattern, level, extra] = item.split('=');
        if (extra !== undefined || !pattern || level === undefined || !/^\d+$/.test(level)) {
          throw new Error(`expect comma-separated list of pattern=N, got ${raw}`);
        }
      }
      return raw;
    case 'traceLocation':
      if (raw !== '' && !/^[^:]+:\d+$/.test(raw)) throw new Error('syntax error: expect file.go:234');
      return raw;
    case 'string':
    case 'ignored':
      return raw;
  }
}

/** Flag types that take no argument when given bare (pflag NoOptDefVal). */
function noOptDefault(type: FlagType): string | undefined {
  if (type === 'bool') return 'true';
  if (type === 'version') return 'true';
  return undefined;
}

/**
 * Parses argv (without node and script) against a spec. Throws FlagError with pflag/cobra texts; positional
 * arguments are refused like Kubernetes commands refuse them.
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec, commandName = spec.component): ParsedFlags {
  const values = new Map<string, Value>();
  const given: string[] = [];
  const warnings: string[] = [];
  const positional: string[] = [];
  const display = (name: string): string => {
    const short = Object.entries(spec.shorthands).find(([, long]) => long === name)?.[0];
    return short ? `-${short}, --${name}` : `--${name}`;
  };
  const set = (name: string, raw: string): void => {
    const def = spec.flags[name];
    if (!def) throw new FlagError(`unknown flag: --${name}`);
    let value: Value;
    try {
      value = convert(def.type, raw, values.get(name), name);
    } catch (err) {
      throw new FlagError(`invalid argument ${JSON.stringify(raw)} for ${JSON.stringify(display(name))} flag: ${(err as Error).message}`);
    }
    values.set(name, value);
    if (!given.includes(name)) {
      given.push(name);
      if (def.deprecated && !def.deprecatedInHelpOnly) {
        warnings.push(`Flag --${name} has been deprecated, ${def.deprecationNote ?? 'This flag is deprecated.'}`);
      }
    }
  };

  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    i++;
    if (arg === '--') {
      positional.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
      const eq = body.indexOf('=');
      const name = normalise(eq < 0 ? body : body.slice(0, eq));
      const def = spec.flags[name];
      if (!def) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) {
        set(name, body.slice(eq + 1));
        continue;
      }
      const bare = noOptDefault(def.type);
      if (bare !== undefined) {
        set(name, bare);
        continue;
      }
      if (i >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
      set(name, argv[i] as string);
      i++;
      continue;
    }
    // Shorthands: -v=2, -v 2, -v2, -h
    const letters = arg.slice(1);
    const letter = letters[0] as string;
    const long = spec.shorthands[letter];
    if (!long) throw new FlagError(`unknown shorthand flag: '${letter}' in ${arg}`);
    const def = spec.flags[long];
    if (!def) throw new FlagError(`unknown shorthand flag: '${letter}' in ${arg}`);
    const rest = letters.slice(1);
    if (rest.startsWith('=')) {
      set(long, rest.slice(1));
    } else if (rest !== '') {
      if (noOptDefault(def.type) !== undefined) throw new FlagError(`unknown shorthand flag: '${rest[0]}' in ${arg}`);
      set(long, rest);
    } else if (noOptDefault(def.type) !== undefined) {
      set(long, noOptDefault(def.type) as string);
    } else {
      if (i >= argv.length) throw new FlagError(`flag needs an argument: '${letter}' in -${letter}`);
      set(long, argv[i] as string);
      i++;
    }
  }
  if (positional.some((a) => a.length > 0)) {
    throw new FlagError(`${JSON.stringify(commandName)} does not take any arguments, got ${JSON.stringify(positional)}`);
  }
  return makeParsed(spec, values, given, warnings);
}

function makeParsed(spec: FlagSpec, values: Map<string, Value>, given: string[], warnings: string[]): ParsedFlags {
  const known = (name: string): void => {
    if (!(name in spec.flags)) throw new Error(`stand-in bug: ${spec.component} ${spec.version} has no flag --${name}`);
  };
  const versionValue = values.get('version');
  return {
    given,
    warnings,
    help: values.get('help') === true,
    ...(typeof versionValue === 'string' && versionValue !== 'false' ? { version: versionValue } : {}),
    has: (name) => values.has(name),
    string: (name, fallback = '') => {
      known(name);
      const v = values.get(name);
      return v === undefined ? fallback : String(v);
    },
    bool: (name, fallback) => {
      known(name);
      const v = values.get(name);
      return typeof v === 'boolean' ? v : fallback;
    },
    int: (name, fallback) => {
      known(name);
      const v = values.get(name);
      return typeof v === 'number' ? v : fallback;
    },
    float: (name, fallback) => {
      known(name);
      const v = values.get(name);
      return typeof v === 'number' ? v : fallback;
    },
    duration: (name, fallbackMs) => {
      known(name);
      const v = values.get(name);
      return typeof v === 'number' ? v : fallbackMs;
    },
    list: (name, fallback = []) => {
      known(name);
      const v = values.get(name);
      return Array.isArray(v) ? [...v] : [...fallback];
    },
    map: (name) => {
      known(name);
      const v = values.get(name);
      return typeof v === 'object' && !Array.isArray(v) ? { ...v } : {};
    },
  };
}
