#!/usr/bin/env node
// The e2e entry `npm test` calls: installs what is missing (idempotent; instant when present),
// builds the bundles, then runs
//   1. the extension's mocha suite inside code-server's real extension host, and
//   2. the browser flow (chromium + playwright-core on code-server).
// Usage: node test/e2e/run.mjs [--extension-only | --browser-only] [--vsix <file>]
// Last lines: "extension: N passed, N failed" and/or "e2e: N passed, N failed"; exit 1 on failure.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureInstalled } from './install.mjs';
import { repoRoot } from './lib/paths.mjs';

const args = process.argv.slice(2);
const extensionOnly = args.includes('--extension-only');
const browserOnly = args.includes('--browser-only');
const vsixAt = args.indexOf('--vsix');
const vsix = vsixAt >= 0 ? path.resolve(args[vsixAt + 1] ?? '') : undefined;
const started = Date.now();

const lines = [];
let ok = true;
try {
  ensureInstalled({ browser: true });
  // Dynamic imports: playwright-core and code-server exist only once installed.
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build (node esbuild.mjs) failed');
  if (!browserOnly) {
    const { runExtensionHostTests } = await import('./runExtensionHostTests.mjs');
    const c = await runExtensionHostTests().catch((e) => (console.error(e), { passed: 0, failed: 1 }));
    lines.push(`extension: ${c.passed} passed, ${c.failed} failed`);
    ok &&= c.failed === 0 && c.passed > 0;
  }
  if (!extensionOnly) {
    const { browserFlow } = await import('./browserFlow.mjs');
    const c = await browserFlow({ vsix });
    lines.push(`e2e: ${c.passed} passed, ${c.failed} failed`);
    ok &&= c.failed === 0 && c.passed > 0;
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  ok = false;
  if (lines.length === 0) lines.push(`e2e: 0 passed, 1 failed`);
}
console.log(
  `[run] ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(repoRoot, path.join(import.meta.dirname, 'artifacts'))}/`,
);
for (const l of lines) console.log(l);
process.exit(ok ? 0 : 1);
