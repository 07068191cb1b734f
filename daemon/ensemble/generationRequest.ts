/**
 * `ensemble/generate` for one resolved ensemble: picks the judge (a member's model or any model of
 * the config), runs the panel strategies (generate.ts), and runs `refine` through the existing
 * chain, reporting its steps in the panel's shape so every strategy answers alike.
 */
import type { EnsembleSpec, ModelEntry } from '../../protocol/config';
import type { RefineResult } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { GenerateParams, GenerationResult, PanelAnswer } from '../../protocol/generation';
import type { ProgressValue, RefineParams } from '../../protocol/methods';
import type { Pool } from '../pool/pool';
import { generate } from './generate';
import type { ResolvedMember } from '../strategies/members';
import { isoNow } from '../../common/isoNow';

export interface GenerationTarget {
  name: string;
  spec: EnsembleSpec;
  members: ResolvedMember[];
}

export interface GenerationDeps {
  pool: Pool;
  models: readonly ModelEntry[];
  refine(params: RefineParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<RefineResult>;
  /** A model's accuracy from feedback on its recorded answers, when there is any (mux's tie-break). */
  accuracyOf?(model: string): number | null;
}

export async function runGeneration(
  deps: GenerationDeps,
  target: GenerationTarget,
  params: GenerateParams,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
): Promise<GenerationResult> {
  const deadlineMs = params.deadlineMs ?? target.spec.deadlineMs;
  const configured = target.spec.generation;
  const strategy = params.strategy ?? configured?.strategy ?? 'compare';
  if (strategy === 'refine') return refineAsGeneration(deps, target, params, deadlineMs, signal, progress);
  if (strategy === 'fusion' && params.minResponses > target.members.length)
    throw new EnsembleError(
      'BadInput',
      `minResponses ${params.minResponses} is more than the ${target.members.length} member(s) of "${target.name}"`,
    );
  return generate(
    deps.pool,
    {
      ensemble: target.name,
      strategy,
      members: target.members,
      params: { ...params, strategy, roundTimeoutMs: params.roundTimeoutMs ?? configured?.roundTimeoutMs },
      // Only fusion has a judge: a judge the config names wrongly must not break the other strategies.
      judgeModel: strategy === 'fusion' ? judgeModelOf(deps.models, target, params.judge ?? configured?.judge) : '',
      memberTimeoutMs: target.spec.memberTimeoutMs,
      deadlineMs,
      accuracyOf: (member) => deps.accuracyOf?.(target.members.find((m) => m.member === member)?.model ?? member) ?? null,
    },
    signal,
    {
      onAnswer: (answer, done, total, generationId) => progress({ kind: 'panelAnswer', generationId, answer, done, total }),
      onJudgeToken: (text, generationId) => progress({ kind: 'judgeToken', generationId, text }),
    },
  );
}

/** The judge: a model id of the config, or a member name (its model); default the first member's model. */
function judgeModelOf(models: readonly ModelEntry[], target: GenerationTarget, judge: string | undefined): string {
  if (judge === undefined) return target.members[0]!.model;
  const member = target.members.find((m) => m.member === judge);
  if (member) return member.model;
  if (models.some((m) => m.id === judge)) return judge;
  throw new EnsembleError(
    'BadInput',
    `judge "${judge.slice(0, 200)}": expected a model id of the config or a member of "${target.name}" (models: ${models.map((m) => m.id).join(', ')})`,
  );
}

async function refineAsGeneration(
  deps: GenerationDeps,
  target: GenerationTarget,
  params: GenerateParams,
  deadlineMs: number,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
): Promise<GenerationResult> {
  const tokens = new Map<number, number>();
  const result = await deps.refine(
    { text: params.prompt, instruction: 'Answer the request.', ensemble: target.name, maxTokens: params.maxTokens, deadlineMs },
    signal,
    (p) => {
      if (p.kind === 'refineToken') tokens.set(p.index, (tokens.get(p.index) ?? 0) + 1);
      progress(p);
    },
  );
  const panel = result.steps.map((s, i): PanelAnswer => {
    const n = tokens.get(i) ?? 0;
    const finished = s.status === 'ok';
    return {
      member: s.member,
      model: s.model,
      status: s.status,
      text: s.text,
      latencyMs: s.latencyMs,
      tokens: n,
      finishReason: finished ? (n >= params.maxTokens ? 'length' : 'stop') : null,
      ...(s.error ? { error: s.error } : {}),
      round: i + 1,
    };
  });
  const last = [...result.steps].reverse().find((s) => s.status === 'ok' && s.text.trim());
  return {
    id: result.id,
    ensemble: result.ensemble,
    strategy: 'refine',
    createdAt: isoNow(),
    prompt: params.prompt,
    text: result.text,
    from: last?.member ?? null,
    panel,
    judge: null,
    missing: [],
    calls: result.steps.length,
    rounds: result.steps.length,
    elapsedMs: result.elapsedMs,
  };
}
