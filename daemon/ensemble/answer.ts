/**
 * Short factual answers by vote: each member answers (JSON {answer, confidence} where the backend
 * can be constrained, plain text otherwise), answers are normalized (daemon/tasks/answerNormalize.ts)
 * and the normalized answers are voted as labels through the engine's plan (strategies/engine.ts),
 * as classifications are: majority, weighted by calibrated confidence, or speculative early exit
 * (the engine's asking rule: a batch at once, more only while the rest could change the outcome).
 * An answer no quorum supports is "no agreement", never forced.
 */
import { z } from 'zod';
import type { StrategyName } from '../../protocol/ensemble';
import type { AnswerResult, AnswerVote } from '../../protocol/tasks';
import type { LabelScores } from '../backends/backend';
import type { MemberCaller } from './memberCaller';
import { planFor, type Plan } from '../strategies/engine';
import type { StrategyVote } from '../strategies/types';
import { runMembers, type NotAsked } from './runLoop';
import { normalizeAnswer } from '../tasks/answerNormalize';
import { parseMemberJson } from '../tasks/memberJson';
import { neededVotes } from '../tasks/spans';
import { callMember } from './callMember';
import type { ResolvedMember } from '../strategies/members';
import { trimEndChars } from '../../common/trimChars';
import { isoNow } from '../../common/isoNow';

export interface AnswerContext {
  pool: MemberCaller;
  weightOf(member: ResolvedMember): number;
  calibrate(model: string, scores: LabelScores): { confidence: number | null };
}

export interface AnswerJob {
  ensemble: string;
  members: ResolvedMember[];
  question: string;
  options?: string[];
  strategy: StrategyName;
  quorum?: number;
  memberTimeoutMs: number;
  deadlineMs: number;
  earlyExit: { agreeK: number; threshold: number };
}

const SYSTEM =
  'Answer the question with the short answer only (a name, a number with its unit, a date, or one of the options), no explanation. ' +
  'Reply with JSON: {"answer": "<short answer>", "confidence": <probability that the answer is right, 0 to 1>}.';
const SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
  required: ['answer', 'confidence'],
  additionalProperties: false,
};
const MemberAnswer = z.object({ answer: z.union([z.string().max(2_000), z.number()]), confidence: z.number().min(0).max(1).optional() });
/** Stands for "some answer nobody gave yet" when checking whether early exit may stop. */
const OTHER = '\u0000other';

