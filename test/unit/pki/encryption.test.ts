// The Secrets encryption configuration in the state folder: made once with a fresh 32-byte key, mode 0600, then kept
// as the operator leaves it (rotations), and refused with the file named when it is not one the API server takes.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureEncryptionConfig, ENCRYPTION_CONFIG_FILE } from '../../../src/pki/encryption.js';
import { PkiError } from '../../../src/pki/errors.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('enc')));
afterEach(() => cleanup());

describe('ensureEncryptionConfig', () => {
  it('makes an aescbc configuration with a 32-byte key, mode 0600, identity second', async () => {
    const r = await ensureEncryptionConfig(dir);
    expect(r.created).toBe(true);
    expect((await stat(join(dir, ENCRYPTION_CONFIG_FILE))).mode & 0o777).toBe(0o600);
    const doc = parse(r.text) as { kind: string; resources: { resources: string[]; providers: Record<string, { keys?: { name: string; secret: string }[] }>[] }[] };
    expect(doc.kind).toBe('EncryptionConfiguration');
    expect(doc.resources[0]!.resources).toEqual(['secrets']);
    const key = doc.resources[0]!.providers[0]!.aescbc!.keys![0]!;
    expect(key.name).toBe('kubeup-1');
    expect(Buffer.from(key.secret, 'base64')).toHaveLength(32);
    expect(Object.keys(doc.resources[0]!.providers[1]!)).toEqual(['identity']);
    // A second machine-made key differs.
    const other = await tempDir('enc2');
    const second = await ensureEncryptionConfig(other.dir);
    await other.cleanup();
    expect(second.text).not.toBe(r.text);
  });

  it('keeps the file as it is on the next run (a rotation the operator made)', async () => {
    const first = await ensureEncryptionConfig(dir);
    const doc = parse(first.text) as { resources: { providers: { aescbc?: { keys: { name: string; secret: string }[] } }[] }[] };
    doc.resources[0]!.providers[0]!.aescbc!.keys.unshift({ name: 'kubeup-2', secret: Buffer.alloc(32, 7).toString('base64') });
    const rotated = stringify(doc);
    await writeFile(join(dir, ENCRYPTION_CONFIG_FILE), rotated);
    const again = await ensureEncryptionConfig(dir);
    expect(again).toEqual({ text: rotated, created: false });
  });

  it('refuses a file that is not an EncryptionConfiguration for secrets, naming the file and not the key', async () => {
    await ensureEncryptionConfig(dir);
    const file = join(dir, ENCRYPTION_CONFIG_FILE);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('- secrets', '- configmaps'));
    const err = await ensureEncryptionConfig(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect(err).toMatchObject({ file, message: 'the encryption configuration has no providers for secrets' });
    expect(JSON.stringify(err)).not.toMatch(/secret: /);
    await writeFile(file, 'kind: [');
    await expect(ensureEncryptionConfig(dir)).rejects.toThrow(/is not valid YAML/);
  });
});
