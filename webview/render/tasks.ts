/**
 * Refinement chains (step by step, growing as tokens stream), extractions (kept spans with their
 * agreement) and voted answers. All text goes in through `h` (textContent), never as HTML.
 */
import type { AnswerView, ExtractionView, RefineStepView, RefineView, TaskView } from '../../protocol/taskViews';
import { fmt, h, icon, ms } from '../dom';
import { generationView } from './generation';

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
    case 'generation':
      return generationView(task);
  }
}

function refineView(v: RefineView): HTMLElement {
  const waiting = v.done ? 0 : Math.max(0, v.total - v.steps.length);
  return h(
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
        h('span', { class: 'agreement' }, `${v.steps.filter((s) => s.status !== 'streaming').length}/${v.total} steps`),
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
    h(
      'ol',
      { class: 'chain' },
      ...v.steps.map((s) =>
        h(
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
        ),
      ),
      ...Array.from({ length: waiting }, () =>
        h('li', { class: 'chain-step status-waiting muted' }, icon('circle-large-outline'), 'waiting'),
      ),
    ),
  );
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
        : t.kind === 'generation'
          ? `${t.result.strategy} (${t.result.panel.length} members)`
          : (t.result.answer ?? 'no agreement');
  const text = (t: TaskView): string =>
    t.kind === 'answer' ? t.result.question : t.kind === 'generation' ? t.result.prompt.slice(0, 400) : (t.textPreview ?? '');
  const iconOf = (t: TaskView): string =>
    ({ refine: 'sparkle', extraction: 'symbol-field', answer: 'question', generation: 'split-horizontal' })[t.kind];
  return h(
    'ol',
    { class: 'history' },
    ...tasks.map((t) => {
      const item = h(
        'li',
        { class: `history-item${t.id === focus ? ' focused' : ''}`, attrs: { tabindex: '0', role: 'button' } },
        icon(iconOf(t)),
        h('span', { class: 'history-label' }, title(t)),
        h('span', { class: 'history-text' }, text(t)),
      );
      item.addEventListener('click', () => select(t.id));
      item.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') select(t.id);
      });
      return item;
    }),
  );
}
