/**
 * What a part of the daemon tells the listener when the pool moved, before it becomes a
 * `pool/changed` notification (`PoolChange` in protocol/methods.ts): which model changed state, that
 * counters moved, or that the config changed. The server coalesces hints and fills in the rows.
 */
export type ChangeHint =
  { kind: 'member'; id: string; reason: string } | { kind: 'stats'; reason: string } | { kind: 'config'; reason: string };
