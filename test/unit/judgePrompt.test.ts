/** The fusion judge's prompt: bounded answers, numbered, one-pass substitution; reading a select reply; firstSuccess's acceptance check. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rejectionOf } from '../../daemon/ensemble/acceptance';
import { boundAnswer, judgePrompt, selectedIndex } from '../../daemon/ensemble/judgePrompt';

describe('judge prompt', () => {
  it('cuts an answer to the bound, marking the cut, and leaves a short one whole', () => {
    assert.equal(boundAnswer('  short  ', 20), 'short');
    const cut = boundAnswer('x'.repeat(100), 20);
    assert.equal(cut.length, 20);
    assert.ok(cut.endsWith(' [...]'));
  });

  it('fills the template once: an answer holding "{answers}" or "{prompt}" is not substituted again', () => {
    const p = judgePrompt('Q={prompt}\n{answers}', 'synthesize', 'why?', [
      { member: 'a', text: 'see {answers}' },
      { member: 'b', text: '{prompt}' },
    ]);
    assert.equal(p, 'Q=why?\nAnswer 1:\nsee {answers}\n\nAnswer 2:\n{prompt}');
  });

  it('uses the default template of the mode when none is given, without member names', () => {
    const p = judgePrompt(undefined, 'select', 'why?', [{ member: 'secret-name', text: 'because' }]);
    assert.match(p, /number only/);
    assert.ok(!p.includes('secret-name'));
  });

  it('reads the first number of a select reply, within range', () => {
    assert.equal(selectedIndex('Answer 2 is best', 3), 1);
    assert.equal(selectedIndex('4', 3), null);
    assert.equal(selectedIndex('none', 3), null);
    assert.equal(selectedIndex('0', 3), null);
  });
});

describe('acceptance check', () => {
  it('refuses blank answers', () => {
    assert.match(rejectionOf('  \n', undefined)!.message, /empty/);
    assert.equal(rejectionOf('fine', undefined), null);
  });
  it('with a schema: JSON, an object, every required key', () => {
    const schema = { type: 'object', required: ['name', 'age'] };
    assert.match(rejectionOf('not json', schema)!.message, /not JSON/);
    assert.match(rejectionOf('[1]', schema)!.message, /not a JSON object/);
    assert.match(rejectionOf('{"name": "x"}', schema)!.message, /age/);
    assert.equal(rejectionOf('{"name": "x", "age": 3}', schema), null);
  });
});
