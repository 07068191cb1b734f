/**
 * The stored fit (`ensemble fit`), validated when read back from the store: a fit written by an
 * older daemon (no router, no stacking) still loads; a damaged one is reported and left unused.
 */
import { z } from 'zod';
import type { AggregationFit } from '../store/store';
import type { StrategyFit } from '../strategies/fit';

const Probability = z.number().min(0).max(1);
const SparseWeights = z
  .object({ index: z.array(z.number().int().min(0)), value: z.array(z.number().finite()) })
  .refine((w) => w.index.length === w.value.length, 'index and value must have the same length');

export const StoredFit = z
  .object({
    ensemble: z.string(),
    members: z.array(z.string()).min(1),
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
        labels: z.array(z.string()).optional(),
        byCategory: z.record(z.string(), z.array(z.number().finite())).optional(),
      })
      .nullable()
      .optional(),
    router: z
      .object({
        bits: z.number().int().min(4).max(24),
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
    if (f.router && f.router.weights.length !== n)
      ctx.addIssue({ code: 'custom', path: ['router', 'weights'], message: `expected ${n} weight vectors` });
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
