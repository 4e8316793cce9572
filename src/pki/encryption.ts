// Encryption at rest for Secrets: the API server's EncryptionConfiguration, with an AES key generated on this machine
// and kept next to the CA keys (mode 0600). kubeup writes it once and afterwards uploads it as it is, so that a key the
// operator added or moved to the front for a rotation (README, "Rotating the encryption key") is kept.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PkiError } from './errors.js';
import { readIfExists, writeFileAtomic } from './files.js';

export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';
/** The first key's name: it shows in every stored Secret as `k8s:enc:aescbc:v1:<name>:`. */
export const FIRST_KEY_NAME = 'kubeup-1';

/** aescbc with a 32-byte key, then identity so that Secrets written before encryption was on can still be read. */
export function renderEncryptionConfig(keyName: string, secret: Buffer): string {
  return stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: keyName, secret: secret.toString('base64') }] } }, { identity: {} }] }],
  });
}

/** Refuses a file the API server would refuse, naming it; the key itself is never put in a message. */
function checkEncryptionConfig(text: string, file: string): void {
  const problem = (what: string) =>
    new PkiError(`the encryption configuration ${what}`, {
      file,
      hint: `fix the file (see README, "Rotating the encryption key"), or restore it from a backup; without its keys the Secrets stored in etcd cannot be read`,
    });
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    throw problem('is not valid YAML');
  }
  const d = doc as { apiVersion?: unknown; kind?: unknown; resources?: unknown };
  if (d?.kind !== 'EncryptionConfiguration' || d.apiVersion !== 'apiserver.config.k8s.io/v1') {
    throw problem('is not an apiserver.config.k8s.io/v1 EncryptionConfiguration');
  }
  const rules = Array.isArray(d.resources) ? (d.resources as { resources?: unknown; providers?: unknown }[]) : [];
  const secrets = rules.find((r) => Array.isArray(r?.resources) && (r.resources as unknown[]).includes('secrets'));
  if (!secrets || !Array.isArray(secrets.providers) || secrets.providers.length === 0) throw problem('has no providers for secrets');
}

/** The configuration in `dir`, made when missing. `created` says whether this call made it. */
export async function ensureEncryptionConfig(dir: string): Promise<{ text: string; created: boolean }> {
  const file = join(dir, ENCRYPTION_CONFIG_FILE);
  let text: string | undefined;
  try {
    text = await readIfExists(file);
  } catch (cause) {
    throw new PkiError('cannot read the encryption configuration', { file, cause, hint: 'check that the file belongs to you (kubeup keeps it mode 0600)' });
  }
  if (text !== undefined) {
    checkEncryptionConfig(text, file);
    return { text, created: false };
  }
  const fresh = renderEncryptionConfig(FIRST_KEY_NAME, randomBytes(32));
  try {
    await writeFileAtomic(file, fresh);
  } catch (cause) {
    throw new PkiError('cannot write the encryption configuration', { file, cause, hint: 'check free space and that the folder belongs to you' });
  }
  return { text: fresh, created: true };
}
