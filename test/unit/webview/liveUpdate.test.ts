/**
 * webview/liveUpdate.ts with a real DOM: a vote rebuilds only its member's row (the other rows stay
 * the same node objects), a refinement token appends to its step's text node, and model output is
 * text, never markup.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { emptyRefineView, type RefineTokenDelta } from '../../../protocol/taskViews';
import { ToWebview, type PendingDecision } from '../../../protocol/webview';
import type { Vote } from '../../../protocol/ensemble';
import { updateInPlace } from '../../../webview/liveUpdate';
import { apply, initialModel, type Model } from '../../../webview/model';
import { pendingView } from '../../../webview/render/decision';
import { taskView } from '../../../webview/render/tasks';
import { voteOf } from '../../support/decisions';
import { installDom } from '../../support/dom';

const MEMBERS = ['a', 'b', 'c'];
const pending = (votes: Vote[]): PendingDecision => ({
  decisionId: 'd1',
  labels: ['bug', 'feature'],
  total: MEMBERS.length,
  done: votes.length,
  votes,
  members: MEMBERS.map((m) => ({ member: m, model: m, promptStyle: 'direct' })),
});
const token = (index: number, text: string): RefineTokenDelta => ({
  id: 'r1',
  index,
  member: 'a',
  model: 'a',
  role: 'draft',
  text,
  total: 2,
});

/** Applies `msg` as the page does, and says whether it was drawn in place. */
function receive(m: Model, shown: HTMLElement, msg: unknown): { model: Model; inPlace: boolean } {
  const parsed = ToWebview.parse(msg);
  const model = apply(m, parsed);
  return { model, inPlace: updateInPlace(shown, m, model, parsed) };
}

const rowOf = (root: HTMLElement, member: string): Element | null => root.querySelector(`tr.member-row[data-member="${member}"]`);

describe('drawing votes and tokens in place', () => {
  before(() => installDom());

  it('a vote rebuilds its member row and keeps every other row as the same node', () => {
    const model = apply(initialModel(undefined), { type: 'pending', pending: pending([voteOf('a', 'bug')]) });
    const shown = pendingView(model.pending[0]!);
    const [rowA, rowB, rowC] = MEMBERS.map((m) => rowOf(shown, m));
    assert.ok(rowA && rowB && rowC);
    assert.equal(rowB.querySelector('.status-text')?.textContent, 'waiting…');

    const next = receive(model, shown, { type: 'pending', pending: pending([voteOf('a', 'bug'), voteOf('b', 'feature')]) });
    assert.equal(next.inPlace, true);
    assert.equal(rowOf(shown, 'a'), rowA, "a's vote did not change: same row");
    assert.equal(rowOf(shown, 'c'), rowC, 'c has not voted: same row');
    const newB = rowOf(shown, 'b');
    assert.notEqual(newB, rowB, "b's row shows its vote");
    assert.equal(newB?.querySelector('.vote-label')?.textContent, 'feature');
    assert.deepEqual(
      Array.from(shown.querySelectorAll('tr.member-row')).map((r) => (r as HTMLElement).dataset.member),
      MEMBERS,
      'rows stay in member order',
    );
    assert.equal(shown.querySelector('.summary .agreement')?.textContent, '2/3 votes');
  });

  it('the first vote of another request redraws the page', () => {
    const model = apply(initialModel(undefined), { type: 'pending', pending: pending([voteOf('a', 'bug')]) });
    const shown = pendingView(model.pending[0]!);
    const other = { ...pending([voteOf('a', 'bug')]), decisionId: 'd2' };
    assert.equal(receive(model, shown, { type: 'pending', pending: other }).inPlace, false);
  });

  it('a token appends to its step text node, the step and its neighbours stay', () => {
    let model = apply(initialModel(undefined), { type: 'task', task: emptyRefineView('r1', 2, 'fix this'), focus: true });
    model = apply(model, { type: 'refineToken', delta: token(0, 'Hel') });
    const shown = taskView(model.tasks[0]!);
    const step = shown.querySelector('li[data-step-index="0"]');
    const text = step?.querySelector('pre.step-text')?.firstChild;
    const waiting = shown.querySelector('li.status-waiting');
    assert.ok(step && text && waiting);
    assert.equal(text.textContent, 'Hel');

    const next = receive(model, shown, { type: 'refineToken', delta: token(0, 'lo <b>world</b>') });
    assert.equal(next.inPlace, true);
    assert.equal(shown.querySelector('li[data-step-index="0"]'), step, 'the same step element');
    assert.equal(step.querySelector('pre.step-text')?.firstChild, text, 'the same text node, appended to');
    assert.equal(text.textContent, 'Hello <b>world</b>');
    assert.equal(step.querySelector('b'), null, 'model output stays text');
    assert.equal(shown.querySelector('li.status-waiting'), waiting, 'the slot of the next step stays');
  });

  it('the first token of the next step adds its step in place of a waiting slot', () => {
    let model = apply(initialModel(undefined), { type: 'task', task: emptyRefineView('r1', 2), focus: true });
    model = apply(model, { type: 'refineToken', delta: token(0, 'draft') });
    const shown = taskView(model.tasks[0]!);
    const first = shown.querySelector('li[data-step-index="0"]');
    const next = receive(model, shown, { type: 'refineToken', delta: { ...token(1, 'edit'), role: 'edit' } });
    assert.equal(next.inPlace, true);
    assert.equal(shown.querySelector('li[data-step-index="0"]'), first);
    assert.equal(shown.querySelector('li[data-step-index="1"] > pre.step-text')?.textContent, 'edit');
    assert.equal(shown.querySelectorAll('li.status-waiting').length, 0);
  });

  it('a token for a chain that is not on screen draws nothing', () => {
    let model = apply(initialModel(undefined), { type: 'task', task: emptyRefineView('r1', 2), focus: false });
    model = apply(model, { type: 'focus', decisionId: 'd1' });
    const shown = pendingView(pending([]));
    const before = shown.outerHTML;
    assert.equal(receive(model, shown, { type: 'refineToken', delta: token(0, 'x') }).inPlace, true);
    assert.equal(shown.outerHTML, before);
  });

  it('anything else redraws the page', () => {
    const model = initialModel(undefined);
    const shown = pendingView(pending([]));
    assert.equal(receive(model, shown, { type: 'connection', connection: 'connected' }).inPlace, false);
  });
});
