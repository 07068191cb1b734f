#!/usr/bin/env node
// The one test entry (`npm test`): type check, config-schema freshness, lint and format, build, then the suites
//   unit         node:test over test/unit/**/*.test.ts (pure code)
//   integration  node:test over test/integration/**/*.test.ts (real llama.cpp on generated GGUF
//                models, real loopback HTTP servers, the daemon as a real process)
//   e2e          packages one .vsix per platform and checks each one's binaries, runs the extension's
//                own tests in code-server's extension host, then the browser flow on this machine's .vsix (test/e2e/run.mjs installs
//                code-server, playwright-core and chromium when missing)
// `node scripts/test.mjs unit|integration|e2e` runs one suite. The last line sums every suite as
// "N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv[2];
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function run(name, cmd, args, { parse } = {}) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${name}: ${[cmd, ...args].join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => {
      if (parse) {
        const counts = parse(out);
        totals.passed += counts.passed;
        totals.failed += counts.failed;
        totals.skipped += counts.skipped;
        if (counts.passed + counts.failed === 0) {
          failures.push(`${name}: ran no test`);
        }
      }
      if (code !== 0) failures.push(`${name}: exit code ${code}`);
      resolve(code);
    });
  });
}

function findTests(dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

// node's TAP reporter ends with "# pass N", "# fail N", "# skipped N".
const parseTap = (out) => {
  const num = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  return { passed: num('pass'), failed: num('fail') + num('cancelled'), skipped: num('skipped') + num('todo') };
};
// Our e2e runners end with "<suite>: N passed, N failed[, N skipped]".
const parsePlain = (out) => {
  const m = [...out.matchAll(/^\w[\w-]*: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)];
  return m.reduce(
    (t, x) => ({ passed: t.passed + Number(x[1]), failed: t.failed + Number(x[2]), skipped: t.skipped + Number(x[3] ?? 0) }),
    { passed: 0, failed: 0, skipped: 0 },
  );
};

const nodeTest = (files, concurrency) => [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=tap',
  `--test-concurrency=${concurrency}`,
  ...files,
];

if (!only) {
  // Each side on its own (Node, extension, webview: no side sees another's ambient types), then the tests.
  await run('typecheck', 'npm', ['run', '-s', 'typecheck']);
  await run('config schema is current', 'npx', ['tsx', 'scripts/writeConfigSchema.ts', '--check']);
  // The layout's dependency rules (eslint.config.mjs) and one formatting, checked like the types.
  await run('lint', 'npx', ['eslint', '--max-warnings', '0', '.']);
  await run('format', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);
}
if (!only || only === 'integration' || only === 'e2e') await run('build', 'node', ['esbuild.mjs']);
if (!only || only === 'unit') await run('unit', process.execPath, nodeTest(findTests('test/unit'), 2), { parse: parseTap });
// One file at a time: the integration tests start daemons and llama.cpp contexts, and the machine has 2 cores.
if (!only || only === 'integration')
  await run('integration', process.execPath, nodeTest(findTests('test/integration'), 1), { parse: parseTap });
if (!only || only === 'e2e') {
  // One .vsix per platform, checked for its binaries; the browser flow installs this machine's into
  // code-server: what users install is what is tested.
  const vsixDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-vsix-'));
  const packaged = (await run('package (.vsix per platform)', 'npm', ['run', '-s', 'package', '--', '--out', vsixDir])) === 0;
  process.env.ENSEMBLE_VSIX_DIR = vsixDir;
  if (packaged) await run('vsix contents', process.execPath, nodeTest(['test/e2e/vsixTargets.test.ts'], 1), { parse: parseTap });
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const vsix = path.join(vsixDir, `ensemble-${process.platform}-${process.arch}-${version}.vsix`);
  await run('e2e', process.execPath, ['test/e2e/run.mjs', ...(packaged ? ['--vsix', vsix] : [])], { parse: parsePlain });
}

process.stdout.write(`\n${failures.length ? `FAILED:\n  ${failures.join('\n  ')}\n` : ''}`);
process.stdout.write(`total: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failures.length ? 1 : 0);
