// Decides whether the key a host offers is the one we expect. Wired into ssh2's hostVerifier by client.ts:
// without it ssh2 would accept any key.

import { fingerprint, keyTypeOf, knownHostsName, lookupKnownHosts, type KnownHostsEntry } from './known-hosts.js';
import { HostKeyError } from './errors.js';

export interface HostKeyCheck {
  host: string;
  port: number;
  /** The key blob the server offered. */
  key: Buffer;
  knownHosts: readonly KnownHostsEntry[];
  /** `SHA256:...` from the profile (hosts[i].hostKey); when set it decides alone, known_hosts is not consulted. */
  pinned?: string;
  /** --accept-new-host-keys: a host with no entry at all may be learned. A changed key is never accepted. */
  acceptNew: boolean;
}

export type HostKeyVerdict =
  | { status: 'ok'; fingerprint: string; via: 'pinned' | 'known_hosts' }
  /** Not known, accepted because acceptNew: the caller records it in known_hosts. */
  | { status: 'new'; fingerprint: string; keyType: string }
  | { status: 'unknown'; fingerprint: string; keyType: string; otherKeyTypes: string[] }
  | { status: 'changed'; fingerprint: string; keyType: string; expected: { fingerprint: string; where: string }[] }
  | { status: 'revoked'; fingerprint: string; where: string }
  /** Not known as a plain key, and a @cert-authority line covers the host: kubeup cannot check host certificates. */
  | { status: 'cert-authority'; fingerprint: string; keyType: string; where: string[] };

export function verifyHostKey(check: HostKeyCheck): HostKeyVerdict {
  const offered = fingerprint(check.key);
  const keyType = keyTypeOf(check.key) ?? 'unknown-type';
  const found = lookupKnownHosts(check.knownHosts, check.host, check.port);

  const revoked = found.revoked.find((e) => e.key.equals(check.key));
  if (revoked) return { status: 'revoked', fingerprint: offered, where: describeEntry(revoked) };

  if (check.pinned !== undefined) {
    if (normalizeFingerprint(check.pinned) === offered) return { status: 'ok', fingerprint: offered, via: 'pinned' };
    return { status: 'changed', fingerprint: offered, keyType, expected: [{ fingerprint: check.pinned, where: 'pinned in the profile' }] };
  }

  if (found.keys.some((e) => e.key.equals(check.key))) return { status: 'ok', fingerprint: offered, via: 'known_hosts' };
  // Same algorithm, other key: the host's identity changed. Other algorithms only: it is just not known yet.
  const sameType = found.keys.filter((e) => e.keyType === keyType);
  if (sameType.length > 0) {
    return {
      status: 'changed',
      fingerprint: offered,
      keyType,
      expected: sameType.map((e) => ({ fingerprint: fingerprint(e.key), where: describeEntry(e) })),
    };
  }
  // OpenSSH would ask the host for a certificate signed by that CA. ssh2 cannot take part in that exchange, so the
  // CA's word cannot be checked; learning the plain key instead would bypass what the user set up. Refuse, clearly.
  if (found.certAuthorities.length > 0) return { status: 'cert-authority', fingerprint: offered, keyType, where: found.certAuthorities.map(describeEntry) };
  if (check.acceptNew) return { status: 'new', fingerprint: offered, keyType };
  const otherKeyTypes = [...new Set(found.keys.map((e) => e.keyType))].sort();
  return { status: 'unknown', fingerprint: offered, keyType, otherKeyTypes };
}

