// The cluster's CAs (see CA_NAMES): ECDSA P-256, self-signed, 10 years.
import { createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { type CryptoKey, generateKeyPair, toPem, importSigningKey, isP256Pkcs8, SIGNING_ALGORITHM, x509 } from './crypto.js';
import { PkiError } from './errors.js';

export const CA_VALIDITY_YEARS = 10;
/** Certificates start a little in the past, so hosts whose clock lags still accept them. */
export const BACKDATE_MS = 5 * 60 * 1000;

export interface CertificateAuthority {
  certPem: string;
  /** PKCS#8 PEM. Secret. */
  keyPem: string;
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
}

/** `kubeup-<cluster>-ca`, `kubeup-<cluster>-etcd-ca`, `kubeup-<cluster>-front-proxy-ca`. */
export function caCommonName(clusterName: string, ca: string = 'ca'): string {
  return `kubeup-${clusterName}-${ca}`;
}

export function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

export async function createCa(clusterName: string, now: Date = new Date(), ca: string = 'ca'): Promise<CertificateAuthority> {
  const pair = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [caCommonName(clusterName, ca)] }],
    keys: pair.keys,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: addYears(now, CA_VALIDITY_YEARS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(pair.keys.publicKey),
    ],
  });
  return { certPem: toPem(cert.rawData, 'CERTIFICATE'), keyPem: pair.keyPem, cert, signingKey: pair.keys.privateKey };
}

/**
 * Reads a CA from its PEM files' contents and checks that it is a CA and that the key belongs to it.
 * `files` names the files in errors.
 */
export async function loadCa(certPem: string, keyPem: string, files: { cert: string; key: string }, what = 'the cluster CA'): Promise<CertificateAuthority> {
  let node: NodeX509;
  let cert: x509.X509Certificate;
  try {
    node = new NodeX509(certPem);
    cert = new x509.X509Certificate(certPem);
  } catch (cause) {
    throw new PkiError(`${what} certificate cannot be read`, {
      file: files.cert,
      cause,
      hint: `restore ${files.cert} from a backup; only if the cluster is to be rebuilt, move the whole folder away (kubeup then creates a new CA and every host must be deployed again)`,
    });
  }
  if (!node.ca) {
    throw new PkiError(`${what} certificate is not a CA certificate`, {
      file: files.cert,
      hint: `restore the CA that kubeup created into ${files.cert}`,
    });
  }
  if (!isP256Pkcs8(keyPem)) {
    throw new PkiError(`${what} key cannot be read (expected an EC P-256 key in PKCS#8 PEM)`, {
      file: files.key,
      hint: `restore ${files.key} from a backup; without it no certificate can be issued for this cluster`,
    });
  }
  let matches = false;
  try {
    matches = node.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new PkiError(`${what} key does not belong to the CA certificate`, {
      file: files.key,
      hint: `restore the matching pair ${files.cert} / ${files.key} from a backup`,
    });
  }
  return { certPem, keyPem, cert, signingKey: await importSigningKey(keyPem) };
}
