/** `decisions/recent`, `recordings/items` and `pool/diversity`: what the store holds, paged and bounded. */
import type { Decision } from '../../protocol/ensemble';
import { liveDiversity } from '../learning/liveDiversity';
import { fitReply, pageIds } from '../paging';
import type { HandlerContext } from './context';

export function handleRecent(ctx: HandlerContext, limit: number, before?: string): Decision[] {
  return fitReply(ctx.store.recentDecisions(limit, before));
}

export function handleRecordedItems(
  ctx: HandlerContext,
  dataset: string,
  ensemble: string | undefined,
  cursor?: string,
  task: 'classify' | 'answer' | 'extract' = 'classify',
): { ensemble: string; itemIds: string[]; nextCursor?: string } {
  const { name } = ctx.live.ensemble(ensemble);
  const ids = task === 'classify' ? ctx.store.recordedItems(dataset, name) : ctx.store.recordedTaskItems(task, dataset, name);
  return { ensemble: name, ...pageIds(ids, cursor) };
}

/** `pool/diversity` for any ensemble (status carries the default one's). */
export function handleDiversity(ctx: HandlerContext, ensemble: string | undefined, limit: number) {
  const { name, members } = ctx.live.ensemble(ensemble);
  return (
    liveDiversity(
      ctx.store,
      name,
      members.map((m) => m.member),
      limit,
    ) ?? null
  );
}
