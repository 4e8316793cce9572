import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RemoteCommandError } from '../../../src/errors.js';
import { FakeSession, UnexpectedCommandError } from '../../../src/ssh/fake.js';
import { shRaw } from '../../../src/ssh/quote.js';

describe('FakeSession', () => {
  it('answers expected commands, streams their lines and records the calls', async () => {
    const fake = new FakeSession('root@10.0.0.1:22')
      .on(['uname', '-m'], { stdout: 'x86_64\n' })
      .on(/^systemctl is-active /, { stdout: 'active\n' });
    const lines: string[] = [];
    expect(await fake.exec(['uname', '-m'], { onLine: (l, s) => lines.push(`${s}:${l}`) })).toEqual({ code: 0, stdout: 'x86_64\n', stderr: '' });
    await fake.exec(['systemctl', 'is-active', 'etcd.service'], { sudo: true });
    expect(lines).toEqual(['stdout:x86_64']);
    expect(fake.commands()).toEqual(['uname -m', 'systemctl is-active etcd.service']);
    expect(fake.calls[1]).toEqual({ kind: 'exec', command: 'systemctl is-active etcd.service', sudo: true });
  });

  it('throws on any command nobody expected, listing what was expected', async () => {
    const fake = new FakeSession().on(['true']);
    const err = await fake.exec(['rm', '-rf', '/']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedCommandError);
    expect((err as Error).message).toContain('unexpected command: rm -rf /');
    expect((err as Error).message).toContain('    true');
  });

  it('fails like the real session on a non-zero exit, unless allowFailure', async () => {
    const fake = new FakeSession('root@10.0.0.2:22').on(['false'], { code: 1, stderr: 'nope\n' });
    const err = await fake.exec(['false']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).host).toBe('10.0.0.2');
    expect((err as RemoteCommandError).stderr).toBe('nope\n');
    expect((await fake.exec(['false'], { allowFailure: true })).code).toBe(1);
  });

  it('counts uses when told how often a command must run', async () => {
    const fake = new FakeSession().on(['systemctl', 'daemon-reload'], {}, { times: 1 }).on(['true']);
    await fake.exec(['systemctl', 'daemon-reload']);
    await expect(fake.exec(['systemctl', 'daemon-reload'])).rejects.toBeInstanceOf(UnexpectedCommandError);
    expect(() => fake.assertAllUsed()).toThrow(/true: never ran/);
    await fake.exec(['true']);
    expect(() => fake.assertAllUsed()).not.toThrow();
  });

  it('matches shRaw fragments by their text and supports computed replies', async () => {
    const fake = new FakeSession().on(['cat', '/etc/os-release', shRaw('| head -1')], (cmd) => ({ stdout: `ran: ${cmd}\n` }));
    expect((await fake.exec(['cat', '/etc/os-release', shRaw('| head -1')])).stdout).toBe('ran: cat /etc/os-release | head -1\n');
  });

  it('keeps uploads in memory and reports unchanged files like the real upload', async () => {
    const fake = new FakeSession();
    expect(await fake.upload('/etc/a', Buffer.from('x'), { mode: 0o644 })).toEqual({ changed: true, bytes: 1, wireBytes: 1 });
    expect(await fake.upload('/etc/a', Buffer.from('x'), { mode: 0o644 })).toEqual({ changed: false, bytes: 1, wireBytes: 0 });
    expect((await fake.upload('/etc/a', Buffer.from('x'), { mode: 0o600 })).changed).toBe(true);
    expect((await fake.upload('/etc/a', Buffer.from('x'), { mode: 0o600, owner: 'etcd:etcd' })).changed).toBe(true);
    expect((await fake.read('/etc/a'))?.toString()).toBe('x');
    expect(await fake.read('/etc/missing')).toBeUndefined();
    expect(fake.files.get('/etc/a')).toEqual({ content: Buffer.from('x'), mode: 0o600, owner: 'etcd:etcd' });
    expect(fake.uploadedPaths()).toEqual(['/etc/a', '/etc/a', '/etc/a']);

    const dir = mkdtempSync(join(tmpdir(), 'kubeup-fake-'));
    try {
      writeFileSync(join(dir, 'bin'), 'binary');
      fake.addFile('/usr/local/bin/tool', 'binary', 0o755);
      expect((await fake.upload('/usr/local/bin/tool', { localPath: join(dir, 'bin') }, { mode: 0o755 })).changed).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('expands encoded uploads and takes fetched files like the host: checked against their sha256', async () => {
    const fake = new FakeSession();
    const dir = mkdtempSync(join(tmpdir(), 'kubeup-fake-'));
    try {
      const raw = Buffer.from('binary '.repeat(1000));
      const sha = createHash('sha256').update(raw).digest('hex');
      writeFileSync(join(dir, 'bin.gz'), gzipSync(raw));
      const packed = { encoded: { localPath: join(dir, 'bin.gz'), format: 'gzip' as const }, plainPath: join(dir, 'bin'), sha256: sha, size: raw.length };
      const r = await fake.upload('/opt/bin/kubelet', packed, { mode: 0o755 });
      expect(r).toEqual({ changed: true, bytes: raw.length, wireBytes: gzipSync(raw).length, encoding: 'gzip' });
      expect(fake.files.get('/opt/bin/kubelet')?.content.equals(raw)).toBe(true);
      writeFileSync(join(dir, 'bin.gz'), gzipSync(Buffer.from('other')));
      await expect(fake.upload('/opt/bin/kube-proxy', packed, { mode: 0o755 })).rejects.toThrow(/expected [0-9a-f]{64}: refused/);
      const fetch = { fetch: { tool: 'curl' as const, url: 'http://mirror/etcd.tgz', sha256: 'a'.repeat(64), member: 'etcd', downloadsDir: '/d' }, sha256: sha, size: raw.length };
      await expect(fake.upload('/opt/bin/etcd', fetch, { mode: 0o755 })).rejects.toThrow(/could not download/);
      fake.fetchable.set('http://mirror/etcd.tgz#etcd', raw);
      expect(await fake.upload('/opt/bin/etcd', fetch, { mode: 0o755 })).toEqual({ changed: true, bytes: raw.length, wireBytes: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses use after close', async () => {
    const fake = new FakeSession().on(['true']);
    await fake.close();
    await expect(fake.exec(['true'])).rejects.toThrow(/after close/);
  });
});
