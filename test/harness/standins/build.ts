/**
 * Bundles one stand-in (test/harness/standins/<name>.ts plus the shared library and its npm helpers) into a single
 * executable Node 18 script, with the version and that version's flag list embedded. The result runs inside test
 * hosts (Debian bookworm's nodejs 18) with no node_modules.
 */
import { wrapInElf } from './elf.js';
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StandinBuildInfo } from './common/build-info.js';
import type { FlagReference } from './common/flags.js';

const standinsDir = dirname(fileURLToPath(import.meta.url));
export const flagFixturesDir = join(standinsDir, '..', '..', 'fixtures', 'k8s-flags');

export interface BuildOptions {
  /** Appends a comment so the file is at least this many bytes (the real binary's size, for transfer benchmarks). */
  readonly padToBytes?: number;
}

/** "1.35.2" / "v1.35.2" -> "v1.35.2"; refuses anything else. */
export function normaliseVersion(version: string): string {
  const m = /^v?(\d+)\.(\d+)\.(\d+)([-+][0-9A-Za-z.+-]*)?$/.exec(version);
  if (!m) throw new Error(`buildStandin: version "${version}" is not a semantic version like v1.35.2`);
  return `v${m[1]}.${m[2]}.${m[3]}${m[4] ?? ''}`;
}

/** The flag list for a component and version, or null when the program has none (e.g. CNI plugins). */
export function findFlagReference(name: string, version: string): FlagReference | null {
  const m = /^v(\d+)\.(\d+)/.exec(normaliseVersion(version));
  const minor = `${m?.[1]}.${m?.[2]}`;
  for (const file of [`${name}-${minor}.json`, `${name}-v${minor}.json`]) {
    const path = join(flagFixturesDir, file);
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as FlagReference;
  }
  const known = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'flanneld', 'etcd'];
  if (known.includes(name)) {
    throw new Error(`buildStandin: no flag list for ${name} ${version} in ${flagFixturesDir} (expected ${name}-${minor}.json)`);
  }
  return null;
}

/** Deterministic, incompressible filler (so padding costs real transfer time, like a real binary). */
function filler(bytes: number): string {
  let out = '';
  let block = createHash('sha256').update('kubeup-standin-padding').digest();
  while (out.length < bytes) {
    block = createHash('sha256').update(block).digest();
    out += block.toString('base64').replace(/[+/=]/g, 'x');
  }
  return out.slice(0, bytes);
}

export async function buildStandin(name: string, k8sVersion: string, outFile: string, opts: BuildOptions = {}): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`buildStandin: bad stand-in name "${name}"`);
  const entry = join(standinsDir, `${name}.ts`);
  if (!existsSync(entry)) throw new Error(`buildStandin: no stand-in source ${entry}`);
  const info: StandinBuildInfo = { name, version: normaliseVersion(k8sVersion), flags: findFlagReference(name, k8sVersion) };
  mkdirSync(dirname(outFile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    define: { __KUBEUP_STANDIN_BUILD__: JSON.stringify(info) },
    legalComments: 'none',
    logLevel: 'silent',
    sourcemap: false,
    minifySyntax: true,
  });
  chmodSync(outFile, 0o755);
  // Real release binaries are ELF files, and kubeup checks for that: ship the stand-in as one too.
  wrapInElf(outFile);
  // Padding goes last: the JavaScript runs to the end of the file, so a trailing comment keeps it valid.
  const pad = opts.padToBytes ?? 0;
  const size = statSync(outFile).size;
  const wrapper = '\n/* padding: '.length + ' */\n'.length;
  if (pad > size + wrapper) appendFileSync(outFile, `\n/* padding: ${filler(pad - size - wrapper)} */\n`);
}
