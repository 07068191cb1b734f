/**
 * The generation strategies run live (docs/generation.md): the pure plan (strategies/generationPlan.ts)
 * says whom to ask in each round; panelRound asks them at once; fusion then asks the judge. Every
 * member's answer is reported the moment it arrives, and the judge's tokens as they are generated.
 */
import { newRecordId } from '../../common/recordId';
import { linkedAbort } from '../../common/linkedAbort';
import { EnsembleError } from '../../protocol/errors';
import type { GenerateParams, GenerationResult, JudgeResult, PanelAnswer } from '../../protocol/generation';
import type { Pool } from '../pool/pool';
import { generationPlanFor, toAsked } from '../strategies/generationPlan';
import { rejectionOf } from './acceptance';
import { callMember } from './callMember';
import { boundAnswer, judgePrompt, selectedIndex } from './judgePrompt';
import type { ResolvedMember } from '../strategies/members';
import { panelRound } from './panelRound';
import { sampleRound } from './sampleRound';

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
  const started = performance.now();
  const id = newRecordId();
  const deadline = linkedAbort(signal, job.deadlineMs, () => new EnsembleError('Timeout', `deadline of ${job.deadlineMs} ms reached`));
  const { params } = job;
  const listed = job.members.map((m) => m.member);
  const byMember = new Map(job.members.map((m) => [m.member, m]));
  const plan = generationPlanFor(job.strategy, listed, params.k, job.accuracyOf);
  const answers: PanelAnswer[] = [];
  let rounds = 0;
  /** Answers reported so far, across rounds: a progress line's `done`. */
  let reported = 0;
  let judge: JudgeResult | null = null;
  let text = '';
  let from: string | null = null;
  try {
    for (;;) {
      const batch = plan.next(answers.map(toAsked));
      if (batch.length === 0 || deadline.signal.aborted) break;
      rounds++;
      const firstSuccess = job.strategy === 'firstSuccess';
      if (job.strategy === 'mux') {
        const sampled = await sampleRound(
          pool,
          job,
          batch.map((m) => byMember.get(m)!),
          rounds,
          deadline.signal,
        );
        sampled.forEach((a) => listeners.onAnswer?.(a, ++reported, listed.length, id));
        answers.push(...sampled);
        continue;
      }
      const round = await panelRound(
        pool,
        batch.map((m) => byMember.get(m)!),
        {
          request: { prompt: params.prompt, maxTokens: params.maxTokens, ...(params.jsonSchema ? { jsonSchema: params.jsonSchema } : {}) },
          memberTimeoutMs: job.memberTimeoutMs,
          round: rounds,
          roundTimeoutMs: job.strategy === 'fusion' ? (params.roundTimeoutMs ?? job.memberTimeoutMs) : undefined,
          check: firstSuccess ? (t) => rejectionOf(t, params.jsonSchema) : undefined,
          stopWhen: firstSuccess ? (a) => a.status === 'ok' : undefined,
          onAnswer: (a) => listeners.onAnswer?.(a, ++reported, listed.length, id),
        },
        deadline.signal,
      );
      // Keep arrival order within the round out of the record: answers are listed in plan order.
      answers.push(...round);
    }
    if (signal.aborted) throw new EnsembleError('RequestCancelled', 'generation cancelled');
    const picked = plan.pick(answers.map(toAsked));
    if (job.strategy === 'firstSuccess' || job.strategy === 'mux') {
      if (picked === null) throw noAnswer(job, answers);
      from = picked;
      text = answers.find((a) => a.member === picked)!.text;
    }
    if (job.strategy === 'fusion') {
      const ok = answers.filter((a) => a.status === 'ok' && a.text.trim());
      if (ok.length < params.minResponses) throw quorumMissed(job, answers, ok.length);
      judge = await runJudge(pool, job, ok, deadline.signal, (t) => listeners.onJudgeToken?.(t, id));
      if (signal.aborted) throw new EnsembleError('RequestCancelled', 'generation cancelled');
      if (judge.status !== 'ok')
        throw new EnsembleError('BackendError', `the judge ${judge.model} failed: ${judge.error?.message ?? judge.status}`);
      if (params.mode === 'select') {
        from = judge.selected ?? judge.shown[0]!;
        text = ok.find((a) => a.member === from)!.text;
      } else text = judge.text.trim();
    }
  } finally {
    deadline.dispose();
  }
  const asked = new Set(answers.map((a) => a.member));
  const skipped = listed.filter((m) => !asked.has(m)).map((m): PanelAnswer => skippedAnswer(byMember.get(m)!));
  const panel = [...answers, ...skipped].sort((a, b) => listed.indexOf(a.member) - listed.indexOf(b.member));
  return {
    id,
    ensemble: job.ensemble,
    strategy: job.strategy,
    createdAt: new Date().toISOString(),
    prompt: params.prompt,
    text,
    from,
    panel,
    judge,
    missing: answers.filter((a) => a.status === 'missing').map((a) => a.member),
    calls: answers.length + (judge ? 1 : 0),
    rounds,
    elapsedMs: Math.round(performance.now() - started),
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
