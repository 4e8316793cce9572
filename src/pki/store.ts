// The cluster PKI in the profile's state folder: created once, reused on re-runs, certificates re-issued only when
// their identity changed, they are about to expire, or they were not signed by the current CA. The CA itself is never
// replaced silently.
import { createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { caCommonName, createCa, loadCa, type CertificateAuthority } from './ca.js';
import { generateKeyPair, publicPemOf } from './crypto.js';
import { PkiError } from './errors.js';
import { CA_NAME, CA_NAMES, ENCRYPTION_CONFIG_NAME, SERVICE_ACCOUNT_KEY_NAME, type CaName, type Identity } from './identities.js';
import { reissueReason, RENEW_BEFORE_DAYS } from './inspect.js';
import { issueCertificate, type IssuedCert } from './issue.js';
import { ensurePrivateDir, readIfExists, writeFileAtomic } from './files.js';
import { ensureEncryptionConfig } from './encryption.js';

export interface ServiceAccountKeyPair {
  /** PKCS#8 PEM (kube-apiserver --service-account-signing-key-file, controller-manager --service-account-private-key-file). */
  keyPem: string;
  /** SPKI PEM (kube-apiserver --service-account-key-file). */
  pubPem: string;
}

export interface ClusterPki {
  /** The cluster CA (same as cas.ca). */
  ca: { certPem: string; keyPem: string };
  /** Every CA of the cluster: `ca`, `etcd-ca`, `front-proxy-ca`. */
  cas: Record<CaName, { certPem: string; keyPem: string }>;
  /** One entry per identity, in the identities' order. */
  certs: Map<string, IssuedCert>;
  serviceAccount: ServiceAccountKeyPair;
  /** The API server's EncryptionConfiguration (holds the encryption key: secret). */
  encryptionConfig: string;
  /** Names (identity names, `service-account`) whose files were written by this call, sorted. */
  changed: string[];
  /** Why each changed entry was written, e.g. `new`, `identity changed: ip SANs +10.0.0.2 -10.0.0.1`. */
  reasons: Map<string, string>;
  /** True when this call created the cluster CA (first run): every host needs the new ca.crt. */
  caCreated: boolean;
  /** The CAs this call created (on a cluster from before etcd had its own CA: `etcd-ca`, `front-proxy-ca`). */
  casCreated: CaName[];
  /** Things to tell the operator that do not stop the run (e.g. the CA expires soon). */
  warnings: string[];
  /** Certificates in the folder that no identity asks for any more (e.g. a removed node's kubelet), sorted. Kept. */
  stale: string[];
}

export interface EnsurePkiOptions {
  /** Goes into the CA's CN (`kubeup-<clusterName>-ca`) when a CA is created. */
  clusterName: string;
  now?: Date;
  /**
   * Leaf identities to issue again even when they are still good (`kubeup certs renew`). The CAs, the service-account
   * key and the encryption key are never in it: they are not leaves.
   */
  renew?: ReadonlySet<string>;
}

/** The reason a leaf re-issued by `kubeup certs renew` gets in ClusterPki.reasons. */
export const RENEWED_REASON = 'renewed on request (kubeup certs renew)';

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

const CA_FILES: ReadonlySet<string> = new Set(CA_NAMES.map((n) => `${n}.crt`));

/** Leaf certificates already in the folder (any `*.crt` but the CAs'). */
async function existingLeafCerts(dir: string): Promise<string[]> {
  const entries = await readdir(dir);
  return entries.filter((f) => f.endsWith('.crt') && !CA_FILES.has(f)).sort();
}

/** Of `files` (leaf certificates in `dir`), those whose issuer is `issuerCn`. Unreadable ones count as not. */
async function issuedBy(dir: string, files: string[], issuerCn: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const pem = await read(join(dir, f));
    try {
      if (pem !== undefined && new NodeX509(pem).issuer.split('\n').includes(`CN=${issuerCn}`)) out.push(f);
    } catch {
      // A damaged leaf is re-issued anyway.
    }
  }
  return out;
}

const restoreHint = (dir: string, name: CaName) =>
  `restore ${name}.crt and ${name}.key from a backup into ${dir}; to start over with a new CA instead, move ${dir} away ` +
  '(every certificate is then issued again and every host must be deployed again)';

const caWhat = (name: CaName) => (name === CA_NAME ? 'the cluster CA' : `the ${name.replace(/-ca$/, '')} CA`);

