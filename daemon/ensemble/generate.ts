/**
 * The generation strategies run live (docs/generation.md) through the one run loop (runLoop.ts):
 * the pure plan (strategies/generationPlan.ts) says whom to ask in each round, a member is asked
 * once (panelAnswer.ts) or sampled (mux, sampleMember.ts), and after the loop the plan picks the
 * answer or fusion asks the judge. Every member's answer is reported the moment it arrives, and
 * the judge's tokens as they are generated.
 */
import { EnsembleError } from '../../protocol/errors';
import type { GenerateParams, GenerationResult, JudgeResult, PanelAnswer } from '../../protocol/generation';
import type { Pool } from '../pool/pool';
import { generationPlanFor, toAsked, type GenerationPlan } from '../strategies/generationPlan';
import { rejectionOf } from './acceptance';
import { callMember } from './callMember';
import { boundAnswer, judgePrompt, selectedIndex } from './judgePrompt';
import type { ResolvedMember } from '../strategies/members';
import { askPanelist } from './panelAnswer';
import { runMembers, type RunResult } from './runLoop';
import { sampleMember } from './sampleMember';
import { isoNow } from '../../common/isoNow';

export type PanelStrategy = 'compare' | 'fusion' | 'firstSuccess' | 'mux';

export interface GenerationJob {
  ensemble: string;
  strategy: PanelStrategy;
  members: ResolvedMember[];
  params: GenerateParams;
  /** fusion: the judge's model id (already checked to exist). */
  judgeModel: string;
  memberTimeoutMs: number;
  deadlineMs: number;
  /** mux's tie-break: validation accuracy from feedback, per member, when known. */
  accuracyOf?: (member: string) => number | null;
}

export interface GenerationListeners {
  onAnswer?(answer: PanelAnswer, done: number, total: number, generationId: string): void;
  onJudgeToken?(text: string, generationId: string): void;
}

export async function generate(
  pool: Pool,
  job: GenerationJob,
  signal: AbortSignal,
  listeners: GenerationListeners,
): Promise<GenerationResult> {
  const { params } = job;
  const plan = generationPlanFor(
    job.strategy,
    job.members.map((m) => m.member),
    params.k,
    job.accuracyOf,
  );
  const firstSuccess = job.strategy === 'firstSuccess';
  const ask = {
    request: { prompt: params.prompt, maxTokens: params.maxTokens, ...(params.jsonSchema ? { jsonSchema: params.jsonSchema } : {}) },
    memberTimeoutMs: job.memberTimeoutMs,
    ...(firstSuccess ? { check: (t: string) => rejectionOf(t, params.jsonSchema) } : {}),
  };
  return runMembers<PanelAnswer, GenerationResult>(
    {
      ensemble: job.ensemble,
      members: job.members,
      deadlineMs: job.deadlineMs,
      noun: 'generation',
      next: (asked) => plan.next(asked.map(toAsked)),
      ask: (m, run) => (job.strategy === 'mux' ? sampleMember(pool, job, m, run) : askPanelist(pool, m, ask, run)),
      onOutcome: (answer, done, total, id) => listeners.onAnswer?.(answer, done, total, id),
      // A member never asked is skipped, whether the plan stopped or the deadline came first.
      unasked: skippedAnswer,
      // Failed members are the panel's own record; firstSuccess, mux and fusion say when nothing usable came back.
      failWhenNoneCanServe: false,
      // firstSuccess: the first acceptable answer ends its round, and the calls still running are cancelled.
      ...(firstSuccess ? { endsBatch: (a: PanelAnswer) => a.status === 'ok' } : {}),
      ...(job.strategy === 'fusion' ? { batchTimeoutMs: params.roundTimeoutMs ?? job.memberTimeoutMs } : {}),
    },
    signal,
    (run, runSignal) => conclude(pool, job, plan, run, runSignal, listeners),
  );
}

