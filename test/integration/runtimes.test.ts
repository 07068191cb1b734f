/**
 * The decision store on every Node the daemon meets: Node 20 (this toolchain, VS Code 1.100),
 * Node 22.15 (VS Code 1.101 to 1.107) and Node 24.11 (VS Code 1.125, the remote server), the last
 * two from test/support/runtimes.ts. Under each:
 * - the Store contract suite (test/unit/store.test.ts and friends) passes on the SQLite driver that
 *   runtime loads: better-sqlite3 on Node 20, node:sqlite on 22 and 24;
 * - a real daemon reports storage 'sqlite', and a decision it made is there after a restart;
 * - `ensemble eval` reads that database;
 * - its V8 knows the tiering flags the daemon sets.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { currentRuntime, nodeRuntime, type Runtime } from '../support/runtimes';
import { cliPath, daemonLog, LABELS, repoRoot, startTestDaemon, tempHome, writeConfig } from './harness';

const CONTRACT_FILES = [
  'test/unit/store.test.ts',
  'test/unit/taskStore.test.ts',
  'test/unit/fitStorage.test.ts',
  'test/unit/sqliteDriver.test.ts',
];

/** Resolved before the tests are declared, so that a runtime that cannot be had is a skip that says why. */
const runtimes: Array<{ label: string; runtime: Runtime; driver: string }> = [
  { label: 'Node 20', runtime: currentRuntime(), driver: 'better-sqlite3' },
  { label: 'Node 22', runtime: await nodeRuntime('node22'), driver: 'node:sqlite' },
  { label: 'Node 24', runtime: await nodeRuntime('node24'), driver: 'node:sqlite' },
];

for (const { label, runtime, driver } of runtimes) {
  const skip = 'skip' in runtime ? runtime.skip : false;
  // Unit test files re-run under another Node; under this one `npm run test:unit` has run them.
  const skipUnitRun = skip || (label === 'Node 20' && 'npm run test:unit runs it under this Node');

  describe(`the store under ${label}`, { timeout: 600_000 }, () => {
    it(`passes the Store contract on ${driver}`, { skip: skipUnitRun }, async () => {
      if ('skip' in runtime) return;
      const stdout = await unitTestsUnder(runtime, CONTRACT_FILES, 'the contract');
      assert.match(stdout, new RegExp(`Store contract: ThreadedStore \\(live decisions written by a thread, ${driver}\\)`));
      assert.match(stdout, new RegExp(`ThreadedStore: the writer thread \\(${driver}\\)`));
      assert.match(stdout, new RegExp(`task records: SqliteStore \\(file, ${driver}\\)`));
      assert.match(stdout, /loading the driver prints no ExperimentalWarning/);
      assert.match(stdout, /^ℹ fail 0$/m);
      assert.ok(Number(/^ℹ pass (\d+)$/m.exec(stdout)?.[1]) >= 100, 'the whole suite ran');
      assert.doesNotMatch(stdout, /ExperimentalWarning: SQLite/);
    });

    it('knows the V8 tiering flags the daemon sets (test/unit/v8Tiering.test.ts)', { skip: skipUnitRun }, async () => {
      if ('skip' in runtime) return;
      const stdout = await unitTestsUnder(runtime, ['test/unit/v8Tiering.test.ts'], 'the tiering flags');
      assert.match(stdout, /^ℹ fail 0$/m);
      assert.match(stdout, /^ℹ pass 3$/m);
    });

    describe('a daemon restart', { skip }, () => {
      let server: FakeOpenAiServer;
      before(async () => {
        server = (await startOpenAiServer()).script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
      });
      after(() => server?.close());

      it(`records in SQLite (${driver}) and keeps a decision across it`, async () => {
        if ('skip' in runtime) return;
        const home = tempHome();
        writeConfig(home, {
          models: [{ id: 'm0', backend: 'openai', baseUrl: server.baseUrl, model: 'test-model' }],
          ensembles: { default: { members: ['m0'], strategy: 'majority', labels: LABELS } },
        });
        const first = await startTestDaemon(home, { node: runtime.execPath });
        let id: string;
        try {
          const conn = await first.connect();
          try {
            const status = await conn.rpc.request('pool/status', {});
            assert.equal(status.storage?.kind, 'sqlite', status.storage?.reason);
            assert.equal(status.storage?.driver, driver);
            id = (await conn.rpc.request('ensemble/classify', { text: 'The app crashes when I press save' })).id;
          } finally {
            conn.close();
          }
        } finally {
          await first.stop();
        }
        assert.match(daemonLog(home), new RegExp(`recording decisions in .* \\(SQLite through ${driver}\\)`));
        assert.doesNotMatch(daemonLog(home), /ExperimentalWarning/);
        const second = await startTestDaemon(home, { node: runtime.execPath });
        try {
          const conn = await second.connect();
          try {
            const recent = await conn.rpc.request('decisions/recent', { limit: 10 });
            assert.deepEqual(
              recent.map((d) => d.id),
              [id],
            );
            const feedback = await conn.rpc.request('feedback/submit', { decisionId: id, label: 'bug' });
            assert.equal(feedback.recorded, true);
          } finally {
            conn.close();
          }
        } finally {
          await second.stop();
        }
        // `ensemble eval` reads the same database read-only, with the same driver.
        const evalRun = await promisify(execFile)(
          runtime.execPath,
          [cliPath, 'eval', path.join(home, 'ensemble.db'), '--train-fraction', '0', '--json'],
          { env: { ...process.env, ENSEMBLE_HOME: home }, windowsHide: true, timeout: 120_000 },
        );
        const report = JSON.parse(evalRun.stdout) as { items: number; withGold: number };
        assert.deepEqual([report.items, report.withGold], [1, 1]);
        assert.doesNotMatch(evalRun.stderr, /Warning/);
      });
    });
  });
}

/** Runs unit test files under another Node and returns the spec report (throws with it when one failed). */
async function unitTestsUnder(runtime: Exclude<Runtime, { skip: string }>, files: string[], what: string): Promise<string> {
  // NODE_TEST_CONTEXT would make the inner test runner talk to this one instead of printing its report.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const { stdout } = await promisify(execFile)(
    runtime.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
    { cwd: repoRoot, env, windowsHide: true, timeout: 540_000, maxBuffer: 16 * 1024 * 1024 },
  ).catch((e: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${what} failed under ${runtime.version}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  });
  return stdout;
}
