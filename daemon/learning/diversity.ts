/**
 * How differently the members err. An ensemble helps when members are individually decent and their
 * errors are not the same errors.
 *
 * - Error correlation: the phi coefficient (Pearson correlation of two 0/1 variables) of the
 *   per-item error indicators (wrong or abstained = 1) over items both members were asked and that
 *   have gold. 1 on the diagonal; null when undefined (a member always right or always wrong there).
 * - Disagreement rate: share of items, both members asked, where their answers differ (an abstention
 *   differs from any label; two abstentions agree).
 */
import type { Item } from './aggregators/types';

export interface Diversity {
  models: string[];
  errorCorrelation: Array<Array<number | null>>;
  disagreement: number[][];
  /** Items behind each pair's numbers (error correlation: those with gold). */
  pairItems: number[][];
}

export function phi(a: readonly boolean[], b: readonly boolean[]): number | null {
  let n11 = 0;
  let n10 = 0;
  let n01 = 0;
  let n00 = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) {
      if (b[i]) n11++;
      else n10++;
    } else if (b[i]) n01++;
    else n00++;
  }
  const den = Math.sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00));
  return den === 0 ? null : (n11 * n00 - n10 * n01) / den;
}

export function diversity(items: readonly Item[], models: readonly string[]): Diversity {
  const M = models.length;
  const errorCorrelation: Array<Array<number | null>> = [];
  const disagreement: number[][] = [];
  const pairItems: number[][] = [];
  for (let i = 0; i < M; i++) {
    errorCorrelation.push(new Array(M).fill(null));
    disagreement.push(new Array(M).fill(0));
    pairItems.push(new Array(M).fill(0));
  }
  for (let i = 0; i < M; i++) {
    for (let j = i; j < M; j++) {
      const ei: boolean[] = [];
      const ej: boolean[] = [];
      let both = 0;
      let differ = 0;
      for (const it of items) {
        const a = it.votes[i];
        const b = it.votes[j];
        if (a === undefined || b === undefined) continue;
        both++;
        if (a !== b) differ++;
        if (it.gold !== null) {
          ei.push(a !== it.gold);
          ej.push(b !== it.gold);
        }
      }
      const r = i === j ? (ei.length > 0 ? 1 : null) : phi(ei, ej);
      errorCorrelation[i]![j] = errorCorrelation[j]![i] = r;
      disagreement[i]![j] = disagreement[j]![i] = both === 0 ? 0 : differ / both;
      pairItems[i]![j] = pairItems[j]![i] = ei.length;
    }
  }
  return { models: [...models], errorCorrelation, disagreement, pairItems };
}
