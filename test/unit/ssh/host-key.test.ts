import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyError } from '../../../src/ssh/errors.js';
import { hostKeyError, normalizeFingerprint, preferredHostKeyAlgorithms, verifyHostKey } from '../../../src/ssh/host-key.js';
import { fingerprint, parseKnownHosts } from '../../../src/ssh/known-hosts.js';

let dir: string;
const blob: Record<string, Buffer> = {};
const text: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-hk-'));
  for (const [name, type] of [['a', 'ed25519'], ['b', 'ed25519'], ['ec', 'ecdsa']] as const) {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, name)]);
    const line = readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(' ');
    text[name] = `${line[0]} ${line[1]}`;
    blob[name] = Buffer.from(line[1]!, 'base64');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries = (lines: string[]) => parseKnownHosts(lines.join('\n'), '/home/u/.ssh/known_hosts').entries;
const ctx = { host: '10.0.0.1', port: 2222, knownHostsFile: '/home/u/.ssh/known_hosts', pinField: 'hosts[0].hostKey' };

describe('verifyHostKey', () => {
  it('a host covered only by a @cert-authority line is refused with the line and the ways out, even with --accept-new-host-keys', () => {
    for (const acceptNew of [false, true]) {
      const v = verifyHostKey({ host: '10.0.0.1', port: 2222, key: blob.a!, knownHosts: entries([`other ${text.b}`, `@cert-authority *.lab,[10.0.0.*]:2222 ${text.ec}`]), acceptNew });
      expect(v).toEqual({ status: 'cert-authority', fingerprint: fingerprint(blob.a!), keyType: 'ssh-ed25519', where: ['/home/u/.ssh/known_hosts:2'] });
      if (v.status !== 'cert-authority') return;
      const err = hostKeyError(v, ctx);
      expect(err.problem).toBe('cert-authority');
      expect(err.describe()).toMatch(
        /^host key of \[10\.0\.0\.1\]:2222 is vouched for only by a certificate authority \(@cert-authority at \/home\/u\/\.ssh\/known_hosts:2\); kubeup cannot verify OpenSSH host certificates, so it does not trust them\. The host offered ssh-ed25519 SHA256:/,
      );
      expect(err.hint).toContain(`hosts[0].hostKey: ${fingerprint(blob.a!)}`);
    }
    // A plain entry for the key still decides alone.
    expect(verifyHostKey({ host: '10.0.0.1', port: 2222, key: blob.a!, knownHosts: entries([`[10.0.0.1]:2222 ${text.a}`, `@cert-authority * ${text.ec}`]), acceptNew: false }).status).toBe('ok');
  });

  it('accepts the key known_hosts holds for the host', () => {
    const v = verifyHostKey({ host: '10.0.0.1', port: 2222, key: blob.a!, knownHosts: entries([`[10.0.0.1]:2222 ${text.a}`]), acceptNew: false });
    expect(v).toEqual({ status: 'ok', fingerprint: fingerprint(blob.a!), via: 'known_hosts' });
  });

  it('refuses an unknown host with its fingerprint and both ways to accept it', () => {
    const v = verifyHostKey({ host: '10.0.0.1', port: 2222, key: blob.a!, knownHosts: entries([`10.0.0.1 ${text.a}`]), acceptNew: false });
    expect(v.status).toBe('unknown');
    if (v.status !== 'unknown') return;
    const err = hostKeyError(v, ctx);
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.message).toContain(fingerprint(blob.a!));
    expect(err.message).toContain('[10.0.0.1]:2222');
    expect(err.hint).toContain('--accept-new-host-keys');
    expect(err.hint).toContain(`hosts[0].hostKey: ${fingerprint(blob.a!)}`);
    expect(err.hint).toContain('ssh_host_ed25519_key.pub');
  });

  it('lets acceptNew learn a host that has no entry', () => {
    const v = verifyHostKey({ host: '10.0.0.1', port: 22, key: blob.a!, knownHosts: [], acceptNew: true });
    expect(v).toEqual({ status: 'new', fingerprint: fingerprint(blob.a!), keyType: 'ssh-ed25519' });
  });

  it('treats a key of another algorithm as not yet known, and names the known algorithms', () => {
    const v = verifyHostKey({ host: 'n1', port: 22, key: blob.a!, knownHosts: entries([`n1 ${text.ec}`]), acceptNew: false });
    expect(v).toMatchObject({ status: 'unknown', otherKeyTypes: ['ecdsa-sha2-nistp256'] });
  });

  it('refuses a changed key loudly even with acceptNew, with expected and offered fingerprints and ssh-keygen -R', () => {
    const v = verifyHostKey({ host: '10.0.0.1', port: 2222, key: blob.b!, knownHosts: entries([`[10.0.0.1]:2222 ${text.a}`]), acceptNew: true });
    expect(v.status).toBe('changed');
    if (v.status !== 'changed') return;
    expect(v.expected).toEqual([{ fingerprint: fingerprint(blob.a!), where: '/home/u/.ssh/known_hosts:1' }]);
    const err = hostKeyError(v, ctx);
    expect(err.message).toMatch(/^HOST KEY CHANGED/);
    expect(err.message).toContain(`expected ${fingerprint(blob.a!)}`);
    expect(err.message).toContain(`offered ssh-ed25519 ${fingerprint(blob.b!)}`);
    expect(err.hint).toContain("ssh-keygen -R '[10.0.0.1]:2222' -f /home/u/.ssh/known_hosts");
    expect(err.problem).toBe('changed');
  });

  it('refuses a revoked key even when it is also listed as known', () => {
    const kh = entries([`10.0.0.1 ${text.a}`, `@revoked * ${text.a}`]);
    const v = verifyHostKey({ host: '10.0.0.1', port: 22, key: blob.a!, knownHosts: kh, acceptNew: true });
    expect(v).toMatchObject({ status: 'revoked', where: '/home/u/.ssh/known_hosts:2' });
  });

  it('decides by the pinned fingerprint alone when one is set', () => {
    const pinned = fingerprint(blob.a!);
    const stale = entries([`10.0.0.1 ${text.b}`]);
    expect(verifyHostKey({ host: '10.0.0.1', port: 22, key: blob.a!, knownHosts: stale, pinned, acceptNew: false }))
      .toMatchObject({ status: 'ok', via: 'pinned' });
    expect(verifyHostKey({ host: '10.0.0.1', port: 22, key: blob.a!, knownHosts: [], pinned: `${pinned}=`, acceptNew: false }).status).toBe('ok');
    const v = verifyHostKey({ host: '10.0.0.1', port: 22, key: blob.b!, knownHosts: [], pinned, acceptNew: true });
    expect(v.status).toBe('changed');
    if (v.status !== 'changed') return;
    const err = hostKeyError(v, { ...ctx, port: 22 });
    expect(err.field).toBe('hosts[0].hostKey');
    expect(err.hint).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    expect(err.hint).toContain('set hosts[0].hostKey to the new one');
  });

  it('normalizes fingerprints with or without prefix and padding', () => {
    expect(normalizeFingerprint(' SHA256:abc= ')).toBe('SHA256:abc');
    expect(normalizeFingerprint('abc')).toBe('SHA256:abc');
  });
});

describe('preferredHostKeyAlgorithms', () => {
  it('puts the known key types first, RSA keys as their SHA-2 signature algorithms', () => {
    expect(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256'])?.slice(0, 2)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(preferredHostKeyAlgorithms(['ssh-rsa'])?.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferredHostKeyAlgorithms(['ssh-rsa'])).toHaveLength(7);
  });

  it('keeps the default order when nothing is known', () => {
    expect(preferredHostKeyAlgorithms([])).toBeUndefined();
    expect(preferredHostKeyAlgorithms(['sk-ssh-ed25519@openssh.com'])).toBeUndefined();
  });
});
