/** The words of a classification result, shared by the code lens, the status message and the tests. */
import type { Decision } from '../protocol/ensemble';

/** Members that voted (answered with a label). */
export function votingCount(d: Decision): number {
  return d.votes.filter((v) => v.status === 'ok' && v.label !== null).length;
}

export function agreeingCount(d: Decision): number {
  return d.votes.filter((v) => v.status === 'ok' && v.label !== null && v.label === d.label).length;
}

/** `bug · 0.91 · 3/3 agree` (plus `· partial` / `· early exit` when those apply). */
export function lensTitle(d: Decision): string {
  if (d.label === null) return `no decision · 0/${d.votes.length} voted`;
  const parts = [d.label, d.confidence.toFixed(2), `${agreeingCount(d)}/${votingCount(d)} agree`];
  if (d.partial) parts.push('partial');
  if (d.earlyExit) parts.push('early exit');
  return parts.join(' · ');
}