async function ensureCa(dir: string, name: CaName, opts: EnsurePkiOptions, now: Date): Promise<{ ca: CertificateAuthority; created: boolean }> {
  const files = { cert: certFile(dir, name), key: keyFile(dir, name) };
  const what = caWhat(name);
  const [certPem, keyPem] = await Promise.all([read(files.cert), read(files.key)]);
  if (certPem !== undefined && keyPem !== undefined) return { ca: await loadCa(certPem, keyPem, files, what), created: false };
  if (certPem !== undefined) {
    throw new PkiError(`${what} key is missing: no certificate can be issued for this cluster`, {
      file: files.key,
      hint: restoreHint(dir, name),
    });
  }
  // Any leaf was issued by the cluster CA in the past; the other CAs are missing on clusters from before they existed,
  // so for them only leaves that name them as issuer count.
  const leaves = await existingLeafCerts(dir);
  const orphans = name === CA_NAME ? leaves : await issuedBy(dir, leaves, caCommonName(opts.clusterName, name));
  if (orphans.length > 0) {
    throw new PkiError(`${what} certificate is missing but ${orphans.length} certificates issued by it are still here (${orphans.join(', ')})`, {
      file: files.cert,
      hint: restoreHint(dir, name),
    });
  }
  // Nothing was issued by it yet (first run, or one stopped between writing the key and the certificate): a new CA is safe.
  const ca = await createCa(opts.clusterName, now, name);
  await write(files.key, ca.keyPem);
  await write(files.cert, ca.certPem);
  return { ca, created: true };
}

function checkCaValidity(ca: CertificateAuthority, file: string, now: Date, warnings: string[], what: string): void {
  const node = new NodeX509(ca.certPem);
  const expires = new Date(node.validTo);
  if (expires <= now) {
    throw new PkiError(`${what} expired on ${expires.toISOString()}`, {
      file,
      hint: 'kubeup cannot rotate a CA in place: move the state folder away and deploy every host again to get a new CA',
    });
  }
  const days = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
  if (days < RENEW_BEFORE_DAYS * 2) {
    warnings.push(`${what} (${file}) expires on ${expires.toISOString()}, in ${days} days; plan a new one`);
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
    if ((CA_NAMES as readonly string[]).includes(id.name) || id.name === SERVICE_ACCOUNT_KEY_NAME || id.name === ENCRYPTION_CONFIG_NAME || seen.has(id.name) || !/^[a-z0-9][a-z0-9.-]*$/.test(id.name)) {
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
  const cas = {} as Record<CaName, CertificateAuthority>;
  const casCreated: CaName[] = [];
  // One after another: the cluster CA's check for orphaned leaves must run before any other CA writes a file.
  for (const name of CA_NAMES) {
    const { ca, created } = await ensureCa(dir, name, opts, now);
    checkCaValidity(ca, certFile(dir, name), now, warnings, caWhat(name));
    cas[name] = ca;
    if (created) casCreated.push(name);
  }

  const reasons = new Map<string, string>();
  // Per identity, so that the warnings come in identity order whatever order the parallel checks finish in.
  const damaged: (string | undefined)[] = [];
  const issued = await Promise.all(
    identities.map(async (identity, index): Promise<IssuedCert> => {
      const crtPath = certFile(dir, identity.name);
      const keyPath = keyFile(dir, identity.name);
      const [certPem, keyPem] = await Promise.all([read(crtPath), read(keyPath)]);
      const reason =
        certPem === undefined && keyPem === undefined
          ? 'new'
          : (reissueReason(identity, { certPem: certPem ?? '', keyPem: keyPem ?? '' }, cas[identity.ca], now) ?? (opts.renew?.has(identity.name) ? RENEWED_REASON : undefined));
      if (reason === undefined) return { certPem: certPem!, keyPem: keyPem! };
      // A damaged file (truncated, not PEM, a key of another pair) is said, with its path: it is replaced, not hidden.
      if (/unreadable|key missing/.test(reason)) damaged[index] = `${reason === 'certificate unreadable' ? crtPath : keyPath}: ${reason}; issued a new certificate and key for ${identity.name}`;
      const fresh = await issueCertificate(cas[identity.ca], identity, now);
      // Key first: a run stopped in between leaves a cert whose key does not match, which the next run re-issues.
      await write(keyPath, fresh.keyPem);
      await write(crtPath, fresh.certPem);
      reasons.set(identity.name, reason);
      return fresh;
    }),
  );
  warnings.push(...damaged.filter((w): w is string => w !== undefined));
  const sa = await ensureServiceAccount(dir);
  const encryption = await ensureEncryptionConfig(dir);
  if (encryption.created) reasons.set(ENCRYPTION_CONFIG_NAME, 'new');
  const wanted = new Set(identities.map((i) => `${i.name}.crt`));
  const stale = (await existingLeafCerts(dir)).filter((f) => !wanted.has(f)).map((f) => f.slice(0, -'.crt'.length));
  if (sa.reason) reasons.set(SERVICE_ACCOUNT_KEY_NAME, sa.reason);

  const pems = (ca: CertificateAuthority) => ({ certPem: ca.certPem, keyPem: ca.keyPem });
  return {
    ca: pems(cas.ca),
    cas: { ca: pems(cas.ca), 'etcd-ca': pems(cas['etcd-ca']), 'front-proxy-ca': pems(cas['front-proxy-ca']) },
    certs: new Map(identities.map((id, i) => [id.name, issued[i]!])),
    serviceAccount: sa.pair,
    encryptionConfig: encryption.text,
    changed: [...reasons.keys()].sort(),
    reasons: new Map([...reasons.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    caCreated: casCreated.includes(CA_NAME),
    casCreated,
    warnings,
    stale,
  };
}
