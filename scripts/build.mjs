// Bundles the CLI into dist/ (ESM, node20). The UI lives in a separate chunk that cli.ts imports lazily,
// so `kubeup --help` and headless runs never load Ink or React.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { cliBuildOptions } from './build-options.mjs';

rmSync('dist', { recursive: true, force: true });
await build(cliBuildOptions);
