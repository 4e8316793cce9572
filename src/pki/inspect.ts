// Reads an issued certificate back and says whether it still fits its identity and CA, and if not, why.
import { createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { CertificateAuthority } from './ca.js';
import { x509 } from './crypto.js';
import type { CertUsage, Identity } from './identities.js';

export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

const USAGE_BY_OID: Record<string, CertUsage> = {
  [x509.ExtendedKeyUsage.clientAuth]: 'client',
  [x509.ExtendedKeyUsage.serverAuth]: 'server',
};

/** What a certificate says about its subject, in the shape of an Identity (sorted lists). */
export function identityOfCertificate(certPem: string): Omit<Identity, 'name' | 'ca'> {
  const cert = new x509.X509Certificate(certPem);
  const cn = cert.subjectName.getField('CN');
  const o = [...cert.subjectName.getField('O')].sort();
  const dns: string[] = [];
  const ip: string[] = [];
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.items ?? []) {
    if (n.type === 'dns') dns.push(n.value.toLowerCase());
    else if (n.type === 'ip') ip.push(ipaddr.parse(n.value).toString());
  }
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = (eku?.usages ?? []).map((u) => USAGE_BY_OID[String(u)]).filter((u): u is CertUsage => u !== undefined);
  return {
    cn: cn.length === 1 ? cn[0]! : cn.join('+'),
    ...(o.length > 0 ? { o } : {}),
    sans: { dns: dns.sort(), ip: ip.sort() },
    usages: [...new Set(usages)].sort(),
  };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The fields where the certificate differs from the identity, e.g. `SANs (ip +10.0.0.2 -10.0.0.1)`. Empty: same. */
export function identityDifferences(identity: Identity, certPem: string): string[] {
  const actual = identityOfCertificate(certPem);
  const out: string[] = [];
  if (actual.cn !== identity.cn) out.push(`CN ${actual.cn} -> ${identity.cn}`);
  const wantO = [...(identity.o ?? [])].sort();
  if (!sameList(actual.o ?? [], wantO)) out.push(`O [${(actual.o ?? []).join(', ')}] -> [${wantO.join(', ')}]`);
  for (const kind of ['dns', 'ip'] as const) {
    const want = [...identity.sans[kind]].sort();
    const have = actual.sans[kind];
    if (!sameList(have, want)) {
      const added = want.filter((v) => !have.includes(v)).map((v) => `+${v}`);
      const removed = have.filter((v) => !want.includes(v)).map((v) => `-${v}`);
      out.push(`${kind} SANs ${[...added, ...removed].join(' ')}`);
    }
  }
  const wantUsages = [...identity.usages].sort();
  if (!sameList(actual.usages, wantUsages)) out.push(`usages [${actual.usages.join(', ')}] -> [${wantUsages.join(', ')}]`);
  return out;
}

/**
 * Why an existing certificate + key must be issued again, or undefined when it can be kept.
 * Unreadable files are a reason, not an error: a leaf is cheap to replace, unlike the CA.
 */
export function reissueReason(
  identity: Identity,
  existing: { certPem: string; keyPem: string },
  ca: CertificateAuthority,
  now: Date,
): string | undefined {
  let cert: NodeX509;
  try {
    cert = new NodeX509(existing.certPem);
  } catch {
    return 'certificate unreadable';
  }
  let keyMatches = false;
  try {
    keyMatches = cert.checkPrivateKey(createPrivateKey(existing.keyPem));
  } catch {
    keyMatches = false;
  }
  if (!keyMatches) return 'key missing, unreadable or not the certificate\'s key';
  const caCert = new NodeX509(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return 'not signed by the current CA';
  const expires = new Date(cert.validTo);
  if (expires.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) {
    return `expires ${expires.toISOString()} (renewed ${RENEW_BEFORE_DAYS} days ahead)`;
  }
  let differences: string[];
  try {
    differences = identityDifferences(identity, existing.certPem);
  } catch {
    return 'certificate unreadable';
  }
  if (differences.length > 0) return `identity changed: ${differences.join('; ')}`;
  return undefined;
}
