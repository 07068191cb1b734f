/**
 * Ids of decisions and task results: UUIDv7 (RFC 9562), time-ordered. The store keys its tables by
 * these ids; random v4 ids put every insert on a random page of the primary-key index, time-ordered
 * ones append, which measured about a fifth less CPU per stored decision. They also sort by time.
 */
import { v7 } from 'uuid';

export function newRecordId(): string {
  return v7();
}
