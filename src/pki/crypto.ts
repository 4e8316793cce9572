// Key pairs and PEM encoding. ECDSA P-256 through WebCrypto: fast, and read by every Kubernetes component and etcd.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const subtle = webcrypto.subtle;

export interface GeneratedKeyPair {
  keys: CryptoKeyPair;
  /** PKCS#8 `PRIVATE KEY` PEM. */
  keyPem: string;
  /** SPKI `PUBLIC KEY` PEM. */
  pubPem: string;
}

/** PEM text ending in a newline, as openssl and Kubernetes write it. */
export function toPem(der: ArrayBuffer, tag: 'PRIVATE KEY' | 'PUBLIC KEY' | 'CERTIFICATE'): string {
  return `${x509.PemConverter.encode(der, tag).trimEnd()}\n`;
}

export async function generateKeyPair(): Promise<GeneratedKeyPair> {
  const keys = (await subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const [pkcs8, spki] = await Promise.all([subtle.exportKey('pkcs8', keys.privateKey), subtle.exportKey('spki', keys.publicKey)]);
  return {
    keys,
    keyPem: toPem(pkcs8, 'PRIVATE KEY'),
    pubPem: toPem(spki, 'PUBLIC KEY'),
  };
}

/** A PKCS#8 P-256 private key PEM as a WebCrypto signing key. Throws on anything else. */
export async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
}

/** The SPKI PEM of a private key's public half (Node reads any PEM private key). */
export function publicPemOf(keyPem: string): string {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

/** Whether the private key is a P-256 EC key in PKCS#8 PEM. */
export function isP256Pkcs8(keyPem: string): boolean {
  if (!/^-----BEGIN PRIVATE KEY-----/m.test(keyPem)) return false;
  try {
    const key = createPrivateKey(keyPem);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

export { x509 };
