/** The status bar's model count and the download prompt/progress words (extension/downloadSummary.ts): pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downloadProgressText, downloadPromptText, downloadSummary, modelCountText } from '../../../extension/downloadSummary';
import type { ModelStatus } from '../../../protocol/methods';
import { poolStatusOf } from '../../support/poolStatus';

const MiB = 2 ** 20;

function model(id: string, state: ModelStatus['state'], download?: ModelStatus['download']): ModelStatus {
  return {
    id,
    backend: 'llama.cpp',
    state,
    location: `/h/models/${id}.gguf`,
    weight: 1,
    requests: 0,
    failures: 0,
    ...(download ? { download } : {}),
  };
}

const pool = (models: ModelStatus[]) => poolStatusOf(models);

const dl = (receivedBytes: number, totalBytes: number | null, awaitingApproval: boolean, id: string) => ({
  receivedBytes,
  totalBytes,
  awaitingApproval,
  path: `/h/models/${id}.gguf`,
});

describe('download summary', () => {
  it('counts only ready models, and says how many download and how far', () => {
    const p = pool([
      model('a', 'ready'),
      model('b', 'downloading', dl(30 * MiB, 100 * MiB, false, 'b')),
      model('c', 'downloading', dl(50 * MiB, 100 * MiB, false, 'c')),
    ]);
    assert.equal(modelCountText(p), '1/3 models, 2 downloading 40%');
    assert.equal(modelCountText(pool([model('a', 'ready'), model('b', 'busy'), model('c', 'loading')])), '2/3 models');
    const waiting = pool([model('a', 'idle', dl(0, 400 * MiB, true, 'a')), model('b', 'idle', dl(0, 600 * MiB, true, 'b'))]);
    assert.equal(modelCountText(waiting), '0/2 models, 2 to download');
  });

  it('the first-run prompt names the size left and the folder', () => {
    const s = downloadSummary(
      pool([model('a', 'idle', dl(100 * MiB, 400 * MiB, true, 'a')), model('b', 'idle', dl(0, 1024 * MiB, true, 'b'))]),
    );
    assert.equal(downloadPromptText(s), 'Ensemble needs to download 2 models (1.3 GiB) into /h/models before it can answer.');
    const unknown = downloadSummary(pool([model('a', 'idle', dl(0, null, true, 'a'))]));
    assert.equal(downloadPromptText(unknown), 'Ensemble needs to download 1 model (an unknown size) into /h/models before it can answer.');
  });

  it('progress shows percent, bytes, speed and which models', () => {
    const s = downloadSummary(pool([model('a', 'downloading', dl(25 * MiB, 100 * MiB, false, 'a'))]));
    assert.equal(downloadProgressText(s, 5 * MiB), '25% — 25 MiB of 100 MiB, 5 MiB/s (a)');
    assert.equal(downloadProgressText(s, null), '25% — 25 MiB of 100 MiB (a)');
  });
});
