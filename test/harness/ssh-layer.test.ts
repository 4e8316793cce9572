// The SSH layer against REAL OpenSSH sshd processes on 127.0.0.1 (started here, stopped by PID), real ssh-agent,
// real sudo with temporary local users (removed at the end).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, ConnectError, DeployError, RemoteCommandError } from '../../src/errors.js';
import { connect, JumpHostPool, type ConnectSpec, type SshSession } from '../../src/ssh/client.js';
import { AuthError, HostKeyError, SudoError } from '../../src/ssh/errors.js';
import { runOnChannel } from '../../src/ssh/exec.js';
import { fingerprint } from '../../src/ssh/known-hosts.js';
import { openClient } from '../../src/ssh/open-client.js';
import { newSudoMarkers } from '../../src/ssh/sudo.js';
import { shRaw } from '../../src/ssh/quote.js';
import { createLocalUser, freePort, makeClientKey, startSshd, type ClientKey, type LocalUser, type RunningSshd } from './sshd.js';

const PASSPHRASE = 'correct horse battery';
const suffix = randomBytes(3).toString('hex');

let dir: string;
let key: ClientKey;
let passKey: ClientKey;
let strangerKey: ClientKey;
let sshdA: RunningSshd; // key + password auth; also the jump host
let sshdB: RunningSshd; // keyboard-interactive through PAM; the jump target
let sudoUser: LocalUser; // sudo with a password
let nopassUser: LocalUser; // sudo NOPASSWD
let knownHosts: string;
const sessions: SshSession[] = [];

function spec(server: RunningSshd, over: Partial<ConnectSpec> = {}): ConnectSpec {
  return { host: server.host, port: server.port, user: 'root', field: 'hosts[0]', auth: { identityFile: key.path }, ...over };
}

async function open(s: ConnectSpec, opts: Parameters<typeof connect>[1] = {}): Promise<SshSession> {
  const session = await connect(s, { knownHostsFile: knownHosts, env: {}, ...opts });
  sessions.push(session);
  return session;
}

let sleeps = 0;
/** A sleep duration no other process on the machine uses, so pgrep finds exactly ours. */
function uniqueSleep(): string {
  return `${30 + ++sleeps}.${parseInt(suffix, 16)}`;
}

