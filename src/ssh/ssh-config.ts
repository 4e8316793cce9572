// OpenSSH client configuration (ssh_config(5)), the part kubeup uses: Host blocks with patterns and negation,
// Include (also inside a Host block), HostName, User, Port, IdentityFile, ProxyJump, with the first value obtained
// winning, as in OpenSSH. `~` and the tokens %h %p %r %u %d %% are expanded. Match blocks are not evaluated: they
// are reported and skipped. The npm package ssh-config neither follows Include nor expands tokens (LIBRARIES.md).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export interface SshConfigLine {
  keyword: string;
  args: string[];
  file: string;
  line: number;
}

/** One Host (or Match) block's lines; the lines before the first block have `patterns: ['*']`. */
interface Block {
  patterns: string[];
  match: boolean;
  lines: SshConfigLine[];
}

export interface SshConfig {
  file: string;
  /** The home folder `~` and %d stand for. */
  home: string;
  blocks: Block[];
  /** Lines kubeup reads but cannot use (Match blocks, an Include with no file, a bad line), with where they are. */
  warnings: string[];
}

/** What the configuration says for one host, each value with where it came from (`~/.ssh/config:12`). */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFile?: string;
  proxyJump?: string;
  from: Partial<Record<'hostName' | 'user' | 'port' | 'identityFile' | 'proxyJump', string>>;
}

const MAX_INCLUDE_DEPTH = 16;

/** Reads a config file and everything it includes. A missing file is an empty configuration. */
export function readSshConfig(file: string, home: string = homedir()): SshConfig {
  const config: SshConfig = { file, home, blocks: [{ patterns: ['*'], match: false, lines: [] }], warnings: [] };
  readInto(config, file, home, 0, true);
  return config;
}

function readInto(config: SshConfig, file: string, home: string, depth: number, top: boolean): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!top) config.warnings.push(`${file}: included, but there is no such file`);
      return;
    }
    throw err;
  }
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const parsed = splitLine(raw);
    if (parsed === undefined) return;
    if (typeof parsed === 'string') {
      config.warnings.push(`${where}: ${parsed}`);
      return;
    }
    const [keyword, ...args] = parsed;
    const key = keyword!.toLowerCase();
    if (key === 'host') {
      config.blocks.push({ patterns: args, match: false, lines: [] });
    } else if (key === 'match') {
      config.warnings.push(`${where}: Match blocks are not evaluated by kubeup; the lines under it are skipped`);
      config.blocks.push({ patterns: [], match: true, lines: [] });
    } else if (key === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) {
        config.warnings.push(`${where}: Include nested more than ${MAX_INCLUDE_DEPTH} deep; skipped`);
        return;
      }
      // Lines of an included file belong to the block the Include stands in (OpenSSH does the same).
      for (const pattern of args) {
        for (const included of expandInclude(pattern, home, config, where)) readInto(config, included, home, depth + 1, false);
      }
    } else {
      config.blocks.at(-1)!.lines.push({ keyword: key, args, file, line: index + 1 });
    }
  });
}

/** A line's words (quotes respected, `key=value` allowed), undefined for a blank or comment line, or a problem. */
function splitLine(raw: string): string[] | string | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const eq = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
  const rest = eq ? `${eq[1]} ${eq[2]}` : line;
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) words.push(m[1] ?? m[2]!);
  if ((rest.match(/"/g)?.length ?? 0) % 2 === 1) return 'unbalanced quotes; line skipped';
  return words.length ? words : undefined;
}

/** Include arguments: relative to ~/.ssh, `~` expanded, wildcards in the last part of the path. */
function expandInclude(pattern: string, home: string, config: SshConfig, where: string): string[] {
  const path = expandTilde(pattern, home);
  const full = isAbsolute(path) ? path : join(home, '.ssh', path);
  const dir = dirname(full);
  const last = full.slice(dir.length + 1);
  if (/[*?]/.test(dir)) {
    config.warnings.push(`${where}: Include ${pattern}: wildcards are supported in the last part of the path only; skipped`);
    return [];
  }
  if (!/[*?]/.test(last)) return [full];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => globMatch(last, n))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
}

function globMatch(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`, 's').test(name);
}

/** OpenSSH's Host rule: some plain pattern matches and no negated one does; patterns compare case-insensitively. */
export function hostMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  const name = host.toLowerCase();
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (!globMatch((negated ? p.slice(1) : p).toLowerCase(), name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

function expandTilde(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** The values for `host` (as written in the profile: an alias or an address), first value winning. */
export function resolveSshHost(config: SshConfig, host: string): SshHostConfig {
  const home = config.home;
  const out: SshHostConfig = { from: {} };
  const set = <K extends keyof SshHostConfig['from']>(key: K, value: SshHostConfig[K], line: SshConfigLine) => {
    if (out[key] !== undefined) return;
    (out as unknown as Record<string, unknown>)[key] = value;
    out.from[key] = `${line.file}:${line.line}`;
  };
  for (const block of config.blocks) {
    if (block.match || !hostMatches(block.patterns, host)) continue;
    for (const line of block.lines) {
      const value = line.args[0];
      if (value === undefined) continue;
      switch (line.keyword) {
        case 'hostname':
          set('hostName', value, line);
          break;
        case 'user':
          set('user', value, line);
          break;
        case 'port':
          if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535) set('port', Number(value), line);
          else config.warnings.push(`${line.file}:${line.line}: Port ${value} is not a port number; ignored`);
          break;
        case 'identityfile':
          set('identityFile', value, line);
          break;
        case 'proxyjump':
          set('proxyJump', value, line);
          break;
      }
    }
  }
  // Tokens, as OpenSSH expands them once the values are known.
  const local = localUser();
  const tokens = (text: string, withHostName: boolean) =>
    text.replace(/%([%hprud])/g, (_, t: string) =>
      t === '%' ? '%' : t === 'h' ? (withHostName ? (out.hostName ?? host) : host) : t === 'p' ? String(out.port ?? 22) : t === 'r' ? (out.user ?? local) : t === 'u' ? local : home,
    );
  if (out.hostName !== undefined) out.hostName = tokens(out.hostName, false);
  if (out.identityFile !== undefined) out.identityFile = expandTilde(tokens(out.identityFile, true), home);
  return out;
}
