/**
 * A refinement chain, step by step, growing as tokens stream. Steps are keyed children, so a token
 * appends to its step's text node and a new step replaces a waiting slot; nothing else is redrawn.
 */
import type { RefineStepView, RefineView } from '../../protocol/taskViews';
import { h, icon, ms, quote } from '../dom';
import { reconcile, type KeyedList } from './keyed';

const STATUS_ICON: Record<RefineStepView['status'], string> = {
  streaming: 'loading',
  ok: 'pass-filled',
  timeout: 'watch',
  error: 'error',
  skipped: 'debug-step-over',
};

/** A step of the chain, or a slot for one not started yet; keyed so a token redraws nothing else. */
type ChainItem = { step: RefineStepView } | { waiting: number };

const chainItems: KeyedList<ChainItem> = {
  key: (c) => ('step' in c ? `step-${c.step.index}` : `waiting-${c.waiting}`),
  // A streaming step's text grows in its text node (`syncStreamingText`), so it is not part of the signature.
  signature: (c) => ('step' in c ? JSON.stringify({ ...c.step, text: c.step.status === 'streaming' ? '' : c.step.text }) : 'waiting'),
  build: (c) =>
    'step' in c ? stepItem(c.step) : h('li', { class: 'chain-step status-waiting muted' }, icon('circle-large-outline'), 'waiting'),
};

function stepItem(s: RefineStepView): HTMLElement {
  return h(
    'li',
    { class: `chain-step status-${s.status}`, data: { stepIndex: String(s.index) } },
    h(
      'div',
      { class: 'step-head' },
      icon(STATUS_ICON[s.status], s.status === 'streaming' ? 'codicon-modifier-spin' : ''),
      h('span', { class: 'step-role' }, s.role),
      h('span', { class: 'model-name' }, s.member),
      s.latencyMs !== undefined ? h('span', { class: 'latency' }, ms(s.latencyMs)) : null,
    ),
    h('pre', { class: 'step-text' }, s.text),
    s.error ? h('div', { class: 'error-text' }, s.error) : null,
  );
}

function chain(v: RefineView): ChainItem[] {
  const waiting = v.done ? 0 : Math.max(0, v.total - v.steps.length);
  return [...v.steps.map((step) => ({ step })), ...Array.from({ length: waiting }, (_, i) => ({ waiting: i }))];
}

/** What a chain shows besides its steps: a token never changes it, so it is not redrawn. */
const refineFrames = new WeakMap<HTMLElement, string>();
const frameOf = (v: RefineView): string => JSON.stringify([v.id, v.done, v.converged, v.partial, v.textPreview]);
const stepsText = (v: RefineView): string => `${v.steps.filter((s) => s.status !== 'streaming').length}/${v.total} steps`;

export function refineView(v: RefineView): HTMLElement {
  const steps = h('ol', { class: 'chain' });
  reconcile(steps, chain(v), chainItems);
  const section = h(
    'section',
    { class: 'task refine', data: { taskId: v.id }, attrs: { 'aria-label': 'refinement chain' } },
    h(
      'div',
      { class: 'summary' },
      h(
        'div',
        { class: 'final' },
        v.done ? icon('sparkle') : icon('loading', 'codicon-modifier-spin'),
        h('span', { class: 'final-label' }, v.done ? 'Refined' : 'Refining…'),
        h('span', { class: 'agreement' }, stepsText(v)),
        v.converged
          ? h(
              'span',
              { class: 'badge', title: 'an editor returned the draft unchanged, which ended the chain' },
              icon('check-all'),
              'converged',
            )
          : null,
        v.partial
          ? h(
              'span',
              { class: 'badge warn', title: 'some steps timed out or failed; the text is the last complete one' },
              icon('warning'),
              'partial',
            )
          : null,
      ),
      quote(v.textPreview, 'the text to refine'),
    ),
    steps,
  );
  refineFrames.set(section, frameOf(v));
  return section;
}

const TEXT_NODE = 3;

/** A streaming step's text node takes what arrived since it was drawn: appended, never re-parsed. */
function syncStreamingText(steps: Element, v: RefineView): void {
  for (const s of v.steps) {
    if (s.status !== 'streaming') continue;
    const node = steps.querySelector(`li[data-step-index="${s.index}"] > pre.step-text`)?.firstChild;
    if (node?.nodeType !== TEXT_NODE) continue;
    const text = node as Text;
    if (s.text.startsWith(text.data)) text.appendData(s.text.slice(text.data.length));
    else text.data = s.text;
  }
}

/**
 * Updates a chain's view in place when only its steps moved on (a streamed token, a step started):
 * the count, the steps that changed, the streaming text. False when `section` is not this chain's
 * view or more than that changed, and the caller draws it anew.
 */
export function updateRefineView(section: HTMLElement, task: RefineView): boolean {
  if (refineFrames.get(section) !== frameOf(task)) return false;
  const steps = section.querySelector('ol.chain');
  const count = section.querySelector('.summary .agreement');
  if (!steps || !count) return false;
  count.textContent = stepsText(task);
  reconcile(steps, chain(task), chainItems);
  syncStreamingText(steps, task);
  return true;
}
