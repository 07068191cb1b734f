/**
 * What strategies see of a vote and what they return. Strategies are pure functions over votes
 * (no I/O, no clock, no randomness) so that a recorded decision can be recomputed exactly.
 */
import type { VoteStatus } from '../../protocol/ensemble';

/** The part of a protocol `Vote` a strategy needs; votes are always passed in member order. */
export interface StrategyVote {
  member: string;
  label: string | null;
  probabilities: Record<string, number>;
  confidence: number | null;
  weight: number;
  status: VoteStatus;
}

export interface Outcome {
  /** Null when no usable vote. */
  label: string | null;
  /** In [0, 1]; each strategy documents what it means. */
  confidence: number;
  /** Share of voting members that chose `label`; 0 when none voted. */
  agreement: number;
  /** Per label (every label of the set): vote share (majority) or weighted probability mass (weighted); sums to 1 when any, all 0 otherwise. */
  support: Record<string, number>;
  /** The winner was chosen by the tie rule. */
  tie: boolean;
  /** Members that voted. */
  voters: number;
  /** Short human summary, e.g. "2 of 3 agree; 1 timed out". */
  note: string;
}

export interface EarlyExitSettingsLike {
  agreeK: number;
  threshold: number;
}
