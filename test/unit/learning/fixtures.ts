/** Small hand-made vote tables for the learning tests. */
import type { Item } from '../../../daemon/learning/aggregators/types';
import { mulberry32 } from '../../../daemon/learning/split';

let next = 0;
export function item(
  votes: Array<string | null | undefined>,
  gold: string | null = null,
  category: string | null = null,
  confidences?: Array<number | undefined>,
): Item {
  return {
    id: `i${String(next++).padStart(5, '0')}`,
    category,
    gold,
    votes,
    confidences: confidences ?? votes.map(() => undefined),
    probabilities: votes.map(() => undefined),
  };
}

export const LABELS = ['A', 'B', 'C', 'D'];

/** Items whose members are right with the given probabilities, else uniformly wrong among LABELS. */
export function synthetic(n: number, accuracy: number[], seed = 1, category: string | null = null): Item[] {
  const rand = mulberry32(seed);
  const pick = (xs: string[]) => xs[Math.floor(rand() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const gold = pick(LABELS);
    const wrong = LABELS.filter((l) => l !== gold);
    return item(
      accuracy.map((p) => (rand() < p ? gold : pick(wrong))),
      gold,
      category,
    );
  });
}