/** True when no `sleep <nap>` process is left (polls briefly: the kill is asynchronous). */
async function goneSoon(nap: string): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    try {
      execFileSync('pgrep', ['-f', `sleep ${nap}`], { stdio: 'pipe' });
    } catch {
      return true; // pgrep exits 1 when nothing matches
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the SSH layer system tests run sshd, useradd and sudo: run them as root');
  dir = mkdtempSync(join(tmpdir(), 'kubeup-ssh-layer-'));
  key = makeClientKey(dir, 'id_ed25519');
  passKey = makeClientKey(dir, 'id_pass', { passphrase: PASSPHRASE, type: 'ecdsa' });
  strangerKey = makeClientKey(dir, 'id_stranger');
  sudoUser = createLocalUser(`kubeup-sp${suffix}`, `pw '$(x)" ${suffix}`, 'password');
  nopassUser = createLocalUser(`kubeup-np${suffix}`, `np-${suffix}`, 'nopasswd');

  const authorizedKeys = {
    root: [key.publicLine, passKey.publicLine],
    [sudoUser.name]: [key.publicLine],
    [nopassUser.name]: [key.publicLine],
  };
  sshdA = await startSshd({ authorizedKeys, password: true });
  sshdB = await startSshd({ authorizedKeys: { root: [key.publicLine] }, keyboardInteractive: true, hostKeyTypes: ['ed25519', 'ecdsa'] });
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshdA.knownHostsLine()}\n${sshdB.knownHostsLine()}\n`);
});

afterAll(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await sshdA?.stop();
  await sshdB?.stop();
  sudoUser?.remove();
  nopassUser?.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('connect and authenticate', () => {
  it('logs in with a key and streams stdout and stderr line by line', async () => {
    const session = await open(spec(sshdA));
    expect(session.target).toBe(`root@127.0.0.1:${sshdA.port}`);
    const lines: string[] = [];
    const result = await session.exec(['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf tail'], {
      onLine: (line, stream) => lines.push(`${stream}:${line}`),
    });
    expect(result).toEqual({ code: 0, stdout: 'out1\nout2\nout3\ntail', stderr: 'err1\nerr2\nerr3\n' });
    expect(lines.filter((l) => l.startsWith('stdout:'))).toEqual(['stdout:out1', 'stdout:out2', 'stdout:out3', 'stdout:tail']);
    expect(lines.filter((l) => l.startsWith('stderr:'))).toEqual(['stderr:err1', 'stderr:err2', 'stderr:err3']);
  });

  it('refuses a key the host does not accept, naming the user, the key file and the profile field', async () => {
    const err = await failure(open(spec(sshdA, { auth: { identityFile: strangerKey.path } })));
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toBeInstanceOf(ConnectError);
    const auth = err as AuthError;
    expect(auth.message).toMatch(/^Permission denied \(publickey,password\) for root@127\.0\.0\.1:\d+; tried publickey /);
    expect(auth.hint).toBe(`check that hosts[0] (user root) accepts key ${strangerKey.path} (its .pub in ~root/.ssh/authorized_keys)`);
    expect(auth.tried).toEqual([`publickey ${strangerKey.path}`]);
    expect(auth.host).toBe('127.0.0.1');
  });

  it('uses a passphrase key, and names the file but never the passphrase when it is wrong or missing', async () => {
    const good = await open(spec(sshdA, { auth: { identityFile: passKey.path, passphrase: PASSPHRASE } }));
    expect((await good.exec(['whoami'])).stdout).toBe('root\n');

    const wrong = await failure(open(spec(sshdA, { auth: { identityFile: passKey.path, passphrase: 'not it' } })));
    expect(wrong).toBeInstanceOf(ConnectError);
    expect(wrong.message).toBe(`wrong passphrase for identity file ${passKey.path}`);
    expect((wrong as ConnectError).describe()).not.toContain('not it');

    const missing = await failure(open(spec(sshdA, { auth: { identityFile: passKey.path } })));
    expect(missing.message).toBe(`identity file ${passKey.path} is encrypted and no passphrase was given`);
  });

  it('logs in with a password, and reports a wrong one as a password problem', async () => {
    const session = await open(spec(sshdA, { user: sudoUser.name, auth: { password: sudoUser.password } }));
    expect((await session.exec(['whoami'])).stdout).toBe(`${sudoUser.name}\n`);
    const err = await failure(open(spec(sshdA, { user: sudoUser.name, auth: { password: 'wrong' } })));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).hint).toContain(`check the password of hosts[0] (user ${sudoUser.name})`);
    expect((err as AuthError).describe()).not.toContain(sudoUser.password);
  });

  it('answers keyboard-interactive (PAM) password prompts', async () => {
    const session = await open(spec(sshdB, { user: sudoUser.name, auth: { password: sudoUser.password } }));
    expect((await session.exec(['whoami'])).stdout).toBe(`${sudoUser.name}\n`);
  });

  it('uses a real ssh-agent, and connects with the key file when the agent socket is dead', async () => {
    const socket = join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
      execFileSync('ssh-add', ['-q', key.path], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
      const viaAgent = await open(spec(sshdA, { auth: { agent: true } }), { env: { SSH_AUTH_SOCK: socket } });
      expect((await viaAgent.exec(['true'])).code).toBe(0);
    } finally {
      agent.kill('SIGTERM');
    }
    const warnings: string[] = [];
    const dead = join(dir, 'dead-agent.sock');
    const session = await open(spec(sshdA, { auth: { agent: true, identityFile: key.path } }), {
      env: { SSH_AUTH_SOCK: dead },
      onWarning: (w) => warnings.push(w),
    });
    expect((await session.exec(['true'])).code).toBe(0);
    expect(warnings).toEqual([`127.0.0.1: ssh-agent at ${dead} does not answer (ENOENT): not using it`]);
  });

  it('says so when nothing can be offered at all', async () => {
    const err = await failure(open(spec(sshdA, { auth: {} })));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/^no way to log in to root@127\.0\.0\.1:\d+/);
  });

  it('gives up on a port that accepts but never speaks SSH', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const err = await failure(open(spec(sshdA, { port }), { readyTimeoutMs: 700 }));
      expect(err).toBeInstanceOf(ConnectError);
      expect(err.message).toBe(`no SSH handshake from 127.0.0.1:${port} within 0.7 s`);
    } finally {
      silent.close();
    }
  });

  it('a cancel in the middle of the handshake takes effect at once, not at the connect timeout', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 300);
      const err = await failure(open(spec(sshdA, { port }), { readyTimeoutMs: 20_000, signal: controller.signal }));
      expect(err).toBeInstanceOf(CancelledError);
      expect(err.message).toBe(`cancelled while connecting to root@127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  it('reports a refused port with a hint about sshd and the port field', async () => {
    const port = await freePort();
    const err = await failure(open(spec(sshdA, { port })));
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toBe(`connection refused by 127.0.0.1:${port}`);
    expect((err as ConnectError).hint).toContain('hosts[0].port');
  });
});

