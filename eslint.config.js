import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const focusedTests = ['describe', 'it', 'test'].map((object) => ({
  object,
  property: 'only',
  message: 'Focused tests hide the rest of the suite.',
}));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'generated/',
      '**/.esbuild/',
      '**/.serverless/',
      'postman/*.json',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-properties': ['error', ...focusedTests],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests read arbitrary JSON bodies, valid or not.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The operator console runs in the browser. It reaches the APIs only through openapi-fetch
    // clients typed by @b2b/contracts, whose own client factory sends through undici (Node):
    // type imports only, so no Node transport ends up in the bundle.
    files: ['operator-console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', '__filename', 'global'],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@b2b/contracts/*'],
              allowTypeImports: true,
              message:
                'Import only types from @b2b/contracts in the browser (its client factory is Node-only).',
            },
            { group: ['node:*', 'undici'], message: 'The console runs in the browser.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
