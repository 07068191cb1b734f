/** `ensemble/answer`: short answers voted through the engine, recorded with their gold when given. */
import type { StrategyName } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { ProgressValue } from '../../protocol/methods';
import type { AnswerParams, AnswerResult } from '../../protocol/tasks';
import { answer } from '../ensemble/answer';
import { FITTED_STRATEGIES } from '../strategies/engine';
import { normalizeAnswer } from '../tasks/answerNormalize';
import type { HandlerContext } from './context';
import { recordTask } from './records';

export async function handleAnswer(
  ctx: HandlerContext,
  params: AnswerParams,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
): Promise<AnswerResult> {
  const { name, spec, members: listed } = ctx.live.ensemble(params.ensemble);
  const members = ctx.pool.laggards.applyPolicy(listed); // as in classify
  // Free answers are an open set of labels: the fitted strategies (learned, stacking, routed) were
  // fitted on label votes, so answers vote by calibrated, feedback-weighted confidence instead.
  const requested: StrategyName = params.strategy ?? spec.strategy;
  const strategy: StrategyName = FITTED_STRATEGIES.has(requested) ? 'weighted' : requested;
  const gold = params.gold === undefined ? null : normalizeAnswer(params.gold, { options: params.options });
  if (params.gold !== undefined && gold === null)
    throw new EnsembleError('BadInput', `gold: "${params.gold.slice(0, 100)}" normalizes to nothing (expected a short answer)`);
  const config = ctx.live.config;
  const result = await answer(
    {
      pool: ctx.pool,
      weightOf: (m) => ctx.adaptation.memberWeight(m, config),
      calibrate: (model, scores) => ctx.adaptation.calibrate(model, scores),
    },
    {
      ensemble: name,
      members,
      question: params.question,
      options: params.options,
      strategy,
      quorum: params.quorum ?? spec.quorum,
      memberTimeoutMs: spec.memberTimeoutMs,
      deadlineMs: params.deadlineMs ?? spec.deadlineMs,
      earlyExit: spec.earlyExit,
    },
    signal,
    (vote, done, total, answerId) => progress({ kind: 'answerVote', answerId, vote, done, total }),
  );
  recordTask(ctx, { task: 'answer', result, gold }, params);
  ctx.changed({ kind: 'stats', reason: 'answer' });
  return result;
}
