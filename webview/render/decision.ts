/** The focused decision (or the request still collecting votes), with feedback buttons. */
import type { RouteInfo } from '../../protocol/ensemble';
import type { FromWebview, DecisionView, PendingDecision } from '../../protocol/webview';
import { fmt, h, icon, ms, quote } from '../dom';
import type { Notice } from '../model';
import { memberTable, updateMemberTable, type MemberSlot } from './members';

export type Post = (m: FromWebview) => void;

function agreeCounts(view: DecisionView): { agree: number; voting: number } {
  const d = view.decision;
  const voting = d.votes.filter((v) => v.status === 'ok' && v.label !== null);
  return { agree: voting.filter((v) => v.label === d.label).length, voting: voting.length };
}

export function decisionView(view: DecisionView, notice: Notice | undefined, post: Post): HTMLElement {
  const d = view.decision;
  const { agree, voting } = agreeCounts(view);
  const badges = [
    d.partial ? h('span', { class: 'badge warn', title: 'some members timed out or failed' }, icon('warning'), 'partial') : null,
    d.earlyExit
      ? h(
          'span',
          { class: 'badge', title: 'early exit skipped members that could not change the outcome' },
          icon('debug-step-over'),
          'early exit',
        )
      : null,
  ];
  const slots: MemberSlot[] = d.votes.map((v) => ({ member: v.member, model: v.model, promptStyle: v.promptStyle, vote: v }));
  return h(
    'section',
    { class: 'decision', data: { decisionId: d.id }, attrs: { 'aria-label': 'decision' } },
    h(
      'div',
      { class: 'summary' },
      h(
        'div',
        { class: 'final' },
        icon(d.label === null ? 'circle-slash' : 'target'),
        h('span', { class: 'final-label' }, d.label ?? 'no decision'),
        h('span', { class: 'final-confidence', title: "the strategy's confidence" }, fmt(d.confidence)),
        h('span', { class: 'agreement', title: `agreement ${fmt(d.agreement)}` }, `${agree}/${voting} agree`),
        ...badges,
      ),
      h(
        'div',
        { class: 'meta' },
        h('span', { class: 'strategy' }, icon('symbol-operator'), d.strategy),
        h('span', {}, icon('organization'), d.ensemble),
        h('span', {}, icon('clock'), ms(d.elapsedMs)),
        h('span', { class: 'muted', title: d.createdAt }, new Date(d.createdAt).toLocaleTimeString()),
      ),
      d.note ? h('p', { class: 'note' }, d.note) : null,
      quote(view.textPreview, 'the classified text'),
    ),
    d.route ? routeView(d.route) : null,
    memberTable(slots, d.labels, d.label),
    feedback(view, notice, post),
  );
}

/** What the router predicted for this input: each member's chance of being right, and whom it asked. */
export function routeView(route: RouteInfo): HTMLElement {
  const chosen = new Set(route.chosen);
  return h(
    'div',
    { class: 'route', attrs: { 'aria-label': 'router' } },
    h(
      'span',
      { class: 'muted', title: `more members are asked when the top score is under ${fmt(route.threshold)}` },
      icon('git-merge'),
      'router: ',
    ),
    ...route.ranked.map((m) =>
      h(
        'span',
        { class: chosen.has(m) ? 'route-member chosen' : 'route-member', title: chosen.has(m) ? 'asked' : 'not asked' },
        `${chosen.has(m) ? '✓ ' : ''}${m} ${fmt(route.scores[m] ?? 0)}`,
      ),
    ),
  );
}

function pendingSlots(p: PendingDecision): MemberSlot[] {
  const byMember = new Map(p.votes.map((v) => [v.member, v]));
  const slots: MemberSlot[] = p.members.map((m) => ({ ...m, vote: byMember.get(m.member) }));
  for (const v of p.votes)
    if (!p.members.some((m) => m.member === v.member))
      slots.push({ member: v.member, model: v.model, promptStyle: v.promptStyle, vote: v });
  return slots;
}

/** What a pending view shows besides its votes: a vote never changes it, so it is not redrawn. */
const pendingFrames = new WeakMap<HTMLElement, string>();
const frameOf = (p: PendingDecision): string => JSON.stringify([p.decisionId, p.ensemble, p.textPreview, p.labels]);
const votesText = (p: PendingDecision): string => `${p.done}/${p.total} votes`;

export function pendingView(p: PendingDecision): HTMLElement {
  const section = h(
    'section',
    { class: 'decision pending', data: { decisionId: p.decisionId }, attrs: { 'aria-label': 'classification in progress' } },
    h(
      'div',
      { class: 'summary' },
      h(
        'div',
        { class: 'final' },
        icon('loading', 'codicon-modifier-spin'),
        h('span', { class: 'final-label' }, 'Classifying…'),
        h('span', { class: 'agreement' }, votesText(p)),
      ),
      p.ensemble ? h('div', { class: 'meta' }, h('span', {}, icon('organization'), p.ensemble)) : null,
      quote(p.textPreview, 'the classified text'),
    ),
    memberTable(pendingSlots(p), p.labels, null),
  );
  pendingFrames.set(section, frameOf(p));
  return section;
}

/**
 * Updates a pending view in place for a new vote: the count, and the rows whose vote changed.
 * False when `section` is not this request's pending view, and the caller draws it anew.
 */
export function updatePendingView(section: HTMLElement, p: PendingDecision): boolean {
  if (pendingFrames.get(section) !== frameOf(p)) return false;
  const count = section.querySelector('.summary .agreement');
  if (!count || !updateMemberTable(section, pendingSlots(p), p.labels, null)) return false;
  count.textContent = votesText(p);
  return true;
}

function feedback(view: DecisionView, notice: Notice | undefined, post: Post): HTMLElement {
  const id = view.decision.id;
  const given = view.feedback;
  const select = h(
    'select',
    { class: 'label-select', attrs: { 'aria-label': 'the right label' } },
    h('option', { attrs: { value: '' } }, 'Pick the right label…'),
  );
  for (const l of view.decision.labels) select.append(h('option', { attrs: { value: l } }, l));
  select.addEventListener('change', () => {
    if (select.value) post({ type: 'feedback', decisionId: id, label: select.value, correct: select.value === view.decision.label });
  });
  const button = (cls: string, ic: string, text: string, correct: boolean) =>
    h(
      'button',
      {
        class: `fb ${cls}${given?.correct === correct ? ' selected' : ''}`,
        on: { click: () => post({ type: 'feedback', decisionId: id, correct }) },
      },
      icon(ic),
      text,
    );
  return h(
    'div',
    { class: 'feedback' },
    h('span', { class: 'muted' }, 'Was this right?'),
    button('right', 'thumbsup', 'Right', true),
    button('wrong', 'thumbsdown', 'Wrong', false),
    select,
    notice ? h('span', { class: `notice ${notice.ok ? 'ok' : 'failed'}` }, icon(notice.ok ? 'check' : 'error'), notice.message) : null,
    given?.label ? h('span', { class: 'muted' }, `marked: ${given.label}`) : null,
  );
}
