// Shared text builders: the header line, /etc/default option files, sorted JSON and YAML.
import { stringify as yamlStringify } from 'yaml';
import { InternalError } from '../errors.js';

export const header = (profile: string, comment = '#') => `${comment} managed by kubeup — profile ${profile}`;

export type Flags = Record<string, string | number | boolean>;

// A value systemd reads from an EnvironmentFile and splits on whitespace: no blanks, quotes, backslashes or `$`.
const SAFE_VALUE = /^[^\s"'\\$`]*$/;
const FLAG_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** The environment variable that holds a daemon's options, e.g. KUBE_APISERVER_OPTS. */
export const optionsVariable = (daemon: string) => `${daemon.toUpperCase().replace(/-/g, '_')}_OPTS`;

/**
 * An /etc/default/<daemon> file: one variable, one `--flag=value` per line, sorted by flag name.
 * systemd joins the backslash-continued lines inside the quotes; `ExecStart=... $VAR` then splits the value on
 * whitespace into one argv word per flag. The same file can be sourced by a POSIX shell.
 */
export function renderOptions(profile: string, variable: string, flags: Flags, comment?: string): string {
  const lines = Object.keys(flags)
    .sort()
    .map((name) => {
      const value = String(flags[name]);
      if (!FLAG_NAME.test(name) || !SAFE_VALUE.test(value)) {
        throw new InternalError(`option --${name}=${value} cannot be written safely to an options file`, {
          field: name,
          hint: 'values must not contain spaces, quotes, backslashes or $; this is a bug in kubeup, please report it',
        });
      }
      return `--${name}=${value}`;
    });
  const head = [header(profile), ...(comment ? [`# ${comment}`] : [])];
  return `${head.join('\n')}\n${variable}="${lines.join(' \\\n')}"\n`;
}

/** JSON with keys sorted at every level and two-space indents, ending in a newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** YAML with sorted keys, behind the kubeup header. */
export function stableYaml(profile: string, value: unknown): string {
  return `${header(profile)}\n${yamlStringify(sortKeys(value), { lineWidth: 0 })}`;
}
