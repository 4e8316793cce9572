// Where kubeup keeps things on the operator's machine. Environment overrides exist so that tests (and people with
// several setups) can isolate them.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Folder of the profile store (conf). */
export function configDir(): string {
  return process.env.KUBEUP_CONFIG_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'kubeup');
}

/** Root of per-cluster state: CA and certificates, run logs and summaries. Holds secrets: mode 0700. */
export function stateDir(): string {
  return process.env.KUBEUP_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'kubeup');
}

export function profileStateDir(profileName: string): string {
  return join(stateDir(), 'clusters', profileName);
}

/** `~/x` -> `$HOME/x`, as a shell would for paths written in a profile. */
export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}
