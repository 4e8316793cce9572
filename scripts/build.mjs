// Bundles the CLI into dist/ (ESM, node20). The UI lives in a separate chunk that cli.ts imports lazily,
// so `kubeup --help` and headless runs never load Ink or React.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['react-devtools-core', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
  banner: {
    js: "import { createRequire as __kubeupCreateRequire } from 'node:module'; const require = __kubeupCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
