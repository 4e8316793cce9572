// The thresholds `kubeup certs check` acts on, and what it reads from a certificate.
import { describe, expect, it } from 'vitest';
import { createCa } from '../../../src/pki/ca.js';
import { certFacts, daysLeft, expiryLevel, FAIL_DAYS, WARN_DAYS, worst } from '../../../src/pki/expiry.js';
import { issueCertificate } from '../../../src/pki/issue.js';
import { publicPemOf } from '../../../src/pki/crypto.js';
import { createHash, createPublicKey } from 'node:crypto';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-12-02T00:00:00Z');
const at = (days: number, ms = 0) => new Date(now.getTime() + days * DAY + ms);

describe('expiryLevel', () => {
  it('warns under 30 days left and fails under 7, expired included', () => {
    expect([WARN_DAYS, FAIL_DAYS]).toEqual([30, 7]);
    expect(expiryLevel(at(365), now)).toBe('ok');
    expect(expiryLevel(at(30), now)).toBe('ok');
    expect(expiryLevel(at(30, -1), now)).toBe('warn');
    expect(expiryLevel(at(7), now)).toBe('warn');
    expect(expiryLevel(at(7, -1), now)).toBe('fail');
    expect(expiryLevel(at(0), now)).toBe('fail');
    expect(expiryLevel(at(-3), now)).toBe('fail');
  });

  it('counts whole days left, negative once expired', () => {
    expect(daysLeft(at(29, 23 * 3600 * 1000), now)).toBe(29);
    expect(daysLeft(at(-1, 1), now)).toBe(-1);
  });

  it('worst of several levels', () => {
    expect(worst([])).toBe('ok');
    expect(worst(['ok', 'warn', 'ok'])).toBe('warn');
    expect(worst(['warn', 'fail', 'ok'])).toBe('fail');
  });
});

describe('certFacts', () => {
  it('reads subject, SANs, issuer, serial, expiry and the public key hash of an issued leaf', async () => {
    const ca = await createCa('c1', now);
    const leaf = await issueCertificate(ca, { name: 'kubelet-n1', cn: 'system:node:n1', o: ['system:nodes'], sans: { dns: ['n1'], ip: ['10.0.0.5'] }, usages: ['client', 'server'], ca: 'ca' }, now);
    const f = certFacts(leaf.certPem);
    expect(f.subject).toBe('O=system:nodes, CN=system:node:n1');
    expect(f.sans).toEqual(['DNS:n1', 'IP:10.0.0.5']);
    expect(f.issuer).toBe('CN=kubeup-c1-ca');
    expect(f.serial).toMatch(/^[0-9A-F]+$/);
    expect(f.serial).not.toMatch(/^0/);
    // A calendar year, kubeadm's CertificateValidityPeriod (365 days) give or take a leap day.
    expect(Math.round((f.notAfter.getTime() - now.getTime()) / DAY)).toBe(365);
    const spki = createPublicKey(publicPemOf(leaf.keyPem)).export({ type: 'spki', format: 'der' });
    expect(f.publicKeySha256).toBe(createHash('sha256').update(spki).digest('hex'));
    expect(() => certFacts('not a certificate')).toThrow();
  });
});
