/**
 * Refinement chains (step by step, growing as tokens stream), extractions (kept spans with their
 * agreement) and voted answers. All text goes in through `h` (textContent), never as HTML.
 */
import type { AnswerView, ExtractionView, RefineStepView, RefineView, TaskView } from '../../protocol/taskViews';
import { fmt, h, icon, ms } from '../dom';
import { reconcile, type KeyedList } from './keyed';

const STATUS_ICON: Record<RefineStepView['status'], string> = {
  streaming: 'loading',
  ok: 'pass-filled',
  timeout: 'watch',
  error: 'error',
  skipped: 'debug-step-over',
};

function quote(text: string | undefined, title: string): HTMLElement | null {
  return text ? h('blockquote', { class: 'input-text', title }, text) : null;
}

export function taskView(task: TaskView): HTMLElement {
  switch (task.kind) {
    case 'refine':
      return refineView(task);
    case 'extraction':
      return extractionView(task);
    case 'answer':
      return answerView(task);
  }
}

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

function refineView(v: RefineView): HTMLElement {
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
 * Updates a task's view in place when only a refinement's steps moved on (a streamed token, a
 * step started): the count, the steps that changed, the streaming text. False when `section` is
 * not this task's view or more than that changed, and the caller draws it anew.
 */
export function updateTaskView(section: HTMLElement, task: TaskView): boolean {
  if (task.kind !== 'refine' || refineFrames.get(section) !== frameOf(task)) return false;
  const steps = section.querySelector('ol.chain');
  const count = section.querySelector('.summary .agreement');
  if (!steps || !count) return false;
  count.textContent = stepsText(task);
  reconcile(steps, chain(task), chainItems);
  syncStreamingText(steps, task);
  return true;
}

function extractionView(v: ExtractionView): HTMLElement {
  const r = v.result;
  const answered = r.votes.filter((x) => x.status === 'ok').length;
  const row = (s: ExtractionView['result']['spans'][number], kept: boolean) =>
    h(
      'tr',
      { class: `span-row${kept ? ' kept' : ' rejected'}` },
      h('td', {}, h('span', { class: 'chip' }, s.type)),
      h('td', { class: 'span-text' }, s.text),
      h('td', { class: 'latency' }, `${s.start}–${s.end}`),
      h('td', { title: s.members.join(', ') }, `${s.members.length}/${answered}`, ' ', fmt(s.agreement)),
    );
  return h(
    'section',
    { class: 'task extraction', data: { taskId: v.id }, attrs: { 'aria-label': 'extraction' } },
    h(
      'div',
      { class: 'summary' },
      h(
        'div',
        { class: 'final' },
        icon('symbol-field'),
        h('span', { class: 'final-label' }, `${r.spans.length} entit${r.spans.length === 1 ? 'y' : 'ies'}`),
        h('span', { class: 'agreement' }, `quorum ${fmt(r.quorum)} of ${answered} members`),
        r.partial ? h('span', { class: 'badge warn' }, icon('warning'), 'partial') : null,
        // A reply cut to the frame limit: the note says what is missing.
        r.truncated
          ? h('span', { class: 'badge warn', title: 'the reply was cut to fit: not every span is listed' }, icon('warning'), 'cut')
          : null,
      ),
      h(
        'div',
        { class: 'meta' },
        h('span', {}, icon('organization'), r.ensemble),
        h('span', {}, icon('clock'), ms(r.elapsedMs)),
        h('span', {}, r.types.join(', ')),
      ),
      r.note ? h('p', { class: 'note' }, r.note) : null,
      quote(v.textPreview, 'the text'),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'spans' },
        h('thead', {}, h('tr', {}, h('th', {}, 'type'), h('th', {}, 'entity'), h('th', {}, 'at'), h('th', {}, 'agreement'))),
        h('tbody', {}, ...r.spans.map((s) => row(s, true)), ...r.rejected.map((s) => row(s, false))),
      ),
    ),
  );
}

function answerView(v: AnswerView): HTMLElement {
  const r = v.result;
  return h(
    'section',
    { class: 'task answer', data: { taskId: v.id }, attrs: { 'aria-label': 'answer' } },
    h(
      'div',
      { class: 'summary' },
      h(
        'div',
        { class: 'final' },
        icon(r.answer === null ? 'circle-slash' : 'target'),
        h('span', { class: 'final-label' }, r.answer ?? 'no agreement'),
        h('span', { class: 'final-confidence' }, fmt(r.confidence)),
        h('span', { class: 'agreement' }, `agreement ${fmt(r.agreement)} (quorum ${fmt(r.quorum)})`),
      ),
      h(
        'div',
        { class: 'meta' },
        h('span', {}, icon('symbol-operator'), r.strategy),
        h('span', {}, icon('organization'), r.ensemble),
        h('span', {}, icon('clock'), ms(r.elapsedMs)),
      ),
      r.note ? h('p', { class: 'note' }, r.note) : null,
      quote(r.question, 'the question'),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'member'),
            h('th', {}, 'answer'),
            h('th', {}, 'normalized'),
            h('th', {}, 'confidence'),
            h('th', {}, 'status'),
          ),
        ),
        h(
          'tbody',
          {},
          ...r.votes.map((x) =>
            h(
              'tr',
              { class: `member-row status-${x.status}${x.normalized !== null && x.normalized === r.normalized ? ' agrees' : ''}` },
              h('td', {}, h('span', { class: 'model-name' }, x.member)),
              h('td', {}, x.answer ?? '—'),
              h('td', {}, x.normalized ?? '—'),
              h('td', {}, fmt(x.confidence)),
              h('td', { class: 'status', title: x.error?.message ?? '' }, x.status),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Recent tasks, newest first; clicking one shows it above. */
export function taskList(tasks: readonly TaskView[], focus: string | null, select: (id: string) => void): HTMLElement {
  if (tasks.length === 0) return h('p', { class: 'muted empty' }, 'No refinements, extractions or answers yet.');
  const title = (t: TaskView): string =>
    t.kind === 'refine'
      ? `refine${t.done ? '' : ' (running)'}`
      : t.kind === 'extraction'
        ? `${t.result.spans.length} entities`
        : (t.result.answer ?? 'no agreement');
  return h(
    'ol',
    { class: 'history' },
    ...tasks.map((t) => {
      const item = h(
        'li',
        { class: `history-item${t.id === focus ? ' focused' : ''}`, attrs: { tabindex: '0', role: 'button' } },
        icon(t.kind === 'refine' ? 'sparkle' : t.kind === 'extraction' ? 'symbol-field' : 'question'),
        h('span', { class: 'history-label' }, title(t)),
        h('span', { class: 'history-text' }, t.kind === 'answer' ? t.result.question : (t.textPreview ?? '')),
      );
      item.addEventListener('click', () => select(t.id));
      item.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') select(t.id);
      });
      return item;
    }),
  );
}
