/** Strategies: pure functions from votes (in member order) to an outcome. */
import type { StrategyName } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import { earlyExitOutcome } from './earlyExit';
import { majority } from './majority';
import type { EarlyExitSettingsLike, Outcome, StrategyVote } from './types';
import { weighted } from './weighted';

export type { EarlyExitSettingsLike, Outcome, StrategyVote } from './types';
export { majority } from './majority';
export { weighted, weightedMass, memberDistribution } from './weighted';
export type { WeightedMass } from './weighted';
export { settle, earlyExitOutcome } from './earlyExit';
export type { EarlyExitBase, EarlyExitOutcome, EarlyExitReason, RemainingMember, Settlement } from './earlyExit';
export { windowWeights, priorAccuracy, DEFAULT_MAX_WEIGHT, DEFAULT_PRIOR_STRENGTH } from './recalibration';
export type { FeedbackEntry, ModelPrior, RecalibrationOptions, WindowWeight } from './recalibration';
export { contributions } from './contribution';
export type { Contribution, RecordedDecision, RecordedVote } from './contribution';
export { TIE_TOLERANCE, isVoting, votingMembers } from './tally';
export { planFor, replayPlan, FITTED_STRATEGIES } from './engine';
export type { Plan, PlanInput, Replayed, RouteView } from './engine';
export type { StrategyFit, RouterFit, StackingFit, SparseWeights } from './fit';

/**
 * The outcome of `votes` under a strategy that needs no fitted parameters (majority, weighted,
 * earlyExit): the engine's decision for them, over votes already collected. `earlyExit` combines by
 * majority over the votes that arrived (skipped members do not vote); pass `earlyExit` settings to
 * also get the reason in the note. The fitted strategies (learned, stacking, routed) decide through
 * their plan (`planFor`), which carries the fit.
 */
export function combine(
  strategy: StrategyName,
  votes: readonly StrategyVote[],
  labels: readonly string[],
  options: { earlyExit?: EarlyExitSettingsLike } = {},
): Outcome {
  switch (strategy) {
    case 'majority':
      return majority(votes, labels);
    case 'weighted':
      return weighted(votes, labels);
    case 'earlyExit':
      return earlyExitOutcome(votes, labels, options.earlyExit, 'majority');
    case 'learned':
    case 'stacking':
    case 'routed':
      throw new EnsembleError(
        'BadInput',
        `strategy "${strategy}" needs its fitted parameters: decide through planFor (strategies/engine.ts)`,
      );
    default: {
      const unknown: never = strategy;
      throw new Error(`unknown strategy: ${String(unknown)}`);
    }
  }
}
