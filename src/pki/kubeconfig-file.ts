// The operator's kubeconfig file: $KUBECONFIG's first path or ~/.kube/config. Changed atomically, mode 0600, with a
// backup of the previous file next to it.
import { chmod, copyFile, constants, mkdir, realpath } from 'node:fs/promises';
import { homeDir } from '../state.js';
import { delimiter, dirname, join, resolve } from 'node:path';
import { KubeconfigError } from './errors.js';
import { readIfExists, SECRET_DIR_MODE, writeFileAtomic } from './files.js';
import { mergeKubeconfig, removeKubeconfigContext, renderKubeconfig } from './kubeconfig.js';
import { SUPER_ADMIN_USER } from './identities.js';
import type { ClusterPki } from './store.js';

export interface KubeconfigFileOptions {
  /** The file to change; default kubeconfigPath(). */
  path?: string;
  /** Time in the backup's name. */
  now?: Date;
}

export interface KubeconfigFileResult {
  path: string;
  /** Copy of the file as it was before; absent when the file did not exist or did not change. */
  backupPath?: string;
  changed: boolean;
}

/** The file kubectl would write to: the first non-empty entry of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(env: NodeJS.ProcessEnv = process.env, home: string = homeDir(env)): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p.trim() !== '');
  return first !== undefined ? resolve(first) : join(home, '.kube', 'config');
}

/** `20261125T232315Z`: sortable, and safe in a file name. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

async function backup(path: string, now: Date): Promise<string> {
  const base = `${path}.kubeup-backup-${stamp(now)}`;
  for (let n = 0; ; n++) {
    const target = n === 0 ? base : `${base}-${n}`;
    try {
      // COPYFILE_EXCL: never overwrite an older backup. The copy keeps the source's mode, so tighten it after.
      await copyFile(path, target, constants.COPYFILE_EXCL);
      await chmod(target, 0o600);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

async function change(
  opts: KubeconfigFileOptions,
  edit: (existing: string | undefined, where: string) => string | undefined,
): Promise<KubeconfigFileResult> {
  const requested = opts.path ?? kubeconfigPath();
  // Follow a symlinked kubeconfig so that the link stays a link; a file that does not exist yet has no real path.
  const path = await realpath(requested).catch(() => requested);
  let existing: string | undefined;
  try {
    existing = await readIfExists(path);
  } catch (cause) {
    throw new KubeconfigError('cannot read the kubeconfig file', { file: path, cause, hint: 'check its owner and mode' });
  }
  const next = edit(existing, path);
  if (next === undefined || next === existing) return { path, changed: false };
  try {
    await mkdir(dirname(path), { recursive: true, mode: SECRET_DIR_MODE });
    const backupPath = existing === undefined ? undefined : await backup(path, opts.now ?? new Date());
    await writeFileAtomic(path, next, 0o600);
    return { path, ...(backupPath ? { backupPath } : {}), changed: true };
  } catch (cause) {
    throw new KubeconfigError('cannot write the kubeconfig file', {
      file: path,
      cause,
      hint: 'check that its folder is writable, or set $KUBECONFIG to a file you can write',
    });
  }
}

/** Adds or replaces the context `contextName` of `newConfig` (and its cluster and user) in the operator's kubeconfig. */
export function writeMergedKubeconfig(newConfig: string, contextName: string, opts: KubeconfigFileOptions = {}): Promise<KubeconfigFileResult> {
  return change(opts, (existing, where) => mergeKubeconfig(existing, newConfig, contextName, where));
}

/** Removes the context `contextName` (for `kubeup down`); nothing is written when there is no such context. */
export function removeContextFromKubeconfig(contextName: string, opts: KubeconfigFileOptions = {}): Promise<KubeconfigFileResult> {
  return change(opts, (existing, where) => {
    const { yaml, removed } = removeKubeconfigContext(existing, contextName, where);
    return removed ? yaml : undefined;
  });
}

/** File name of the break-glass kubeconfig in the PKI folder (kubeadm: /etc/kubernetes/super-admin.conf). */
export const SUPER_ADMIN_KUBECONFIG = 'super-admin.conf';

/**
 * The break-glass kubeconfig (system:masters, which no RBAC change can take away), kept mode 0600 next to the CA
 * keys and never merged into the operator's kubeconfig.
 */
export async function writeSuperAdminKubeconfig(
  pkiDir: string,
  plan: { cluster: { name: string; apiServer: { url: string } } },
  pki: Pick<ClusterPki, 'ca' | 'certs'>,
): Promise<string> {
  const cert = pki.certs.get('super-admin');
  if (!cert) throw new KubeconfigError('the cluster PKI has no super-admin certificate', { hint: 'this is a bug in kubeup: report it' });
  const name = plan.cluster.name;
  const text = renderKubeconfig({ clusterName: name, server: plan.cluster.apiServer.url, caPem: pki.ca.certPem, user: `${SUPER_ADMIN_USER}@${name}`, certPem: cert.certPem, keyPem: cert.keyPem, contextName: `${name}-super-admin` });
  const path = join(pkiDir, SUPER_ADMIN_KUBECONFIG);
  if ((await readIfExists(path)) === text) return path;
  try {
    await writeFileAtomic(path, text, 0o600);
  } catch (cause) {
    throw new KubeconfigError('cannot write the break-glass kubeconfig', { file: path, cause, hint: 'check free space and that the folder belongs to you' });
  }
  return path;
}
