/**
 * Router (a hard mixture of experts): for each category, the member that did best on train answers
 * alone; when it abstains (or has no record), a second, chosen fallback is asked. Calls per item are
 * 1 + the first member's abstention rate: between 1 and 2.
 *
 * For each category with enough train items the (first, fallback) pair with the best train accuracy
 * wins (ties -> fewer calls, then member order); smaller or unseen categories use the pair chosen
 * over all of train.
 */
import type { Aggregator, Item, Predictor } from './types';

export interface Route {
  first: number;
  /** Asked only when `first` abstains; null when no fallback helps. */
  fallback: number | null;
}

const MIN_ITEMS = 30;

function bestRoute(items: readonly Item[], nModels: number): Route {
  let best: Route = { first: 0, fallback: null };
  let bestAcc = -1;
  let bestCalls = Infinity;
  for (let a = 0; a < nModels; a++) {
    for (let b = -1; b < nModels; b++) {
      if (b === a) continue;
      let right = 0;
      let calls = 0;
      for (const it of items) {
        const va = it.votes[a];
        calls += va === undefined ? 0 : 1;
        if (va !== null && va !== undefined) {
          if (va === it.gold) right++;
        } else if (b >= 0) {
          const vb = it.votes[b];
          if (vb !== undefined) calls++;
          if (vb === it.gold) right++;
        }
      }
      const acc = right / Math.max(1, items.length);
      const c = calls / Math.max(1, items.length);
      if (acc > bestAcc + 1e-12 || (Math.abs(acc - bestAcc) <= 1e-12 && c < bestCalls - 1e-12)) {
        best = { first: a, fallback: b >= 0 ? b : null };
        bestAcc = acc;
        bestCalls = c;
      }
    }
  }
  return best;
}

export interface RouterModel extends Predictor {
  routes: Map<string, Route>;
  fallbackRoute: Route;
}

export function fitRouter(train: readonly Item[], nModels: number): RouterModel {
  const labelled = train.filter((it) => it.gold !== null);
  const fallbackRoute = bestRoute(labelled, nModels);
  const byCat = new Map<string, Item[]>();
  for (const it of labelled) {
    const k = it.category ?? '';
    let g = byCat.get(k);
    if (!g) byCat.set(k, (g = []));
    g.push(it);
  }
  const routes = new Map<string, Route>();
  for (const [k, g] of byCat) if (g.length >= MIN_ITEMS) routes.set(k, bestRoute(g, nModels));
  return {
    routes,
    fallbackRoute,
    predict: (item) => {
      const r = routes.get(item.category ?? '') ?? fallbackRoute;
      const va = item.votes[r.first];
      let calls = va === undefined ? 0 : 1;
      if (va !== null && va !== undefined) return { answer: va, calls };
      if (r.fallback === null) return { answer: null, calls };
      const vb = item.votes[r.fallback];
      if (vb !== undefined) calls++;
      return { answer: vb ?? null, calls };
    },
  };
}

export const router: Aggregator = {
  name: 'router',
  description: 'per category, the best member on train answers; a chosen second member only when it abstains',
  learned: true,
  fit: (train, ctx) => fitRouter(train, ctx.models.length),
};
