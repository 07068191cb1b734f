/**
 * The extension's integration tests, run by mocha inside a real VS Code extension host (code-server
 * 4.100.3 offline, or @vscode/test-electron where VS Code can be downloaded). The host calls
 * `run()`; the results also go to the JSON file named by ENSEMBLE_TEST_RESULT, because not every
 * host shows the extension host's console. ENSEMBLE_TEST_SUITE=untrusted runs the untrusted-workspace
 * suite instead, which needs a window of its own.
 */
import fs from 'node:fs';
import Mocha from 'mocha';

export interface TestResult {
  title: string;
  state: 'passed' | 'failed';
  durationMs: number;
  error?: string;
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  // The suites are bundled into this file: define mocha's globals, then evaluate them.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  /* eslint-disable @typescript-eslint/no-require-imports -- evaluated in this order, after mocha's globals exist */
  if (process.env.ENSEMBLE_TEST_SUITE === 'untrusted') {
    // Its own window: workspace trust on and the folder untrusted, no daemon running (see untrusted.test.ts).
    require('./untrusted.test');
  } else {
    require('./activation.test');
    require('./classify.test');
    require('./inspector.test');
    require('./commands.test');
    require('./errors.test');
    require('./lifecycle.test');
    require('./statusBar.test');
    require('./downloads.test');
    require('./setupGpu.test');
  }
  /* eslint-enable @typescript-eslint/no-require-imports */

  const results: TestResult[] = [];
  const started = Date.now();
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 }));
    runner.on('fail', (t, err: Error) =>
      results.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error: err.stack ?? err.message }),
    );
  });
  const passed = results.filter((r) => r.state === 'passed').length;
  const failed = results.length - passed;
  const out = process.env.ENSEMBLE_TEST_RESULT;
  if (out) fs.writeFileSync(out, JSON.stringify({ passed, failed, durationMs: Date.now() - started, results }, null, 2));
  if (failures > 0 || failed > 0) throw new Error(`${failed} extension test(s) failed`);
}
