/**
 * The same extension suite on desktop VS Code through @vscode/test-electron, for machines that can
 * download VS Code (it cannot here: offline, test/e2e/runExtensionHostTests.mjs runs the suite in
 * code-server instead). Run after `npm run build`:  npx tsx test/extension/runElectron.ts
 * Prints "extension: N passed, N failed" last.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { startDaemon } from '../e2e/lib/daemon.mjs';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

async function main(): Promise<number> {
  const testsPath = path.join(repoRoot, 'dist', 'test', 'extension', 'index.cjs');
  if (!fs.existsSync(testsPath)) throw new Error(`${testsPath} is missing: run "npm run build" first`);
  const daemon = await startDaemon({ log: console.log });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-electron-ws-'));
  fs.writeFileSync(path.join(workspace, 'notes.txt'), 'The app crashes when I click save.\n');
  const resultFile = path.join(daemon.home, 'extension-test-results.json');
  try {
    const code = await runTests({
      // The version code-server 4.103.2 carries (engines.vscode is ^1.101.0, @types/vscode 1.101.0).
      version: '1.103.2',
      cachePath: path.join(os.tmpdir(), 'ensemble-vscode-test'),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsPath,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      extensionTestsEnv: { ENSEMBLE_HOME: daemon.home, ENSEMBLE_TEST_RESULT: resultFile },
    }).catch(() => 1);
    const result = fs.existsSync(resultFile)
      ? (JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { passed: number; failed: number })
      : { passed: 0, failed: 1 };
    console.log(`extension: ${result.passed} passed, ${result.failed} failed`);
    return code === 0 && result.failed === 0 ? 0 : 1;
  } finally {
    await daemon.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    console.log('extension: 0 passed, 1 failed');
    process.exit(1);
  },
);
