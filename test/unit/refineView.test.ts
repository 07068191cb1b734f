/** The inspector's refinement chain, built from streamed tokens, finished steps and the result. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RefineResult } from '../../protocol/ensemble';
import { emptyRefineView, withRefineResult, withRefineStep, withRefineToken } from '../../protocol/taskViews';
import { ToWebview } from '../../protocol/webview';
import { apply, initialModel } from '../../webview/model';

const tok = (index: number, text: string, role: 'draft' | 'edit' = index === 0 ? 'draft' : 'edit') => ({
  id: 'r1',
  index,
  member: `m${index}`,
  model: `m${index}`,
  role,
  text,
  total: 2,
});

describe('refinement chain view', () => {
  it('grows each step from its tokens in order, then takes the finished step and the result', () => {
    let v = emptyRefineView('r1', 2, 'the app crash');
    v = withRefineToken(v, tok(0, 'The'));
    v = withRefineToken(v, tok(0, ' app'));
    assert.deepEqual(
      v.steps.map((s) => [s.status, s.text]),
      [['streaming', 'The app']],
    );
    v = withRefineStep(v, { member: 'm0', model: 'm0', role: 'draft', status: 'ok', text: 'The app crashes.', latencyMs: 5 }, 0, 2);
    v = withRefineToken(v, tok(1, 'The app'));
    assert.deepEqual(
      v.steps.map((s) => [s.index, s.status, s.text]),
      [
        [0, 'ok', 'The app crashes.'],
        [1, 'streaming', 'The app'],
      ],
    );
    // A step that timed out keeps what it streamed on screen, marked as timed out.
    v = withRefineStep(
      v,
      {
        member: 'm1',
        model: 'm1',
        role: 'edit',
        status: 'timeout',
        text: '',
        latencyMs: 9,
        error: { code: 1007, kind: 'Timeout', message: 'no answer within 9 ms' },
      },
      1,
      2,
    );
    assert.deepEqual(
      v.steps.map((s) => [s.status, s.text]),
      [
        ['ok', 'The app crashes.'],
        ['timeout', 'The app'],
      ],
    );
    const result: RefineResult = {
      id: 'r1',
      ensemble: 'default',
      original: 'the app crash',
      text: 'The app crashes.',
      partial: true,
      converged: false,
      elapsedMs: 20,
      steps: [
        { member: 'm0', model: 'm0', role: 'draft', status: 'ok', text: 'The app crashes.', latencyMs: 5 },
        { member: 'm1', model: 'm1', role: 'edit', status: 'timeout', text: '', latencyMs: 9 },
      ],
    };
    v = withRefineResult(v, result);
    assert.equal(v.done, true);
    assert.equal(v.text, 'The app crashes.');
    assert.equal(v.partial, true);
  });

  it('the webview model applies task and token messages, and ignores tokens of unknown chains', () => {
    let m = initialModel(undefined);
    m = apply(m, ToWebview.parse({ type: 'refineToken', delta: tok(0, 'x') }));
    assert.equal(m.tasks.length, 0);
    m = apply(m, ToWebview.parse({ type: 'task', task: emptyRefineView('r1', 2), focus: true }));
    assert.equal(m.focus, 'r1');
    m = apply(m, ToWebview.parse({ type: 'refineToken', delta: tok(0, '<script>alert(1)</script>') }));
    const chain = m.tasks[0]!;
    assert.ok(chain.kind === 'refine');
    assert.equal(chain.steps[0]!.text, '<script>alert(1)</script>');
  });
});
