/** `feedback/submit` and `answer/feedback`: what a user says was right, for weights and for evaluation. */
import { EnsembleError } from '../../protocol/errors';
import type { FeedbackParams } from '../../protocol/methods';
import { normalizeAnswer } from '../tasks/answerNormalize';
import type { HandlerContext } from './context';

export function handleFeedback(ctx: HandlerContext, params: FeedbackParams): { recorded: boolean; weights: Record<string, number> } {
  const weights = ctx.adaptation.feedback(params.decisionId, params, ctx.live.config);
  ctx.changed({ kind: 'stats', reason: 'feedback' });
  return { recorded: true, weights };
}

/** The right answer to a recorded answer, kept (normalized) as its gold for `ensemble eval`. */
export function handleAnswerFeedback(ctx: HandlerContext, answerId: string, right: string): { recorded: boolean } {
  const gold = normalizeAnswer(right);
  if (gold === null)
    throw new EnsembleError('BadInput', `answer: "${right.slice(0, 100)}" normalizes to nothing (expected a short answer)`);
  const recorded = ctx.store.setAnswerGold(answerId, gold);
  if (recorded) ctx.changed({ kind: 'stats', reason: 'feedback' });
  return { recorded };
}
