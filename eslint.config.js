// Lint runs inside `npm test`. Type-aware rules are left to `tsc`, which runs right after.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'data/**',
      'test-artifacts/**',
      'packages/web/dist/**',
      'packages/console/dist/**',
      'packages/server/dist/**',
      'packages/console/src/api/schema.ts',
      'packages/console/src/api/permissions.ts',
      'bench/peer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        crypto: 'readonly',
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        location: 'readonly',
        PublicKeyCredential: 'readonly',
        AbortController: 'readonly',
        Response: 'readonly',
        Headers: 'readonly',
        Request: 'readonly',
        btoa: 'readonly',
        atob: 'readonly',
        Intl: 'readonly',
      },
    },
    rules: {
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: [
      'scripts/**',
      'bench/**',
      'examples/demo-app/src/main.ts',
      'examples/demo-app/src/run-demo.ts',
      'packages/server/src/cli.ts',
      'packages/server/src/commands.ts',
      'packages/server/bin/**',
    ],
    rules: { 'no-console': 'off' },
  },
  // Keyway's own tokens: signed once by SigningKeyService (which returns their claims); never decoded to be read back.
  {
    files: ['packages/server/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'jose',
              importNames: ['decodeJwt', 'SignJWT'],
              message: 'Sign ID tokens with SigningKeyService.signIdToken and use the claims it returns; do not decode a token Keyway signed.',
            },
          ],
        },
      ],
    },
  },
);
