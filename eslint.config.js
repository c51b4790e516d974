// ESLint flat config: typescript-eslint's strict, type-checked set, less the rules that fight this
// codebase's deliberate idioms (each turned off below says why). `npm run lint` runs it; `npm test` too.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'runs/', 'scratch/', 'test-artifacts/', 'etc/', 'plugins/policies/trl/python/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json', './framework/report/page/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      // tsconfig has noUncheckedIndexedAccess: an index the code has just bounded (`rows[i]!` in a loop
      // over rows.length) is asserted with `!`; rewriting ~500 of them as checks would add dead branches.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Arrow shorthands that return a void call (`(e) => reject(e)`, `return void done()`) are the house
      // style for callbacks and early exits; the rule only asks for braces.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Values a plugin, a file or a child process hands over are checked at run time although their
      // declared types say they cannot be wrong: that is the point of those checks (a user's plugin is
      // plain JavaScript), so "unnecessary condition" is mostly a false alarm here.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Contracts are async everywhere (plugins, oclif hooks, server handlers), also where one
      // implementation happens not to await.
      '@typescript-eslint/require-await': 'off',
      // Numbers and booleans in messages are what template strings are for here; objects are still refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true, allowNever: true }],
      // `_`-prefixed names are the marked way to skip a positional value.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `void (done && stop())` marks a conditional call whose value is dropped, in callbacks that return void.
      '@typescript-eslint/no-meaningless-void-operator': 'off',
      // Defensive conversions (`Boolean(stdin.isTTY)`, `String(def.kind)` of a user's plugin) guard values
      // whose declared types are narrower than what arrives at run time, as above.
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // A rejection handler names the error type it handles, as a catch clause's cast would.
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      // An AbortSignal's reason is what an aborted operation rejects with, whatever its type.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    // The framework's functions stay short enough to read in one screen (issue 16).
    files: ['framework/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tables of contributions each with its own options or flags (jobs, commands): only `any` admits
    // every one's own interface in one record type (see framework/plugins/types.ts).
    files: ['framework/plugins/types.ts', 'framework/plugins/command.ts', 'framework/cli/contributed.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unsafe-argument': 'off' },
  },
  {
    // Tests reach into results they have just asserted the shape of, and build expected strings from them.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    // Plain JavaScript (the bin, the worker entry, test fixture plugins, this file) has no types to check.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', module: 'writable' } },
  },
);
