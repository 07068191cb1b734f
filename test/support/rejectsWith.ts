/** Asserts a promise rejects with an EnsembleError of `kind` (and a message matching `message`). */
import assert from 'node:assert/strict';
import { EnsembleError } from '../../protocol/errors';

export async function rejectsWith(p: Promise<unknown>, kind: string, message?: RegExp): Promise<EnsembleError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EnsembleError, `not an EnsembleError: ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  if (message) assert.match(err.message, message);
  return err;
}