describe('host keys', () => {
  it('refuses an unknown host with its fingerprint, and learns it with acceptNew', async () => {
    const file = join(dir, 'fresh', 'known_hosts');
    const err = await failure(open(spec(sshdA), { knownHostsFile: file }));
    expect(err).toBeInstanceOf(HostKeyError);
    const printed = execFileSync('ssh-keygen', ['-lf', `${sshdA.hostKeys[0]!.path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    expect((err as HostKeyError).problem).toBe('unknown');
    expect(err.message).toContain(printed);
    expect((err as HostKeyError).hint).toContain('--accept-new-host-keys');
    expect((err as HostKeyError).hint).toContain(`hosts[0].hostKey: ${printed}`);
    expect(existsSync(file)).toBe(false);

    const learnedKeys: unknown[] = [];
    const learned = await open(spec(sshdA), { knownHostsFile: file, acceptNewHostKeys: true, onHostKeyLearned: (k) => learnedKeys.push(k) });
    expect((await learned.exec(['true'])).code).toBe(0);
    expect(learnedKeys).toEqual([{ host: '127.0.0.1', port: sshdA.port, keyType: 'ssh-ed25519', fingerprint: printed, knownHostsFile: file }]);
    expect(readFileSync(file, 'utf8')).toBe(`${sshdA.knownHostsLine()}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'fresh')).mode & 0o777).toBe(0o700);
    const again = await open(spec(sshdA), { knownHostsFile: file });
    expect((await again.exec(['true'])).code).toBe(0);
  });

  it('refuses a changed host key loudly, even with acceptNew', async () => {
    const impostor = makeClientKey(dir, `impostor-${suffix}`);
    const file = join(dir, 'known_hosts_changed');
    writeFileSync(file, `[127.0.0.1]:${sshdA.port} ${impostor.publicLine}\n`);
    const err = await failure(open(spec(sshdA), { knownHostsFile: file, acceptNewHostKeys: true }));
    expect(err).toBeInstanceOf(HostKeyError);
    const hk = err as HostKeyError;
    expect(hk.problem).toBe('changed');
    expect(hk.message).toMatch(/^HOST KEY CHANGED for \[127\.0\.0\.1\]:\d+/);
    expect(hk.expected).toEqual([fingerprint(Buffer.from(impostor.publicLine.split(' ')[1]!, 'base64'))]);
    expect(hk.offered).toBe(fingerprint(sshdA.hostKeys[0]!.blob));
    expect(hk.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${sshdA.port}' -f ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${sshdA.port} ${impostor.publicLine}\n`);
  });

  it('asks for the key type known_hosts holds when the host has several (ECDSA known, ed25519 preferred by ssh2)', async () => {
    const file = join(dir, 'known_hosts_ecdsa_only');
    const ecdsa = sshdB.hostKeys.find((k) => k.type === 'ecdsa')!;
    writeFileSync(file, `[127.0.0.1]:${sshdB.port} ${ecdsa.publicLine}\n`);
    const session = await open(spec(sshdB), { knownHostsFile: file });
    expect((await session.exec(['true'])).code).toBe(0);
  });

  it('reads the system-wide known_hosts file too, as OpenSSH does', async () => {
    const empty = join(dir, 'known_hosts_user_empty');
    const global = join(dir, 'ssh_known_hosts');
    writeFileSync(empty, '');
    writeFileSync(global, `[127.0.0.1]:${sshdA.port} ${sshdA.hostKeys[0]!.publicLine}\n`);
    const session = await open(spec(sshdA), { knownHostsFile: empty, globalKnownHostsFile: global });
    expect((await session.exec(['true'])).code).toBe(0);
  });

  it('refuses a host known only through @cert-authority, with the line, instead of ignoring it', async () => {
    const file = join(dir, 'known_hosts_ca');
    writeFileSync(file, `@cert-authority [127.0.0.1]:* ${sshdB.hostKeys[0]!.publicLine}\n`);
    const err = await failure(open(spec(sshdA), { knownHostsFile: file, acceptNewHostKeys: true }));
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).problem).toBe('cert-authority');
    expect(err.message).toContain(`(@cert-authority at ${file}:1); kubeup cannot verify OpenSSH host certificates`);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('accepts a pinned fingerprint without known_hosts, and refuses a wrong pin', async () => {
    const empty = join(dir, 'known_hosts_empty');
    const pinned = fingerprint(sshdA.hostKeys[0]!.blob);
    const session = await open(spec(sshdA, { hostKey: pinned }), { knownHostsFile: empty });
    expect((await session.exec(['true'])).code).toBe(0);
    const err = await failure(open(spec(sshdA, { hostKey: fingerprint(sshdB.hostKeys[0]!.blob) }), { knownHostsFile: empty }));
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).field).toBe('hosts[0].hostKey');
  });
});

describe('exec', () => {
  let root: SshSession;
  beforeAll(async () => {
    root = await open(spec(sshdA));
  });

  it('throws RemoteCommandError with host, argv, exit code and the full stderr', async () => {
    const err = await failure(root.exec(['sh', '-c', 'echo one >&2; echo two >&2; echo three >&2; echo four >&2; exit 3']));
    expect(err).toBeInstanceOf(RemoteCommandError);
    const rc = err as RemoteCommandError;
    expect(rc.code).toBe(3);
    expect(rc.host).toBe('127.0.0.1');
    expect(rc.stderr).toBe('one\ntwo\nthree\nfour\n');
    expect(rc.argv[0]).toBe('sh');
  });

  it('returns the result instead with allowFailure', async () => {
    expect(await root.exec(['sh', '-c', 'echo no >&2; exit 4'], { allowFailure: true })).toEqual({ code: 4, stdout: '', stderr: 'no\n' });
  });

  it('feeds stdin, passes arguments verbatim and runs shRaw fragments', async () => {
    expect((await root.exec(['cat'], { stdin: 'a\nb\n' })).stdout).toBe('a\nb\n');
    const tricky = ["it's", '$(id)', 'two words', '*'];
    expect((await root.exec(['printf', '%s\\n', ...tricky])).stdout).toBe(`${tricky.join('\n')}\n`);
    expect((await root.exec(['printf', 'x\\ny\\n', shRaw('| wc -l')])).stdout.trim()).toBe('2');
  });

  it('stops a command that runs past its timeout, with everything it started', async () => {
    const nap = uniqueSleep();
    const err = await failure(root.exec(['sh', '-c', `sleep ${nap}; echo never`], { timeoutMs: 500 }));
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).code).toBeNull();
    expect((err as RemoteCommandError).hint).toContain('did not finish within 500 ms');
    expect(await goneSoon(nap)).toBe(true);
  });

  it('redacts given secrets in lines, results and errors', async () => {
    const secret = `tok-${suffix}`;
    const lines: string[] = [];
    const ok = await root.exec(['echo', `key=${secret}`], { redact: [secret], onLine: (l) => lines.push(l) });
    expect(ok.stdout).toBe('key=[redacted]\n');
    expect(lines).toEqual(['key=[redacted]']);
    const err = await failure(root.exec(['sh', '-c', 'echo "bad $0" >&2; exit 1', secret], { redact: [secret] }));
    expect(err.message).not.toContain(secret);
    expect((err as RemoteCommandError).stderr).toBe('bad [redacted]\n');
    expect((err as RemoteCommandError).argv).toContain('[redacted]');
  });

  it('says the connection was lost when the host drops it', async () => {
    const doomed = await open(spec(sshdA));
    // The parent of the command is this connection's sshd process.
    await doomed.exec(['sh', '-c', 'kill -9 $PPID'], { allowFailure: true }).catch(() => undefined);
    const err = await failure(doomed.exec(['true']));
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toMatch(/^lost the SSH connection to root@127\.0\.0\.1:\d+/);
  });

  it('keeps parallel work under sshd MaxSessions with the channel limit', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => root.exec(['sh', '-c', `sleep 0.1; echo ${i}`])));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
  });
});

