// Runs a REAL OpenSSH sshd on 127.0.0.1 for tests: its own config, host keys, authorized_keys and pid file in a temp
// folder, on a free port. Needs root (sshd reads /etc/shadow for passwords and switches users). Stop it with stop().

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshdOptions {
  /** Public key lines per user name (written to <dir>/authorized_keys/<user>). */
  authorizedKeys?: Record<string, string[]>;
  /** PasswordAuthentication (checked against /etc/shadow, UsePAM no). */
  password?: boolean;
  /** Keyboard-interactive through PAM (UsePAM yes): PAM asks "Password:". */
  keyboardInteractive?: boolean;
  hostKeyTypes?: KeyType[];
  /** Reuse host keys of an earlier server (e.g. to simulate a reinstalled host with new keys, pass other ones). */
  hostKeysFrom?: string;
  extraConfig?: string[];
  /** Listen on this port (default: a free one), e.g. an impostor taking over a stopped server's port. */
  port?: number;
}

export interface HostKeyFiles {
  type: KeyType;
  path: string;
  /** `ssh-ed25519 AAAA...` */
  publicLine: string;
  /** Wire-format blob, as ssh2 hands it to hostVerifier. */
  blob: Buffer;
}

export interface RunningSshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  hostKeys: HostKeyFiles[];
  pid: number;
  /** A known_hosts line for this server: `[127.0.0.1]:port ssh-ed25519 AAAA...` (first host key). */
  knownHostsLine(): string;
  setAuthorizedKeys(user: string, lines: string[]): void;
  /** sshd's own log (-e), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function makeHostKey(dir: string, type: KeyType): HostKeyFiles {
  const path = join(dir, `ssh_host_${type}_key`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', path]);
  return readHostKey(path, type);
}

function readHostKey(path: string, type: KeyType): HostKeyFiles {
  const publicLine = readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { type, path, publicLine, blob: Buffer.from(publicLine.split(' ')[1]!, 'base64') };
}

export async function startSshd(opts: SshdOptions = {}): Promise<RunningSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const dir = mkdtempSync(join(tmpdir(), 'kubeup-sshd-'));
  const types = opts.hostKeyTypes ?? ['ed25519'];
  const hostKeys = types.map((t) =>
    opts.hostKeysFrom ? readHostKey(join(opts.hostKeysFrom, `ssh_host_${t}_key`), t) : makeHostKey(dir, t),
  );
  // sshd reads authorized_keys as the logging-in user, so the folders and files must be world-readable.
  chmodSync(dir, 0o755);
  const keysDir = join(dir, 'authorized_keys');
  mkdirSync(keysDir, { mode: 0o755 });
  const setAuthorizedKeys = (user: string, lines: string[]) =>
    writeFileSync(join(keysDir, user), lines.map((l) => `${l}\n`).join(''), { mode: 0o644 });
  for (const [user, lines] of Object.entries(opts.authorizedKeys ?? {})) setAuthorizedKeys(user, lines);

  const port = opts.port ?? (await freePort());
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    ...hostKeys.map((k) => `HostKey ${k.path}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${keysDir}/%u`,
    'StrictModes no',
    `UsePAM ${opts.keyboardInteractive ? 'yes' : 'no'}`,
    `PasswordAuthentication ${opts.password ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${opts.keyboardInteractive ? 'yes' : 'no'}`,
    'PubkeyAuthentication yes',
    'PermitRootLogin yes',
    'AllowTcpForwarding yes',
    'MaxSessions 10',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    ...(opts.extraConfig ?? []),
  ];
  const configPath = join(dir, 'sshd_config');
  writeFileSync(configPath, `${config.join('\n')}\n`);

  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        child.stderr!.off('data', onData);
        child.stderr!.on('data', (more: Buffer) => (log += more.toString()));
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sshd exited with ${code} before listening:\n${log}`)));
    child.once('error', reject);
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    host: '127.0.0.1',
    port,
    dir,
    hostKeys,
    pid: child.pid!,
    knownHostsLine: () => `[127.0.0.1]:${port} ${hostKeys[0]!.publicLine}`,
    setAuthorizedKeys,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client key pair made with ssh-keygen. */
export interface ClientKey {
  path: string;
  publicLine: string;
}

export function makeClientKey(dir: string, name: string, opts: { type?: KeyType; passphrase?: string } = {}): ClientKey {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', `${name}@kubeup-test`, '-f', path]);
  return { path, publicLine: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export interface LocalUser {
  name: string;
  password: string;
  remove(): void;
}

/**
 * A temporary local account (for password login and sudo tests), with an optional sudoers entry. remove() deletes the
 * account, its home and its sudoers file.
 */
export function createLocalUser(name: string, password: string, sudo?: 'password' | 'nopasswd', extraSudoers: string[] = []): LocalUser {
  if (!/^kubeup-[a-z0-9-]{1,20}$/.test(name)) throw new Error(`test user names must look like kubeup-xxx: ${name}`);
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  const sudoers = `/etc/sudoers.d/${name}`;
  try {
    execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
    if (sudo) {
      const rule = `${name} ALL=(ALL:ALL) ${sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL`;
      writeFileSync(sudoers, [...extraSudoers, rule].map((l) => `${l}\n`).join(''), { mode: 0o440 });
      execFileSync('visudo', ['-c', '-q', '-f', sudoers]);
    }
  } catch (err) {
    removeUser(name, sudoers);
    throw err;
  }
  return { name, password, remove: () => removeUser(name, sudoers) };
}

function removeUser(name: string, sudoers: string): void {
  rmSync(sudoers, { force: true });
  execFileSync('userdel', ['--remove', name], { stdio: 'pipe' });
}
