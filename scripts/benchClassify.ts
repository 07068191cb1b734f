/**
 * Daemon speed and memory, side by side with a baseline in the same run (`npm run bench:classify`).
 * A real daemon process on generated tiny GGUF models (and on Karpathy's stories260K, real trained
 * weights, when `--stories FILE` or ENSEMBLE_STORIES260K names its GGUF): median and p90 latency
 * per request for one model alone (the baseline), the 3-member ensemble under majority, weighted
 * and early exit, and the daemon's resident memory. The machine
 * is shared and noisy: read the medians and the ratios, not single numbers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DaemonConnection, startDaemon } from '../client/daemonClient';
import { writeClassifierPool } from '../daemon/gguf/tinyModels';
import { tempHome } from '../test/integration/harness';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const labels = ['bug', 'feature', 'question'];
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.mjs');
if (!fs.existsSync(cli)) {
  console.error('dist/cli.mjs is missing: run "npm run build" first');
  process.exit(1);
}

const home = tempHome('ensemble-bench-');
const pool = writeClassifierPool(path.join(home, 'models'), { labels, favors: ['bug', 'bug', 'feature'] });
const { values: flags } = parseArgs({ options: { stories: { type: 'string' } } });
const storiesArg = flags.stories ?? process.env.ENSEMBLE_STORIES260K?.trim();
const stories = storiesArg ? path.resolve(storiesArg) : undefined;
if (stories && !fs.existsSync(stories)) {
  console.error(`--stories / ENSEMBLE_STORIES260K: ${stories} not found`);
  process.exit(2);
}
const haveStories = stories !== undefined;
const models = pool.map((m) => ({ id: m.id, backend: 'llama.cpp', path: m.path, threads: 1, contextSize: 256 }));
if (stories) models.push({ id: 'stories', backend: 'llama.cpp', path: stories, threads: 1, contextSize: 256 });
const ids = pool.map((m) => m.id);
const ensembles: Record<string, unknown> = {
  single: { members: [ids[0]], labels },
  majority: { members: ids, strategy: 'majority', labels },
  weighted: { members: ids, strategy: 'weighted', labels },
  earlyExit: { members: ids, strategy: 'earlyExit', labels, earlyExit: { agreeK: 2, threshold: 0.5 } },
};
if (haveStories) {
  ensembles.storiesSingle = { members: ['stories'], labels: ['happy', 'sad', 'scared'] };
  ensembles.storiesStyles = {
    members: ['stories', { model: 'stories', promptStyle: 'stepByStep' }, { model: 'stories', promptStyle: 'withConfidence' }],
    labels: ['happy', 'sad', 'scared'],
  };
}
fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ models, ensembles }));

const info = await startDaemon({ home, command: [process.execPath, cli, 'daemon', '--log-level', 'warn'] });
const conn = await DaemonConnection.connect(info, { clientName: 'bench', clientVersion: '0' });
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${info.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const rssIdle = rss();

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function measure(ensemble: string): Promise<{ median: number; p90: number; calls: number }> {
  const text = 'The app crashes when I press save on the settings page';
  await conn.rpc.request('ensemble/classify', { text, ensemble }); // warm-up: loads the models
  const times: number[] = [];
  let calls = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const d = await conn.rpc.request('ensemble/classify', { text: `${text} (${i})`, ensemble });
    times.push(performance.now() - t0);
    calls += d.votes.filter((v) => v.status !== 'skipped').length;
  }
  return { median: quantile(times, 0.5), p90: quantile(times, 0.9), calls: calls / ROUNDS };
}

try {
  const rows: Array<[string, Awaited<ReturnType<typeof measure>>]> = [];
  for (const name of Object.keys(ensembles)) rows.push([name, await measure(name)]);
  const base = rows.find(([n]) => n === 'single')![1].median;
  const storiesBase = rows.find(([n]) => n === 'storiesSingle')?.[1].median;
  console.log(`classification latency over ${ROUNDS} requests each (daemon pid ${info.pid}, threads 1 per model)`);
  console.log('ensemble         calls/req  median ms  p90 ms  x baseline');
  for (const [name, r] of rows) {
    const b = name.startsWith('stories') ? storiesBase! : base;
    console.log(
      `${name.padEnd(16)} ${r.calls.toFixed(2).padStart(9)}  ${r.median.toFixed(1).padStart(9)}  ${r.p90.toFixed(1).padStart(6)}  ${(r.median / b).toFixed(2).padStart(10)}`,
    );
  }
  console.log(`daemon RSS: ${rssIdle.toFixed(0)} MiB at start, ${rss().toFixed(0)} MiB with ${models.length} models loaded`);
  if (!haveStories) console.log('(no stories260K GGUF given with --stories or ENSEMBLE_STORIES260K: the real-weights rows were skipped)');
} finally {
  conn.close();
  process.kill(info.pid, 'SIGTERM');
}