describe('sudo', () => {
  it('runs as root with a sudo password, which never shows in output, and feeds stdin after it', async () => {
    const session = await open(spec(sshdA, { user: sudoUser.name, sudoPassword: sudoUser.password }));
    const lines: string[] = [];
    const result = await session.exec(['id', '-u'], { sudo: true, onLine: (l) => lines.push(l) });
    expect(result.stdout).toBe('0\n');
    expect(result.stderr).toBe('');
    expect(lines).toEqual(['0']);
    expect((await session.exec(['cat'], { sudo: true, stdin: 'after the password\n' })).stdout).toBe('after the password\n');
    expect((await session.exec(['id', '-u'])).stdout).not.toBe('0\n');
  });

  it('reports a wrong sudo password clearly, without the password', async () => {
    const session = await open(spec(sshdA, { user: sudoUser.name, sudoPassword: 'not the password' }));
    const lines: string[] = [];
    const err = await failure(session.exec(['id', '-u'], { sudo: true, onLine: (l) => lines.push(l) }));
    expect(err).toBeInstanceOf(SudoError);
    expect(err.message).toBe(`sudo password rejected on 127.0.0.1 (user ${sudoUser.name})`);
    expect((err as SudoError).describe()).not.toContain('not the password');
    expect(lines.join('\n')).not.toContain('not the password');
  });

  it('asks for a sudo password when one is needed and none was given', async () => {
    const session = await open(spec(sshdA, { user: sudoUser.name }));
    const err = await failure(session.exec(['true'], { sudo: true }));
    expect(err).toBeInstanceOf(SudoError);
    expect((err as SudoError).hint).toContain('ssh.sudoPassword: true');
  });

  it('stops a sudo command that runs past its timeout', async () => {
    const session = await open(spec(sshdA, { user: sudoUser.name, sudoPassword: sudoUser.password }));
    const nap = uniqueSleep();
    const err = await failure(session.exec(['sh', '-c', `sleep ${nap}; echo never`], { sudo: true, timeoutMs: 1500 }));
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(await goneSoon(nap)).toBe(true);
  });

  it('gives up when sudo waits for input without showing kubeup\'s prompt (e.g. a PAM second factor)', async () => {
    // Stand-in for such a sudo: a command that waits on stdin and prints neither marker.
    const client = await openClient(spec(sshdA), { knownHostsFile: knownHosts, env: {} });
    try {
      const outcome = await runOnChannel(client, {
        command: 'head -c 1 >/dev/null',
        sudoPassword: { markers: newSudoMarkers(), password: 'never sent' },
        sudoPromptWaitMs: 500,
      });
      expect(outcome.sudoStuck).toBe(true);
      expect(outcome.sudoRejected).toBe(false);
    } finally {
      client.end();
    }
  });

  it('uses sudo -n for NOPASSWD users', async () => {
    const session = await open(spec(sshdA, { user: nopassUser.name }));
    expect((await session.exec(['id', '-u'], { sudo: true })).stdout).toBe('0\n');
    expect((await session.exec(['sh', '-c', 'id -u', shRaw('| cat')], { sudo: true })).stdout).toBe('0\n');
  });
});

