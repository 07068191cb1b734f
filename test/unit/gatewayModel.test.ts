/** The gateway's `model` field: an ensemble, then a task or a generation strategy, or nothing (the bare name). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModel } from '../../daemon/gateway/chatRequest';

describe('parseModel', () => {
  it('reads tasks and generation strategies after the ensemble name', () => {
    assert.deepEqual(parseModel('writers/fusion'), { ensemble: 'writers', task: 'fusion', bare: false });
    assert.deepEqual(parseModel('writers/firstSuccess'), { ensemble: 'writers', task: 'firstSuccess', bare: false });
    assert.deepEqual(parseModel('writers/mux'), { ensemble: 'writers', task: 'mux', bare: false });
    assert.deepEqual(parseModel('writers/classify'), { ensemble: 'writers', task: 'classify', bare: false });
  });

  it('takes /refine and /chat as refinement chat, and marks a bare name so the config can choose', () => {
    assert.deepEqual(parseModel('writers/refine'), { ensemble: 'writers', task: 'chat', bare: false });
    assert.deepEqual(parseModel('writers/chat'), { ensemble: 'writers', task: 'chat', bare: false });
    assert.deepEqual(parseModel('writers'), { ensemble: 'writers', task: 'chat', bare: true });
    assert.deepEqual(parseModel('/compare'), { ensemble: undefined, task: 'compare', bare: false });
  });

  it('keeps an unknown suffix as part of the ensemble name (which then fails as an unknown ensemble)', () => {
    assert.deepEqual(parseModel('writers/judge'), { ensemble: 'writers/judge', task: 'chat', bare: true });
  });
});
