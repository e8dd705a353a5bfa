import tseslint from 'typescript-eslint';

// Imports the analysis core may not use (see the rule block for server/src/engine below).
const CORE_RESTRICTED = ['vscode', 'vscode-languageserver', 'vscode-languageclient', 'node:fs', 'fs', 'node:child_process', 'child_process'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test/fixtures/**', 'scratch/**', 'rules/index.generated.ts', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['server/src/engine/**/*.ts', 'rules/**/*.ts'],
    rules: {
      // The analysis core is pure: no console, no process I/O, no editor APIs.
      'no-console': 'error',
      'no-restricted-imports': ['error', { paths: CORE_RESTRICTED }],
    },
  },
  {
    // The parser loader reads the parser's own .wasm binary (to instantiate it itself, see wasm-cursor.ts): the
    // one file access in the core, and never of linted data.
    files: ['server/src/engine/parse/backend.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: CORE_RESTRICTED.filter((p) => p !== 'node:fs') }],
    },
  },
);