describe('upload and read', () => {
  const base = () => join(dir, `uploads-${suffix}`);
  const listTemp = (folder: string) => readdirSync(folder).filter((n) => n.includes('.kubeup-'));

  it('writes atomically with mode and owner, creates parents, and skips an unchanged file', async () => {
    const session = await open(spec(sshdA));
    const target = join(base(), 'etc', 'kubeup', 'config.yaml');
    const progress: number[] = [];
    const content = Buffer.from('a: 1\n'.repeat(20000));
    const first = await session.upload(target, content, { mode: 0o640, owner: `${nopassUser.name}:root`, onProgress: (sent) => progress.push(sent) });
    expect(first).toEqual({ changed: true, bytes: content.length, wireBytes: content.length });
    expect(readFileSync(target).equals(content)).toBe(true);
    const st = statSync(target);
    expect(st.mode & 0o7777).toBe(0o640);
    expect(execFileSync('stat', ['-c', '%U:%G', target], { encoding: 'utf8' }).trim()).toBe(`${nopassUser.name}:root`);
    expect(progress.at(-1)).toBe(content.length);
    expect(listTemp(join(base(), 'etc', 'kubeup'))).toEqual([]);

    const second = await session.upload(target, content, { mode: 0o640, owner: `${nopassUser.name}:root` });
    expect(second).toEqual({ changed: false, bytes: content.length, wireBytes: 0 });
    expect(statSync(target).mtimeMs).toBe(st.mtimeMs);
    expect(statSync(target).ino).toBe(st.ino);

    const chmodOnly = await session.upload(target, content, { mode: 0o644, owner: `${nopassUser.name}:root` });
    expect(chmodOnly.changed).toBe(true);
    expect(statSync(target).mode & 0o7777).toBe(0o644);
    expect(statSync(target).ino).not.toBe(st.ino);
  });

  it('writes sensitive files 0600 root-owned by default, and uploads local files with fastPut', async () => {
    const session = await open(spec(sshdA));
    const target = join(base(), 'pki', 'ca.key');
    expect((await session.upload(target, Buffer.from('SECRET KEY\n'), { mode: 0o600, sensitive: true })).changed).toBe(true);
    expect(statSync(target).mode & 0o7777).toBe(0o600);
    expect(execFileSync('stat', ['-c', '%U:%G', target], { encoding: 'utf8' }).trim()).toBe('root:root');

    const local = join(dir, 'binary');
    writeFileSync(local, randomBytes(300_000));
    const progress: number[] = [];
    const remote = join(base(), 'bin', 'tool');
    const result = await session.upload(remote, { localPath: local }, { mode: 0o755, onProgress: (sent) => progress.push(sent) });
    expect(result).toEqual({ changed: true, bytes: 300_000, wireBytes: 300_000 });
    expect(readFileSync(remote).equals(readFileSync(local))).toBe(true);
    expect(statSync(remote).mode & 0o7777).toBe(0o755);
    expect(progress.at(-1)).toBe(300_000);
    expect((await session.upload(remote, { localPath: local }, { mode: 0o755 })).changed).toBe(false);
  });

  it('leaves nothing behind when placing the file fails, and says which file and why', async () => {
    const session = await open(spec(sshdA));
    const folder = join(base(), 'failing');
    const err = await failure(session.upload(join(folder, 'f'), Buffer.from('x'), { mode: 0o644, owner: 'kubeup-nosuchuser' }));
    expect(err).toBeInstanceOf(DeployError);
    expect(err.message).toMatch(/^upload of .*\/failing\/f failed \(set owner and mode and rename into place\): .*invalid user/);
    expect(readdirSync(folder)).toEqual([]);

    const sudoSession = await open(spec(sshdA, { user: nopassUser.name }));
    const before = readdirSync('/tmp').filter((n) => n.startsWith('kubeup-upload.')).length;
    const sudoErr = await failure(sudoSession.upload(join(folder, 'g'), Buffer.from('x'), { mode: 0o644, owner: 'kubeup-nosuchuser' }));
    expect(sudoErr.message).toMatch(/failed \(copy into place with sudo\)/);
    expect(readdirSync(folder)).toEqual([]);
    expect(readdirSync('/tmp').filter((n) => n.startsWith('kubeup-upload.')).length).toBe(before);
  });

  it('refuses to replace a folder with a file', async () => {
    const session = await open(spec(sshdA));
    const folder = join(base(), 'a-folder');
    mkdirSync(folder, { recursive: true });
    const err = await failure(session.upload(folder, Buffer.from('x'), { mode: 0o644 }));
    expect(err.message).toMatch(/failed \(read the existing file\): .*Is a directory/);
    expect(statSync(folder).isDirectory()).toBe(true);
  });

  it('runs many uploads and commands in parallel on one session without tripping MaxSessions', async () => {
    const session = await open(spec(sshdA, { user: nopassUser.name }));
    const folder = join(base(), 'parallel');
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => session.upload(join(folder, `f${i}`), Buffer.from(`file ${i}\n`), { mode: 0o644 })),
      ...Array.from({ length: 6 }, (_, i) => session.exec(['echo', String(i)], { sudo: true })),
    ]);
    expect(results.slice(0, 12).every((r) => 'changed' in r && r.changed)).toBe(true);
    expect(readdirSync(folder).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `f${i}`).sort());
    expect(readFileSync(join(folder, 'f7'), 'utf8')).toBe('file 7\n');
  });

  it('reads files back, and undefined for a missing one', async () => {
    const session = await open(spec(sshdA));
    const target = join(base(), 'read-me');
    await session.upload(target, Buffer.from([0, 1, 2, 255, 10]), { mode: 0o644 });
    expect((await session.read(target))?.equals(Buffer.from([0, 1, 2, 255, 10]))).toBe(true);
    expect(await session.read(join(base(), 'nope'))).toBeUndefined();
  });

  it('places files in root-only folders for a sudo user with a password, through a private staging folder', async () => {
    const privateDir = join(dir, `root-only-${suffix}`);
    mkdirSync(privateDir, { mode: 0o700 });
    const session = await open(spec(sshdA, { user: sudoUser.name, sudoPassword: sudoUser.password }));
    const target = join(privateDir, 'sub', 'token');
    const before = readdirSync('/tmp').filter((n) => n.startsWith('kubeup-upload.')).length;
    const content = Buffer.from('token-value\n');
    expect((await session.upload(target, content, { mode: 0o600, sensitive: true })).changed).toBe(true);
    expect(readFileSync(target).equals(content)).toBe(true);
    expect(statSync(target).mode & 0o7777).toBe(0o600);
    expect(statSync(target).uid).toBe(0);
    expect((await session.upload(target, content, { mode: 0o600, sensitive: true })).changed).toBe(false);
    expect(readdirSync('/tmp').filter((n) => n.startsWith('kubeup-upload.')).length).toBe(before);
    expect(listTemp(join(privateDir, 'sub'))).toEqual([]);
    expect((await session.read(target))?.toString()).toBe('token-value\n');
  });
});

