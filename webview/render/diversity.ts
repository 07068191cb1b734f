/**
 * Which members add diversity: a members x members agreement matrix shaded by level (theme colors
 * through CSS classes: the CSP allows no inline styles), every cell's figure written out as text
 * and in its title (error correlation too), and the daemon's plain-words hints above it.
 */
import type { DiversityView } from '../../protocol/methods';
import { h, icon } from '../dom';

export interface DiversityCell {
  text: string;
  /** 0 (members disagree on most items) .. 4 (agree on 95 % or more: one of them adds little); -1 diagonal or no data. */
  level: number;
  title: string;
}

/** Pure: the matrix as rows of cells (tested without a DOM). */
export function diversityCells(view: DiversityView): DiversityCell[][] {
  return view.members.map((a, i) =>
    view.members.map((b, j) => {
      if (i === j) return { text: '—', level: -1, title: a };
      const agree = view.agreement[i]?.[j] ?? null;
      const r = view.errorCorrelation[i]?.[j] ?? null;
      if (agree === null) return { text: 'n/a', level: -1, title: `${a} and ${b} were never asked together` };
      const level = agree >= 0.95 ? 4 : agree >= 0.85 ? 3 : agree >= 0.7 ? 2 : agree >= 0.5 ? 1 : 0;
      const errors = r === null ? 'error correlation unknown (needs feedback)' : `error correlation ${r.toFixed(2)}`;
      return {
        text: `${Math.round(agree * 100)}%`,
        level,
        title: `${a} and ${b} agree on ${Math.round(agree * 100)} % of items; ${errors}`,
      };
    }),
  );
}

export function diversitySection(view: DiversityView | undefined): HTMLElement | null {
  if (!view) return null;
  const cells = diversityCells(view);
  return h(
    'div',
    { class: 'diversity' },
    h('h3', {}, `Diversity of "${view.ensemble}" (${view.items} decisions, ${view.withGold} with feedback)`),
    h('ul', { class: 'diversity-hints' }, ...view.hints.map((t) => h('li', {}, icon('lightbulb'), t))),
    h(
      'table',
      { class: 'diversity-matrix', attrs: { 'aria-label': 'Share of items on which each pair of members agrees' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { attrs: { scope: 'col' } }, 'agrees with'),
          ...view.members.map((m) => h('th', { attrs: { scope: 'col' } }, m)),
        ),
      ),
      h(
        'tbody',
        {},
        ...cells.map((row, i) =>
          h(
            'tr',
            {},
            h('th', { attrs: { scope: 'row' } }, view.members[i]!),
            ...row.map((c) => h('td', { class: `heat heat-${c.level}`, title: c.title }, c.text)),
          ),
        ),
      ),
    ),
  );
}
