/** The member table: one row per member with its vote, confidence, distribution, latency and status. */
import type { Vote } from '../../protocol/ensemble';
import { bar, fmt, h, icon, ms } from '../dom';
import { reconcile, type KeyedList } from './keyed';

const STATUS: Record<Vote['status'] | 'waiting', { icon: string; text: string; spin?: boolean }> = {
  ok: { icon: 'pass', text: 'ok' },
  timeout: { icon: 'watch', text: 'timeout' },
  error: { icon: 'error', text: 'error' },
  skipped: { icon: 'debug-step-over', text: 'skipped (early exit)' },
  waiting: { icon: 'loading', text: 'waiting…', spin: true },
};

export interface MemberSlot {
  member: string;
  model: string;
  promptStyle: string;
  vote?: Vote;
}

function distribution(vote: Vote, labels: readonly string[]): HTMLElement {
  const entries = labels.length ? labels : Object.keys(vote.probabilities);
  if (!entries.length || Object.keys(vote.probabilities).length === 0) return h('span', { class: 'muted' }, 'no distribution');
  return h(
    'div',
    { class: 'dist' },
    ...entries.map((label) => {
      const p = vote.probabilities[label] ?? 0;
      const chosen = label === vote.label;
      return h(
        'div',
        { class: `dist-row${chosen ? ' chosen' : ''}`, title: `${label}: ${fmt(p, 3)}` },
        h('span', { class: 'dist-label' }, label),
        bar(p, 'dist', chosen),
        h('span', { class: 'dist-value' }, fmt(p)),
      );
    }),
  );
}

function row(slot: MemberSlot, labels: readonly string[], finalLabel: string | null): HTMLElement {
  const v = slot.vote;
  const status = STATUS[v?.status ?? 'waiting'];
  const agrees = v?.status === 'ok' && v.label !== null && v.label === finalLabel;
  return h(
    'tr',
    { class: `member-row status-${v?.status ?? 'waiting'}${agrees ? ' agrees' : ''}`, data: { member: slot.member, model: slot.model } },
    h('td', { class: 'member' }, h('span', { class: 'model-name' }, slot.model), h('span', { class: 'prompt-style' }, slot.promptStyle)),
    h(
      'td',
      { class: 'vote' },
      v?.label
        ? h('span', { class: `vote-label chip${agrees ? ' agrees' : ''}` }, v.label)
        : h('span', { class: 'vote-label muted' }, v ? 'no vote' : '…'),
      v ? bar(v.confidence, 'confidence', agrees) : null,
      v
        ? h(
            'div',
            { class: 'confidence' },
            h('span', { class: 'confidence-value', title: 'calibrated confidence' }, fmt(v.confidence)),
            h('span', { class: 'confidence-source', title: 'where the confidence came from' }, v.confidenceSource),
          )
        : null,
    ),
    h('td', { class: 'distribution' }, v ? distribution(v, labels) : null),
    h(
      'td',
      { class: 'status', title: v?.error ? `${v.error.kind}: ${v.error.message}` : status.text },
      h('div', {}, icon(status.icon, status.spin ? 'codicon-modifier-spin' : ''), h('span', { class: 'status-text' }, status.text)),
      v && v.status !== 'skipped' ? h('div', { class: 'latency', title: 'latency' }, ms(v.latencyMs)) : null,
      v?.error ? h('div', { class: 'error-text' }, v.error.message) : null,
    ),
  );
}

/** One row per member, keyed by the member: a new vote rebuilds its member's row and no other. */
function rows(labels: readonly string[], finalLabel: string | null): KeyedList<MemberSlot> {
  return {
    key: (s) => s.member,
    signature: (s) => JSON.stringify([s, labels, finalLabel]),
    build: (s) => row(s, labels, finalLabel),
  };
}

export function memberTable(slots: readonly MemberSlot[], labels: readonly string[], finalLabel: string | null): HTMLElement {
  const body = h('tbody', {});
  reconcile(body, slots, rows(labels, finalLabel));
  const table = h(
    'table',
    { class: 'members' },
    h(
      'thead',
      {},
      h('tr', {}, ...['Member', 'Vote · confidence', 'Distribution', 'Status'].map((t) => h('th', { attrs: { scope: 'col' } }, t))),
    ),
    body,
  );
  return h('div', { class: 'table-scroll' }, table);
}

/** Brings the member table inside `root` up to date; false when there is none to update. */
export function updateMemberTable(
  root: HTMLElement,
  slots: readonly MemberSlot[],
  labels: readonly string[],
  finalLabel: string | null,
): boolean {
  const body = root.querySelector('table.members > tbody');
  if (!body) return false;
  reconcile(body, slots, rows(labels, finalLabel));
  return true;
}
