/**
 * The one impure orchestrator of a classification: runs the engine's plan (strategies/engine.ts),
 * asking each batch the plan names in parallel until it says stop, enforces per-member timeouts and
 * the whole-request deadline, reports each vote the moment it arrives, and lets the plan decide.
 * `ensemble eval` replays the same plan over recorded votes (`replayPlan`).
 */
import crypto from 'node:crypto';
import type { Decision, StrategyName, Vote } from '../../protocol/ensemble';
import { noneCanServe } from './noneCanServe';
import { EnsembleError } from '../../protocol/errors';
import type { LabelScores } from '../backends/backend';
import type { Pool } from '../pool/pool';
import type { Plan } from '../strategies/engine';
import type { StrategyVote } from '../strategies/types';
import type { ResolvedMember } from '../strategies/members';
import { callMember } from './callMember';
import { linkedAbort } from '../../common/linkedAbort';
import { newRecordId } from '../../common/recordId';

export interface ClassifyContext {
  pool: Pool;
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
  /** The engine's plan for this input: weights, asking rule, decision. */
  plan: Plan;
  memberTimeoutMs: number;
  deadlineMs: number;
}

export type VoteListener = (vote: Vote, done: number, total: number, decisionId: string) => void;

export async function classify(ctx: ClassifyContext, job: ClassifyJob, signal: AbortSignal, onVote: VoteListener): Promise<Decision> {
  const started = performance.now();
  const decisionId = newRecordId();
  const deadline = linkedAbort(signal, job.deadlineMs, () => new EnsembleError('Timeout', `deadline of ${job.deadlineMs} ms reached`));
  const runSignal = deadline.signal;
  const votes: Array<Vote | undefined> = new Array(job.members.length);
  let done = 0;
  let settled = false;
  const record = (i: number, vote: Vote) => {
    votes[i] = vote;
    done++;
    onVote(vote, done, job.members.length, decisionId);
  };

  const asked: StrategyVote[] = [];
  let rounds = 0;
  const byId = new Map(job.members.map((m, i) => [m.member, i]));
  try {
    for (;;) {
      if (runSignal.aborted) break;
      const batch = job.plan.next(asked).filter((id, k, xs) => byId.has(id) && votes[byId.get(id)!] === undefined && xs.indexOf(id) === k);
      if (batch.length === 0) {
        settled = true;
        break;
      }
      rounds++;
      // The whole batch at once: a decision's latency is its rounds' slowest members, not their sum.
      const arrived = await Promise.all(
        batch.map(async (id) => {
          const i = byId.get(id)!;
          const vote = await askMember(ctx, job, job.members[i]!, runSignal);
          record(i, vote);
          return vote;
        }),
      );
      asked.push(...arrived.map(toStrategyVote));
    }
  } finally {
    deadline.dispose();
  }
  if (signal.aborted) throw new EnsembleError('RequestCancelled', 'classification cancelled');

  // Members never asked: skipped when early exit settled the outcome, timed out when the deadline came first.
  const finalVotes = job.members.map((m, i) => votes[i] ?? unaskedVote(m, job.plan.weightOf(m.member), settled));
  const usable = finalVotes.filter((v) => v.status === 'ok');
  const failures = finalVotes.filter((v) => v.status === 'error');
  const none =
    usable.length === 0 && failures.length === finalVotes.length ? noneCanServe(job.ensemble, failures, { votes: finalVotes }) : undefined;
  if (none) throw none;

  const outcome = job.plan.decide(finalVotes.map(toStrategyVote));
  const route = job.plan.route;
  const skipped = finalVotes.filter((v) => v.status === 'skipped').length;
  const partial = finalVotes.some((v) => v.status === 'timeout' || v.status === 'error');
  const notes = [outcome.note];
  if (skipped) notes.push(`early exit skipped ${skipped} member${skipped > 1 ? 's' : ''}`);
  if (deadline.timedOut()) notes.push(`deadline of ${job.deadlineMs} ms reached: decided on the votes that arrived`);
  return {
    id: decisionId,
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
    elapsedMs: Math.round(performance.now() - started),
    createdAt: new Date().toISOString(),
    inputHash: crypto.createHash('sha256').update(job.text).digest('hex'),
    calls: asked.length,
    rounds,
    ...(route
      ? { route: { scores: route.scores, ranked: route.ranked, chosen: asked.map((v) => v.member), threshold: route.threshold } }
      : {}),
  };
}

async function askMember(ctx: ClassifyContext, job: ClassifyJob, m: ResolvedMember, runSignal: AbortSignal): Promise<Vote> {
  const base = { member: m.member, model: m.model, promptStyle: m.promptStyle, weight: job.plan.weightOf(m.member) };
  // Calibrating runs inside the member's call: whatever it throws on a hostile reply becomes this
  // member's error vote, never the whole request's.
  const call = await callMember(ctx.pool, m.model, runSignal, job.memberTimeoutMs, async (b, signal) => {
    const scores = await b.classify(
      { text: job.text, labels: job.labels, instruction: job.instruction, promptStyle: m.promptStyle },
      signal,
    );
    return { scores, calibrated: ctx.calibrate(m.model, scores) };
  });
  if (!call.ok) {
    return {
      ...base,
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
  return {
    ...base,
    status: 'ok',
    label: scores.label,
    confidence: calibrated.confidence === null ? null : clamp01(calibrated.confidence),
    rawConfidence: scores.confidence === null ? null : clamp01(scores.confidence),
    confidenceSource: scores.confidenceSource,
    probabilities: calibrated.probabilities,
    latencyMs: call.latencyMs,
    ...(scores.text ? { text: scores.text.slice(0, 2_000) } : {}),
  };
}

function unaskedVote(m: ResolvedMember, weight: number, settled: boolean): Vote {
  return {
    member: m.member,
    model: m.model,
    promptStyle: m.promptStyle,
    weight,
    status: settled ? 'skipped' : 'timeout',
    ...(settled ? {} : { error: new EnsembleError('Timeout', 'not asked: the request deadline was reached').toInfo() }),
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
