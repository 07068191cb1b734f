/**
 * Pages of stored data that fit in one reply: clients refuse frames over their `maxPayload`, so a
 * listing is cut at `LIMITS.maxReplyBytes` and the caller follows a cursor for the rest.
 */
import { LIMITS } from '../protocol/limits';

/** The longest prefix of `items` whose JSON fits in `maxBytes` (always at least one item, so paging moves on). */
export function fitReply<T>(items: readonly T[], maxBytes: number = LIMITS.maxReplyBytes): T[] {
  let bytes = 2; // the array's brackets
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (bytes > maxBytes && i > 0) return items.slice(0, i);
  }
  return [...items];
}

/** One page of sorted ids after `cursor`, within the reply budget, and the cursor of the next page. */
export function pageIds(ids: Iterable<string>, cursor: string | undefined, maxBytes: number = LIMITS.maxReplyBytes) {
  const sorted = [...ids].sort();
  const from = cursor === undefined ? 0 : sorted.findIndex((id) => id > cursor);
  const rest = from < 0 ? [] : sorted.slice(from);
  const page = fitReply(rest, maxBytes);
  return page.length < rest.length ? { itemIds: page, nextCursor: page.at(-1)! } : { itemIds: page };
}
