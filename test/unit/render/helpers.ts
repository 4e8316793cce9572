// Shared by the render and plan tests: fixture profiles, facts, and readers for rendered option files.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { assumedFacts, buildPlan, type Facts, type HostPlan, type Plan, type RenderedFile } from '../../../src/plan/index.js';
import { requireValidProfile } from '../../../src/profile/validate.js';
import { hostId, type Profile } from '../../../src/profile/types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

export function loadProfile(name: 'three-hosts' | 'classic', overrides: Record<string, unknown> = {}): Profile {
  const input = parseYaml(readFileSync(join(FIXTURES, 'render', `${name}.yaml`), 'utf8')) as Record<string, unknown>;
  return requireValidProfile({ ...input, ...overrides }, `${name}.yaml`);
}

export function profileWithVersion(name: 'three-hosts' | 'classic', kubernetes: string): Profile {
  const base = loadProfile(name);
  return { ...base, versions: { ...base.versions, kubernetes } };
}

/** Facts as a real preflight would report them: distinct host names, one arm64 host. */
export function realisticFacts(profile: Profile): Facts {
  return Object.fromEntries(
    profile.hosts.map((h, i) => [hostId(h), { hostname: `Host-${i + 1}`, arch: i === 2 ? 'arm64' : 'amd64' } as const]),
  );
}

export const planFor = (profile: Profile, facts: Facts = assumedFacts(profile)): Plan => buildPlan(profile, facts);

export function file(host: HostPlan, path: string): RenderedFile {
  const f = host.files.find((x) => x.path === path);
  if (!f) throw new Error(`${host.id} has no rendered file ${path}; it has ${host.files.map((x) => x.path).join(', ')}`);
  return f;
}

/**
 * Reads an /etc/default file the way systemd's EnvironmentFile= does for our format: comment lines dropped,
 * backslash-newline joined, one VAR="value" assignment; then the value split on whitespace as `$VAR` in ExecStart=.
 */
export function optionsWords(content: string): { variable: string; words: string[] } {
  const joined = content
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, '');
  const m = /^([A-Z_][A-Z0-9_]*)="([^"]*)"\n$/.exec(joined);
  if (!m) throw new Error(`not a single VAR="..." assignment:\n${content}`);
  return { variable: m[1]!, words: m[2]!.split(/\s+/).filter(Boolean) };
}

/** The same file sourced by a real POSIX shell, then `$VAR` word-split: what a shell wrapper would pass. */
export function shellWords(path: string, variable: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -a; . "$1"; for w in $${variable}; do printf '%s\\n' "$w"; done`, 'sh', path], {
    env: {},
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

/** `--name=value` words as a map; fails on anything that is not one flag per word. */
export function flagMap(words: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const w of words) {
    const m = /^--([a-z0-9][a-z0-9_-]*)=(.*)$/.exec(w);
    if (!m) throw new Error(`"${w}" is not a --flag=value word`);
    if (flags.has(m[1]!)) throw new Error(`flag --${m[1]} is given twice`);
    flags.set(m[1]!, m[2]!);
  }
  return flags;
}

export interface FlagList {
  component: string;
  version: string;
  flags: Record<string, { type: string; deprecated: boolean }>;
}

export function flagList(file: string): FlagList {
  return JSON.parse(readFileSync(join(FIXTURES, 'k8s-flags', file), 'utf8')) as FlagList;
}
