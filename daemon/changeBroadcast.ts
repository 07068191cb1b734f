/**
 * `pool/changed`, coalesced and carrying what changed. Hints from the pool and the handlers collect
 * for a short window; then one notification goes to every client with the new rows, computed once
 * for all of them, so that no client has to read the whole status again after each decision:
 * - a config change makes one `config` change (clients read the status again: anything may differ);
 * - model state changes make a `member` change each, with the model's row;
 * - decisions, answers and feedback make one `stats` change: every model's row, the diversity and
 *   the event-loop delay.
 * Config and model state changes go out within URGENT_MS; counters at most once per STATS_MS.
 */
import { notifications, type PoolChange, type PoolStatus } from '../protocol/methods';
import type { Logger } from './process/log';
import type { ChangeHint } from './pool/changeHint';

export type PoolChangedParams = { reason: string; changes: PoolChange[] };

/** Changes within this window go out as one `pool/changed` (the last urgent reason names it). */
const URGENT_MS = 50;
/** After a decision (counters moved) clients hear of it within this long: one notice for a burst. */
const STATS_MS = 1_000;

/** The changes a window of hints makes, given the status at the end of the window. */
export function changesFor(
  hints: { config: string | null; members: ReadonlySet<string>; stats: boolean },
  status: PoolStatus,
): PoolChange[] {
  if (hints.config !== null) return [{ kind: 'config', reason: hints.config }];
  const changes: PoolChange[] = [];
  for (const id of hints.members) {
    const model = status.models.find((m) => m.id === id);
    if (model) changes.push({ kind: 'member', id, model });
  }
  if (hints.stats) {
    changes.push({
      kind: 'stats',
      models: status.models,
      ...(status.diversity ? { diversity: status.diversity } : {}),
      ...(status.eventLoop ? { eventLoop: status.eventLoop } : {}),
    });
  }
  return changes;
}

export class ChangeBroadcast {
  private config: string | null = null;
  private members = new Set<string>();
  private stats = false;
  private reason: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private due = 0;

  constructor(
    private readonly status: () => PoolStatus,
    /** Sends to every connected client; false when none is connected (then no status is built). */
    private readonly hasListeners: () => boolean,
    private readonly send: (params: PoolChangedParams) => void,
    private readonly logger: Logger,
  ) {}

  note(hint: ChangeHint): void {
    const urgent = hint.kind !== 'stats';
    if (hint.kind === 'config') this.config = hint.reason;
    else if (hint.kind === 'member') this.members.add(hint.id);
    else this.stats = true;
    if (urgent || this.reason === null) this.reason = hint.reason;
    if (urgent && this.timer && this.due - Date.now() > URGENT_MS) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.timer) {
      const wait = urgent ? URGENT_MS : STATS_MS;
      this.due = Date.now() + wait;
      this.timer = setTimeout(() => this.flush(), wait);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const hints = { config: this.config, members: this.members, stats: this.stats };
    const reason = this.reason;
    this.config = null;
    this.members = new Set();
    this.stats = false;
    this.reason = null;
    if (reason === null || !this.hasListeners()) return;
    const params = { reason, changes: changesFor(hints, this.status()) };
    // Checked here as the client checks it: a change the schema refuses would be dropped there silently.
    const checked = notifications['pool/changed'].safeParse(params);
    if (!checked.success) {
      this.logger.error(`pool/changed does not match its schema: ${checked.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    this.send(checked.data);
  }
}
