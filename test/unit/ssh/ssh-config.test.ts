import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostMatches, readSshConfig, resolveSshHost } from '../../../src/ssh/ssh-config.js';
import { applySshConfig, sshTarget } from '../../../src/tasks/ssh-targets.js';
import { requireValidProfile } from '../../../src/profile/validate.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'kubeup-sshcfg-'));
  mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const write = (rel: string, text: string) => writeFileSync(join(home, rel), text);
const config = () => readSshConfig(join(home, '.ssh', 'config'), home);

describe('~/.ssh/config', () => {
  it('Host aliases and patterns: the first value obtained wins, as in OpenSSH', () => {
    write(
      '.ssh/config',
      ['# lab', 'Host node1', '  HostName 10.0.0.11', '  User deploy', 'Host node* !node9', '  Port 2222', '  User other', '  IdentityFile ~/.ssh/lab_%h', 'Host *', '  User fallback', '  Port 22'].join('\n'),
    );
    const c = config();
    expect(resolveSshHost(c, 'node1')).toMatchObject({ hostName: '10.0.0.11', user: 'deploy', port: 2222, identityFile: join(home, '.ssh/lab_10.0.0.11') });
    expect(resolveSshHost(c, 'node1').from).toMatchObject({ hostName: `${join(home, '.ssh/config')}:3`, user: `${join(home, '.ssh/config')}:4`, port: `${join(home, '.ssh/config')}:6` });
    expect(resolveSshHost(c, 'node9')).toMatchObject({ user: 'fallback', port: 22 });
    expect(resolveSshHost(c, 'NODE2')).toMatchObject({ user: 'other', port: 2222, identityFile: join(home, '.ssh/lab_NODE2') });
  });

  it('Include (relative to ~/.ssh, wildcards, inside a Host block) and key=value lines with quotes', () => {
    write('.ssh/config', 'Include config.d/*.conf\nHost bastion\n  Include ~/.ssh/bastion-extra\n');
    write('.ssh/config.d/10-lab.conf', 'Host lab-*\n  ProxyJump=admin@bastion:2200\n  IdentityFile "~/.ssh/my key"\n');
    write('.ssh/bastion-extra', 'HostName 192.168.50.1\nUser admin\n');
    const c = config();
    expect(resolveSshHost(c, 'lab-a')).toMatchObject({ proxyJump: 'admin@bastion:2200', identityFile: join(home, '.ssh/my key') });
    expect(resolveSshHost(c, 'bastion')).toMatchObject({ hostName: '192.168.50.1', user: 'admin' });
  });

  it('Match blocks are reported and skipped; a missing include is reported; a missing config is empty', () => {
    write('.ssh/config', 'Match host x\n  User matched\nHost x\n  User plain\nInclude nothere\n');
    const c = config();
    expect(resolveSshHost(c, 'x').user).toBe('plain');
    expect(c.warnings.join('\n')).toMatch(/config:1: Match blocks are not evaluated/);
    expect(c.warnings.join('\n')).toMatch(/nothere: included, but there is no such file/);
    expect(readSshConfig(join(home, 'none')).blocks[0]!.lines).toEqual([]);
  });

  it('host patterns: negation beats a match, ? and * wildcards', () => {
    expect(hostMatches(['*.lab', '!db.lab'], 'web.lab')).toBe(true);
    expect(hostMatches(['*.lab', '!db.lab'], 'db.lab')).toBe(false);
    expect(hostMatches(['n?'], 'n1')).toBe(true);
    expect(hostMatches(['n?'], 'n10')).toBe(false);
  });
});

describe('profile host + SSH config', () => {
  const profile = (hosts: object[], ssh: object = {}) => requireValidProfile({ name: 'lab', hosts, ssh: { configFile: join(home, '.ssh/config'), ...ssh } }, 'test');

  it('an alias takes HostName, User, Port, IdentityFile and ProxyJump from the file, and says so', () => {
    write('.ssh/config', 'Host node1\n  HostName 10.0.0.11\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/lab\n  ProxyJump jump\nHost jump\n  HostName 10.0.0.1\n  User admin\n  Port 2200\n');
    const p = profile([{ address: 'node1', roles: 'ai' }]);
    const t = sshTarget(p, p.hosts[0]!, 0, config());
    expect(t).toMatchObject({ address: '10.0.0.11', user: 'deploy', port: 2222, identityFile: join(home, '.ssh/lab'), jump: { host: '10.0.0.1', port: 2200, user: 'admin' } });
    expect(t.taken.map((x) => x.replace(/ \(.*\)$/, ''))).toEqual(['HostName 10.0.0.11', 'User deploy', 'Port 2222', `IdentityFile ${join(home, '.ssh/lab')}`, 'ProxyJump jump']);
    expect(t.taken[0]).toMatch(/\(.*\.ssh\/config:2\)$/);
  });

  it('profile fields win over the file', () => {
    write('.ssh/config', 'Host node1\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/lab\n  ProxyJump other\n');
    const p = profile([{ address: 'node1', user: 'admin', port: 2022, identityFile: '~/.ssh/mine', roles: 'ai' }], { jumpHost: 'bastion:22' });
    const t = sshTarget(p, p.hosts[0]!, 0, config());
    expect(t).toMatchObject({ address: 'node1', user: 'admin', port: 2022, identityFile: '~/.ssh/mine', jump: { host: 'bastion', field: 'ssh.jumpHost' } });
    expect(t.taken).toEqual([]);
  });

  it('a ProxyJump with several hops is refused with a clear message', () => {
    write('.ssh/config', 'Host node1\n  ProxyJump a,b\n');
    const p = profile([{ address: 'node1', roles: 'ai' }]);
    expect(() => sshTarget(p, p.hosts[0]!, 0, config())).toThrow(/ProxyJump a,b \(.*config:2\) for hosts\[0\] .* has several hops; kubeup connects through one jump host only/);
  });

  it('applied to the profile for the run: real addresses for the plan and the connections, notes for the plan', () => {
    write('.ssh/config', 'Host n1\n  HostName 10.0.0.11\n  User deploy\n  ProxyJump admin@10.0.0.1\nHost n2\n  HostName 10.0.0.12\n  ProxyJump admin@10.0.0.1\n');
    const p = profile([{ address: 'n1', roles: 'ai' }, { address: 'n2', roles: 'i' }]);
    const r = applySshConfig(p, config());
    expect(r.profile.hosts.map((h) => `${h.user}@${h.address}:${h.port}`)).toEqual(['deploy@10.0.0.11:22', 'root@10.0.0.12:22']);
    expect(r.profile.ssh.jumpHost).toBe('admin@10.0.0.1:22');
    expect(r.notes[0]).toMatch(/^hosts\[0\] n1: HostName 10\.0\.0\.11 \(.*config:2\), User deploy \(.*config:3\), ProxyJump admin@10\.0\.0\.1 /);
    expect(p.hosts[0]!.address).toBe('n1');
  });

  it('different ProxyJump per host is refused (the profile has one jump host)', () => {
    write('.ssh/config', 'Host n1\n  ProxyJump a\n');
    const p = profile([{ address: 'n1', roles: 'ai' }, { address: 'n2', roles: 'i' }]);
    expect(() => applySshConfig(p, config())).toThrow(/different jump hosts \(a:22, none\)/);
  });

  it('without a config file (ssh.configFile: none) nothing changes', () => {
    const p = profile([{ address: 'n1', roles: 'ai' }], { configFile: 'none' });
    expect(applySshConfig(p)).toEqual({ profile: p, notes: [] });
  });
});
