/**
 * Writing a request's result to the store, as every voting task does. For a recording run (a
 * dataset item) a failure is the caller's error, never swallowed; for a live request it is the
 * log's (the reply has what the caller needs).
 */
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import type { TaskRecord } from '../store/store';
import type { HandlerContext } from './context';

/** Which item of which dataset a request records, when it is part of a recording run. */
export interface RecordedItem {
  dataset?: string;
  itemId?: string;
}

export function sourceOf(item: RecordedItem): 'record' | 'live' {
  return item.dataset ? 'record' : 'live';
}

export function writeRecord(
  ctx: HandlerContext,
  what: string,
  write: () => void,
  item: RecordedItem,
  outcome: 'decided' | 'answered',
): void {
  try {
    write();
  } catch (e) {
    const why = asEnsembleError(e).message;
    ctx.logger.error(`could not record ${what}: ${why}`);
    if (!item.dataset) return;
    throw new EnsembleError('StoreFailed', `item ${item.itemId ?? '?'} was ${outcome} but not recorded: ${why}`, undefined, { cause: e });
  }
}

/** Answers and extractions are recorded like decisions. */
export function recordTask(ctx: HandlerContext, record: TaskRecord, item: RecordedItem): void {
  const meta = { source: sourceOf(item), dataset: item.dataset, itemId: item.itemId };
  writeRecord(ctx, `${record.task} ${record.result.id}`, () => ctx.store.recordTask(record, meta), item, 'answered');
}
