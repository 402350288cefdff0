import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.scratch/**',
      'dist/**',
      'data/**',
      'webapp_data/**',
      '.demo/**',
      'bin/**',
      'dashboard/dist/**',
      'test-artifacts/**',
      'dist-lambda/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-throw-literal': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The runner and scripts own the terminal; library code never prints.
  { files: ['runner.ts', 'cli/**/*.ts', 'scripts/**/*.ts', 'tests/**/*.ts'], rules: { 'no-console': 'off' } },
);
