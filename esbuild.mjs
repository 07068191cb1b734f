// Bundles every entry point. Type checking is separate (`npm run typecheck`), as in the VS Code
// esbuild sample: esbuild strips types, tsc checks them.
//   dist/cli.mjs         the `ensemble` command (daemon, classify, status, record, eval)
//   dist/worker.mjs      a model worker process (one per in-process model), forked by the daemon from beside cli.mjs
//   dist/storeWriter.mjs the store's writer thread (live decisions are written off the daemon's event loop)
//   dist/extension.cjs   the VS Code extension (CommonJS: what the extension host loads)
//   dist/webview.js      the inspector UI (browser)
//   dist/test/extension/ the extension-host test suite (mocha, CommonJS)
import * as esbuild from 'esbuild';
import fs from 'node:fs';

const production = process.argv.includes('--production');
// `node esbuild.mjs cli` builds only the named targets (cli, extension, webview, tests).
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const want = (name) => wanted.length === 0 || wanted.includes(name);
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

// Native or self-locating packages stay outside the bundle and are loaded from node_modules.
const nodeExternal = ['node-llama-cpp', '@node-llama-cpp/*', 'better-sqlite3', 'bufferutil', 'utf-8-validate'];

const builds = [];
if (want('cli'))
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: { cli: 'cli/main.ts', worker: 'daemon/worker/workerMain.ts', storeWriter: 'daemon/store/writerThreadMain.ts' },
      outdir: 'dist',
      outExtension: { '.js': '.mjs' },
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: nodeExternal,
      // Some bundled CommonJS dependencies call require(): give the ESM bundle one.
      banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    }),
  );
if (want('extension'))
  builds.push(
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
  );
if (want('webview'))
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: { webview: 'webview/main.ts' },
      outdir: 'dist',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    }),
  );
if (want('tests') && fs.existsSync('test/extension/index.ts')) {
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
if (want('extension')) {
  // The inspector's icon font ships inside the extension (dist/ is packaged; node_modules' dev deps are not).
  fs.mkdirSync('dist/codicons', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);
}
if (want('cli')) fs.chmodSync('dist/cli.mjs', 0o755);
