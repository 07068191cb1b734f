/**
 * The diversity view the daemon shows in `pool/status` (inspector pool view): an ensemble's recent
 * recorded decisions (live requests and `ensemble record` runs) with the gold labels feedback gave
 * them, read through diversityHints. Bounded: at most `limit` decisions.
 */
import type { DiversityView } from '../../protocol/methods';
import type { Store } from '../store/store';
import { itemsFromDecisions, summarizeDiversity } from './diversityHints';

export function liveDiversity(
  store: Pick<Store, 'recentDecisions' | 'decisionsWithGold'>,
  ensemble: string,
  members: readonly string[],
  limit = 300,
): DiversityView | undefined {
  if (members.length < 2) return undefined;
  const gold = new Map(store.decisionsWithGold(limit).map((d) => [d.decision.id, d.gold]));
  const decisions = store.recentDecisions(limit).filter((d) => d.ensemble === ensemble);
  if (decisions.length === 0) return undefined;
  const items = itemsFromDecisions(
    decisions.map((decision) => ({ decision, gold: gold.get(decision.id) ?? null })),
    members,
  );
  const s = summarizeDiversity(items, members);
  return {
    ensemble,
    members: s.members,
    items: s.items,
    withGold: s.withGold,
    agreement: s.agreement,
    errorCorrelation: s.errorCorrelation,
    hints: s.hints,
  };
}
