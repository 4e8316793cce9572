// Turns the credentials a host may use into ssh2 auth methods, tried in order: agent, identity file, password,
// keyboard-interactive. Problems that can be seen before connecting (missing file, wrong passphrase, dead agent)
// are reported here, naming the file or socket and never the secret.

import { NotAFileError, readFileAtMost, TooLargeError } from '../read-bounded.js';
import { homeDir } from '../state.js';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type AuthenticationType, type ParsedKey } from 'ssh2';
import { ConnectError } from '../errors.js';
import { probeAgent } from './agent.js';
import { AuthError } from './errors.js';

export interface Credentials {
  /** true: the agent at $SSH_AUTH_SOCK; a string: that socket path. */
  agent?: boolean | string;
  identityFile?: string;
  /** Profile field that names the identity file, for messages (e.g. `hosts[1].identityFile`). */
  identityFileField?: string;
  passphrase?: string;
  /** Used for `password` and answered to `keyboard-interactive` password prompts. */
  password?: string;
}

export interface AuthAttempt {
  method: AnyAuthMethod;
  /** What the user reads in messages, e.g. `publickey ~/.ssh/id_ed25519`. */
  label: string;
}

export interface PreparedAuth {
  attempts: AuthAttempt[];
  /** Things the user should know that did not stop the connection (a dead agent socket). */
  warnings: string[];
}

export interface AuthTarget {
  host: string;
  user: string;
  /** `hosts[0]` or `ssh.jumpHost`, for hints. */
  field?: string;
}

export function expandHome(path: string): string {
  return path === '~' ? homeDir() : path.startsWith('~/') ? `${homeDir()}${path.slice(1)}` : path;
}

export async function prepareAuth(target: AuthTarget, creds: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<PreparedAuth> {
  const attempts: AuthAttempt[] = [];
  const warnings: string[] = [];
  const { user } = target;

  if (creds.agent) {
    const socket = typeof creds.agent === 'string' ? creds.agent : env.SSH_AUTH_SOCK;
    if (!socket) warnings.push('ssh-agent was asked for, but SSH_AUTH_SOCK is not set: not using an agent');
    else {
      const probe = await probeAgent(socket);
      if (!probe.ok) warnings.push(`ssh-agent at ${socket} does not answer (${probe.reason}): not using it`);
      else if (probe.keys === 0) warnings.push(`ssh-agent at ${socket} holds no keys (add one with ssh-add): not using it`);
      else attempts.push({ method: { type: 'agent', username: user, agent: socket }, label: `agent (${probe.keys} key${probe.keys === 1 ? '' : 's'})` });
    }
  }

  if (creds.identityFile) {
    const key = await loadIdentity(target, creds);
    attempts.push({ method: { type: 'publickey', username: user, key }, label: `publickey ${creds.identityFile}` });
  }

  if (creds.password !== undefined) {
    const password = creds.password;
    attempts.push({ method: { type: 'password', username: user, password }, label: 'password' });
    attempts.push({
      method: {
        type: 'keyboard-interactive',
        username: user,
        // Only hidden prompts get the password; a visible prompt is a question we cannot answer.
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map((p) => (p.echo ? '' : password))),
      },
      label: 'keyboard-interactive',
    });
  }
  return { attempts, warnings };
}

