/**
 * What running LoRA adapter members in ONE shared worker process costs against one worker each: a
 * generated base (~25 MB of f32 weights, as measureLoraSharing.ts) and three generated adapters,
 * as three members through the daemon's own WorkerBackend, (a) sharing one worker (workerGroups.ts,
 * what the daemon does now) and (b) one worker each (what it did before). Each member classifies
 * once, so every weight page is touched; then the workers' memory is read from /proc (Linux):
 * RSS (resident pages, a file page mapped by two workers counts in both) and PSS (each shared
 * page divided among the processes mapping it: the fair sum).
 *
 *   npx tsx scripts/measureSharedWorker.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerBackend } from '../daemon/worker/workerBackend';
import { WorkerGroups } from '../daemon/worker/workerGroups';
import { LlamaCppModel } from '../protocol/config';
import { FAMILIES, writeRandomLoraAdapter, writeRandomModel } from '../test/fixtures/gguf/models';

const MiB = 2 ** 20;

function kib(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  const text = fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/${file}`);
  return Number(m[1]) * 1024;
}

async function measure(layout: 'shared' | 'separate', dir: string): Promise<{ workers: number; rss: number; pss: number }> {
  const groups = new WorkerGroups();
  const never = new AbortController().signal;
  const members = [1, 2, 3].map((i) => {
    const entry = LlamaCppModel.parse({
      id: `m${i}`,
      backend: 'llama.cpp',
      path: path.join(dir, 'base.gguf'),
      threads: 1,
      contextSize: 128,
      lora: { path: path.join(dir, `lora${i}.gguf`) },
    });
    const shared = layout === 'shared' ? groups.processFor(entry) : undefined;
    return new WorkerBackend(entry, { defaultConcurrency: 1 }, shared ? { process: shared } : {});
  });
  try {
    for (const m of members) await m.classify({ text: 'hello world', labels: ['yes', 'no'], promptStyle: 'direct' }, never);
    const pids = [...new Set(members.map((m) => m.pid!))];
    const sum = (f: (pid: number) => number) => pids.reduce((s, pid) => s + f(pid), 0);
    return {
      workers: pids.length,
      rss: sum((pid) => kib(pid, 'status', 'VmRSS')),
      pss: sum((pid) => kib(pid, 'smaps_rollup', 'Pss')),
    };
  } finally {
    await Promise.all(members.map((m) => m.dispose()));
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-worker-measure-'));
try {
  const words = Array.from({ length: 6000 }, (_, i) => `w${i.toString(36)}x${(i * 7919).toString(36)}`);
  const written = writeRandomModel(path.join(dir, 'base.gguf'), { seed: 1, words, family: 'b' });
  const shape = { nEmbd: FAMILIES.b.nEmbd, nVocab: written.vocabulary.tokens.length };
  for (const i of [1, 2, 3]) writeRandomLoraAdapter(path.join(dir, `lora${i}.gguf`), shape, { seed: 10 + i });
  console.log(`base ${(fs.statSync(written.path).size / MiB).toFixed(1)} MiB, three adapters, three members, threads 1`);
  for (const layout of ['shared', 'separate'] as const) {
    const r = await measure(layout, dir);
    const label = layout === 'shared' ? 'one shared worker   ' : 'one worker per member';
    console.log(`${label}: ${r.workers} process(es), RSS ${(r.rss / MiB).toFixed(1)} MiB, PSS ${(r.pss / MiB).toFixed(1)} MiB`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
