/**
 * Generation results are recorded with their whole panel in every store, read back validated, with
 * their gold and prompt; one with a member that timed out is not complete (a resume asks it again).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MemoryStore } from '../../daemon/store/memoryStore';
import { availableDrivers } from '../../daemon/store/sqliteDriver';
import { SqliteStore } from '../../daemon/store/sqliteStore';
import type { Store } from '../../daemon/store/store';
import { compareResult as generation, panelAnswer as answer } from './generationFixtures';

const stores: Array<{ name: string; open: (dir: string) => Store }> = [
  ...availableDrivers().map((driver) => ({
    name: `SqliteStore (${driver})`,
    open: (dir: string) => new SqliteStore(path.join(dir, 'ensemble.db'), { driver }),
  })),
  { name: 'MemoryStore', open: () => new MemoryStore() },
];

for (const impl of stores) {
  describe(`generation records: ${impl.name}`, () => {
    let dir: string;
    let store: Store;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-generations-'));
      store = impl.open(dir);
    });
    afterEach(() => {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('reads back the panel, the prompt and the gold; a result with a timed-out member is left for a resume', () => {
      const whole = generation('g1', [answer('a', 'ok', 'Paris'), answer('b', 'ok', 'Lyon')]);
      store.recordTask({ task: 'generate', result: whole, gold: 'Paris' }, { source: 'record', dataset: 'q.jsonl', itemId: 'i1' });
      store.recordTask(
        { task: 'generate', result: generation('g2', [answer('a', 'ok', 'Paris'), answer('b', 'timeout', '')]), gold: null },
        { source: 'record', dataset: 'q.jsonl', itemId: 'i2' },
      );
      const back = store.taskRecords('generate', 'e');
      assert.deepEqual(
        back.map((r) => [r.result.id, r.gold, r.itemId]),
        [
          ['g1', 'Paris', 'i1'],
          ['g2', null, 'i2'],
        ],
      );
      assert.deepEqual(back[0]!.result, whole);
      assert.deepEqual([...store.recordedTaskItems('generate', 'q.jsonl', 'e')], ['i1']);
      assert.deepEqual(store.taskRecords('answer'), [], 'generations are not answers');
    });
  });
}
