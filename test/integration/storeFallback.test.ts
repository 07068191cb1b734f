/**
 * The daemon serves when SQLite cannot be used, recording in memory and saying so (log and
 * `pool/status`): a database file that is not a database, the SQLite native module built for
 * another Node ABI (what happens when the editor's Electron runs the bundled daemon as Node), and
 * the module missing altogether. In the last two the failure is simulated in the real bundled CLI
 * by a preload script; the other commands (`status`, `classify`) must not even try to load it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DaemonConnection, isAlive, readDaemonFile, startDaemon } from '../../client/daemonClient';
import { until } from '../support/until';
import { Decision } from '../../protocol/ensemble';
import type { PoolModel } from '../fixtures/gguf/models';
import { cliPath, daemonLog, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig } from './harness';

/** What Node says when a native addon was built for another ABI (Electron 34 is ABI 132). */
const ABI_PRELOAD =
  String.raw`
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (/better_sqlite3\.node$/.test(request)) {
    const e = new Error("The module '" + request + "'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 132. This version of Node.js requires\nNODE_MODULE_VERSION " + process.versions.modules + ". Please try re-compiling or re-installing\nthe module (for instance, using ` +
  '`npm rebuild` or `npm install`' +
  String.raw`).");
    e.code = 'ERR_DLOPEN_FAILED';
    throw e;
  }
  return load.apply(this, arguments);
};
`;

