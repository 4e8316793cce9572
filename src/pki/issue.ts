// Leaf certificates, issued from the identity table by the cluster CA.
import { randomBytes } from 'node:crypto';
import { addYears, BACKDATE_MS, type CertificateAuthority } from './ca.js';
import { generateKeyPair, SIGNING_ALGORITHM, toPem, x509 } from './crypto.js';
import type { CertUsage, Identity } from './identities.js';

export const LEAF_VALIDITY_YEARS = 1;

export interface IssuedCert {
  certPem: string;
  /** PKCS#8 PEM. Secret. */
  keyPem: string;
}

const EKU: Record<CertUsage, string> = {
  client: x509.ExtendedKeyUsage.clientAuth,
  server: x509.ExtendedKeyUsage.serverAuth,
};

/** Subject as separate RDNs: O first, then CN (the order kubeadm and openssl print). */
export function subjectOf(identity: Pick<Identity, 'cn' | 'o'>): x509.JsonName {
  return [...(identity.o ?? []).map((o) => ({ O: [o] })), { CN: [identity.cn] }];
}

/** A positive 128-bit serial (high bit cleared so DER never needs a sign byte). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

export async function issueCertificate(ca: CertificateAuthority, identity: Identity, now: Date = new Date()): Promise<IssuedCert> {
  const pair = await generateKeyPair();
  const names = [
    ...identity.sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...identity.sans.ip.map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([...identity.usages].sort().map((u) => EKU[u])),
    await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const notAfter = addYears(now, LEAF_VALIDITY_YEARS);
  // A leaf never outlives its CA.
  const caEnd = ca.cert.notAfter;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectOf(identity),
    issuer: ca.cert.subjectName,
    publicKey: pair.keys.publicKey,
    signingKey: ca.signingKey,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: notAfter > caEnd ? caEnd : notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { certPem: toPem(cert.rawData, 'CERTIFICATE'), keyPem: pair.keyPem };
}
