/** `ensemble/generate`: compare, fusion, firstSuccess, mux or refine over the ensemble's members (docs/generation.md). */
import type { GenerateParams, GenerationResult, GenerationStrategy } from '../../protocol/generation';
import type { ProgressValue } from '../../protocol/methods';
import { runGeneration } from '../ensemble/generationRequest';
import type { HandlerContext } from './context';
import { recordTask } from './records';
import { handleRefine } from './refine';

export async function handleGenerate(
  ctx: HandlerContext,
  params: GenerateParams,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
): Promise<GenerationResult> {
  const target = ctx.live.ensemble(params.ensemble);
  const deps = {
    pool: ctx.pool,
    models: ctx.live.config.models,
    // `refine` as a generation strategy is the refinement chain, run as ensemble/refine runs it.
    refine: handleRefine.bind(null, ctx),
    accuracyOf: (model: string) => ctx.adaptation.feedbackStats(model).recentAccuracy,
  };
  const result = await runGeneration(deps, target, params, signal, progress);
  recordTask(ctx, { task: 'generate', result, gold: params.gold ?? null }, params);
  return result;
}

/** The generation strategy the ensemble's config names, if any (the gateway's bare ensemble name runs it). */
export function generationStrategyOf(ctx: HandlerContext, ensemble: string | undefined): GenerationStrategy | undefined {
  return ctx.live.ensemble(ensemble).spec.generation?.strategy;
}
