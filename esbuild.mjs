// Bundles every entry point. Type checking is separate (`npm run typecheck`), as in the VS Code
// esbuild sample: esbuild strips types, tsc checks them.
//   dist/cli.mjs         the `ensemble` command (daemon, classify, status, record, eval)
//   dist/extension.cjs   the VS Code extension (CommonJS: what the extension host loads)
//   dist/webview.js      the inspector UI (browser)
//   dist/test/extension/ the extension-host test suite (mocha, CommonJS)
import * as esbuild from 'esbuild';
import fs from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

// Native or self-locating packages stay outside the bundle and are loaded from node_modules.
const nodeExternal = ['node-llama-cpp', '@node-llama-cpp/*', 'better-sqlite3', 'bufferutil', 'utf-8-validate'];

const builds = [
  esbuild.build({
    ...common,
    entryPoints: { cli: 'cli/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: nodeExternal,
    // Some bundled CommonJS dependencies call require(): give the ESM bundle one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }),
  esbuild.build({
    ...common,
    entryPoints: { extension: 'extension/extension.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', ...nodeExternal],
  }),
  esbuild.build({
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
];
if (fs.existsSync('test/extension/index.ts')) {
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: ['test/extension/index.ts'],
      outdir: 'dist/test/extension',
      outExtension: { '.js': '.cjs' },
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', 'mocha', ...nodeExternal],
    }),
  );
}
await Promise.all(builds);
fs.chmodSync('dist/cli.mjs', 0o755);
