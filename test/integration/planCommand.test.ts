/** `ensemble plan` as users run it (the bundled CLI, no daemon, nothing loaded), on three 7B f16 header-only GGUFs. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ARCHITECTURES, writeArchitectureModel } from '../fixtures/gguf/architectures';
import { runCli, tempHome, writeConfig } from './harness';

describe('ensemble plan', () => {
  it('--gpus 2x24GiB --json: ~13.5 GiB of weights each, ~42 GB in all, placed; the human form names devices and what to change', async () => {
    const home = tempHome('ensemble-plan-');
    try {
      fs.mkdirSync(path.join(home, 'models'));
      const models = ['a', 'b', 'c'].map((x) => {
        const p = path.join(home, 'models', `mistral-7b-${x}.f16.gguf`);
        writeArchitectureModel(p, ARCHITECTURES['mistral-7b'], 'f16');
        return { id: `mistral-${x}`, backend: 'llama.cpp', path: p };
      });
      writeConfig(home, { models, daemon: { memoryBudgetMiB: 48 * 1024 } });
      const r = await runCli(home, ['plan', '--gpus', '2x24GiB', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as {
        models: Array<{ weightsBytes: number; fits: boolean; placement: string }>;
        totals: { weightsBytes: number };
      };
      for (const m of plan.models) {
        assert.ok(Math.abs(m.weightsBytes / 2 ** 30 - 13.49) < 0.05, `${m.weightsBytes}`);
        assert.equal(m.fits, true);
      }
      assert.ok(Math.abs(plan.totals.weightsBytes / 1e9 - 43.45) < 0.5, `${plan.totals.weightsBytes}`);
      assert.deepEqual(
        plan.models.map((m) => m.placement.split(' ')[0]),
        ['gpu0', 'gpu1', 'gpu0'],
      );
      assert.ok(!fs.existsSync(path.join(home, 'daemon.json')), 'no daemon was started');

      const human = await runCli(home, ['plan', '--gpus', '24GiB', '--ram', '16GiB']);
      assert.equal(human.code, 1, 'exit 1: the pool does not fit');
      assert.match(human.stdout, /per device:\n\s+ram .* of .*\n\s+gpu0 .* of 24 GiB/);
      assert.match(human.stdout, /not placed:\n\s+mistral-c: needs 13\.9 GiB.*\n\s+-> lower "contextSize"/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
