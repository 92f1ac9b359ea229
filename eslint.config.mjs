// Lint rules for the whole repository (`npm run lint`, part of `npm test`). Layout is Prettier's job
// (.prettierrc.json); this file holds what a formatter does not see: promises nobody waits for, unused code, type
// holes, lines still too long after formatting (strings, comments) and functions too long to read in one go.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const unusedVars = {
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  // `const { label: _label, ...rest } = m` is how we drop a field.
  ignoreRestSiblings: true,
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'results/', 'w3lab-results/', 'examples/**/node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    // Type-aware: no-floating-promises, no-misused-promises, await-thenable and the no-unsafe-* family need types.
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', unusedVars],
      // An async function without await is how an implementation of a Promise-returning interface turns a throw
      // into a rejection; requiring an await there would only add noise.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { 'no-unused-vars': ['error', unusedVars] },
  },
  {
    files: ['examples/**/*.test.js'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    rules: {
      // Prettier wraps code at 120 columns but leaves comments, strings, template literals and regular expressions
      // alone; this catches those (split a long message with `+`, a long test name by saying it shorter). Only a
      // line holding a URL may run past the limit.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.test.js', '**/test-support/**'],
    rules: {
      // A test file is a list of cases; a long describe() is normal.
      'max-lines-per-function': 'off',
      // Tests read JSON from servers and files and assert its shape; typing every parse would add nothing.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
