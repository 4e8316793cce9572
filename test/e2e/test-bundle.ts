// The CLI bundled like dist/cli.js, but with the shipped pin table swapped for one where the default flannel
// files carry the test mirror's sha256 under the same keys. The mirror cannot serve upstream's bytes, so this is
// how an e2e run proves that a default profile deploys through the shipped-pin path with no checksum in the profile.
// The swap happens only here, at bundle time: the product's sources and dist/ have no way to take another table.
import { build, type Plugin } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinKey, PINNED_CHECKSUMS, type PinnedChecksum } from '../../src/release/pinned-checksums.js';
import type { Mirror } from '../harness/mirror/index.js';
// @ts-expect-error: a plain .mjs module without types
import { cliBuildOptions } from '../../scripts/build-options.mjs';
import { REPO } from './helpers.js';

export const TEST_PIN_SOURCE = 'kubeup test mirror (stand-in flanneld, under the shipped key)';

/** The shipped table with each shipped flannel key the mirror serves re-pointed at the mirror's bytes. */
export function mirrorPins(mirror: Mirror): Record<string, PinnedChecksum> {
  const table: Record<string, PinnedChecksum> = { ...PINNED_CHECKSUMS };
  for (const a of mirror.artefacts) {
    const key = pinKey(a.component, a.path);
    if (Object.hasOwn(table, key)) table[key] = { sha256: a.sha256, source: TEST_PIN_SOURCE };
  }
  return table;
}

const swapPins = (table: Record<string, PinnedChecksum>): Plugin => ({
  name: 'kubeup-test-pins',
  setup(b) {
    b.onLoad({ filter: /src[\\/]release[\\/]pinned-checksums-table\.ts$/ }, () => ({
      contents: `export const SHIPPED_PINS = ${JSON.stringify(table)};\n`,
      loader: 'ts',
    }));
  },
});

/** Builds the test bundle into a temporary folder; returns the path of its cli.js. */
export async function buildTestCli(mirror: Mirror): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeup-test-cli-'));
  await build({ ...cliBuildOptions, absWorkingDir: REPO, outdir, sourcemap: false, plugins: [swapPins(mirrorPins(mirror))] });
  return join(outdir, 'cli.js');
}