describe('compressed uploads and host-side downloads', () => {
  const base = () => join(dir, `packed-${suffix}`);
  const leftovers = (folder: string) => readdirSync(folder).filter((n) => n.includes('.kubeup-'));
  // Half random, half repeated: compresses, but not to nothing.
  const raw = Buffer.concat([randomBytes(100_000), Buffer.alloc(200_000, 'kubeup ')]);
  const rawSha = createHash('sha256').update(raw).digest('hex');
  const rawFile = () => {
    const out = join(dir, 'packed-raw');
    writeFileSync(out, raw);
    return out;
  };
  const packedFile = (format: string, content: Buffer) => {
    const out = join(dir, `packed-${format}-${randomBytes(3).toString('hex')}`);
    writeFileSync(out, format === 'gzip' ? gzipSync(content) : execFileSync(format, ['-c'], { input: content }));
    return out;
  };

  it.each(['gzip', 'xz', 'zstd'] as const)('sends %s, expands it on the host, checks the sha256, then renames (root and sudo user)', async (format) => {
    for (const s of [spec(sshdA), spec(sshdA, { user: nopassUser.name })]) {
      const session = await open(s);
      const target = join(base(), format, s.user === 'root' ? 'root' : 'sudo', 'kubelet');
      const local = packedFile(format, raw);
      const r = await session.upload(target, { encoded: { localPath: local, format }, plainPath: rawFile(), sha256: rawSha, size: raw.length }, { mode: 0o755 });
      expect(r).toEqual({ changed: true, bytes: raw.length, wireBytes: statSync(local).size, encoding: format });
      expect(r.wireBytes).toBeLessThan(raw.length / 2);
      expect(readFileSync(target).equals(raw)).toBe(true);
      expect(statSync(target).mode & 0o7777).toBe(0o755);
      expect(leftovers(dirname(target))).toEqual([]);
      expect((await session.upload(target, { encoded: { localPath: local, format }, plainPath: rawFile(), sha256: rawSha, size: raw.length }, { mode: 0o755 })).changed).toBe(false);
    }
  });

  it('refuses a corrupted or a wrong encoded file on the host, leaving the target and no temporary file', async () => {
    const session = await open(spec(sshdA));
    const folder = join(base(), 'refused');
    const target = join(folder, 'kubelet');
    mkdirSync(folder, { recursive: true });
    writeFileSync(target, 'old\n');
    const corrupted = packedFile('gzip', raw);
    const bytes = readFileSync(corrupted);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(corrupted, bytes);
    const bad = await failure(session.upload(target, { encoded: { localPath: corrupted, format: 'gzip' }, plainPath: rawFile(), sha256: rawSha, size: raw.length }, { mode: 0o755 }));
    expect(bad).toBeInstanceOf(DeployError);
    expect(bad.message).toMatch(/failed \(expand the gzip upload and check its sha256\): .*corrupted/);
    const other = packedFile('zstd', Buffer.from('not the file\n'));
    const wrong = await failure(session.upload(target, { encoded: { localPath: other, format: 'zstd' }, plainPath: rawFile(), sha256: rawSha, size: raw.length }, { mode: 0o755 }));
    expect(wrong.message).toMatch(new RegExp(`expected ${rawSha}: refused`));
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(leftovers(folder)).toEqual([]);
  });

  it('sends the file as it is when the folder has room for it but not for the compressed copy beside it', async () => {
    const session = await open(spec(sshdA));
    const folder = join(base(), 'small-disk');
    mkdirSync(folder, { recursive: true });
    // 1 MiB: the 300 KB file fits, the packed copy, the file and the slack do not.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'kubeup-test-small', folder]);
    try {
      const local = packedFile('zstd', raw);
      const r = await session.upload(join(folder, 'kubelet'), { encoded: { localPath: local, format: 'zstd' }, plainPath: rawFile(), sha256: rawSha, size: raw.length }, { mode: 0o755 });
      expect(r).toEqual({ changed: true, bytes: raw.length, wireBytes: raw.length });
      expect(readFileSync(join(folder, 'kubelet')).equals(raw)).toBe(true);
      expect(leftovers(folder)).toEqual([]);
    } finally {
      execFileSync('umount', [folder]);
    }
  });

  it('lets the host fetch a file or a tarball member with curl or wget, checked twice, and refuses a wrong download', async () => {
    const tarDir = join(dir, `tar-${suffix}`);
    mkdirSync(join(tarDir, 'pkg'), { recursive: true });
    writeFileSync(join(tarDir, 'pkg', 'etcd'), raw);
    writeFileSync(join(tarDir, 'plain'), raw);
    execFileSync('tar', ['-czf', join(tarDir, 'pkg.tar.gz'), '-C', tarDir, 'pkg/etcd']);
    const served = new Map([
      ['/pkg.tar.gz', readFileSync(join(tarDir, 'pkg.tar.gz'))],
      ['/plain', raw],
    ]);
    const requests: string[] = [];
    const server = createHttpServer((req, res) => {
      requests.push(req.url!);
      const body = served.get(req.url!);
      res.writeHead(body ? 200 : 404).end(body ?? 'no\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const shaOf = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const downloadsDir = join(dir, `downloads-${suffix}`);
    try {
      const session = await open(spec(sshdA, { user: nopassUser.name }));
      const folder = join(base(), 'fetched');
      const fetch = (tool: 'curl' | 'wget', path: string, sha256: string, member?: string) => ({
        fetch: { tool, url: `${url}${path}`, sha256, downloadsDir, ...(member ? { member } : {}) },
        sha256: rawSha,
        size: raw.length,
      });
      const tarSha = shaOf(served.get('/pkg.tar.gz')!);
      const a = await session.upload(join(folder, 'etcd'), fetch('curl', '/pkg.tar.gz', tarSha, 'pkg/etcd'), { mode: 0o755 });
      expect(a).toEqual({ changed: true, bytes: raw.length, wireBytes: 0 });
      expect(readFileSync(join(folder, 'etcd')).equals(raw)).toBe(true);
      // The same tarball again (another member of it): taken from the host's verified download, not fetched again.
      await session.upload(join(folder, 'etcd-again'), fetch('curl', '/pkg.tar.gz', tarSha, 'pkg/etcd'), { mode: 0o755 });
      expect(requests.filter((r) => r === '/pkg.tar.gz')).toHaveLength(1);
      await session.upload(join(folder, 'plain'), fetch('wget', '/plain', rawSha), { mode: 0o644 });
      expect(readFileSync(join(folder, 'plain')).equals(raw)).toBe(true);

      const wrongSum = await failure(session.upload(join(folder, 'wrong'), fetch('wget', '/plain', shaOf(Buffer.from('x'))), { mode: 0o644 }));
      expect(wrongSum).toBeInstanceOf(DeployError);
      expect((wrongSum as DeployError).field).toBe('download.from');
      expect(wrongSum.message).toMatch(/could not fetch .*wrong itself \(download.from: hosts\): sha256 mismatch for http/);
      const missing = await failure(session.upload(join(folder, 'missing'), fetch('curl', '/nothing', shaOf(Buffer.from('y'))), { mode: 0o644 }));
      expect(missing.message).toMatch(/curl could not download http/);
      expect(readdirSync(folder).sort()).toEqual(['etcd', 'etcd-again', 'plain']);
      expect(readdirSync(downloadsDir).filter((n) => n.endsWith('.part'))).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('jump host', () => {
  it('reaches the target through forwardOut and checks its key under its own name', async () => {
    const jump = { host: sshdA.host, port: sshdA.port, user: 'root', field: 'ssh.jumpHost', hostKeyField: 'ssh.jumpHostKey', auth: { identityFile: key.path } };
    const session = await open(spec(sshdB, { jump }));
    const port = (await session.exec(['sh', '-c', 'echo $SSH_CONNECTION'])).stdout.trim().split(' ')[3];
    expect(port).toBe(String(sshdB.port));

    const onlyJump = join(dir, 'known_hosts_jump_only');
    writeFileSync(onlyJump, `${sshdA.knownHostsLine()}\n`);
    const err = await failure(open(spec(sshdB, { jump }), { knownHostsFile: onlyJump }));
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.message).toContain(`[127.0.0.1]:${sshdB.port}`);
  });

  it('shares one jump connection between sessions through a pool, and closes it after the last one', async () => {
    const jump = { host: sshdA.host, port: sshdA.port, user: 'root', field: 'ssh.jumpHost', auth: { identityFile: key.path } };
    const pool = new JumpHostPool();
    const logins = () => (sshdA.log().match(/Accepted publickey for root/g) ?? []).length;
    const before = logins();
    const [one, two] = await Promise.all([
      connect(spec(sshdB, { jump }), { knownHostsFile: knownHosts, jumpHosts: pool }),
      connect(spec(sshdB, { jump }), { knownHostsFile: knownHosts, jumpHosts: pool }),
    ]);
    expect(logins() - before).toBe(1);
    expect(pool.size).toBe(1);
    await one!.close();
    expect((await two!.exec(['true'])).code).toBe(0);
    await two!.close();
    expect(pool.size).toBe(0);
    await pool.closeAll();
  });

  it('says when the jump host cannot reach the target', async () => {
    const jump = { host: sshdA.host, port: sshdA.port, user: 'root', field: 'ssh.jumpHost', auth: { identityFile: key.path } };
    const port = await freePort();
    const err = await failure(open(spec(sshdB, { port, jump })));
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toMatch(new RegExp(`^jump host root@127\\.0\\.0\\.1:${sshdA.port} cannot reach 127\\.0\\.0\\.1:${port}`));
  });
});

describe('transfer workers (big files over a second connection in a worker thread)', () => {
  const base = () => join(dir, `workers-${suffix}`);
  const leftovers = (folder: string) => readdirSync(folder).filter((n) => n.includes('.kubeup-'));
  const logins = (server: RunningSshd, user = 'root') => (server.log().match(new RegExp(`Accepted publickey for ${user} `, 'g')) ?? []).length;
  const withWorkers = (s: ConnectSpec, opts: Parameters<typeof connect>[1] = {}) => open(s, { transferWorkers: true, ...opts });
  /** A local file of `mib` MiB (a random MiB repeated: fast to make, and no compressor shrinks it to nothing in transit). */
  const bigFile = (name: string, mib: number) => {
    const path = join(dir, `${name}-${suffix}`);
    const mibBytes = randomBytes(1024 * 1024);
    writeFileSync(path, Buffer.concat(Array.from({ length: mib }, () => mibBytes)));
    return path;
  };
  const same = (a: string, b: string) => createHash('sha256').update(readFileSync(a)).digest('hex') === createHash('sha256').update(readFileSync(b)).digest('hex');

  it('sends big files and encoded uploads through the worker (root, and a sudo user staging in /tmp), small ones over the first connection', async () => {
    const local = bigFile('worker-big', 8);
    const size = statSync(local).size;
    const root = await withWorkers(spec(sshdA));
    const before = logins(sshdA);
    const small = await root.upload(join(base(), 'small'), Buffer.from('small\n'), { mode: 0o644 });
    expect(small.changed).toBe(true);
    expect(logins(sshdA) - before).toBe(0); // a small file needs no second connection

    const progress: number[] = [];
    const target = join(base(), 'root', 'kubelet');
    const r = await root.upload(target, { localPath: local }, { mode: 0o755, onProgress: (sent, total) => progress.push(sent / total) });
    expect(r).toEqual({ changed: true, bytes: size, wireBytes: size });
    expect(same(target, local)).toBe(true);
    expect(statSync(target).mode & 0o7777).toBe(0o755);
    expect(progress.at(-1)).toBe(1);
    expect(leftovers(dirname(target))).toEqual([]);
    expect(logins(sshdA) - before).toBe(1); // the worker's connection, opened once ...
    const gz = join(dir, `worker-big-${suffix}.gz`);
    writeFileSync(gz, gzipSync(readFileSync(local), { level: 1 }));
    const sha256 = createHash('sha256').update(readFileSync(local)).digest('hex');
    const packed = await root.upload(join(base(), 'root', 'kube-proxy'), { encoded: { localPath: gz, format: 'gzip' }, plainPath: local, sha256, size }, { mode: 0o755 });
    expect(packed).toEqual({ changed: true, bytes: size, wireBytes: statSync(gz).size, encoding: 'gzip' });
    expect(same(join(base(), 'root', 'kube-proxy'), local)).toBe(true);
    expect(logins(sshdA) - before).toBe(1); // ... and used again
    expect((await root.upload(target, { localPath: local }, { mode: 0o755 })).changed).toBe(false);

    // A sudo user with a password: the worker fills the private staging file in /tmp, sudo puts it in place.
    const privateDir = join(dir, `worker-root-only-${suffix}`);
    mkdirSync(privateDir, { mode: 0o700 });
    const sudo = await withWorkers(spec(sshdA, { user: sudoUser.name, sudoPassword: sudoUser.password }));
    const stagingBefore = readdirSync('/tmp').filter((n) => n.startsWith('kubeup-upload.')).length;
    const sudoBefore = logins(sshdA, sudoUser.name);
    const placed = join(privateDir, 'bin', 'kubelet');
    expect((await sudo.upload(placed, { localPath: local }, { mode: 0o750, owner: 'root:root' })).changed).toBe(true);
    expect(same(placed, local)).toBe(true);
    expect(statSync(placed).uid).toBe(0);
    expect(statSync(placed).mode & 0o7777).toBe(0o750);
    expect(logins(sshdA, sudoUser.name) - sudoBefore).toBe(1);
    expect(readdirSync('/tmp').filter((n) => n.startsWith('kubeup-upload.')).length).toBe(stagingBefore);
  });

  it('stops a transfer under way when the session is closed: the worker stops sending, the target is untouched', async () => {
    const local = bigFile('worker-cancel', 128);
    const session = await open(spec(sshdA), { transferWorkers: true });
    const folder = join(base(), 'cancel');
    const target = join(folder, 'kube-apiserver');
    let closedAt = 0;
    let closing: Promise<void> | undefined;
    const upload = session.upload(target, { localPath: local }, {
      mode: 0o755,
      onProgress: () => {
        if (closing) return;
        closedAt = Date.now();
        closing = session.close();
      },
    });
    const err = await failure(upload);
    expect(Date.now() - closedAt).toBeLessThan(2000);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toBe(`the session to root@127.0.0.1:${sshdA.port} is closed`);
    await closing;
    expect(existsSync(target)).toBe(false);
    // What was sent so far sits in the private temporary file (the next run removes it, see the executor's recovery);
    // it no longer grows: the worker's connection is gone.
    const sizes = () => readdirSync(folder).map((n) => statSync(join(folder, n)).size).join(',');
    await new Promise((r) => setTimeout(r, 300)); // what sshd had received by then is written out
    const first = sizes();
    await new Promise((r) => setTimeout(r, 700));
    expect(sizes()).toBe(first);
    expect(Number(first)).toBeLessThan(statSync(local).size);
  });

  it("refuses a host key in the worker's connection other than the one the session verified", async () => {
    const server = await startSshd({ authorizedKeys: { root: [key.publicLine] } });
    const file = join(dir, 'known_hosts_worker');
    writeFileSync(file, `${server.knownHostsLine()}\n`);
    const session = await open(spec(server), { knownHostsFile: file, transferWorkers: true });
    // The host is "reinstalled" (or impersonated) between the first connection and the first big file.
    const port = server.port;
    await server.stop();
    const impostor = await startSshd({ authorizedKeys: { root: [key.publicLine] }, port });
    try {
      const local = bigFile('worker-hostkey', 2);
      const err = await failure(session.upload(join(base(), 'hostkey', 'kubelet'), { localPath: local }, { mode: 0o755 }));
      expect(err).toBeInstanceOf(HostKeyError);
      const hk = err as HostKeyError;
      expect(hk.problem).toBe('changed');
      expect(hk.message).toMatch(new RegExp(`^HOST KEY CHANGED for \\[127\\.0\\.0\\.1\\]:${port}: expected ${fingerprint(server.hostKeys[0]!.blob).replace(/[+/]/g, '\\$&')} \\(accepted by this run's first connection to the host\\)`));
      expect(hk.offered).toBe(fingerprint(impostor.hostKeys[0]!.blob));
      expect(hk.host).toBe('127.0.0.1');
      // Refused before any credential was offered.
      expect(impostor.log()).not.toMatch(/Accepted|Failed publickey|Postponed/);
      expect(existsSync(join(base(), 'hostkey', 'kubelet'))).toBe(false);
    } finally {
      await impostor.stop();
    }
  });

  it('reports a full disk as the first connection does: host, file, free space', async () => {
    const mount = join(dir, `worker-tmpfs-${suffix}`);
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', `kubeup-test-${suffix}`, mount]);
    try {
      const local = bigFile('worker-full', 4);
      const messages: string[] = [];
      for (const transferWorkers of [true, false]) {
        const session = await open(spec(sshdA), { transferWorkers });
        const err = await failure(session.upload(join(mount, 'kubelet'), { localPath: local }, { mode: 0o755 }));
        expect(err).toBeInstanceOf(DeployError);
        expect((err as DeployError).host).toBe('127.0.0.1');
        messages.push(err.message.replace(/\d+ KiB free/, 'N KiB free'));
        expect(readdirSync(mount)).toEqual([]);
      }
      expect(messages[0]).toMatch(new RegExp(`^no space left on 127\\.0\\.0\\.1 for ${mount}/kubelet: N KiB free in ${mount} when the write failed, the file needs 4096 KiB \\(SFTP: Failure\\)$`));
      expect(messages[1]).toBe(messages[0]);
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
