/**
 * What sharing a base between LoRA adapter members saves, measured: a generated base (~25 MB of
 * f32 weights) and three generated adapters, loaded as four members (the base and three adapters)
 * over ONE file (shared: one loaded model) and over FOUR copies of the file (what four separate
 * models would take). Each member classifies once, so every weight page is touched. Each layout
 * runs in a fresh child process; the figure is the process RSS growth from after the llama.cpp
 * binding loaded to after the four members answered.
 *
 *   npx tsx scripts/measureLoraSharing.ts
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaCppBackend, sharedLlama } from '../daemon/backends/llamaCpp';
import { LlamaCppModel } from '../protocol/config';
import { FAMILIES, writeRandomLoraAdapter, writeRandomModel } from '../test/fixtures/gguf/models';

const mode = process.argv[2];
const MiB = 2 ** 20;

async function child(layout: 'shared' | 'copies', dir: string): Promise<void> {
  const never = new AbortController().signal;
  const base = join(dir, 'base.gguf');
  const paths = layout === 'shared' ? [base, base, base, base] : [0, 1, 2, 3].map((i) => join(dir, `copy${i}.gguf`));
  await sharedLlama({ gpu: false }); // the native binding's own memory is not the models'
  const before = process.memoryUsage().rss;
  const members = paths.map(
    (path, i) =>
      new LlamaCppBackend(
        LlamaCppModel.parse({
          id: `m${i}`,
          backend: 'llama.cpp',
          path,
          threads: 1,
          contextSize: 128,
          ...(i > 0 ? { lora: { path: join(dir, `lora${i}.gguf`) } } : {}),
        }),
      ),
  );
  for (const m of members) await m.classify({ text: 'hello world', labels: ['yes', 'no'], promptStyle: 'direct' }, never);
  const after = process.memoryUsage().rss;
  process.stdout.write(JSON.stringify({ layout, rssGrowthMiB: (after - before) / MiB }));
  await Promise.all(members.map((m) => m.dispose()));
}

if (mode === 'shared' || mode === 'copies') {
  await child(mode, process.argv[3]!);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'lora-measure-'));
  try {
    const words = Array.from({ length: 6000 }, (_, i) => `w${i.toString(36)}x${(i * 7919).toString(36)}`);
    const written = writeRandomModel(join(dir, 'base.gguf'), { seed: 1, words, family: 'b' });
    const shape = { nEmbd: FAMILIES.b.nEmbd, nVocab: written.vocabulary.tokens.length };
    const adapterBytes = [1, 2, 3].map((i) => writeRandomLoraAdapter(join(dir, `lora${i}.gguf`), shape, { seed: 10 + i }));
    for (let i = 0; i < 4; i++) copyFileSync(written.path, join(dir, `copy${i}.gguf`));
    console.log(
      `base ${(statSync(written.path).size / MiB).toFixed(1)} MiB (vocabulary ${shape.nVocab}), adapters ${adapterBytes.map((b) => (b / MiB).toFixed(2)).join(', ')} MiB`,
    );
    for (const layout of ['shared', 'copies'] as const) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, layout, dir], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { rssGrowthMiB: number };
      console.log(
        `${layout === 'shared' ? 'one base, shared by 4 members' : 'four copies of the base    '}: RSS +${r.rssGrowthMiB.toFixed(1)} MiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
