// esbuild options of the CLI bundle, shared by scripts/build.mjs and the e2e test bundle (test/e2e/test-bundle.ts).
export const cliBuildOptions = {
  // The SSH transfer worker is a file of its own: worker threads load it by URL (src/ssh/transfer-pool.ts).
  entryPoints: { cli: 'src/cli.ts', 'transfer-worker': 'src/ssh/transfer-worker.ts' },
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
};
