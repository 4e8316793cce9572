// What `kubeup certs check` says about one certificate (pure): its subject, SANs, issuer, serial and expiry, and how
// close that expiry is. The thresholds are the ones a cron job acts on (README, "Certificates").
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { RENEW_BEFORE_DAYS } from './inspect.js';

/** Warn this many days ahead: also the point where `kubeup up` re-issues a leaf on its own (RENEW_BEFORE_DAYS). */
export const WARN_DAYS = RENEW_BEFORE_DAYS;
/** Fail this many days ahead: a week is the least a person needs to act on a cron job's mail. */
export const FAIL_DAYS = 7;

export type Level = 'ok' | 'warn' | 'fail';
const RANK: Record<Level, number> = { ok: 0, warn: 1, fail: 2 };
export const worst = (levels: Iterable<Level>): Level => [...levels].reduce<Level>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days left (negative once expired). */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** fail: expired or fewer than FAIL_DAYS left; warn: fewer than WARN_DAYS; else ok. */
export function expiryLevel(notAfter: Date, now: Date): Level {
  const left = notAfter.getTime() - now.getTime();
  if (left < FAIL_DAYS * DAY_MS) return 'fail';
  if (left < WARN_DAYS * DAY_MS) return 'warn';
  return 'ok';
}

export interface CertFacts {
  /** `CN=…, O=…` as openssl prints it, RDNs in certificate order. */
  subject: string;
  /** `DNS:…` and `IP:…` entries. */
  sans: string[];
  issuer: string;
  /** Upper-case hex, as Node and openssl print it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** sha256 of the public key's SPKI DER: compares a certificate with a key without reading the key's secret. */
  publicKeySha256: string;
}

const rdns = (name: string) => name.split('\n').filter(Boolean).join(', ');

/** Facts of a PEM certificate; throws when it is not one. */
export function certFacts(pem: string): CertFacts {
  const c = new NodeX509(pem);
  const sans = (c.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  return {
    subject: rdns(c.subject),
    sans,
    issuer: rdns(c.issuer),
    serial: c.serialNumber.toUpperCase().replace(/^0+(?=.)/, ''),
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    publicKeySha256: createHash('sha256').update(c.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'),
  };
}
