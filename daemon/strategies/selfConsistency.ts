/**
 * Self-consistency as a confidence (SLM-MUX): a member samples several answers; its confidence is
 * the share of its samples that agree with its own majority, after normalization (lower case,
 * punctuation and spaces collapsed), so members without logprobs have a confidence too. mux picks
 * the most self-consistent member; ties go to the higher validation accuracy (feedback on its
 * recorded answers; a member without any ranks below one with some), then to listed order.
 */
export interface Consistency {
  /** Index of the first sample of the majority (the answer the member stands for); -1 without samples. */
  representative: number;
  share: number;
}

export function normalizeSample(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The majority among samples (ties: the form seen first) and the share that agrees with it; blank samples never agree. */
export function consistencyOf(samples: readonly string[]): Consistency {
  if (samples.length === 0) return { representative: -1, share: 0 };
  const groups = new Map<string, { first: number; count: number }>();
  samples.forEach((s, i) => {
    const key = normalizeSample(s);
    if (!key) return;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { first: i, count: 1 });
  });
  let best: { first: number; count: number } | undefined;
  for (const g of groups.values()) if (!best || g.count > best.count) best = g;
  return best ? { representative: best.first, share: best.count / samples.length } : { representative: -1, share: 0 };
}

export interface MuxCandidate {
  member: string;
  consistency: number;
  accuracy: number | null;
}

/** The most self-consistent candidate; ties by accuracy (null lowest), then the earlier one. */
export function muxPick(candidates: readonly MuxCandidate[]): string | null {
  let best: MuxCandidate | undefined;
  for (const c of candidates) {
    if (!best) best = c;
    else if (c.consistency > best.consistency + 1e-12) best = c;
    else if (Math.abs(c.consistency - best.consistency) <= 1e-12 && (c.accuracy ?? -1) > (best.accuracy ?? -1)) best = c;
  }
  return best?.member ?? null;
}
