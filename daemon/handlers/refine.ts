/** `ensemble/refine` and the gateway's chat: a chain of drafts and edits, each token reported as it is generated. */
import type { RefineResult } from '../../protocol/ensemble';
import type { ProgressValue, RefineParams } from '../../protocol/methods';
import type { ChatMessage } from '../backends/backend';
import { refine, type StepToken } from '../ensemble/refine';
import type { HandlerContext } from './context';

export interface RefineExtras {
  /** A whole conversation to answer (the gateway's chat completions) instead of a text to rewrite. */
  conversation?: ChatMessage[];
  /** Each streamed token with where it belongs (the gateway streams the last step's). */
  onToken?: (token: StepToken) => void;
}

export async function handleRefine(
  ctx: HandlerContext,
  params: RefineParams,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
  extra: RefineExtras = {},
): Promise<RefineResult> {
  const { name, spec, members } = ctx.live.ensemble(params.ensemble);
  return refine(
    ctx.pool,
    {
      ensemble: name,
      members,
      text: params.text,
      instruction: params.instruction,
      conversation: extra.conversation,
      maxTokens: params.maxTokens,
      memberTimeoutMs: spec.memberTimeoutMs,
      deadlineMs: params.deadlineMs ?? spec.deadlineMs,
    },
    signal,
    {
      onStep: (step, done, total, refineId) => progress({ kind: 'refineStep', refineId, step, done, total }),
      onToken: (t, total, refineId) => {
        extra.onToken?.(t);
        progress({ kind: 'refineToken', refineId, index: t.index, member: t.member, model: t.model, role: t.role, text: t.text, total });
      },
    },
  );
}
