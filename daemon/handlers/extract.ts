/** `ensemble/extract`: entity spans voted by the ensemble, recorded with their gold when given. */
import { EnsembleError } from '../../protocol/errors';
import type { ProgressValue } from '../../protocol/methods';
import type { ExtractParams, ExtractionResult } from '../../protocol/tasks';
import { extract } from '../ensemble/extract';
import type { HandlerContext } from './context';
import { recordTask } from './records';

export async function handleExtract(
  ctx: HandlerContext,
  params: ExtractParams,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
): Promise<ExtractionResult> {
  const { name, spec, members } = ctx.live.ensemble(params.ensemble);
  if (new Set(params.types).size !== params.types.length) throw new EnsembleError('BadInput', 'types must be distinct');
  const result = await extract(
    ctx.pool,
    {
      ensemble: name,
      members,
      text: params.text,
      types: params.types,
      quorum: params.quorum ?? spec.quorum,
      instruction: params.instruction,
      memberTimeoutMs: spec.memberTimeoutMs,
      deadlineMs: params.deadlineMs ?? spec.deadlineMs,
    },
    signal,
    (vote, done, total, extractionId) => progress({ kind: 'extractionVote', extractionId, vote, done, total }),
  );
  recordTask(ctx, { task: 'extract', result, text: params.text, gold: params.gold ?? null }, params);
  ctx.changed({ kind: 'stats', reason: 'extraction' });
  return result;
}
