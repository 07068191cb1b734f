/**
 * Tasks other than classification: refinement chains (refine.ts), extractions (kept spans with
 * their agreement) and voted answers. All text goes in through `h` (textContent), never as HTML.
 */
import type { AnswerView, ExtractionView, TaskView } from '../../protocol/taskViews';
import { fmt, h, icon, ms, quote } from '../dom';
import { refineView, updateRefineView } from './refine';
import { generationView } from './generation';

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

/** Updates a task's view in place when it can (a refinement whose steps moved on); false when the caller must draw it anew. */
export function updateTaskView(section: HTMLElement, task: TaskView): boolean {
  return task.kind === 'refine' && updateRefineView(section, task);
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
