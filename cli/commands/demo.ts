/**
 * `ensemble demo`: the whole loop in one command, in a home of its own (default
 * `<ENSEMBLE_HOME>/demo`, so the user's config and recordings are never touched): record the
 * shipped BANKING77 sample with every member, calibrate, fit the learned aggregation, evaluate
 * members and strategies with a recommendation and an HTML report, then one live decision with the
 * learned strategy. It runs on the embedded default pool; when those models cannot be fetched (no
 * network) or with `--toy`, on tiny generated models, and then says plainly that the figures come
 * from toy models that demonstrate the loop, not quality. Each step is the same `ensemble`
 * subcommand a user would run, so the demo shows exactly what to type next.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { connectOrStart, DaemonConnection, readDaemonFile } from '../../client/daemonClient';
import type { PoolConfigInput } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { ensembleHome, homePaths } from '../../common/node/home';
import { HIDDEN_WINDOW, spawnPlan } from '../../common/node/spawnCommand';
import type { PoolStatus } from '../../protocol/methods';
import { DAEMON_VERSION } from '../../daemon/version';
import { CliError, selfDaemonCommand } from '../connect';
import { findSample, pickItems, writeJsonl, type DemoItem } from '../demo/demoData';
import { DEMO_ENSEMBLE, realPoolConfig, toyPoolConfig } from '../demo/demoPool';
import { readDataset } from './record';

interface DemoOptions {
  home?: string;
  items: string;
  toy?: boolean;
  data?: string;
  report?: string;
  keepRunning?: boolean;
}

const TOY_NOTE =
  'These are tiny generated models: they run in real llama.cpp but always favour one intent each, so the\n' +
  'figures below demonstrate the loop (record, calibrate, fit, evaluate, report), not classification quality.';

const say = (line: string) => process.stdout.write(`${line}\n`);

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole loop on a labelled sample (BANKING77): record, calibrate, fit, evaluate, recommend, HTML report; in a home of its own',
    )
    .option('--home <dir>', 'where the demo keeps its config, recordings, log and report (default: <ENSEMBLE_HOME>/demo)')
    .option('--items <n>', 'messages to record, spread over the intents (the shipped sample has 300)', '60')
    .option('--toy', 'use tiny generated models instead of fetching the default pool (offline; shows the loop, not quality)')
    .option('--data <file>', 'a labelled JSONL dataset ({"id", "text", "label", "category"?} per line) instead of the shipped sample')
    .option('--report <file>', 'where to write the HTML report (default: report.html in the demo home)')
    .option('--keep-running', 'leave the demo daemon running at the end (default: stop it)')
    .action(async (opts: DemoOptions) => runDemo(opts));
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const count = Number(opts.items);
  if (!Number.isInteger(count) || count < 2) throw new CliError('--items: expected a whole number of at least 2', 2);
  const userHome = ensembleHome();
  const home = path.resolve(opts.home ?? path.join(userHome, 'demo'));
  if (home === userHome) {
    const why = 'the demo rewrites its config and clears its recordings, so give it a folder of its own';
    throw new CliError(`--home ${home} is your own ENSEMBLE_HOME: ${why}`, 2);
  }
  const paths = homePaths(home);
  const report = path.resolve(opts.report ?? path.join(home, 'report.html'));
  const dataFile = opts.data ? path.resolve(opts.data) : findSample();
  const items = pickItems(readDataset(dataFile), count);
  const labels = [...new Set(items.map((i) => i.label))];
  if (labels.length < 2) throw new CliError(`${dataFile}: the demo needs at least two labels among the first ${count} items`, 2);

  await clearDemoHome(home);
  const dataset = path.join(home, 'demo-dataset.jsonl');
  writeJsonl(dataset, items);
  say(`Ensemble demo in ${home} (your own ${homePaths(userHome).config} is not touched)`);
  say(`data: ${items.length} messages over ${labels.length} intents from ${dataFile}`);

  const toy = opts.toy ? true : !(await realPoolServes(home, labels, homePaths(userHome).models, items[0]!));
  if (toy) {
    if (!opts.toy) say('The default pool cannot be fetched here, so the demo continues on tiny generated models instead.');
    (await usePool(home, toyPoolConfig(labels, path.join(home, 'models')))).close();
    say(`\n${TOY_NOTE}`);
  }

  const minSamples = String(Math.min(20, items.length));
  const live = liveExample(items).text;
  const steps: Array<[string, string[]]> = [
    [`recording ${items.length} messages with every member`, ['record', dataset, '--ensemble', DEMO_ENSEMBLE]],
    ['calibrating each model (temperature scaling, in force from now on)', ['calibrate', '--min-samples', minSamples]],
    ['fitting the learned aggregation (member reliability per category)', ['fit', '--ensemble', DEMO_ENSEMBLE]],
    ['evaluating members and strategies (fit on half, report on the held-out half)', ['eval', paths.database, '--html', report]],
    ['one live decision with the learned strategy', ['classify', live, '--ensemble', DEMO_ENSEMBLE, '--strategy', 'learned']],
  ];
  let recommendation = '';
  try {
    for (const [i, [what, args]] of steps.entries()) {
      say(`\n[${i + 1}/${steps.length}] ${what}\n$ ensemble ${args.map(quote).join(' ')}`);
      const out = await runStep(home, args);
      recommendation = /^recommendation: (.*)$/m.exec(out)?.[1] ?? recommendation;
    }
  } finally {
    if (!opts.keepRunning) await stopDaemon(home);
  }
  say(`\nDone${toy ? ' (toy models: the loop, not quality)' : ''}.`);
  if (recommendation) say(`recommendation: ${recommendation}`);
  say(`report: ${report}  (open it in a browser, or "Ensemble: Open Evaluation Report" in VS Code)`);
  const next = `ensemble classify "my card still has not arrived" --ensemble ${DEMO_ENSEMBLE} --strategy learned`;
  say(`go on with: ENSEMBLE_HOME=${quote(home)} ${next}`);
}

/** The message the live decision is made on, after the fit: the last one recorded. */
function liveExample(items: readonly DemoItem[]): DemoItem {
  return items[items.length - 1]!;
}

