/**
 * A classification: the run loop (runLoop.ts) asks the batches the engine's plan names
 * (strategies/engine.ts) until it says stop, under per-member timeouts and the request deadline;
 * this file supplies the request to a member, the reading of its scores, and the plan's decision.
 * `ensemble eval` replays the same plan over recorded votes (`replayPlan`).
 */
import crypto from 'node:crypto';
import type { Decision, StrategyName, Vote } from '../../protocol/ensemble';
import type { LabelScores } from '../backends/backend';
import type { MemberCaller } from './memberCaller';
import type { Plan } from '../strategies/engine';
import type { StrategyVote } from '../strategies/types';
import type { ResolvedMember } from '../strategies/members';
import { callMember } from './callMember';
import { runMembers, type NotAsked } from './runLoop';
import { sampleLabels } from './selfConsistentLabel';
import { isoNow } from '../../common/isoNow';

/** The engine's plan for one input, carrying what was learned of each model's confidence. */
export interface ClassifyPlan extends Plan {
  /** Calibrated confidence and distribution for a model's raw scores. */
  calibrate(model: string, scores: LabelScores): { confidence: number | null; probabilities: Record<string, number> };
}

export interface ClassifyJob {
  ensemble: string;
  members: ResolvedMember[];
  text: string;
  labels: string[];
  instruction?: string;
  strategy: StrategyName;
  /** The engine's plan for this input: weights, asking rule, decision, calibration. */
  plan: ClassifyPlan;
  memberTimeoutMs: number;
  deadlineMs: number;
}

export type VoteListener = (vote: Vote, done: number, total: number, decisionId: string) => void;

export async function classify(pool: MemberCaller, job: ClassifyJob, signal: AbortSignal, onVote: VoteListener): Promise<Decision> {
  const run = await runMembers<Vote>(
    {
      ensemble: job.ensemble,
      members: job.members,
      deadlineMs: job.deadlineMs,
      noun: 'classification',
      next: (asked) => job.plan.next(asked.map(toStrategyVote)),
      ask: (m, { signal: runSignal }) => askMember(pool, job, m, runSignal),
      onOutcome: onVote,
      // Members never asked: skipped when early exit settled the outcome, timed out when the deadline came first.
      unasked: (m, why) => unaskedVote(m, job.plan.weightOf(m.member), why),
      noneCanServeData: (votes) => ({ votes }),
    },
    signal,
  );
  const finalVotes = run.outcomes;
  const outcome = job.plan.decide(finalVotes.map(toStrategyVote));
  const route = job.plan.route;
  const skipped = finalVotes.filter((v) => v.status === 'skipped').length;
  const partial = finalVotes.some((v) => v.status === 'timeout' || v.status === 'error');
  const notes = [outcome.note];
  if (skipped) notes.push(`early exit skipped ${skipped} member${skipped > 1 ? 's' : ''}`);
  if (run.timedOut) notes.push(`deadline of ${job.deadlineMs} ms reached: decided on the votes that arrived`);
  // Literals with every field, optional ones assigned after: a conditional spread builds the object
  // property by property (the vote literal with one was 4% of the daemon's CPU under load).
  const decision: Decision = {
    id: run.id,
    ensemble: job.ensemble,
    strategy: job.strategy,
    labels: job.labels,
    label: outcome.label,
    confidence: clamp01(outcome.confidence),
    agreement: clamp01(outcome.agreement),
    votes: finalVotes,
    partial,
    earlyExit: skipped > 0,
    note: notes.filter(Boolean).join('; '),
    elapsedMs: run.elapsedMs(),
    createdAt: isoNow(),
    inputHash: crypto.hash('sha256', job.text, 'hex'),
    calls: run.asked.length,
    rounds: run.rounds,
  };
  if (route)
    decision.route = { scores: route.scores, ranked: route.ranked, chosen: run.asked.map((v) => v.member), threshold: route.threshold };
  return decision;
}

async function askMember(pool: MemberCaller, job: ClassifyJob, m: ResolvedMember, runSignal: AbortSignal): Promise<Vote> {
  const weight = job.plan.weightOf(m.member);
  // Calibrating runs inside the member's call: whatever it throws on a hostile reply becomes this
  // member's error vote, never the whole request's.
  const call = await callMember(pool, m.model, runSignal, job.memberTimeoutMs, async (b, signal) => {
    const req = { text: job.text, labels: job.labels, instruction: job.instruction, promptStyle: m.promptStyle };
    const scores = m.selfConsistency
      ? await sampleLabels((r) => b.classify(r, signal), req, m.selfConsistency)
      : await b.classify(req, signal);
    return { scores, calibrated: job.plan.calibrate(m.model, scores) };
  });
  if (!call.ok) {
    return {
      member: m.member,
      model: m.model,
      promptStyle: m.promptStyle,
      weight,
      status: call.status,
      label: null,
      confidence: null,
      rawConfidence: null,
      confidenceSource: 'none',
      probabilities: {},
      latencyMs: call.latencyMs,
      error: call.error,
    };
  }
  const { scores, calibrated } = call.value;
  const vote: Vote = {
    member: m.member,
    model: m.model,
    promptStyle: m.promptStyle,
    weight,
    status: 'ok',
    label: scores.label,
    confidence: calibrated.confidence === null ? null : clamp01(calibrated.confidence),
    rawConfidence: scores.confidence === null ? null : clamp01(scores.confidence),
    confidenceSource: scores.confidenceSource,
    probabilities: calibrated.probabilities,
    latencyMs: call.latencyMs,
  };
  if (scores.text) vote.text = scores.text.slice(0, 2_000);
  return vote;
}

function unaskedVote(m: ResolvedMember, weight: number, why: NotAsked): Vote {
  return {
    member: m.member,
    model: m.model,
    promptStyle: m.promptStyle,
    weight,
    ...why,
    label: null,
    confidence: null,
    rawConfidence: null,
    confidenceSource: 'none',
    probabilities: {},
    latencyMs: 0,
  };
}

export function toStrategyVote(v: Vote): StrategyVote {
  return { member: v.member, label: v.label, probabilities: v.probabilities, confidence: v.confidence, weight: v.weight, status: v.status };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
