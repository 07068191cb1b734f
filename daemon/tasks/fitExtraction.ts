/**
 * An extraction reply that always fits the client's frame: the kept spans first (they are the
 * answer), then each member's proposed spans (an equal share each), then the rejected spans, until
 * LIMITS.maxReplyBytes is spent. What does not fit is counted in `dropped`, with `truncated: true`,
 * so the client says the list is cut instead of the connection closing on an oversized frame.
 */
import { LIMITS } from '../../protocol/limits';
import type { ExtractionResult, ExtractionVote } from '../../protocol/tasks';

/** Room for the JSON-RPC envelope around the result and the `truncated`/`dropped` fields. */
const ENVELOPE_BYTES = 1_024;

/** What the span vote already cut (spans.ts), added to what the reply budget cuts here. */
export interface CutBySpanBounds {
  occurrences: number;
  kept: number;
  rejected: number;
}

const bytesOf = (x: unknown) => Buffer.byteLength(JSON.stringify(x)) + 1; // + the comma between items

/** The longest prefix of `items` within `budget` bytes, and the bytes it used. */
function prefixWithin<T>(items: readonly T[], budget: number): { items: T[]; used: number } {
  let used = 0;
  let i = 0;
  for (; i < items.length; i++) {
    const b = bytesOf(items[i]);
    if (used + b > budget) break;
    used += b;
  }
  return { items: i === items.length ? [...items] : items.slice(0, i), used };
}

/** A vote whose proposed spans fit in `budget` bytes; `spansNotShown` counts the rest. */
export function fitVote(vote: ExtractionVote, budget: number): ExtractionVote {
  const { items } = prefixWithin(vote.spans, budget);
  if (items.length === vote.spans.length) return vote;
  return { ...vote, spans: items, spansNotShown: (vote.spansNotShown ?? 0) + vote.spans.length - items.length };
}

export function fitExtraction(result: ExtractionResult, cut: CutBySpanBounds, maxBytes: number = LIMITS.maxReplyBytes): ExtractionResult {
  const skeleton = {
    ...result,
    spans: [],
    rejected: [],
    votes: result.votes.map((v) => ({ ...v, spans: [], spansNotShown: Number.MAX_SAFE_INTEGER })),
  };
  let budget = maxBytes - ENVELOPE_BYTES - bytesOf(skeleton);
  const kept = prefixWithin(result.spans, budget);
  budget -= kept.used;
  const votes = result.votes.map((v, i) => {
    const share = Math.max(0, Math.floor(budget / (result.votes.length - i)));
    const fitted = fitVote(v, share);
    budget -= bytesOf(fitted.spans);
    return fitted;
  });
  const rejected = prefixWithin(result.rejected, budget);
  const dropped = {
    spans: cut.kept + result.spans.length - kept.items.length,
    rejected: cut.rejected + result.rejected.length - rejected.items.length,
    proposed: votes.reduce((n, v) => n + (v.spansNotShown ?? 0), 0),
    occurrences: cut.occurrences,
  };
  const fitted = { ...result, spans: kept.items, rejected: rejected.items, votes };
  return Object.values(dropped).some((n) => n > 0) ? { ...fitted, truncated: true, dropped } : fitted;
}