const quote = (s: string) => (/^[\w./=:,@-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** Runs one `ensemble` subcommand against the demo home, its output shown as it comes; returns its stdout. */
function runStep(home: string, args: string[]): Promise<string> {
  const self = selfDaemonCommand().slice(0, -1); // this same CLI, without the "daemon" argument
  const plan = spawnPlan([...self, ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(plan.file, plan.args, {
      ...HIDDEN_WINDOW,
      windowsVerbatimArguments: plan.windowsVerbatimArguments,
      env: { ...process.env, ENSEMBLE_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new CliError(`demo step "ensemble ${args[0]}" failed (exit code ${code}); the demo's files are in ${home}`, 1));
    });
  });
}

/** A fresh start: stop a demo daemon left running, drop the last run's recordings and report. */
async function clearDemoHome(home: string): Promise<void> {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  await stopDaemon(home);
  for (const f of fs.readdirSync(home)) {
    if (/^ensemble\.db(-wal|-shm|-journal)?$/.test(f) || f === 'report.html') fs.rmSync(path.join(home, f), { force: true });
  }
}

async function stopDaemon(home: string): Promise<void> {
  const info = readDaemonFile(home);
  if (!info) return;
  const conn = await DaemonConnection.connect(info, client);
  try {
    await conn.rpc.request('shutdown', {});
  } finally {
    conn.close();
  }
  for (let i = 0; i < 100 && readDaemonFile(home); i++) await new Promise((r) => setTimeout(r, 100));
}

const client = { clientName: 'ensemble-demo', clientVersion: DAEMON_VERSION, requestTimeoutMs: 3_600_000 };

/** Writes the demo's config and has the daemon (started when none runs) load it; the caller closes the connection. */
async function usePool(home: string, config: PoolConfigInput): Promise<DaemonConnection> {
  fs.writeFileSync(homePaths(home).config, `${JSON.stringify(config, null, 2)}\n`);
  const conn = await connectOrStart({ home, command: selfDaemonCommand(), timeoutMs: 30_000 }, client);
  const reload = await conn.rpc.request('config/reload', {});
  if (!reload.ok) {
    conn.close();
    throw new CliError(`the demo's config was refused: ${reload.error}`, 1);
  }
  return conn;
}

/**
 * Tries the default pool: one classification makes the daemon fetch (first time only) and load
 * every member; download progress is shown from the pool's status meanwhile. True when every
 * member then serves; otherwise says why each one cannot.
 */
async function realPoolServes(home: string, labels: readonly string[], modelsDir: string, probe: DemoItem): Promise<boolean> {
  say(`models: the default pool, fetched on first use into ${modelsDir} (shared with your own daemon)`);
  const conn = await usePool(home, realPoolConfig(labels, modelsDir));
  let shown = '';
  const poll = setInterval(() => {
    conn.rpc.request('pool/status', {}).then(
      (s) => {
        const line = s.models
          .filter((m) => m.state === 'loading')
          .map((m) => `${m.id}: ${m.reason ?? 'loading'}`)
          .join(' | ');
        if (line && line !== shown) say(`  ${(shown = line)}`);
      },
      () => undefined,
    );
  }, 2_000);
  try {
    await conn.rpc.request('ensemble/classify', { text: probe.text, ensemble: DEMO_ENSEMBLE }).catch((e: unknown) => {
      if (!(e instanceof EnsembleError)) throw e;
    });
    let status: PoolStatus = await conn.rpc.request('pool/status', {});
    // A member may still be downloading after the first decision (its vote timed out): wait for it.
    while (status.models.some((m) => m.state === 'loading')) {
      await new Promise((r) => setTimeout(r, 2_000));
      status = await conn.rpc.request('pool/status', {});
    }
    const failing = status.models.filter((m) => m.state === 'unavailable' || m.state === 'error');
    for (const m of failing) say(`  ${m.id}: ${m.reason ?? m.state}`);
    return failing.length === 0;
  } finally {
    clearInterval(poll);
    conn.close();
  }
}
