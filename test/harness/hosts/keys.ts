// The client key the harness logs in with, and host key fingerprints in OpenSSH's `SHA256:` form.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TestHostsError } from './errors.js';
import { run } from './run.js';

export interface ClientKey {
  privateKeyPath: string;
  publicKey: string;
}

/** A fresh ed25519 key pair without a passphrase; the private half is mode 0600. */
export async function generateClientKey(dir: string): Promise<ClientKey> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = path.join(dir, 'id_ed25519');
  fs.rmSync(privateKeyPath, { force: true });
  fs.rmSync(`${privateKeyPath}.pub`, { force: true });
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'kubeup-test-hosts', '-f', privateKeyPath]);
  fs.chmodSync(privateKeyPath, 0o600);
  return { privateKeyPath, publicKey: fs.readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() };
}

/** `SHA256:<base64 without padding>` of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOfKeyBlob(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of a public key line (`ssh-ed25519 AAAA... comment`). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob) throw new TestHostsError(`not an OpenSSH public key line: ${line.slice(0, 40)}`);
  return fingerprintOfKeyBlob(Buffer.from(blob, 'base64'));
}

/** `type base64` of every host public key in a root filesystem, sorted by file name. */
export function hostPublicKeys(rootDir: string): string[] {
  const sshDir = path.join(rootDir, 'etc/ssh');
  return fs
    .readdirSync(sshDir)
    .filter((n) => n.startsWith('ssh_host_') && n.endsWith('_key.pub'))
    .sort()
    .map((n) => fs.readFileSync(path.join(sshDir, n), 'utf8').trim().split(/\s+/).slice(0, 2).join(' '));
}

/** A known_hosts line pattern: bare address on port 22, `[address]:port` otherwise. */
export function knownHostsPattern(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}
