/**
 * Certificate and key checks with node:crypto, failing the way the real (Go) daemons fail and always naming the
 * file: missing, not PEM, key not matching the certificate, not signed by the CA that must be trusted, expired.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StandinExit } from './errors.js';

/** Go's os.Open error text for the common cases. */
/** Go's text for an errno, as os.PathError prints it. */
const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
};

/** Go's `<op> <path>: <errno text>` for a failed file operation. */
export function goPathError(op: string, path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return `${op} ${path}: ${GO_ERRNO[code] ?? (err as Error).message}`;
}

export function goOpenError(path: string, err: unknown): string {
  if ((err as NodeJS.ErrnoException).code === 'EISDIR') return `read ${path}: is a directory`;
  return goPathError('open', path, err);
}

export function readFileOrExit(path: string, context: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StandinExit(`${context}: ${goOpenError(path, err)}`);
  }
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  readonly type: string;
  readonly pem: string;
}

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(pemBlock)].map((m) => ({ type: m[1] as string, pem: m[0] }));
}

/** All CERTIFICATE blocks in a file; refuses files with none, like cert.ParseCertsPEM. */
export function parseCertificates(text: string, path: string, context: string): X509Certificate[] {
  const blocks = pemBlocks(text).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) {
    throw new StandinExit(`${context}: ${path}: data does not contain any valid RSA or ECDSA certificates`);
  }
  return blocks.map((b) => {
    try {
      return new X509Certificate(b.pem);
    } catch (err) {
      throw new StandinExit(`${context}: ${path}: x509: malformed certificate (${(err as Error).message})`);
    }
  });
}

export function loadCertificates(path: string, context: string): X509Certificate[] {
  return parseCertificates(readFileOrExit(path, context).toString('utf8'), path, context);
}

export function parsePrivateKey(text: string, path: string, context: string): KeyObject {
  const block = pemBlocks(text).find((b) => b.type.endsWith('PRIVATE KEY'));
  if (!block) throw new StandinExit(`${context}: ${path}: tls: failed to find any PEM data in key input`);
  if (block.type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(block.pem)) {
    throw new StandinExit(`${context}: ${path}: tls: failed to parse private key: the key is encrypted (passphrase keys are not supported)`);
  }
  try {
    return createPrivateKey(block.pem);
  } catch {
    throw new StandinExit(`${context}: ${path}: tls: failed to parse private key`);
  }
}

export function loadPrivateKey(path: string, context: string): KeyObject {
  return parsePrivateKey(readFileOrExit(path, context).toString('utf8'), path, context);
}

/** Public keys in a file: PUBLIC KEY / RSA PUBLIC KEY blocks, certificates, or private keys (their public half). */
export function loadPublicKeys(path: string, context: string): KeyObject[] {
  const text = readFileOrExit(path, context).toString('utf8');
  const keys: KeyObject[] = [];
  for (const block of pemBlocks(text)) {
    try {
      if (block.type === 'CERTIFICATE') keys.push(new X509Certificate(block.pem).publicKey);
      else if (block.type.endsWith('PRIVATE KEY')) keys.push(createPublicKey(createPrivateKey(block.pem)));
      else if (block.type.endsWith('PUBLIC KEY')) keys.push(createPublicKey(block.pem));
    } catch (err) {
      throw new StandinExit(`${context}: ${path}: error reading public key: ${(err as Error).message}`);
    }
  }
  if (keys.length === 0) throw new StandinExit(`${context}: ${path}: data does not contain any valid RSA or ECDSA public keys`);
  return keys;
}

export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  return cert.checkPrivateKey(key);
}

export function checkNotExpired(cert: X509Certificate, path: string, context: string, now = new Date()): void {
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  if (now > notAfter) {
    throw new StandinExit(
      `${context}: ${path}: x509: certificate has expired or is not yet valid: current time ${now.toISOString()} is after ${notAfter.toISOString()}`,
    );
  }
  if (now < notBefore) {
    throw new StandinExit(
      `${context}: ${path}: x509: certificate has expired or is not yet valid: current time ${now.toISOString()} is before ${notBefore.toISOString()}`,
    );
  }
}

/** True when `cert` names `ca` as issuer and carries a valid signature by it. */
export function isSignedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

export function checkSignedByOneOf(cert: X509Certificate, cas: readonly X509Certificate[], path: string, caPath: string, context: string): void {
  if (!cas.some((ca) => isSignedBy(cert, ca))) {
    throw new StandinExit(
      `${context}: ${path}: x509: certificate signed by unknown authority (subject ${JSON.stringify(cert.subject.replace(/\n/g, ','))} is not signed by a CA in ${caPath})`,
    );
  }
}

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: X509Certificate;
  readonly chain: X509Certificate[];
  readonly key: KeyObject;
}

/**
 * A certificate + key as tls.LoadX509KeyPair loads them, plus the checks the brief requires of every stand-in:
 * key matches, not expired, and (when given) signed by one of `trustedCas`.
 */
export function loadKeyPair(certPath: string, keyPath: string, context: string, trust?: { cas: X509Certificate[]; path: string }): KeyPair {
  const certPem = readFileOrExit(certPath, context).toString('utf8');
  const keyPem = readFileOrExit(keyPath, context).toString('utf8');
  const chain = parseCertificates(certPem, certPath, context);
  const cert = chain[0] as X509Certificate;
  const key = parsePrivateKey(keyPem, keyPath, context);
  if (!keyMatchesCertificate(key, cert)) {
    throw new StandinExit(`${context}: tls: private key does not match public key (certificate ${certPath}, key ${keyPath})`);
  }
  checkNotExpired(cert, certPath, context);
  if (trust) checkSignedByOneOf(cert, trust.cas, certPath, trust.path, context);
  return { certPem, keyPem, cert, chain, key };
}

/** Subject fields as the API server maps them: CN -> user name, O -> groups. */
export function subjectFields(cert: X509Certificate): { cn: string; o: string[] } {
  const lines = cert.subject.split('\n');
  const cn = lines.find((l) => l.startsWith('CN='))?.slice(3) ?? '';
  const o = lines.filter((l) => l.startsWith('O=')).map((l) => l.slice(2));
  return { cn, o };
}
