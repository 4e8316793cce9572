// validateProfile: shape (schema.ts) -> defaults -> rules (rules.ts). Returns issues instead of throwing,
// so the wizard can show them at the field and the CLI can list them all at once.
import { z } from 'zod';
import { ProfileError, type ProfileIssue } from '../errors.js';
import {
  DEFAULT_ADDONS, DEFAULT_AUDIT,
  DEFAULT_KNOWN_HOSTS,
  DEFAULT_NETWORK,
  DEFAULT_SSH_PORT,
  DEFAULT_SSH_USER,
  DEFAULT_VERSIONS,
} from './defaults.js';
import { profileInputSchema, type ParsedProfileInput } from './schema.js';
import { checkRules } from './rules.js';
import type { Profile } from './types.js';

export interface ValidationResult {
  profile?: Profile;
  issues: ProfileIssue[];
  warnings: ProfileIssue[];
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function zodIssues(error: z.ZodError): ProfileIssue[] {
  return error.issues.map((i) => {
    const hint = i.code === 'custom' ? (i.params?.hint as string | undefined) : undefined;
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`;
    if (i.code === 'invalid_type' && i.received === 'undefined') message = 'is required';
    else if (i.code === 'invalid_type') message = `must be ${i.expected}, not ${i.received}`;
    return { path: formatPath(i.path), message, hint: hint ?? schemaHint(i) };
  });
}

function schemaHint(i: z.ZodIssue): string {
  switch (i.code) {
    case 'unrecognized_keys':
      return 'remove it, or check its spelling';
    case 'invalid_type':
      return i.received === 'undefined' ? 'add this field' : `write a ${i.expected} here`;
    case 'invalid_enum_value':
      return `use one of: ${i.options.join(', ')}`;
    case 'invalid_string':
      return i.validation === 'url' ? 'write a full URL such as http://mirror.example.com/path' : 'fix the text of this field';
    case 'too_small':
    case 'too_big':
      return typeof i.path.at(-1) === 'string' && /port/i.test(String(i.path.at(-1))) ? 'use a port number from 1 to 65535' : 'change the value to fit the limit';
    default:
      return 'see the profile format in the README';
  }
}

export function applyDefaults(input: ParsedProfileInput): Profile {
  return {
    name: input.name,
    hosts: input.hosts.map((h) => ({
      address: h.address,
      user: h.user ?? DEFAULT_SSH_USER,
      port: h.port ?? DEFAULT_SSH_PORT,
      roles: h.roles,
      ...(h.identityFile !== undefined && { identityFile: h.identityFile }),
      ...(h.nodeName !== undefined && { nodeName: h.nodeName }),
      ...(h.hostKey !== undefined && { hostKey: h.hostKey }),
      ...(h.container === true && { container: true }),
    })),
    ssh: {
      agent: input.ssh?.agent ?? true,
      password: input.ssh?.password ?? false,
      sudoPassword: input.ssh?.sudoPassword ?? false,
      knownHosts: input.ssh?.knownHosts ?? DEFAULT_KNOWN_HOSTS,
      ...(input.ssh?.identityFile !== undefined && { identityFile: input.ssh.identityFile }),
      ...(input.ssh?.jumpHost !== undefined && { jumpHost: input.ssh.jumpHost }),
      ...(input.ssh?.jumpHostKey !== undefined && { jumpHostKey: input.ssh.jumpHostKey }),
      ...(input.ssh?.configFile !== undefined && { configFile: input.ssh.configFile }),
    },
    versions: { ...DEFAULT_VERSIONS, ...stripUndefined(input.versions ?? {}) },
    network: { ...DEFAULT_NETWORK, ...stripUndefined(input.network ?? {}) },
    extraArgs: stripUndefined(input.extraArgs ?? {}) as Profile['extraArgs'],
    addons: {
      dns: { ...DEFAULT_ADDONS.dns, ...stripUndefined(input.addons?.dns ?? {}), upstreamResolvers: [...(input.addons?.dns?.upstreamResolvers ?? DEFAULT_ADDONS.dns.upstreamResolvers)] },
    },
    audit: { ...DEFAULT_AUDIT, ...stripUndefined(input.audit ?? {}) },
    download: {
      mirrors: stripUndefined(input.download?.mirrors ?? {}),
      ...(input.download?.checksums !== undefined && { checksums: { ...input.download.checksums } }),
      ...(input.download?.cacheDir !== undefined && { cacheDir: input.download.cacheDir }),
      ...(input.download?.proxy !== undefined && { proxy: input.download.proxy }),
      ...(input.download?.transfer !== undefined && { transfer: input.download.transfer }),
      ...(input.download?.from !== undefined && { from: input.download.from }),
    },
  };
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

export function validateProfile(input: unknown): ValidationResult {
  const parsed = profileInputSchema.safeParse(input);
  if (!parsed.success) return { issues: zodIssues(parsed.error), warnings: [] };
  const profile = applyDefaults(parsed.data);
  const { issues, warnings } = checkRules(profile);
  return issues.length ? { issues, warnings } : { profile, issues, warnings };
}

/** validateProfile for callers that want a Profile or an error naming every issue. */
export function requireValidProfile(input: unknown, source: string): Profile {
  const result = validateProfile(input);
  if (!result.profile) {
    throw new ProfileError(`profile ${source} is not valid`, result.issues, {
      hint: 'fix the fields listed, then run the command again',
    });
  }
  return result.profile;
}
