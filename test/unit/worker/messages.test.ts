/** The worker's replies (daemon/worker/messages.ts): a failed call carries one of our error kinds, typed, never a free string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FromWorker } from '../../../daemon/worker/messages';
import { ERROR_KINDS, ErrorCodes } from '../../../protocol/errors';

function errorReply(kind: unknown): unknown {
  return { type: 'error', member: 'tiny#1', id: 7, error: { kind, message: 'boom' } };
}

describe('FromWorker error', () => {
  it('keeps every kind of protocol/errors.ts as it is', () => {
    assert.deepEqual(ERROR_KINDS, Object.keys(ErrorCodes));
    for (const kind of ERROR_KINDS) {
      const msg = FromWorker.parse(errorReply(kind));
      assert.equal(msg.type === 'error' && msg.error.kind, kind);
    }
  });

  it('reads a kind it does not know as BackendError, so the call is still answered', () => {
    for (const kind of ['NoSuchKind', 'toString', '__proto__', 42, null]) {
      const msg = FromWorker.parse(errorReply(kind));
      assert.equal(msg.type === 'error' && msg.error.kind, 'BackendError', String(kind));
    }
  });
});
