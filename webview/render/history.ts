/** Recent decisions, newest first; clicking one shows it above. */
import type { DecisionView } from '../../protocol/webview';
import { fmt, h, icon } from '../dom';

export function historyList(views: readonly DecisionView[], focus: string | null, select: (id: string) => void): HTMLElement {
  if (views.length === 0) return h('p', { class: 'muted empty' }, 'No decisions yet.');
  return h(
    'ol',
    { class: 'history' },
    ...views.map((v) => {
      const d = v.decision;
      const item = h(
        'li',
        { class: `history-item${d.id === focus ? ' focused' : ''}`, data: { decisionId: d.id }, attrs: { tabindex: '0', role: 'button' } },
        icon(d.partial ? 'warning' : 'target'),
        h('span', { class: 'history-label' }, d.label ?? 'no decision'),
        h('span', { class: 'history-confidence' }, fmt(d.confidence)),
        h('span', { class: 'muted' }, `${d.strategy} · ${d.ensemble}`),
        h('span', { class: 'history-text' }, v.textPreview ?? ''),
        h('span', { class: 'muted history-time', title: d.createdAt }, new Date(d.createdAt).toLocaleTimeString()),
      );
      item.addEventListener('click', () => select(d.id));
      item.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') select(d.id);
      });
      return item;
    }),
  );
}
