// OpenSSH known_hosts: parsing, host matching (plain, [host]:port, comma lists, hashed |1|salt|hmac, wildcards,
// negation), markers (@revoked, @cert-authority), fingerprints, and appending new entries.
// No maintained parser exists on npm, so this follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT".

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type KnownHostsMarker = 'revoked' | 'cert-authority';

export interface HostPattern {
  negated: boolean;
  /** Lower-case pattern; may hold `*` and `?`. */
  pattern: string;
}

export type HostMatcher =
  | { kind: 'patterns'; patterns: HostPattern[] }
  | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostsEntry {
  /** 1-based line number in its file. */
  line: number;
  file?: string;
  marker?: KnownHostsMarker;
  hosts: HostMatcher;
  keyType: string;
  /** The public key blob in SSH wire format (what the server offers during key exchange). */
  key: Buffer;
  comment?: string;
}

export interface KnownHostsProblem {
  line: number;
  message: string;
}

export interface KnownHosts {
  entries: KnownHostsEntry[];
  /** Lines that could not be read; OpenSSH skips them too, we report them. */
  problems: KnownHostsProblem[];
}

export function parseKnownHosts(text: string, file?: string): KnownHosts {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const parsed = parseLine(trimmed);
    if (typeof parsed === 'string') problems.push({ line, message: parsed });
    else entries.push({ line, ...(file === undefined ? {} : { file }), ...parsed });
  });
  return { entries, problems };
}

function parseLine(text: string): Omit<KnownHostsEntry, 'line' | 'file'> | string {
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostsMarker | undefined;
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift()!.slice(1);
    if (name !== 'revoked' && name !== 'cert-authority') return `unknown marker @${name}`;
    marker = name;
  }
  const [hostField, keyType, keyBase64, ...rest] = fields;
  if (!hostField || !keyType || !keyBase64) return 'expected: [marker] hosts key-type base64-key [comment]';
  const hosts = parseHostField(hostField);
  if (typeof hosts === 'string') return hosts;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) return 'the key is not base64';
  const key = Buffer.from(keyBase64, 'base64');
  const embeddedType = keyTypeOf(key);
  if (embeddedType !== keyType) return `the key says it is ${embeddedType ?? 'nothing readable'}, the line says ${keyType}`;
  const comment = rest.join(' ');
  return { ...(marker ? { marker } : {}), hosts, keyType, key, ...(comment ? { comment } : {}) };
}

function parseHostField(field: string): HostMatcher | string {
  if (field.startsWith('|')) {
    const parts = field.split('|');
    if (parts.length !== 4 || parts[1] !== '1') return 'hashed host names must look like |1|salt|hash';
    const salt = Buffer.from(parts[2]!, 'base64');
    const hash = Buffer.from(parts[3]!, 'base64');
    if (salt.length !== 20 || hash.length !== 20) return 'hashed host name has a bad salt or hash length';
    return { kind: 'hashed', salt, hash };
  }
  const patterns = field.split(',').filter(Boolean).map((p) => {
    const negated = p.startsWith('!');
    return { negated, pattern: (negated ? p.slice(1) : p).toLowerCase() };
  });
  if (patterns.length === 0) return 'no host names';
  return { kind: 'patterns', patterns };
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** OpenSSH's rule: no negated pattern may match, and at least one plain pattern must. */
export function entryMatchesHost(entry: Pick<KnownHostsEntry, 'hosts'>, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  const matcher = entry.hosts;
  if (matcher.kind === 'hashed') {
    const mac = createHmac('sha1', matcher.salt).update(name).digest();
    return timingSafeEqual(mac, matcher.hash);
  }
  let matched = false;
  for (const { negated, pattern } of matcher.patterns) {
    if (!wildcardMatch(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`, 's').test(name);
}

export interface KnownHostsLookup {
  /** Plain entries for this host: the keys it may present. */
  keys: KnownHostsEntry[];
  /** @revoked entries that apply to this host. */
  revoked: KnownHostsEntry[];
  /** @cert-authority entries that apply to this host (kubeup cannot verify host certificates: see host-key.ts). */
  certAuthorities: KnownHostsEntry[];
}

export function lookupKnownHosts(entries: readonly KnownHostsEntry[], host: string, port: number): KnownHostsLookup {
  const found: KnownHostsLookup = { keys: [], revoked: [], certAuthorities: [] };
  for (const entry of entries) {
    if (!entryMatchesHost(entry, host, port)) continue;
    if (entry.marker === 'revoked') found.revoked.push(entry);
    else if (entry.marker === 'cert-authority') found.certAuthorities.push(entry);
    else found.keys.push(entry);
  }
  return found;
}

/** `SHA256:<base64 without padding>`, exactly as `ssh-keygen -lf` and `ssh` print it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob, e.g. `ssh-ed25519`. */
export function keyTypeOf(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || key.length < 4 + length) return undefined;
  const name = key.subarray(4, 4 + length).toString('latin1');
  return /^[a-z0-9@.-]+$/i.test(name) ? name : undefined;
}

export function formatKnownHostsLine(host: string, port: number, key: Buffer): string {
  const type = keyTypeOf(key);
  if (!type) throw new TypeError('not an SSH public key blob');
  return `${knownHostsName(host, port)} ${type} ${key.toString('base64')}`;
}

/** Reads a known_hosts file; a missing file is an empty one. */
export async function readKnownHostsFile(file: string): Promise<KnownHosts> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw err;
  }
  return parseKnownHosts(text, file);
}

/**
 * Appends `host key` to a known_hosts file (as `[host]:port` off port 22). Creates missing folders 0700 and a missing
 * file 0600; an existing file keeps its mode.
 */
export async function appendKnownHost(file: string, host: string, port: number, key: Buffer): Promise<void> {
  const entry = formatKnownHostsLine(host, port, key);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    let separator = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) separator = '\n';
    }
    await handle.appendFile(`${separator}${entry}\n`);
  } finally {
    await handle.close();
  }
}
