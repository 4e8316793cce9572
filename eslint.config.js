import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'test/fixtures/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine never imports the UI.
    files: ['src/**/*.ts'],
    // The CLI is where the engine meets the UI: it loads components/ lazily, only when a terminal needs them.
    ignores: ['src/cli.ts', 'src/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/components/**', 'ink', 'ink-*', 'react'], message: 'src/ is the engine: no UI imports' }] }],
    },
  },
  {
    // The UI renders state and calls engine functions; it never opens a connection or touches hosts itself.
    files: ['components/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/ssh/**', '**/src/provision/**', '**/src/release/**', '**/src/pki/**'], message: 'components/ must not do I/O on hosts, downloads or keys' }] }],
    },
  },
);
