// ESLint (flat config) for the whole project. Besides typescript-eslint's recommended rules, it
// holds the layout's dependency rules, so the layout stays true without anyone watching:
//
//   protocol/   what crosses a process boundary; imports nothing of ours and no Node built-in
//               (the inspector runs it in a browser)
//   common/     pure helpers several sides share that are not protocol (sizes, the default pool,
//               the restart policy, the abort helper); browser-safe: no Node built-ins
//     node/       Node-side helpers shared by the daemon, the client and the CLI (home folder,
//                 reading daemon.json); never imported by the inspector
//   daemon/     the companion process; never client/, cli/, extension/, webview/ or vscode
//     strategies/  pure functions over votes: protocol/ and each other only (no I/O, no clock)
//     backends/    one model each; never strategies/, ensemble/ or pool/
//     pool/        the supervisor; knows no backend by name (backends/ only through backend.ts)
//     store/       decisions, feedback and fits on disk: protocol/ and common/ only
//     ensemble/    orchestration (asking members live) and learning/ (everything fitted or
//     learning/    replayed) never import each other: what both need lives in strategies/ or common/
//     gguf/        reading and writing GGUF files: nothing of the daemon (backends/ read through it)
//   client/     finding and talking to the daemon (CLI and extension); protocol/ and common/
//   cli/        the `ensemble` command; may start the daemon in process; never extension/ or webview/
//   extension/  the only place that imports vscode; starts the daemon as a process, never imports it
//   webview/    browser code: protocol/ and common/ (not common/node/)
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

