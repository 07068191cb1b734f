/**
 * Span-level scoring of an extraction against gold entities: an entity counts once per text, by its
 * type and its normalized text (the normalization the span vote uses: case, Unicode, whitespace,
 * punctuation), so "ADA  lovelace" matches a gold "Ada Lovelace". Pure: table-tested.
 */
import { spanKey } from '../../tasks/spans';

export interface TypedText {
  type: string;
  text: string;
}

export interface SpanCounts {
  tp: number;
  fp: number;
  fn: number;
}

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

function keys(spans: readonly TypedText[]): Set<string> {
  const out = new Set<string>();
  for (const s of spans) {
    const text = spanKey(s.text);
    if (text) out.add(`${spanKey(s.type)}\u0000${text}`);
  }
  return out;
}

/** True positives, false positives and false negatives of `predicted` against `gold`, each entity once. */
export function spanCounts(predicted: readonly TypedText[], gold: readonly TypedText[]): SpanCounts {
  const p = keys(predicted);
  const g = keys(gold);
  let tp = 0;
  for (const k of p) if (g.has(k)) tp++;
  return { tp, fp: p.size - tp, fn: g.size - tp };
}

/**
 * Precision, recall and F1 of counts. Nothing predicted makes no false claim (precision 1); nothing
 * to find is all found (recall 1); so an empty prediction on a text without entities scores F1 1.
 */
export function prf(c: SpanCounts): Prf {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

export function addCounts(a: SpanCounts, b: SpanCounts): SpanCounts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn };
}

/** Standard error of the mean of paired differences `a[i] - b[i]` (0 with fewer than two items). */
export function pairedStandardError(a: readonly number[], b: readonly number[]): number {
  const d = a.map((x, i) => x - (b[i] ?? 0));
  const n = d.length;
  if (n < 2) return 0;
  const m = d.reduce((s, v) => s + v, 0) / n;
  return Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1) / n);
}