async function loadIdentity(target: AuthTarget, creds: Credentials): Promise<ParsedKey> {
  const file = creds.identityFile!;
  const where = { host: target.host, file, ...(creds.identityFileField ? { field: creds.identityFileField } : {}) };
  let data: Buffer;
  try {
    // Bounded: a device (/dev/zero) given as the key would otherwise be read until the memory is full.
    data = readFileAtMost(expandHome(file), 1024 * 1024);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof TooLargeError || err instanceof NotAFileError) {
      throw new ConnectError(`identity file ${file} is not a key: ${err instanceof TooLargeError ? 'it is larger than 1 MiB' : `it is ${err.what}`}`, { ...where, hint: 'give the path of a private key file, e.g. ~/.ssh/id_ed25519' });
    }
    throw new ConnectError(`cannot read identity file ${file} (${code ?? String(err)})`, {
      ...where,
      cause: err,
      hint: code === 'ENOENT' ? 'check the path, or create a key with ssh-keygen -t ed25519' : 'check the file permissions',
    });
  }
  const parsed = ssh2.utils.parseKey(data, creds.passphrase);
  if (parsed instanceof Error) {
    const message = parsed.message;
    if (/no passphrase given/i.test(message)) {
      throw new ConnectError(`identity file ${file} is encrypted and no passphrase was given`, {
        ...where,
        hint: 'run kubeup in a terminal so it can ask for the passphrase, or load the key into ssh-agent (ssh-add)',
      });
    }
    if (creds.passphrase !== undefined && /passphrase|integrity|malformed|decrypt/i.test(message)) {
      throw new ConnectError(`wrong passphrase for identity file ${file}`, {
        ...where,
        hint: 'type the passphrase again; check it with ssh-keygen -y -f FILE',
      });
    }
    throw new ConnectError(`identity file ${file} is not a private key kubeup can read (${message})`, {
      ...where,
      hint: 'use an OpenSSH or PEM private key (ed25519, ecdsa or rsa)',
    });
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.isPrivateKey() === false) {
    throw new ConnectError(`identity file ${file} holds no private key`, { ...where, hint: 'point at the private key, not the .pub file' });
  }
  return key;
}

/** Server-side names of what each of our attempts uses. */
const SERVER_METHOD: Record<AnyAuthMethod['type'], AuthenticationType> = {
  none: 'none',
  agent: 'publickey',
  publickey: 'publickey',
  password: 'password',
  'keyboard-interactive': 'keyboard-interactive',
  hostbased: 'hostbased',
};

export interface AuthProgress {
  tried: string[];
  /** Methods the server still accepts, as it last said. */
  serverAccepts: AuthenticationType[];
}

/**
 * ssh2's authHandler: offers our attempts in order, skipping those the server said it does not take, and records
 * what was tried for the error message.
 */
export function authHandler(attempts: readonly AuthAttempt[], progress: AuthProgress): AuthHandlerMiddleware {
  let index = 0;
  return (methodsLeft, _partial, next) => {
    if (methodsLeft) progress.serverAccepts = [...methodsLeft];
    while (index < attempts.length) {
      const attempt = attempts[index++]!;
      if (methodsLeft && !methodsLeft.includes(SERVER_METHOD[attempt.method.type])) continue;
      progress.tried.push(attempt.label);
      next(attempt.method);
      return;
    }
    next(false as unknown as AnyAuthMethod);
  };
}

export function authFailure(target: AuthTarget & { port: number }, creds: Credentials, progress: AuthProgress, warnings: string[]): AuthError {
  const name = `${target.user}@${target.host}:${target.port}`;
  const who = target.field ? `${target.field} (user ${target.user})` : `user ${target.user} on ${target.host}`;
  const accepts = progress.serverAccepts.length ? progress.serverAccepts.join(',') : 'publickey';
  const facts = { tried: progress.tried, serverAccepts: progress.serverAccepts };
  if (progress.tried.length === 0) {
    return new AuthError(
      `no way to log in to ${name}: no usable agent, identity file or password` + (warnings.length ? ` (${warnings.join('; ')})` : ''),
      facts,
      { host: target.host, hint: `the server accepts ${accepts}: set ssh.identityFile (or ${target.field ?? 'hosts[i]'}.identityFile), load a key into ssh-agent, or set ssh.password: true` },
    );
  }
  const hints: string[] = [];
  if (creds.identityFile) hints.push(`check that ${who} accepts key ${creds.identityFile} (its .pub in ~${target.user}/.ssh/authorized_keys)`);
  if (creds.password !== undefined) hints.push(`check the password of ${who}`);
  if (hints.length === 0) hints.push(`check that ${who} accepts one of the agent's keys`);
  return new AuthError(`Permission denied (${accepts}) for ${name}; tried ${progress.tried.join(', ')}`, facts, {
    host: target.host,
    hint: hints.join('; '),
  });
}