const DAEMON = ['daemon', 'strategies', 'backends', 'pool', 'store', 'ensemble', 'learning', 'gguf'];
const NOT_PROTOCOL = [...DAEMON, 'common', 'common-node', 'client', 'cli', 'extension', 'webview'];
const without = (list, ...names) => list.filter((t) => !names.includes(t));
const VSCODE = [{ name: 'vscode', message: 'only extension/ imports vscode' }];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tmp/**',
      'test/e2e/node_modules/**',
      'test/e2e/runtime/node_modules/**',
      'test/e2e/artifacts/**',
      '**/*.vsix',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        document: 'readonly',
        window: 'readonly',
        MutationObserver: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { boundaries },
    settings: {
      'boundaries/root-path': import.meta.dirname,
      'import/resolver': { node: { extensions: ['.ts', '.mjs', '.js', '.json'] } },
      // Most specific first: a file belongs to the first element whose folder holds it.
      'boundaries/elements': [
        { type: 'strategies', pattern: 'daemon/strategies/**', partialMatch: false },
        { type: 'backends', pattern: 'daemon/backends/**', partialMatch: false },
        { type: 'pool', pattern: 'daemon/pool/**', partialMatch: false },
        { type: 'store', pattern: 'daemon/store/**', partialMatch: false },
        { type: 'ensemble', pattern: 'daemon/ensemble/**', partialMatch: false },
        { type: 'learning', pattern: 'daemon/learning/**', partialMatch: false },
        { type: 'gguf', pattern: 'daemon/gguf/**', partialMatch: false },
        { type: 'daemon', pattern: 'daemon/**', partialMatch: false },
        { type: 'protocol', pattern: 'protocol/**', partialMatch: false },
        { type: 'common-node', pattern: 'common/node/**', partialMatch: false },
        { type: 'common', pattern: 'common/**', partialMatch: false },
        { type: 'client', pattern: 'client/**', partialMatch: false },
        { type: 'cli', pattern: 'cli/**', partialMatch: false },
        { type: 'extension', pattern: 'extension/**', partialMatch: false },
        { type: 'webview', pattern: 'webview/**', partialMatch: false },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'allow',
          policies: [
            { from: { element: { type: 'protocol' } }, disallow: { to: { element: { types: { anyOf: NOT_PROTOCOL } } } } },
            { from: { element: { type: 'common' } }, disallow: { to: { element: { types: { anyOf: without(NOT_PROTOCOL, 'common') } } } } },
            {
              from: { element: { type: 'common-node' } },
              disallow: { to: { element: { types: { anyOf: without(NOT_PROTOCOL, 'common', 'common-node') } } } },
            },
            {
              from: { element: { types: { anyOf: DAEMON } } },
              disallow: { to: { element: { types: { anyOf: ['client', 'cli', 'extension', 'webview'] } } } },
            },
            {
              from: { element: { type: 'strategies' } },
              disallow: { to: { element: { types: { anyOf: without(NOT_PROTOCOL, 'strategies', 'common') } } } },
            },
            {
              from: { element: { type: 'backends' } },
              disallow: { to: { element: { types: { anyOf: ['strategies', 'pool', 'daemon', 'store', 'ensemble', 'learning'] } } } },
            },
            { from: { element: { type: 'pool' } }, disallow: { to: { element: { types: { anyOf: ['strategies'] } } } } },
            {
              from: { element: { type: 'store' } },
              disallow: { to: { element: { types: { anyOf: without(NOT_PROTOCOL, 'store', 'common', 'common-node') } } } },
            },
            { from: { element: { type: 'ensemble' } }, disallow: { to: { element: { types: { anyOf: ['learning'] } } } } },
            { from: { element: { type: 'learning' } }, disallow: { to: { element: { types: { anyOf: ['ensemble'] } } } } },
            {
              from: { element: { type: 'gguf' } },
              disallow: { to: { element: { types: { anyOf: without(NOT_PROTOCOL, 'gguf', 'common', 'common-node') } } } },
            },
            {
              from: { element: { type: 'client' } },
              disallow: { to: { element: { types: { anyOf: [...DAEMON, 'cli', 'extension', 'webview'] } } } },
            },
            { from: { element: { type: 'cli' } }, disallow: { to: { element: { types: { anyOf: ['extension', 'webview'] } } } } },
            {
              from: { element: { type: 'extension' } },
              disallow: { to: { element: { types: { anyOf: [...DAEMON, 'cli', 'webview'] } } } },
            },
            {
              from: { element: { type: 'webview' } },
              disallow: { to: { element: { types: { anyOf: without(NOT_PROTOCOL, 'webview', 'common') } } } },
            },
          ],
        },
      ],
    },
  },
  // Later blocks override earlier ones for the same files: the general rule first.
  {
    files: ['daemon/**/*.ts', 'client/**/*.ts', 'cli/**/*.ts', 'common/node/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: VSCODE }] },
  },
  // Browser-safe and process-neutral code: no Node built-ins; only extension/ imports vscode.
  {
    files: ['protocol/**/*.ts', 'webview/**/*.ts', 'daemon/strategies/**/*.ts', 'common/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['node:*'], message: 'no Node built-ins here: this code also runs in the browser or must stay pure' }],
          paths: VSCODE,
        },
      ],
    },
  },
  // The pool is the supervisor: it knows backends only through their interface, none by name.
  {
    files: ['daemon/pool/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: VSCODE,
          patterns: [
            { regex: '/backends/(?!backend$)', message: 'the pool knows backends only through backends/backend.ts (no backend by name)' },
          ],
        },
      ],
    },
  },
  // Text from members and clients is hostile: a pattern that can backtrack super-linearly lets one
  // reply or request stall the daemon's event loop, and `in` on a plain object keyed by outside
  // text finds Object.prototype's members ("constructor", "__proto__"). Product code only.
  {
    files: [
      'daemon/**/*.ts',
      'protocol/**/*.ts',
      'common/**/*.ts',
      'client/**/*.ts',
      'cli/**/*.ts',
      'extension/**/*.ts',
      'webview/**/*.ts',
    ],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { report: 'potential', ignoreSticky: false, ignorePartial: false }],
      'regexp/no-misleading-capturing-group': 'error',
      'regexp/no-dupe-disjunctions': ['error', { report: 'all' }],
      'regexp/no-empty-alternative': 'error',
    },
  },
  {
    files: ['daemon/**/*.ts', 'protocol/**/*.ts', 'common/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // A literal key is ours (and narrows a union); a computed one may be a label, a word or a name.
          selector: "BinaryExpression[operator='in']:not([left.type='Literal'])",
          message: 'no `in` with a computed key: it finds Object.prototype members ("constructor"); use a Map or Object.hasOwn',
        },
      ],
    },
  },
);
