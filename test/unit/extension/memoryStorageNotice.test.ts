/** The editor's warning when the daemon records in memory (extension/memoryStorageNotice.ts): once per daemon start, with the reason. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorageNotice } from '../../../extension/memoryStorageNotice';
import type { PoolStatus } from '../../../protocol/methods';

function pool(pid: number, storage: PoolStatus['storage']): PoolStatus {
  return { pid, storage } as PoolStatus;
}

const MEMORY = {
  kind: 'memory' as const,
  reason: 'the SQLite module (better-sqlite3) cannot be loaded under Node 20.18.1 (ABI 115): gone',
};

describe('MemoryStorageNotice', () => {
  it('warns when the daemon records in memory, in plain text with the reason', () => {
    const message = new MemoryStorageNotice().check(pool(10, MEMORY));
    assert.equal(
      message,
      'Ensemble is recording in memory only: decisions, feedback and calibration are lost when the daemon stops. ' +
        `Reason: ${MEMORY.reason}. Fix it and restart the daemon to record on disk again.`,
    );
  });

  it('once per daemon start: the same daemon says nothing again, a new daemon (another pid) warns again', () => {
    const notice = new MemoryStorageNotice();
    assert.ok(notice.check(pool(10, MEMORY)));
    assert.equal(notice.check(pool(10, MEMORY)), null, 'a status refresh of the same daemon');
    assert.ok(notice.check(pool(11, MEMORY)), 'the daemon was restarted and is still on memory');
  });

  it('says nothing while the daemon records in SQLite, or before a status is known', () => {
    const notice = new MemoryStorageNotice();
    assert.equal(notice.check(null), null);
    assert.equal(notice.check(pool(10, { kind: 'sqlite', path: '/h/ensemble.db' })), null);
    assert.equal(notice.check(pool(10, undefined)), null);
    assert.ok(notice.check(pool(10, MEMORY)), 'the first memory status of that daemon still warns');
  });

  it('keeps a long reason short and on one line', () => {
    const message = new MemoryStorageNotice().check(pool(10, { kind: 'memory', reason: `line one\nline two ${'x'.repeat(1000)}` }))!;
    assert.doesNotMatch(message, /\n/);
    assert.match(message, /Reason: line one line two x{382}…\. Fix it/);
  });
});