/** better-sqlite3 absent: both require() and import of it fail, as when it is not installed. */
const MISSING_PRELOAD =
  String.raw`
import Module, { register } from 'node:module';
const isIt = (s) => s === 'better-sqlite3' || s.startsWith('better-sqlite3/');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (isIt(request)) {
    const e = new Error("Cannot find module 'better-sqlite3'\nRequire stack:\n- (preload)");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  return load.call(this, request, ...rest);
};
register('data:text/javascript,' + encodeURIComponent(` +
  '`' +
  String.raw`
export async function resolve(specifier, context, next) {
  if (specifier === 'better-sqlite3' || specifier.startsWith('better-sqlite3/')) {
    const e = new Error("Cannot find package 'better-sqlite3' imported from " + context.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}` +
  '`' +
  String.raw`));
`;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function cliWith(home: string, nodeOptions: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, ENSEMBLE_HOME: home, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim() };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cliPath, ...args], { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function stopDaemonOf(home: string): Promise<void> {
  const info = readDaemonFile(home);
  if (!info) return;
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch {
    return;
  }
  // A grace period for a clean exit, then the hard kill.
  await until('the daemon to exit cleanly', async () => (isAlive(info.pid) ? undefined : true), 5_000, 50).catch(() => undefined);
  if (isAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
}

describe('daemon storage fallback: SQLite unusable, the daemon serves from memory and says so', () => {
  let shared: string;
  let models: PoolModel[];
  let abiPreload: string;
  let missingPreload: string;
  const homes: string[] = [];

  const newHome = () => {
    const home = tempHome('ensemble-store-fallback-');
    writeConfig(home, poolConfig(models));
    homes.push(home);
    return home;
  };

  before(() => {
    shared = tempHome('ensemble-store-fallback-shared-');
    models = tinyPool(shared);
    abiPreload = path.join(shared, 'abi-mismatch.cjs');
    fs.writeFileSync(abiPreload, ABI_PRELOAD);
    missingPreload = path.join(shared, 'missing-module.mjs');
    fs.writeFileSync(missingPreload, MISSING_PRELOAD);
  });
  after(async () => {
    for (const home of homes) await stopDaemonOf(home);
  });

  it('ensemble.db is not a database: classify, recent and feedback work; status and the log say memory; the file is untouched', async () => {
    const home = newHome();
    const db = path.join(home, 'ensemble.db');
    const garbage = Buffer.concat([Buffer.from('definitely not SQLite\n'), Buffer.alloc(16 * 1024, 0xa5)]);
    fs.writeFileSync(db, garbage);
    const daemon = await startTestDaemon(home);
    const conn = await daemon.connect();
    try {
      const status = await conn.rpc.request('pool/status', {});
      assert.deepEqual(status.storage, { kind: 'memory', reason: `cannot open ${db}: file is not a database` });

      const d = await conn.rpc.request('ensemble/classify', { text: 'The app crashes when I press save' });
      assert.equal(d.label, 'bug');
      assert.equal(d.votes.length, 3);
      assert.ok(
        d.votes.every((v) => v.status === 'ok'),
        JSON.stringify(d.votes),
      );
      assert.deepEqual(
        (await conn.rpc.request('decisions/recent', { limit: 5 })).map((x) => x.id),
        [d.id],
      );
      const fb = await conn.rpc.request('feedback/submit', { decisionId: d.id, label: 'bug' });
      assert.equal(fb.recorded, true);
      assert.deepEqual(Object.keys(fb.weights).sort(), models.map((m) => m.id).sort());

      assert.match(daemonLog(home), new RegExp(`error +cannot open ${escape(db)}: file is not a database\\. Recording in MEMORY ONLY`));
      const cli = await daemon.cli(['status']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(
        cli.stdout,
        new RegExp(`^storage: IN MEMORY ONLY, lost when the daemon stops \\(cannot open ${escape(db)}: file is not a database\\)$`, 'm'),
      );
      assert.deepEqual(fs.readFileSync(db), garbage, 'the unreadable database is left as it was');
    } finally {
      conn.close();
      await daemon.stop();
    }
  });

  it('a healthy home records in SQLite, and status says where', async () => {
    const home = newHome();
    const daemon = await startTestDaemon(home);
    const conn = await daemon.connect();
    try {
      const status = await conn.rpc.request('pool/status', {});
      // This suite runs under Node 20: better-sqlite3 (test/integration/runtimes.test.ts covers node:sqlite).
      assert.deepEqual(status.storage, { kind: 'sqlite', path: path.join(home, 'ensemble.db'), driver: 'better-sqlite3' });
      const cli = await daemon.cli(['status']);
      assert.match(cli.stdout, new RegExp(`^storage ${escape(path.join(home, 'ensemble.db'))} \\(better-sqlite3\\)$`, 'm'));
      assert.doesNotMatch(daemonLog(home), /MEMORY ONLY/);
    } finally {
      conn.close();
      await daemon.stop();
    }
  });

  it("the native module built for another Node ABI (Electron as Node): the daemon starts, classifies, reports memory with the loader's message", async () => {
    const home = newHome();
    const nodeOptions = `--require ${abiPreload}`;
    const info = await startDaemon({
      home,
      command: [process.execPath, cliPath, 'daemon', '--log-level', 'debug'],
      env: { NODE_OPTIONS: nodeOptions },
      timeoutMs: 30_000,
    });
    const conn = await DaemonConnection.connect(info, { clientName: 'test', clientVersion: '0' });
    try {
      const d = await conn.rpc.request('ensemble/classify', { text: 'The app crashes when I press save' });
      assert.equal(d.label, 'bug');
      assert.ok(
        d.votes.every((v) => v.status === 'ok'),
        JSON.stringify(d.votes),
      );

      const { storage } = await conn.rpc.request('pool/status', {});
      assert.equal(storage?.kind, 'memory');
      assert.match(
        storage?.reason ?? '',
        new RegExp(
          `^the SQLite module \\(better-sqlite3\\) cannot be loaded under Node ${escape(process.versions.node)} \\(ABI ${process.versions.modules}\\): ` +
            `The module '.*better_sqlite3\\.node' was compiled against a different Node\\.js version using NODE_MODULE_VERSION 132\\. ` +
            `This version of Node\\.js requires NODE_MODULE_VERSION ${process.versions.modules}\\.`,
        ),
      );
      assert.match(daemonLog(home), /error +the SQLite module \(better-sqlite3\) cannot be loaded .* Recording in MEMORY ONLY/);
      assert.equal(fs.existsSync(path.join(home, 'ensemble.db')), false, 'no database file is created');

      const status = await cliWith(home, nodeOptions, ['status']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(
        status.stdout,
        /^storage: IN MEMORY ONLY, lost when the daemon stops \(the SQLite module \(better-sqlite3\) cannot be loaded under Node .*NODE_MODULE_VERSION 132/m,
      );
      const classify = await cliWith(home, nodeOptions, ['classify', 'Please add a dark mode', '--json']);
      assert.equal(classify.code, 0, classify.stderr);
      assert.equal(Decision.parse(JSON.parse(classify.stdout)).votes.length, 3);
    } finally {
      conn.close();
      await stopDaemonOf(home);
    }
  });

  it('better-sqlite3 not installed: classify starts a daemon on memory; status and stop work; eval of a .db says why it cannot', async () => {
    const home = newHome();
    const nodeOptions = `--import ${pathToFileURL(missingPreload).href}`;
    try {
      const classify = await cliWith(home, nodeOptions, ['classify', 'The app crashes when I press save', '--json']);
      assert.equal(classify.code, 0, `${classify.stderr}\n${daemonLog(home)}`);
      const d = Decision.parse(JSON.parse(classify.stdout));
      assert.equal(d.label, 'bug');
      assert.equal(d.votes.length, 3);

      const status = await cliWith(home, nodeOptions, ['status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      const storage = (JSON.parse(status.stdout) as { storage?: { kind: string; reason?: string } }).storage;
      assert.equal(storage?.kind, 'memory');
      assert.match(
        storage?.reason ?? '',
        // Node 20 has no node:sqlite either (this suite runs under the Node the project is built with).
        /^the SQLite module \(better-sqlite3\) cannot be loaded under Node [\d.]+ \(ABI \d+\): Cannot find module 'better-sqlite3'; node:sqlite is not in Node [\d.]+ \(it is in Node 22\.13 and later\)$/,
      );
      assert.match(
        daemonLog(home),
        /error +the SQLite module \(better-sqlite3\) cannot be loaded .*Cannot find module 'better-sqlite3'; node:sqlite is not in .*\. Recording in MEMORY ONLY/,
      );

      const someDb = path.join(shared, 'recordings.db');
      fs.writeFileSync(someDb, 'not read anyway');
      const evalDb = await cliWith(home, nodeOptions, ['eval', someDb]);
      assert.equal(evalDb.code, 1);
      assert.match(
        evalDb.stderr,
        /^ensemble: .*recordings\.db: cannot read the database: the SQLite module \(better-sqlite3\) cannot be loaded under Node .*Cannot find module 'better-sqlite3'; .*pass recordings as JSONL \[SqliteUnavailable\]$/m,
      );

      const stop = await cliWith(home, nodeOptions, ['stop']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /^stopped daemon pid \d+$/m);
    } finally {
      await stopDaemonOf(home);
    }
  });
});
