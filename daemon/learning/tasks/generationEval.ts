/**
 * `ensemble eval` over recorded generations (ensemble/generate with a gold answer): judge-free
 * scores of each strategy's answer and of each member's own answer, and firstSuccess replayed over
 * the panels where every member answered (compare, fusion), so a user can see on their own prompts
 * whether a judge or a fallback chain beats the best single member, and at what cost in calls.
 *
 * Scores (docs/generation.md): `exact`, the share of items whose answer equals the gold after
 * normalization (lower case, punctuation and articles dropped, spaces collapsed), for short
 * answers; `similarity`, the mean token F1 between answer and gold (SQuAD's measure: overlap of
 * the normalized word multisets), for prose.
 */
import type { GenerationResult } from '../../../protocol/generation';
import { generationPlanFor, replayGeneration, toAsked } from '../../strategies/generationPlan';

export interface GenerationRecord {
  result: GenerationResult;
  gold: string | null;
}

export interface GenerationScoreRow {
  /** A strategy as run live, `firstSuccess (replayed)`, or `member <id>`. */
  name: string;
  items: number;
  exact: number;
  similarity: number;
  /** Mean model calls per item. */
  calls: number;
}

export interface GenerationReport {
  withGold: number;
  rows: GenerationScoreRow[];
}

export function normalizeText(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w && w !== 'a' && w !== 'an' && w !== 'the');
}

/** Token F1 between two texts (0 when either is empty after normalization, 1 when both are). */
export function tokenF1(answer: string, gold: string): number {
  const a = normalizeText(answer);
  const g = normalizeText(gold);
  if (a.length === 0 || g.length === 0) return a.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of g) counts.set(w, (counts.get(w) ?? 0) + 1);
  let overlap = 0;
  for (const w of a) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      overlap++;
      counts.set(w, n - 1);
    }
  }
  if (overlap === 0) return 0;
  const precision = overlap / a.length;
  const recall = overlap / g.length;
  return (2 * precision * recall) / (precision + recall);
}

export function exactMatch(answer: string, gold: string): boolean {
  return normalizeText(answer).join(' ') === normalizeText(gold).join(' ');
}

export function evaluateGenerations(records: readonly GenerationRecord[]): GenerationReport | null {
  const labelled = records.filter((r): r is GenerationRecord & { gold: string } => r.gold !== null);
  if (labelled.length === 0) return null;
  const rows = new Map<string, { items: number; exact: number; similarity: number; calls: number }>();
  const add = (name: string, text: string, gold: string, calls: number) => {
    const row = rows.get(name) ?? { items: 0, exact: 0, similarity: 0, calls: 0 };
    row.items++;
    row.exact += exactMatch(text, gold) ? 1 : 0;
    row.similarity += tokenF1(text, gold);
    row.calls += calls;
    rows.set(name, row);
  };
  for (const { result, gold } of labelled) {
    // compare synthesizes nothing: its members are scored one by one below.
    if (result.strategy !== 'compare') add(result.strategy, result.text, gold, result.calls);
    const everyoneAsked = result.strategy === 'compare' || result.strategy === 'fusion';
    if (!everyoneAsked) continue;
    for (const a of result.panel) add(`member ${a.member}`, a.status === 'ok' ? a.text : '', gold, 1);
    const listed = result.panel.map((a) => a.member);
    const byMember = new Map(result.panel.map((a) => [a.member, toAsked(a)]));
    const replayed = replayGeneration(generationPlanFor('firstSuccess', listed, 1), listed, (m) => byMember.get(m)!);
    const picked = result.panel.find((a) => a.member === replayed.picked);
    add('firstSuccess (replayed, in order)', picked?.text ?? '', gold, replayed.calls);
  }
  return {
    withGold: labelled.length,
    rows: [...rows.entries()].map(([name, r]) => ({
      name,
      items: r.items,
      exact: r.exact / r.items,
      similarity: r.similarity / r.items,
      calls: r.calls / r.items,
    })),
  };
}
