// Runs the extension's mocha suite (test/extension, bundled to dist/test/extension/index.cjs)
// inside code-server's real extension host, the way @vscode/test-electron runs it in desktop VS Code,
// twice: the main suite against a running daemon, then the untrusted-workspace suite in a window of
// its own (workspace trust on, ENSEMBLE_TEST_SUITE=untrusted). The workbench URL's `payload` names
// extensionDevelopmentPath and extensionTestsPath. A headless
// chromium opens the workbench (the extension host starts with a window). Results come back through
// a JSON file (ENSEMBLE_TEST_RESULT) and the host's exit code from the server log.
// Prints "extension: N passed, N failed" last; exits non-zero on any failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './lib/browser.mjs';
import { cleanupAll, onCleanup } from './lib/cleanup.mjs';
import { makeWorkspace, startCodeServer } from './lib/codeServer.mjs';
import { startDaemon } from './lib/daemon.mjs';
import { artifactsDir, repoRoot } from './lib/paths.mjs';

const log = (m) => console.log(`[extension-host] ${m}`);

function exitCodeFromLog(text) {
  // The server logs the extension host's end: "<pid> Extension Host Process exited with code: 0, signal: null."
  const m = [...text.matchAll(/Extension Host Process exited with code: (-?\d+)/g)].pop();
  return m ? Number(m[1]) : null;
}

/** On failure: the daemon's log and the extension's own log channel, next to the screenshots. */
function saveLogs(server, daemonLogFile) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const copy = (from, name) => {
    try {
      fs.copyFileSync(from, path.join(artifactsDir, name));
    } catch {
      /* not written */
    }
  };
  copy(daemonLogFile, 'extension-host-daemon.log');
  copy(server.logFile, 'extension-host-server.log');
  const logs = path.join(server.root, 'userData', 'logs');
  for (const f of fs.existsSync(logs) ? fs.readdirSync(logs, { recursive: true }).map(String) : []) {
    if (f.endsWith('Ensemble.log') || f.endsWith('remoteexthost.log')) copy(path.join(logs, f), `extension-host-${path.basename(f)}`);
  }
}

/**
 * One window's run of the suite: code-server on `folder`, the workbench in chromium with the test
 * payload, the results from `resultFile`. `daemonLogFile` is saved with the server logs on failure.
 */
async function runSuite({ name, folder, env, resultFile, daemonLogFile, workspaceTrust = false, settings = {} }) {
  const testsPath = path.join(repoRoot, 'dist', 'test', 'extension', 'index.cjs');
  const counts = { passed: 0, failed: 1 };
  const server = await startCodeServer({ folder, env: { ...env, ENSEMBLE_TEST_RESULT: resultFile }, log, workspaceTrust, settings });
  onCleanup(() => server.stop());
  const browser = await launchBrowser();
  onCleanup(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const url = server.workbenchUrl([
    ['extensionDevelopmentPath', server.remoteUri(repoRoot)],
    ['extensionTestsPath', server.remoteUri(testsPath)],
  ]);
  await page.goto(url);
  log(`${name}: workbench opened; waiting for the suite`);
  const deadline = Date.now() + 240_000;
  let exitCode = null;
  let exitedAt = null;
  while (Date.now() < deadline) {
    exitCode = exitCodeFromLog(server.readLog());
    if (exitCode !== null && fs.existsSync(resultFile)) break;
    exitedAt ??= exitCode !== null ? Date.now() : null;
    if (exitedAt !== null && Date.now() - exitedAt > 2_000) break; // exited without results
    await new Promise((r) => setTimeout(r, 250));
  }
  fs.mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `extension-host${name === 'main' ? '' : `-${name}`}.png`) }).catch(() => undefined);
  if (!fs.existsSync(resultFile)) {
    log(
      `${name}: no result file; the extension host ${exitCode === null ? 'did not finish' : `exited with ${exitCode}`}. Server log tail:\n${server.readLog().slice(-4000)}`,
    );
    saveLogs(server, daemonLogFile);
    return counts;
  }
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  for (const r of result.results) {
    console.log(`  ${r.state === 'passed' ? '✓' : '✗'} ${r.title} (${r.durationMs} ms)`);
    if (r.error)
      console.log(
        r.error
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n'),
      );
  }
  Object.assign(counts, { passed: result.passed, failed: result.failed });
  if (exitCode !== 0) {
    log(`${name}: the extension host exited with code ${exitCode}`);
    if (counts.failed === 0) counts.failed = 1;
  }
  if (counts.failed) saveLogs(server, daemonLogFile);
  return counts;
}

/**
 * The untrusted-workspace window: trust on, the folder untrusted, an empty ENSEMBLE_HOME (no daemon),
 * and the user's `ensemble.daemonPath` naming a script inside the folder that leaves a marker if it
 * ever runs (test/extension/untrusted.test.ts).
 */
async function runUntrustedSuite() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-e2e-untrusted-home-'));
  onCleanup(() => fs.rmSync(home, { recursive: true, force: true }));
  const folder = makeWorkspace({
    'daemon.mjs': "import fs from 'node:fs';\nfs.writeFileSync(new URL('./ran.txt', import.meta.url), 'ran');\n",
  });
  const script = path.join(folder, 'daemon.mjs');
  return runSuite({
    name: 'untrusted',
    folder,
    workspaceTrust: true,
    settings: { 'ensemble.daemonPath': script },
    resultFile: path.join(home, 'extension-test-results.json'),
    daemonLogFile: path.join(home, 'daemon.log'),
    env: {
      ENSEMBLE_HOME: home,
      ENSEMBLE_TEST_SUITE: 'untrusted',
      ENSEMBLE_UNTRUSTED_SCRIPT: script,
      ENSEMBLE_UNTRUSTED_MARKER: path.join(folder, 'ran.txt'),
    },
  });
}

export async function runExtensionHostTests() {
  const started = Date.now();
  const testsPath = path.join(repoRoot, 'dist', 'test', 'extension', 'index.cjs');
  if (!fs.existsSync(testsPath)) throw new Error(`${testsPath} is missing: build first (node esbuild.mjs)`);
  try {
    const daemon = await startDaemon({ log });
    onCleanup(() => daemon.stop());
    const main = await runSuite({
      name: 'main',
      folder: makeWorkspace({ 'notes.txt': 'The app crashes when I click save.\n' }),
      env: { ENSEMBLE_HOME: daemon.home },
      resultFile: path.join(daemon.home, 'extension-test-results.json'),
      daemonLogFile: daemon.logFile,
    });
    await cleanupAll(log);
    const untrusted = await runUntrustedSuite();
    return { passed: main.passed + untrusted.passed, failed: main.failed + untrusted.failed };
  } finally {
    await cleanupAll(log);
    log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  let counts = { passed: 0, failed: 1 };
  try {
    counts = await runExtensionHostTests();
  } catch (e) {
    console.error(e);
  }
  console.log(`extension: ${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed === 0 && counts.passed > 0 ? 0 : 1);
}
