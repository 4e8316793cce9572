/**
 * Encryption at rest as kube-apiserver does it with --encryption-provider-config
 * (k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go, the apiserver.config.k8s.io/v1
 * EncryptionConfiguration and its validation in k8s.io/apiserver/pkg/apis/apiserver/validation/validation.go):
 * per resource, writes go through the first provider and reads through whichever provider's prefix the stored value
 * carries (identity reads what has none). aescbc as staging/src/k8s.io/apiserver/pkg/storage/value/encrypt/aes/
 * aes.go writes it: `k8s:enc:aescbc:v1:<key name>:` + 16-byte random IV + AES-CBC(PKCS#7-padded data).
 * Only aescbc and identity are implemented: any other provider (aesgcm, secretbox, kms) makes the stand-in refuse to
 * start, rather than store plaintext while claiming to encrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StandinExit } from '../errors.js';
import { goOpenError } from '../pki.js';
import { parseYamlStrict } from '../yaml.js';

interface AesKey {
  readonly name: string;
  readonly secret: Buffer;
}

type Provider = { kind: 'aescbc'; keys: AesKey[] } | { kind: 'identity' };

interface ResourceRule {
  readonly resources: string[];
  readonly providers: Provider[];
}

const KNOWN_PROVIDERS = ['aescbc', 'aesgcm', 'secretbox', 'identity', 'kms'];
const AES_KEY_SIZES = [16, 24, 32];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, message: string): never {
  throw new StandinExit(`error while parsing file: error while parsing encryption provider configuration file "${path}": ${message}`);
}

function parseProvider(path: string, raw: unknown, where: string): Provider {
  if (!isObj(raw)) fail(path, `${where}: Invalid value: a provider must be an object`);
  const kinds = Object.keys(raw);
  const unknown = kinds.filter((k) => !KNOWN_PROVIDERS.includes(k));
  if (unknown.length > 0) fail(path, `strict decoding error: unknown field "${where}.${unknown[0]}"`);
  if (kinds.length !== 1) fail(path, `${where}: Invalid value: ${JSON.stringify(kinds)}: more than one provider specified in a single element, should split into different list elements`);
  const kind = kinds[0]!;
  if (kind === 'identity') return { kind: 'identity' };
  if (kind !== 'aescbc') throw new StandinExit(`the kube-apiserver stand-in does not implement the ${kind} encryption provider (${path}, ${where}): use aescbc or identity`);
  const body = raw.aescbc;
  if (!isObj(body) || !Array.isArray(body.keys) || body.keys.length === 0) fail(path, `${where}.aescbc.keys: Required value: keys (providers.aescbc.keys) must contain at least one key`);
  const extra = Object.keys(body).filter((k) => k !== 'keys');
  if (extra.length > 0) fail(path, `strict decoding error: unknown field "${where}.aescbc.${extra[0]}"`);
  const names = new Set<string>();
  const keys = body.keys.map((k: unknown, i: number): AesKey => {
    const at = `${where}.aescbc.keys[${i}]`;
    if (!isObj(k) || typeof k.name !== 'string' || k.name === '') fail(path, `${at}.name: Required value: key name is required`);
    const unknownKeyField = Object.keys(k).find((f) => f !== 'name' && f !== 'secret');
    if (unknownKeyField) fail(path, `strict decoding error: unknown field "${at}.${unknownKeyField}"`);
    if (k.name.includes(':')) fail(path, `${at}.name: Invalid value: "${k.name}": should not contain ':'`);
    if (names.has(k.name)) fail(path, `${at}.name: Duplicate value: "${k.name}"`);
    names.add(k.name);
    if (typeof k.secret !== 'string' || k.secret === '') fail(path, `${at}.secret: Required value: secret is required`);
    const secret = Buffer.from(k.secret, 'base64');
    if (secret.toString('base64') !== k.secret.replace(/\s/g, '')) fail(path, `${at}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
    if (!AES_KEY_SIZES.includes(secret.length)) fail(path, `${at}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${secret.length}, expected one of [16 24 32]`);
    return { name: k.name, secret };
  });
  return { kind: 'aescbc', keys };
}

export class EncryptionConfig {
  private constructor(private readonly rules: ResourceRule[]) {}

  /** Reads and checks the file at start-up; a file the stand-in cannot honour stops it. */
  static load(path: string): EncryptionConfig {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      fail(path, `error reading encryption provider configuration file "${path}": ${goOpenError(path, err)}`);
    }
    let doc: unknown;
    try {
      doc = parseYamlStrict(text, path);
    } catch (err) {
      fail(path, (err as Error).message);
    }
    if (!isObj(doc)) fail(path, 'the file does not hold an object');
    if (doc.kind !== 'EncryptionConfiguration' || doc.apiVersion !== 'apiserver.config.k8s.io/v1') {
      fail(path, `no kind "${String(doc.kind)}" is registered for version "${String(doc.apiVersion)}" in scheme`);
    }
    const extra = Object.keys(doc).filter((k) => !['kind', 'apiVersion', 'resources'].includes(k));
    if (extra.length > 0) fail(path, `strict decoding error: unknown field "${extra[0]}"`);
    if (!Array.isArray(doc.resources) || doc.resources.length === 0) fail(path, 'resources: Required value: resources is a required field');
    const rules = doc.resources.map((r: unknown, i: number): ResourceRule => {
      const where = `resources[${i}]`;
      if (!isObj(r) || !Array.isArray(r.resources) || r.resources.length === 0) fail(path, `${where}.resources: Required value: resources is a required field`);
      if (!Array.isArray(r.providers) || r.providers.length === 0) fail(path, `${where}.providers: Required value: providers is a required field`);
      return {
        resources: r.resources.map(String),
        providers: r.providers.map((p: unknown, j: number) => parseProvider(path, p, `${where}.providers[${j}]`)),
      };
    });
    return new EncryptionConfig(rules);
  }

  /** The providers for a resource (`secrets`, `deployments.apps`): the first rule that names it, else none. */
  private providersFor(resource: string): Provider[] | undefined {
    const group = resource.includes('.') ? resource.slice(resource.indexOf('.') + 1) : '';
    return this.rules.find((r) => r.resources.some((n) => n === resource || n === '*.*' || (n === '*.' && group === '') || n === `*.${group}`))?.providers;
  }

  toStorage(resource: string, data: Buffer): Buffer {
    const first = this.providersFor(resource)?.[0];
    if (!first || first.kind === 'identity') return data;
    const key = first.keys[0]!;
    const iv = randomBytes(16);
    const cipher = createCipheriv(`aes-${key.secret.length * 8}-cbc`, key.secret, iv);
    return Buffer.concat([Buffer.from(`k8s:enc:aescbc:v1:${key.name}:`), iv, cipher.update(data), cipher.final()]);
  }

  fromStorage(resource: string, stored: Buffer): Buffer {
    const providers = this.providersFor(resource);
    if (!providers) return stored;
    for (const p of providers) {
      if (p.kind !== 'aescbc') continue;
      for (const key of p.keys) {
        const prefix = Buffer.from(`k8s:enc:aescbc:v1:${key.name}:`);
        if (!stored.subarray(0, prefix.length).equals(prefix)) continue;
        const body = stored.subarray(prefix.length);
        if (body.length < 16 || (body.length - 16) % 16 !== 0) throw new Error('the stored data is not a multiple of the block size');
        const decipher = createDecipheriv(`aes-${key.secret.length * 8}-cbc`, key.secret, body.subarray(0, 16));
        return Buffer.concat([decipher.update(body.subarray(16)), decipher.final()]);
      }
    }
    if (providers.some((p) => p.kind === 'identity') && !stored.subarray(0, 8).equals(Buffer.from('k8s:enc:'))) return stored;
    throw new Error('no matching prefix found');
  }
}