/** `SHA256:abc=` and `SHA256:abc` are the same fingerprint; OpenSSH prints it without padding. */
export function normalizeFingerprint(value: string): string {
  const trimmed = value.trim().replace(/=+$/, '');
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed}`;
}

/** Where OpenSSH keeps the public host key of this type, e.g. /etc/ssh/ssh_host_ed25519_key.pub. */
function hostKeyFile(keyType: string): string {
  return `/etc/ssh/ssh_host_${keyType.replace(/^ssh-/, '').replace(/-.*/, '')}_key.pub`;
}

function describeEntry(entry: KnownHostsEntry): string {
  return `${entry.file ?? 'known_hosts'}:${entry.line}`;
}

export interface HostKeyErrorContext {
  host: string;
  port: number;
  knownHostsFile: string;
  /** Profile field that pins this key, e.g. `hosts[0].hostKey` or `ssh.jumpHostKey`. */
  pinField: string;
}

/** The user-facing error for a verdict that refuses the connection (unknown, changed, revoked). */
export function hostKeyError(verdict: Exclude<HostKeyVerdict, { status: 'ok' | 'new' }>, ctx: HostKeyErrorContext): HostKeyError {
  const name = knownHostsName(ctx.host, ctx.port);
  const where = { host: ctx.host };
  switch (verdict.status) {
    case 'unknown': {
      const others = verdict.otherKeyTypes.length ? ` (known_hosts has only ${verdict.otherKeyTypes.join(', ')} keys for it)` : '';
      return new HostKeyError(
        `host key of ${name} is not known: it offered ${verdict.keyType} ${verdict.fingerprint}${others}`,
        { problem: 'unknown', offered: verdict.fingerprint, expected: [] },
        {
          ...where,
          file: ctx.knownHostsFile,
          hint:
            `check the fingerprint on the host (ssh-keygen -lf ${hostKeyFile(verdict.keyType)}); ` +
            `if it matches, run again with --accept-new-host-keys, or pin it in the profile: ${ctx.pinField}: ${verdict.fingerprint}`,
        },
      );
    }
    case 'changed': {
      const expected = verdict.expected.map((e) => `${e.fingerprint} (${e.where})`).join(', ');
      const pinned = verdict.expected.some((e) => e.where === 'pinned in the profile');
      return new HostKeyError(
        `HOST KEY CHANGED for ${name}: expected ${expected}, but the host offered ${verdict.keyType} ${verdict.fingerprint}. ` +
          'Someone may be intercepting the connection, or the host was reinstalled',
        { problem: 'changed', offered: verdict.fingerprint, expected: verdict.expected.map((e) => e.fingerprint) },
        {
          ...where,
          ...(pinned ? { field: ctx.pinField } : { file: ctx.knownHostsFile }),
          hint: pinned
            ? `a pin must be the fingerprint of the host's ${verdict.keyType} key (ssh-keygen -lf ${hostKeyFile(verdict.keyType)} on the host); ` +
              `only if you know the host was reinstalled, set ${ctx.pinField} to the new one`
            : `only if you know the host was reinstalled: remove the old entry with ssh-keygen -R '${name}' -f ${ctx.knownHostsFile}, then run again with --accept-new-host-keys`,
        },
      );
    }
    case 'cert-authority':
      return new HostKeyError(
        `host key of ${name} is vouched for only by a certificate authority (@cert-authority at ${verdict.where.join(', ')}); ` +
          `kubeup cannot verify OpenSSH host certificates, so it does not trust them. The host offered ${verdict.keyType} ${verdict.fingerprint}`,
        { problem: 'cert-authority', offered: verdict.fingerprint, expected: [] },
        {
          ...where,
          file: verdict.where[0]!.replace(/:\d+$/, ''),
          hint:
            `check the fingerprint on the host (ssh-keygen -lf ${hostKeyFile(verdict.keyType)}); if it matches, pin it in the profile: ${ctx.pinField}: ${verdict.fingerprint} ` +
            `(or add a plain line for ${name} to ${ctx.knownHostsFile})`,
        },
      );
    case 'revoked':
      return new HostKeyError(
        `host key of ${name} is revoked (${verdict.where}): ${verdict.fingerprint}`,
        { problem: 'revoked', offered: verdict.fingerprint, expected: [] },
        { ...where, file: ctx.knownHostsFile, hint: 'this key must not be trusted: give the host a new host key, then accept that one' },
      );
  }
}

// ssh2's own default order of host key algorithms.
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms in the order to offer them, asking first for the key types known_hosts already holds for this
 * host (as OpenSSH does). Without this, a host known by its ECDSA key would look unknown when it also has an ed25519
 * key, which ssh2 prefers. Undefined: keep ssh2's default.
 */
export function preferredHostKeyAlgorithms(knownKeyTypes: readonly string[]): string[] | undefined {
  const preferred = [...new Set(knownKeyTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])))].filter((a) =>
    DEFAULT_HOST_KEY_ALGORITHMS.includes(a),
  );
  if (preferred.length === 0) return undefined;
  return [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}