export async function answer(
  ctx: AnswerContext,
  job: AnswerJob,
  signal: AbortSignal,
  onVote: (v: AnswerVote, done: number, total: number, id: string) => void,
): Promise<AnswerResult> {
  const prompt = job.options?.length
    ? `${job.question}\n\nOptions:\n${job.options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}`).join('\n')}`
    : job.question;
  const run = await runMembers<AnswerVote>(
    {
      ensemble: job.ensemble,
      members: job.members,
      deadlineMs: job.deadlineMs,
      noun: 'answer',
      // The engine's asking rule over the answers so far (plus one nobody gave yet): all at once
      // for majority and weighted, speculative batches for early exit, as for classifications.
      next: (asked) => planOver(asked, job, ctx).next(asked.map(toStrategyVote)),
      ask: (m, { signal: runSignal }) => askMember(ctx, job, m, prompt, runSignal),
      onOutcome: onVote,
      unasked: (m, why) => unasked(m, ctx.weightOf(m), why),
    },
    signal,
  );
  const finalVotes = run.outcomes;
  const settledEarly = finalVotes.some((v) => v.status === 'skipped');
  const outcome = planOver(finalVotes, job, ctx, false).decide(finalVotes.map(toStrategyVote));
  const voters = finalVotes.filter((v) => v.status === 'ok' && v.normalized !== null).length;
  const needed = neededVotes(voters, job.quorum);
  const support = Math.round(outcome.agreement * voters);
  const agreed = outcome.label !== null && support >= needed;
  const notes = [outcome.note];
  if (!agreed)
    notes.unshift(
      outcome.label === null
        ? 'no agreement: no member gave a usable answer'
        : `no agreement: the leading answer has ${support} of ${voters} members, ${needed} needed`,
    );
  if (settledEarly) notes.push('early exit: the members not asked could not change the outcome');
  const display = agreed ? displayForm(outcome.label!, finalVotes, job.options) : null;
  return {
    id: run.id,
    ensemble: job.ensemble,
    strategy: job.strategy,
    question: job.question,
    answer: display,
    normalized: agreed ? outcome.label : null,
    agreement: clamp01(outcome.agreement),
    confidence: agreed ? clamp01(outcome.confidence) : 0,
    quorum: job.quorum ?? needed / Math.max(1, voters),
    votes: finalVotes,
    partial: finalVotes.some((v) => v.status === 'timeout' || v.status === 'error'),
    earlyExit: settledEarly,
    note: notes.filter(Boolean).join('; '),
    elapsedMs: run.elapsedMs(),
    createdAt: isoNow(),
  };
}

async function askMember(
  ctx: AnswerContext,
  job: AnswerJob,
  m: ResolvedMember,
  prompt: string,
  runSignal: AbortSignal,
): Promise<AnswerVote> {
  const base = { member: m.member, model: m.model, promptStyle: m.promptStyle, weight: ctx.weightOf(m) };
  // Reading the reply (parse, normalize, calibrate) runs inside the member's call: whatever it
  // throws on a hostile reply becomes this member's error vote, never the whole request's.
  const call = await callMember(ctx.pool, m.model, runSignal, job.memberTimeoutMs, async (b, s) => {
    const reply = await b.generate({ system: SYSTEM, prompt, jsonSchema: SCHEMA, maxTokens: 96 }, s);
    return readVote(ctx, m, reply.text, job.options);
  });
  if (!call.ok)
    return { ...base, status: call.status, answer: null, normalized: null, confidence: null, latencyMs: call.latencyMs, error: call.error };
  return { ...base, status: 'ok', ...call.value, latencyMs: call.latencyMs };
}

/** A member's reply as a vote: its answer as written (cut), normalized, and its calibrated confidence. */
function readVote(
  ctx: AnswerContext,
  m: ResolvedMember,
  reply: string,
  options: readonly string[] | undefined,
): { answer: string; normalized: string | null; confidence: number | null } {
  const { text, confidence } = readAnswer(reply);
  const normalized = normalizeAnswer(text, { options });
  const calibrated =
    confidence === null || normalized === null
      ? null
      : ctx.calibrate(m.model, {
          label: normalized,
          probabilities: { [normalized]: confidence, [OTHER]: 1 - confidence },
          confidence,
          confidenceSource: 'verbalized',
        }).confidence;
  return { answer: text.slice(0, 500), normalized, confidence: calibrated === null ? null : clamp01(calibrated) };
}

/** The answer and the confidence the member gave: from its JSON, or its text as the answer. */
function readAnswer(text: string): { text: string; confidence: number | null } {
  try {
    const parsed = MemberAnswer.safeParse(parseMemberJson(text));
    if (parsed.success) return { text: String(parsed.data.answer), confidence: parsed.data.confidence ?? null };
  } catch {
    // not JSON: the text is the answer
  }
  return { text, confidence: null };
}

function toStrategyVote(v: AnswerVote): StrategyVote {
  return {
    member: v.member,
    label: v.normalized,
    probabilities: {},
    confidence: v.confidence,
    weight: v.weight,
    status: v.status === 'ok' && v.normalized === null ? 'error' : v.status,
  };
}

function labelsOf(votes: readonly AnswerVote[]): string[] {
  return [...new Set(votes.flatMap((v) => (v.status === 'ok' && v.normalized !== null ? [v.normalized] : [])))];
}

/**
 * The engine's plan for this answer. Answers are an open set of labels, so the plan is made over
 * the answers given so far plus one nobody gave yet (OTHER): a member not yet asked could give a
 * new answer, and the stopping rule must count that. Early exit stops when the members not asked
 * could not change the leader (or the first agreeK agree confidently): the engine's rule.
 */
function planOver(given: readonly AnswerVote[], job: AnswerJob, ctx: AnswerContext, open = true): Plan {
  return planFor(job.strategy, {
    labels: open ? [...labelsOf(given), OTHER] : labelsOf(given),
    members: job.members.map((m) => ({ member: m.member, weight: ctx.weightOf(m) })),
    earlyExit: job.earlyExit,
    fit: null,
    category: null,
    features: null,
  });
}

/** The agreed answer as a member wrote it (the option's own text when the question gave options). */
function displayForm(normalized: string, votes: readonly AnswerVote[], options: readonly string[] | undefined): string {
  const option = options?.find((o) => normalizeAnswer(o, { options }) === normalized);
  if (option) return option;
  const first = votes.find((v) => v.normalized === normalized && v.answer);
  return trimEndChars((first?.answer ?? normalized).split(/\r?\n/)[0]!.trim(), '.;,');
}

function unasked(m: ResolvedMember, weight: number, why: NotAsked): AnswerVote {
  return {
    member: m.member,
    model: m.model,
    promptStyle: m.promptStyle,
    status: why.status,
    answer: null,
    normalized: null,
    confidence: null,
    weight,
    latencyMs: 0,
    ...(why.error ? { error: why.error } : {}),
  };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
