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
  // CommonJS dependencies (ssh2's crypto loader) use require, __filename and __dirname: give every ESM chunk all three.
  banner: {
    js: [
      "import { createRequire as __kubeupCreateRequire } from 'node:module';",
      "import { fileURLToPath as __kubeupFileURLToPath } from 'node:url';",
      "import { dirname as __kubeupDirname } from 'node:path';",
      'const require = __kubeupCreateRequire(import.meta.url);',
      'const __filename = __kubeupFileURLToPath(import.meta.url);',
      'const __dirname = __kubeupDirname(__filename);',
    ].join(' '),
  },
  logLevel: 'warning',
});
