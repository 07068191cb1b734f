/** The inspector's state and how each message changes it (webview/model.ts): pure, so tested without an editor. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision, Vote } from '../../../protocol/ensemble';
import { ToWebview, type PendingDecision } from '../../../protocol/webview';
import { apply, initialModel, toState, type Model } from '../../../webview/model';
import { decisionOf, voteOf } from '../../support/decisions';

const vote = (member: string, label: string): Vote => voteOf(member, label);
const decision = (id: string, label = 'bug'): Decision => decisionOf(id, { label, votes: [vote('a', label), vote('b', label)] });
const pending = (id: string, votes: Vote[]): PendingDecision => ({
  decisionId: id,
  labels: ['bug', 'feature'],
  total: 2,
  done: votes.length,
  votes,
  members: [
    { member: 'a', model: 'a', promptStyle: 'direct' },
    { member: 'b', model: 'b', promptStyle: 'direct' },
  ],
});
/** Every message goes through the same schema the page validates with. */
const send = (m: Model, msg: unknown): Model => apply(m, ToWebview.parse(msg));

describe('inspector model', () => {
  it('shows votes as they arrive, then the decision in their place', () => {
    let m = send(initialModel(undefined), { type: 'pending', pending: pending('d1', [vote('a', 'bug')]) });
    assert.equal(m.focus, 'd1');
    assert.equal(m.pending[0]?.votes.length, 1);
    m = send(m, { type: 'pending', pending: pending('d1', [vote('a', 'bug'), vote('b', 'bug')]) });
    assert.equal(m.pending.length, 1, 'the same request updates its entry');
    assert.equal(m.pending[0]?.done, 2);
    m = send(m, { type: 'decision', view: { decision: decision('d1') }, focus: true });
    assert.equal(m.pending.length, 0);
    assert.deepEqual(
      m.decisions.map((d) => d.decision.id),
      ['d1'],
    );
  });

  it('puts the newest decision first, replaces a decision seen before, and keeps focus unless asked', () => {
    let m = send(initialModel(undefined), { type: 'decision', view: { decision: decision('d1') }, focus: true });
    m = send(m, { type: 'decision', view: { decision: decision('d2') }, focus: false });
    assert.deepEqual(
      m.decisions.map((d) => d.decision.id),
      ['d2', 'd1'],
    );
    assert.equal(m.focus, 'd1', 'an unfocused decision does not steal focus');
    m = send(m, { type: 'decision', view: { decision: decision('d1', 'feature') }, focus: false });
    assert.deepEqual(
      m.decisions.map((d) => [d.decision.id, d.decision.label]),
      [
        ['d1', 'feature'],
        ['d2', 'bug'],
      ],
    );
    assert.equal(m.focus, 'd1', 'the focused decision, updated, stays focused');
  });

  it('drops a failed request and says why', () => {
    let m = send(initialModel(undefined), { type: 'pending', pending: pending('d1', []) });
    m = send(m, { type: 'pendingFailed', decisionId: 'd1', message: 'cancelled' });
    assert.equal(m.pending.length, 0);
    assert.deepEqual(m.notices.d1, { ok: false, message: 'cancelled' });
  });

  it('records feedback on the decision only when the daemon accepted it', () => {
    let m = send(initialModel(undefined), { type: 'decision', view: { decision: decision('d1') }, focus: true });
    m = send(m, { type: 'feedbackResult', decisionId: 'd1', ok: false, message: 'daemon down', feedback: { correct: true } });
    assert.equal(m.decisions[0]?.feedback, undefined);
    assert.equal(m.notices.d1?.ok, false);
    m = send(m, { type: 'feedbackResult', decisionId: 'd1', ok: true, message: 'recorded', feedback: { label: 'feature' } });
    assert.deepEqual(m.decisions[0]?.feedback, { label: 'feature' });
    assert.deepEqual(m.notices.d1, { ok: true, message: 'recorded' });
  });

  it('init replaces everything but keeps the focus when none is given; connection and focus messages set theirs', () => {
    let m = send(initialModel({ focus: 'old', decisions: [], pool: null, openSections: ['pool'] }), {
      type: 'init',
      connection: 'connected',
      pool: null,
      decisions: [{ decision: decision('d9') }],
      pending: [],
      focus: null,
    });
    assert.equal(m.connection, 'connected');
    assert.equal(m.focus, 'old');
    assert.deepEqual(m.openSections, ['pool']);
    m = send(m, { type: 'connection', connection: 'reconnecting' });
    m = send(m, { type: 'focus', decisionId: 'd9' });
    assert.equal(m.connection, 'reconnecting');
    assert.equal(m.focus, 'd9');
  });

  it('saves at most 30 decisions in the webview state, newest first', () => {
    let m = initialModel(undefined);
    for (let i = 0; i < 35; i++) m = send(m, { type: 'decision', view: { decision: decision(`d${i}`) }, focus: false });
    const state = toState(m);
    assert.equal(state.decisions.length, 30);
    assert.equal(state.decisions[0]?.decision.id, 'd34');
    assert.equal(m.decisions.length, 35, 'the live model keeps them all');
  });

  it('refuses malformed messages (the page validates what it is sent)', () => {
    assert.equal(ToWebview.safeParse({ type: 'pending', pending: { decisionId: 1 } }).success, false);
    assert.equal(ToWebview.safeParse({ type: 'script', html: '<script>' }).success, false);
  });
});
