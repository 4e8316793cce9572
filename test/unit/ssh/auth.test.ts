import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyAuthMethod } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/errors.js';
import { authFailure, authHandler, prepareAuth, type AuthProgress } from '../../../src/ssh/auth.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeup-auth-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pp', '-f', join(dir, 'id_pp')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const target = { host: '10.0.0.1', user: 'root', field: 'hosts[0]' };

describe('prepareAuth', () => {
  it('offers key, then password, then keyboard-interactive, in that order', async () => {
    const { attempts, warnings } = await prepareAuth(target, { identityFile: join(dir, 'id'), password: 'pw' }, {});
    expect(attempts.map((a) => a.method.type)).toEqual(['publickey', 'password', 'keyboard-interactive']);
    expect(attempts[0]!.label).toBe(`publickey ${join(dir, 'id')}`);
    expect(warnings).toEqual([]);
  });

  it('answers only hidden keyboard-interactive prompts with the password', async () => {
    const { attempts } = await prepareAuth(target, { password: 'pw' }, {});
    const kbd = attempts[1]!.method as Extract<AnyAuthMethod, { type: 'keyboard-interactive' }>;
    let answers: string[] = [];
    kbd.prompt('', '', '', [{ prompt: 'Password: ', echo: false }, { prompt: 'Name: ', echo: true }], (a) => (answers = a));
    expect(answers).toEqual(['pw', '']);
  });

  it('skips an agent that is asked for but not there, with a warning', async () => {
    const { attempts, warnings } = await prepareAuth(target, { agent: true }, {});
    expect(attempts).toEqual([]);
    expect(warnings).toEqual(['ssh-agent was asked for, but SSH_AUTH_SOCK is not set: not using an agent']);
  });

  it('names a missing identity file and its profile field', async () => {
    const err = await prepareAuth(target, { identityFile: join(dir, 'nope'), identityFileField: 'hosts[0].identityFile' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toBe(`cannot read identity file ${join(dir, 'nope')} (ENOENT)`);
    expect((err as ConnectError).field).toBe('hosts[0].identityFile');
  });

  it('says when the .pub file was given instead of the private key', async () => {
    const err = await prepareAuth(target, { identityFile: join(dir, 'id.pub') }, {}).catch((e: unknown) => e);
    expect((err as ConnectError).message).toBe(`identity file ${join(dir, 'id.pub')} holds no private key`);
  });

  it('reports a wrong passphrase by file, never by value', async () => {
    const err = await prepareAuth(target, { identityFile: join(dir, 'id_pp'), passphrase: 'hunter2' }, {}).catch((e: unknown) => e);
    expect((err as ConnectError).describe()).toContain(`wrong passphrase for identity file ${join(dir, 'id_pp')}`);
    expect((err as ConnectError).describe()).not.toContain('hunter2');
    const ok = await prepareAuth(target, { identityFile: join(dir, 'id_pp'), passphrase: 'pp' }, {});
    expect(ok.attempts).toHaveLength(1);
  });
});

describe('authHandler', () => {
  it('skips methods the server does not accept and records what it tried', async () => {
    const { attempts } = await prepareAuth(target, { identityFile: join(dir, 'id'), password: 'pw' }, {});
    const progress: AuthProgress = { tried: [], serverAccepts: [] };
    const handler = authHandler(attempts, progress);
    const picked: unknown[] = [];
    handler(null as unknown as [], false, (m) => picked.push(m));
    handler(['keyboard-interactive'], false, (m) => picked.push(m));
    handler(['keyboard-interactive'], false, (m) => picked.push(m));
    expect(picked.map((m) => (m === false ? false : (m as AnyAuthMethod).type))).toEqual(['publickey', 'keyboard-interactive', false]);
    expect(progress).toEqual({ tried: [`publickey ${join(dir, 'id')}`, 'keyboard-interactive'], serverAccepts: ['keyboard-interactive'] });
  });
});

describe('authFailure', () => {
  it('builds the OpenSSH-like message with the key to check', () => {
    const err = authFailure({ ...target, port: 22 }, { identityFile: '~/.ssh/id_ed25519' }, { tried: ['publickey ~/.ssh/id_ed25519'], serverAccepts: ['publickey'] }, []);
    expect(err.message).toBe('Permission denied (publickey) for root@10.0.0.1:22; tried publickey ~/.ssh/id_ed25519');
    expect(err.hint).toBe('check that hosts[0] (user root) accepts key ~/.ssh/id_ed25519 (its .pub in ~root/.ssh/authorized_keys)');
  });

  it('explains that nothing could be offered, with the reasons', () => {
    const err = authFailure({ ...target, port: 22 }, { agent: true }, { tried: [], serverAccepts: [] }, ['ssh-agent at /x holds no keys (add one with ssh-add): not using it']);
    expect(err.message).toBe('no way to log in to root@10.0.0.1:22: no usable agent, identity file or password (ssh-agent at /x holds no keys (add one with ssh-add): not using it)');
    expect(err.hint).toContain('ssh.identityFile');
  });
});
