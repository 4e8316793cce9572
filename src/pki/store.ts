// The cluster PKI in the profile's state folder: created once, reused on re-runs, certificates re-issued only when
// their identity changed, they are about to expire, or they were not signed by the current CA. The CA itself is never
// replaced silently.
import { createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createCa, loadCa, type CertificateAuthority } from './ca.js';
import { generateKeyPair, publicPemOf } from './crypto.js';
import { PkiError } from './errors.js';
import { CA_NAME, SERVICE_ACCOUNT_KEY_NAME, type Identity } from './identities.js';
import { reissueReason, RENEW_BEFORE_DAYS } from './inspect.js';
import { issueCertificate, type IssuedCert } from './issue.js';
import { ensurePrivateDir, readIfExists, writeFileAtomic } from './files.js';

export interface ServiceAccountKeyPair {
  /** PKCS#8 PEM (kube-apiserver --service-account-signing-key-file, controller-manager --service-account-private-key-file). */
  keyPem: string;
  /** SPKI PEM (kube-apiserver --service-account-key-file). */
  pubPem: string;
}

export interface ClusterPki {
  ca: { certPem: string; keyPem: string };
  /** One entry per identity, in the identities' order. */
  certs: Map<string, IssuedCert>;
  serviceAccount: ServiceAccountKeyPair;
  /** Names (identity names, `service-account`) whose files were written by this call, sorted. */
  changed: string[];
  /** Why each changed entry was written, e.g. `new`, `identity changed: ip SANs +10.0.0.2 -10.0.0.1`. */
  reasons: Map<string, string>;
  /** True when this call created the CA (first run): every host needs the new ca.crt. */
  caCreated: boolean;
  /** Things to tell the operator that do not stop the run (e.g. the CA expires soon). */
  warnings: string[];
  /** Certificates in the folder that no identity asks for any more (e.g. a removed node's kubelet), sorted. Kept. */
  stale: string[];
}

export interface EnsurePkiOptions {
  /** Goes into the CA's CN (`kubeup-<clusterName>-ca`) when a CA is created. */
  clusterName: string;
  now?: Date;
}

export const certFile = (dir: string, name: string) => join(dir, `${name}.crt`);
export const keyFile = (dir: string, name: string) => join(dir, `${name}.key`);
export const pubFile = (dir: string, name: string) => join(dir, `${name}.pub`);

const DAY_MS = 24 * 60 * 60 * 1000;

async function read(path: string): Promise<string | undefined> {
  try {
    return await readIfExists(path);
  } catch (cause) {
    throw new PkiError('cannot read a file of the cluster PKI', {
      file: path,
      cause,
      hint: 'check that the file belongs to you and is readable (kubeup keeps it mode 0600)',
    });
  }
}

async function write(path: string, content: string): Promise<void> {
  try {
    await writeFileAtomic(path, content);
  } catch (cause) {
    throw new PkiError('cannot write a file of the cluster PKI', {
      file: path,
      cause,
      hint: 'check free space and that the folder belongs to you',
    });
  }
}

/** Leaf certificates already in the folder (any `*.crt` but the CA's). */
async function existingLeafCerts(dir: string): Promise<string[]> {
  const entries = await readdir(dir);
  return entries.filter((f) => f.endsWith('.crt') && f !== `${CA_NAME}.crt`).sort();
}

const restoreHint = (dir: string) =>
  `restore ca.crt and ca.key from a backup into ${dir}; to start over with a new CA instead, move ${dir} away ` +
  '(every certificate is then issued again and every host must be deployed again)';

async function ensureCa(dir: string, opts: EnsurePkiOptions, now: Date): Promise<{ ca: CertificateAuthority; created: boolean }> {
  const files = { cert: certFile(dir, CA_NAME), key: keyFile(dir, CA_NAME) };
  const [certPem, keyPem] = await Promise.all([read(files.cert), read(files.key)]);
  if (certPem !== undefined && keyPem !== undefined) return { ca: await loadCa(certPem, keyPem, files), created: false };
  if (certPem !== undefined) {
    throw new PkiError('the cluster CA key is missing: no certificate can be issued for this cluster', {
      file: files.key,
      hint: restoreHint(dir),
    });
  }
  const leaves = await existingLeafCerts(dir);
  if (leaves.length > 0) {
    throw new PkiError(`the cluster CA certificate is missing but ${leaves.length} certificates issued by it are still here (${leaves.join(', ')})`, {
      file: files.cert,
      hint: restoreHint(dir),
    });
  }
  // Nothing was issued yet (first run, or one stopped between writing ca.key and ca.crt): a new CA is safe.
  const ca = await createCa(opts.clusterName, now);
  await write(files.key, ca.keyPem);
  await write(files.cert, ca.certPem);
  return { ca, created: true };
}

