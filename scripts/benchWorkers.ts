/**
 * What a worker process costs (tiny generated model, threads 1; medians; this machine is shared,
 * so read the ratios): classify latency in process vs through a worker, cold start (fork + native
 * runtime + load), and the time from SIGKILL to serving again through a restarted worker.
 *   npx tsx scripts/benchWorkers.ts [--n 40]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlamaCppBackend } from '../daemon/backends/llamaCpp';
import { WorkerBackend } from '../daemon/worker/workerBackend';
import { LlamaCppModel } from '../protocol/config';
import { writeClassifierPool } from '../test/fixtures/gguf/models';

const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 40;
const labels = ['bug', 'feature', 'question'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-workers-'));
const model = writeClassifierPool(dir, { labels, favors: ['bug'] })[0]!;
const entry = LlamaCppModel.parse({ id: 'm', backend: 'llama.cpp', path: model.path, threads: 1, contextSize: 256 });
const signal = new AbortController().signal;
const req = { text: 'The app crashes when I press save', labels, promptStyle: 'direct' as const };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

async function latencies(b: { classify: LlamaCppBackend['classify'] }): Promise<number> {
  await b.classify(req, signal);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await time(() => b.classify(req, signal)));
  return median(xs);
}

const inProcess = new LlamaCppBackend(entry);
const coldInProcess = await time(() => inProcess.health(signal));
const inProcessMs = await latencies(inProcess);
await inProcess.dispose();

const worker = new WorkerBackend(entry, { defaultConcurrency: 1 });
const coldWorker = await time(() => worker.health(signal));
const workerMs = await latencies(worker);
const restarts: number[] = [];
// Two kills: a third within 3 minutes would mark the model failed (the crash policy).
for (let i = 0; i < 2; i++) {
  const crashed = new Promise<void>((r) => worker.onEvent(() => r()));
  const t = performance.now();
  process.kill(worker.pid!, 'SIGKILL');
  await crashed;
  for (;;) {
    try {
      await worker.classify(req, signal);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  restarts.push(performance.now() - t);
}
await worker.dispose();
fs.rmSync(dir, { recursive: true, force: true });
const f = (x: number) => `${x.toFixed(1)} ms`;
console.log(`classify median over ${n}: in process ${f(inProcessMs)}, through a worker ${f(workerMs)} (+${f(workerMs - inProcessMs)})`);
console.log(`cold start to ready: in process ${f(coldInProcess)}, worker (fork + runtime + load) ${f(coldWorker)}`);
console.log(`SIGKILL to the next answer from a restarted worker (backoff of 250 then 500 ms included): ${restarts.map(f).join(', ')}`);
