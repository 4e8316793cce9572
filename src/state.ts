// Where kubeup keeps things on the operator's machine. Environment overrides exist so that tests (and people with
// several setups) can isolate them. Every folder taken from the environment follows the XDG base directory rules: a
// variable that is empty, or not an absolute path, counts as unset (else `XDG_STATE_HOME=` would put the CA key
// into ./kubeup of whatever folder the user stands in).
import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** The variable's value when it is an absolute path; empty or relative means unset. */
export function absoluteEnv(env: Env, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v !== '' && isAbsolute(v) ? v : undefined;
}

/** kubeup's own override (KUBEUP_CONFIG_DIR, KUBEUP_STATE_DIR): empty means unset, a relative path is taken from here. */
function kubeupEnv(env: Env, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v !== '' ? resolve(v) : undefined;
}

/** $HOME when it is an absolute path, else the account's home folder from the password database. */
export function homeDir(env: Env = process.env): string {
  return absoluteEnv(env, 'HOME') ?? userInfo().homedir;
}

/** Folder of the profile store (conf). */
export function configDir(env: Env = process.env): string {
  return kubeupEnv(env, 'KUBEUP_CONFIG_DIR') ?? join(absoluteEnv(env, 'XDG_CONFIG_HOME') ?? join(homeDir(env), '.config'), 'kubeup');
}

/** Root of per-cluster state: CA and certificates, run logs and summaries. Holds secrets: mode 0700. */
export function stateDir(env: Env = process.env): string {
  return kubeupEnv(env, 'KUBEUP_STATE_DIR') ?? join(absoluteEnv(env, 'XDG_STATE_HOME') ?? join(homeDir(env), '.local', 'state'), 'kubeup');
}

export function profileStateDir(profileName: string, env: Env = process.env): string {
  return join(stateDir(env), 'clusters', profileName);
}

/** `~/x` -> `$HOME/x`, as a shell would for paths written in a profile. */
export function expandHome(p: string, env: Env = process.env): string {
  return p === '~' ? homeDir(env) : p.startsWith('~/') ? join(homeDir(env), p.slice(2)) : p;
}
