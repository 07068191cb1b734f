/** Strategies: pure functions from votes (in member order) to an outcome. */
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
