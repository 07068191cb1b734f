/**
 * The stored fit (`ensemble fit`), validated when read back from the store: a fit written by an
 * older daemon (no router, no stacking) still loads; a damaged one is reported and left unused.
 * Every part has a bounded size: the stacking weights have exactly the dimension their features
 * give (stackingDim), the router's sparse vectors at most one weight per hashed bucket.
 */
import { z } from 'zod';
import type { AggregationFit } from '../store/store';
import type { StrategyFit } from '../strategies/fit';
import { MAX_LABEL_FEATURES, STACKING_EXTRAS, stackingDim } from '../strategies/stackingFeatures';

/** More members than an ensemble is allowed to have in config.json is damage, not a fit. */
const MAX_MEMBERS = 256;
/** Categories are the user's own strings; a fit keeps at most this many. */
const MAX_CATEGORIES = 1_000;
const MAX_BITS = 20;

const Probability = z.number().min(0).max(1);
const SparseWeights = z
  .object({ index: z.array(z.number().int().min(0)).max(2 ** MAX_BITS), value: z.array(z.number().finite()).max(2 ** MAX_BITS) })
  .refine((w) => w.index.length === w.value.length, 'index and value must have the same length');

export const StoredFit = z
  .object({
    ensemble: z.string(),
    members: z.array(z.string()).min(1).max(MAX_MEMBERS),
    global: z.array(Probability),
    byCategory: z.record(z.string(), z.array(Probability)),
    n: z.number().int().min(0),
    fittedAt: z.string(),
    labelCount: z.number().int().min(2).optional(),
    stacking: z
      .object({
        lambda: z.number().positive(),
        weights: z.array(z.number().finite()),
        usesRouter: z.boolean(),
        labels: z.array(z.string()).max(MAX_LABEL_FEATURES).optional(),
        byCategory: z.record(z.string(), z.array(z.number().finite())).optional(),
        extras: z.array(z.enum(STACKING_EXTRAS)).max(STACKING_EXTRAS.length).optional(),
      })
      .nullable()
      .optional(),
    router: z
      .object({
        bits: z.number().int().min(4).max(MAX_BITS),
        weights: z.array(SparseWeights),
        threshold: Probability,
        fallback: z.number().int().min(0).max(64),
      })
      .nullable()
      .optional(),
  })
  .superRefine((f, ctx) => {
    const n = f.members.length;
    if (f.global.length !== n) ctx.addIssue({ code: 'custom', path: ['global'], message: `expected ${n} reliabilities, one per member` });
    for (const [c, r] of Object.entries(f.byCategory))
      if (r.length !== n) ctx.addIssue({ code: 'custom', path: ['byCategory', c], message: `expected ${n} reliabilities` });
    if (Object.keys(f.byCategory).length > MAX_CATEGORIES)
      ctx.addIssue({ code: 'custom', path: ['byCategory'], message: `at most ${MAX_CATEGORIES} categories` });
    if (f.router) {
      const buckets = 2 ** f.router.bits;
      if (f.router.weights.length !== n)
        ctx.addIssue({ code: 'custom', path: ['router', 'weights'], message: `expected ${n} weight vectors` });
      f.router.weights.forEach((w, m) => {
        if (w.index.length > buckets || w.index.some((i) => i >= buckets))
          ctx.addIssue({
            code: 'custom',
            path: ['router', 'weights', m],
            message: `expected at most ${buckets} buckets, each below ${buckets}`,
          });
      });
    }
    const s = f.stacking;
    if (s) {
      const dim = stackingDim(n, s.usesRouter, s.labels ?? null, s.extras ?? []);
      if (s.weights.length !== dim)
        ctx.addIssue({
          code: 'custom',
          path: ['stacking', 'weights'],
          message: `expected ${dim} weights for ${n} members, got ${s.weights.length}`,
        });
      for (const [c, w] of Object.entries(s.byCategory ?? {}))
        if (w.length !== dim) ctx.addIssue({ code: 'custom', path: ['stacking', 'byCategory', c], message: `expected ${dim} weights` });
      if (Object.keys(s.byCategory ?? {}).length > MAX_CATEGORIES)
        ctx.addIssue({ code: 'custom', path: ['stacking', 'byCategory'], message: `at most ${MAX_CATEGORIES} categories` });
      if (s.usesRouter && !f.router)
        ctx.addIssue({ code: 'custom', path: ['stacking', 'usesRouter'], message: 'stacking reads the router, and the fit has none' });
    }
  });

/** A stored fit as the engine's StrategyFit, or the reason it cannot be used. */
export function parseStoredFit(raw: unknown): { ok: true; fit: AggregationFit; strategy: StrategyFit } | { ok: false; error: string } {
  const r = StoredFit.safeParse(raw);
  if (!r.success) return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  const f = r.data;
  return {
    ok: true,
    fit: f,
    strategy: {
      members: f.members,
      labelCount: f.labelCount ?? 2,
      global: f.global,
      byCategory: f.byCategory,
      stacking: f.stacking ?? null,
      router: f.router ?? null,
    },
  };
}
