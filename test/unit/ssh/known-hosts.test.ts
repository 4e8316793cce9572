import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  entryMatchesHost,
  fingerprint,
  keyTypeOf,
  lookupKnownHosts,
  parseKnownHosts,
  readKnownHostsFile,
} from '../../../src/ssh/known-hosts.js';

let dir: string;
const keys: Record<string, { line: string; blob: Buffer; path: string }> = {};

function makeKey(name: string, type: string): void {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  keys[name] = { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), path };
}
const pub = (name: string) => keys[name]!.line.split(' ').slice(0, 2).join(' ');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-kh-'));
  makeKey('ed', 'ed25519');
  makeKey('ed2', 'ed25519');
  makeKey('ec', 'ecdsa');
  makeKey('rsa', 'rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprint', () => {
  it.each(['ed', 'ec', 'rsa'])('equals ssh-keygen -lf for %s', (name) => {
    const printed = execFileSync('ssh-keygen', ['-lf', `${keys[name]!.path}.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprint(keys[name]!.blob)).toBe(printed);
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOf(keys.ed!.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(keys.ec!.blob)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(Buffer.from('nonsense'))).toBeUndefined();
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, bracketed, listed entries, markers and comments; reports bad lines', () => {
    const text = [
      '# a comment',
      '',
      `10.0.0.1,node1 ${pub('ed')} root@node1`,
      `[10.0.0.2]:2222 ${pub('ec')}`,
      `@revoked * ${pub('rsa')}`,
      `@cert-authority *.example.com ${pub('ed2')}`,
      `@bogus host ${pub('ed')}`,
      'lonely-host ssh-ed25519',
      `mismatch ssh-rsa ${pub('ed').split(' ')[1]}`,
    ].join('\n');
    const { entries, problems } = parseKnownHosts(text, '/kh');
    expect(entries.map((e) => [e.line, e.marker ?? '', e.keyType, e.comment ?? ''])).toEqual([
      [3, '', 'ssh-ed25519', 'root@node1'],
      [4, '', 'ecdsa-sha2-nistp256', ''],
      [5, 'revoked', 'ssh-rsa', ''],
      [6, 'cert-authority', 'ssh-ed25519', ''],
    ]);
    expect(entries[0]!.file).toBe('/kh');
    expect(entries[0]!.key.equals(keys.ed!.blob)).toBe(true);
    expect(problems.map((p) => p.line)).toEqual([7, 8, 9]);
    expect(problems[0]!.message).toMatch(/@bogus/);
    expect(problems[2]!.message).toMatch(/ssh-ed25519.*ssh-rsa/);
  });
});

describe('host matching', () => {
  const match = (hosts: string, host: string, port = 22) =>
    entryMatchesHost(parseKnownHosts(`${hosts} ${pub('ed')}`).entries[0]!, host, port);

  it('matches plain names case-insensitively, only on port 22', () => {
    expect(match('Node1', 'node1')).toBe(true);
    expect(match('node1', 'NODE1')).toBe(true);
    expect(match('node1', 'node1', 2222)).toBe(false);
    expect(match('node1', 'node10')).toBe(false);
  });

  it('matches [host]:port only on that port', () => {
    expect(match('[10.0.0.2]:2222', '10.0.0.2', 2222)).toBe(true);
    expect(match('[10.0.0.2]:2222', '10.0.0.2', 2223)).toBe(false);
    expect(match('[10.0.0.2]:2222', '10.0.0.2')).toBe(false);
  });

  it('matches any name of a comma list', () => {
    expect(match('a,b,10.0.0.3', '10.0.0.3')).toBe(true);
    expect(match('a,b', 'c')).toBe(false);
  });

  it('expands * and ? and treats dots literally', () => {
    expect(match('*.example.com', 'node1.example.com')).toBe(true);
    expect(match('*.example.com', 'example.com')).toBe(false);
    expect(match('node?', 'node7')).toBe(true);
    expect(match('node?', 'node77')).toBe(false);
    expect(match('10.0.0.*', '10.0.0.42')).toBe(true);
    expect(match('10.0.0.1', '10a0b0c1')).toBe(false);
    expect(match('[10.0.0.*]:2222', '10.0.0.9', 2222)).toBe(true);
  });

  it('lets a negated pattern veto a match, whatever the order', () => {
    expect(match('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(match('!bad.example.com,*.example.com', 'bad.example.com')).toBe(false);
    expect(match('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(match('!bad.example.com', 'good.example.com')).toBe(false);
  });

  it('matches names hashed by ssh-keygen -H, with and without a port', () => {
    const file = join(dir, 'hashed_known_hosts');
    writeFileSync(file, `node1 ${pub('ed')}\n[10.0.0.2]:2222 ${pub('ec')}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' });
    const { entries, problems } = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(problems).toEqual([]);
    expect(entries.every((e) => e.hosts.kind === 'hashed')).toBe(true);
    expect(lookupKnownHosts(entries, 'node1', 22).keys.map((e) => e.keyType)).toEqual(['ssh-ed25519']);
    expect(lookupKnownHosts(entries, '10.0.0.2', 2222).keys.map((e) => e.keyType)).toEqual(['ecdsa-sha2-nistp256']);
    expect(lookupKnownHosts(entries, '10.0.0.2', 22).keys).toEqual([]);
    expect(lookupKnownHosts(entries, 'node2', 22).keys).toEqual([]);
  });

  it('sorts entries for a host into keys, revoked and cert authorities', () => {
    const { entries } = parseKnownHosts(
      [`node1 ${pub('ed')}`, `@revoked node1 ${pub('rsa')}`, `@cert-authority * ${pub('ed2')}`, `other ${pub('ec')}`].join('\n'),
    );
    const found = lookupKnownHosts(entries, 'node1', 22);
    expect([found.keys.length, found.revoked.length, found.certAuthorities.length]).toEqual([1, 1, 1]);
  });
});

describe('appendKnownHost', () => {
  it('creates folders 0700 and the file 0600, writes [host]:port off port 22, and ssh-keygen -F finds it', async () => {
    const file = join(dir, 'new', 'deeper', 'known_hosts');
    await appendKnownHost(file, '127.0.0.1', 2222, keys.ed!.blob);
    await appendKnownHost(file, 'node1', 22, keys.ec!.blob);
    expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'new', 'deeper')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:2222 ${pub('ed')}\nnode1 ${pub('ec')}\n`);
    expect(execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file], { encoding: 'utf8' })).toContain(pub('ed'));
    const { entries } = await readKnownHostsFile(file);
    expect(lookupKnownHosts(entries, '127.0.0.1', 2222).keys[0]!.key.equals(keys.ed!.blob)).toBe(true);
  });

  it('adds a line break when the file does not end with one, and keeps an existing mode', async () => {
    const file = join(dir, 'no_newline');
    writeFileSync(file, `node1 ${pub('ed')}`, { mode: 0o644 });
    await appendKnownHost(file, 'node2', 22, keys.ec!.blob);
    expect(readFileSync(file, 'utf8')).toBe(`node1 ${pub('ed')}\nnode2 ${pub('ec')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it('reads a missing file as empty', async () => {
    expect(await readKnownHostsFile(join(dir, 'absent'))).toEqual({ entries: [], problems: [] });
  });
});