/** After the loop: the plan's pick (firstSuccess, mux) or the judge's answer (fusion), and the record. */
async function conclude(
  pool: Pool,
  job: GenerationJob,
  plan: GenerationPlan,
  run: RunResult<PanelAnswer>,
  runSignal: AbortSignal,
  listeners: GenerationListeners,
): Promise<GenerationResult> {
  const { params } = job;
  const answers = run.asked;
  let judge: JudgeResult | null = null;
  let text = '';
  let from: string | null = null;
  const picked = plan.pick(answers.map(toAsked));
  if (job.strategy === 'firstSuccess' || job.strategy === 'mux') {
    if (picked === null) throw noAnswer(job, answers);
    from = picked;
    text = answers.find((a) => a.member === picked)!.text;
  }
  if (job.strategy === 'fusion') {
    const ok = answers.filter((a) => a.status === 'ok' && a.text.trim());
    if (ok.length < params.minResponses) throw quorumMissed(job, answers, ok.length);
    judge = await runJudge(pool, job, ok, runSignal, (t) => listeners.onJudgeToken?.(t, run.id));
    if (judge.status !== 'ok')
      throw new EnsembleError('BackendError', `the judge ${judge.model} failed: ${judge.error?.message ?? judge.status}`);
    if (params.mode === 'select') {
      from = judge.selected ?? judge.shown[0]!;
      text = ok.find((a) => a.member === from)!.text;
    } else text = judge.text.trim();
  }
  return {
    id: run.id,
    ensemble: job.ensemble,
    strategy: job.strategy,
    createdAt: isoNow(),
    prompt: params.prompt,
    text,
    from,
    // Every member in the ensemble's order, the ones never asked as skipped.
    panel: run.outcomes,
    judge,
    missing: answers.filter((a) => a.status === 'missing').map((a) => a.member),
    calls: answers.length + (judge ? 1 : 0),
    rounds: run.rounds,
    elapsedMs: run.elapsedMs(),
  };
}

function skippedAnswer(m: ResolvedMember): PanelAnswer {
  return { member: m.member, model: m.model, status: 'skipped', text: '', latencyMs: 0, tokens: 0, finishReason: null, round: 0 };
}

async function runJudge(
  pool: Pool,
  job: GenerationJob,
  ok: readonly PanelAnswer[],
  runSignal: AbortSignal,
  onToken: (text: string) => void,
): Promise<JudgeResult> {
  const { params } = job;
  const shown = ok.map((a) => ({ member: a.member, text: boundAnswer(a.text, params.maxAnswerChars) }));
  const prompt = judgePrompt(params.judgeTemplate, params.mode, params.prompt, shown);
  const maxTokens = params.mode === 'select' ? Math.min(params.maxTokens, 16) : params.maxTokens;
  const call = await callMember(pool, job.judgeModel, runSignal, job.memberTimeoutMs, (b, signal) =>
    b.generate({ prompt, maxTokens }, signal, (t) => {
      if (!signal.aborted) onToken(t);
    }),
  );
  const base = { model: job.judgeModel, mode: params.mode, shown: shown.map((s) => s.member), latencyMs: call.latencyMs };
  if (!call.ok) return { ...base, status: call.status, text: '', selected: null, error: call.error };
  const index = params.mode === 'select' ? selectedIndex(call.value.text, shown.length) : null;
  return { ...base, status: 'ok', text: call.value.text, selected: index === null ? null : shown[index]!.member };
}

function noAnswer(job: GenerationJob, answers: readonly PanelAnswer[]): EnsembleError {
  const lines = answers.map((a) => `- ${a.member}: ${a.status}${a.error ? ` (${a.error.message})` : ''}`).join('\n');
  return new EnsembleError('NoVotes', `no member of ensemble "${job.ensemble}" gave an acceptable answer:\n${lines}`);
}

function quorumMissed(job: GenerationJob, answers: readonly PanelAnswer[], got: number): EnsembleError {
  const absent = answers.filter((a) => a.status !== 'ok').map((a) => `${a.member} (${a.status})`);
  return new EnsembleError(
    'NoVotes',
    `fusion needs ${job.params.minResponses} panel answer(s) and got ${got}; without an answer: ${absent.join(', ') || 'none'}`,
  );
}
