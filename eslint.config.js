// Lint runs inside `npm test`. Type-aware rules are left to `tsc`, which runs right after.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', 'test-artifacts/**', 'packages/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', fetch: 'readonly', crypto: 'readonly', window: 'readonly', document: 'readonly', navigator: 'readonly', location: 'readonly', PublicKeyCredential: 'readonly', AbortController: 'readonly', Response: 'readonly', Headers: 'readonly', Request: 'readonly', btoa: 'readonly', atob: 'readonly', Intl: 'readonly' } },
    rules: {
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  { files: ['scripts/**', 'bench/**', 'packages/server/src/cli.ts', 'packages/server/src/commands.ts', 'packages/server/bin/**'], rules: { 'no-console': 'off' } },
);