function checkCaValidity(ca: CertificateAuthority, file: string, now: Date, warnings: string[]): void {
  const node = new NodeX509(ca.certPem);
  const expires = new Date(node.validTo);
  if (expires <= now) {
    throw new PkiError(`the cluster CA expired on ${expires.toISOString()}`, {
      file,
      hint: 'kubeup cannot rotate a CA in place: move the state folder away and deploy every host again to get a new CA',
    });
  }
  const days = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
  if (days < RENEW_BEFORE_DAYS * 2) {
    warnings.push(`the cluster CA (${file}) expires on ${expires.toISOString()}, in ${days} days; plan a new cluster CA`);
  }
}

async function ensureServiceAccount(dir: string): Promise<{ pair: ServiceAccountKeyPair; reason?: string }> {
  const keyPath = keyFile(dir, SERVICE_ACCOUNT_KEY_NAME);
  const pubPath = pubFile(dir, SERVICE_ACCOUNT_KEY_NAME);
  const [keyPem, pubPem] = await Promise.all([read(keyPath), read(pubPath)]);
  if (keyPem === undefined) {
    const pair = await generateKeyPair();
    await write(keyPath, pair.keyPem);
    await write(pubPath, pair.pubPem);
    return { pair: { keyPem: pair.keyPem, pubPem: pair.pubPem }, reason: 'new' };
  }
  let derived: string;
  try {
    createPrivateKey(keyPem);
    derived = publicPemOf(keyPem);
  } catch (cause) {
    // Replacing it would invalidate every service-account token the cluster handed out: the operator decides.
    throw new PkiError('the service-account signing key cannot be read', {
      file: keyPath,
      cause,
      hint: `restore it from a backup, or delete ${keyPath} and ${pubPath} to make a new one (existing service-account tokens stop working)`,
    });
  }
  if (pubPem === derived) return { pair: { keyPem, pubPem } };
  await write(pubPath, derived);
  return { pair: { keyPem, pubPem: derived }, reason: 'public key missing or not the signing key\'s' };
}

function checkUniqueNames(identities: readonly Identity[]): void {
  const seen = new Set<string>();
  for (const id of identities) {
    if (id.name === CA_NAME || id.name === SERVICE_ACCOUNT_KEY_NAME || seen.has(id.name) || !/^[a-z0-9][a-z0-9.-]*$/.test(id.name)) {
      throw new PkiError(`identity name "${id.name}" is reserved, repeated or not usable as a file name`, {
        hint: 'this is a bug in the identity table: report it',
      });
    }
    seen.add(id.name);
  }
}

/**
 * Makes sure `dir` holds the CA, one certificate + key per identity, and the service-account key pair; issues only what
 * is missing or out of date. `dir` is made mode 0700, every file 0600.
 */
export async function ensureClusterPki(dir: string, identities: readonly Identity[], opts: EnsurePkiOptions): Promise<ClusterPki> {
  checkUniqueNames(identities);
  const now = opts.now ?? new Date();
  try {
    await ensurePrivateDir(dir);
  } catch (cause) {
    throw new PkiError('cannot create the folder for the cluster PKI', { file: dir, cause, hint: 'check that its parent folder is writable' });
  }
  const warnings: string[] = [];
  const { ca, created } = await ensureCa(dir, opts, now);
  checkCaValidity(ca, certFile(dir, CA_NAME), now, warnings);

  const reasons = new Map<string, string>();
  const issued = await Promise.all(
    identities.map(async (identity): Promise<IssuedCert> => {
      const crtPath = certFile(dir, identity.name);
      const keyPath = keyFile(dir, identity.name);
      const [certPem, keyPem] = await Promise.all([read(crtPath), read(keyPath)]);
      const reason =
        certPem === undefined && keyPem === undefined
          ? 'new'
          : reissueReason(identity, { certPem: certPem ?? '', keyPem: keyPem ?? '' }, ca, now);
      if (reason === undefined) return { certPem: certPem!, keyPem: keyPem! };
      const fresh = await issueCertificate(ca, identity, now);
      // Key first: a run stopped in between leaves a cert whose key does not match, which the next run re-issues.
      await write(keyPath, fresh.keyPem);
      await write(crtPath, fresh.certPem);
      reasons.set(identity.name, reason);
      return fresh;
    }),
  );
  const sa = await ensureServiceAccount(dir);
  const wanted = new Set(identities.map((i) => `${i.name}.crt`));
  const stale = (await existingLeafCerts(dir)).filter((f) => !wanted.has(f)).map((f) => f.slice(0, -'.crt'.length));
  if (sa.reason) reasons.set(SERVICE_ACCOUNT_KEY_NAME, sa.reason);

  return {
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    certs: new Map(identities.map((id, i) => [id.name, issued[i]!])),
    serviceAccount: sa.pair,
    changed: [...reasons.keys()].sort(),
    reasons: new Map([...reasons.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    caCreated: created,
    warnings,
    stale,
  };
}
