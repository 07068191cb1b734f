/**
 * The one run loop every ensemble task shares: a record id, the whole-request deadline, asking the
 * members a task's asking rule names (each batch in parallel, until the rule names none), reporting
 * each vote the moment it arrives, the votes of members never asked, "no model can serve", and the
 * client's cancel. A task supplies only what differs: which members to ask next, how to ask one
 * (its request and its parse), and what a member never asked counts as; it decides on the votes
 * this returns (through the engine, for the voting tasks).
 */
import type { ErrorInfo } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import { linkedAbort } from '../../common/linkedAbort';
import { newRecordId } from '../../common/recordId';
import { noneCanServe } from './noneCanServe';
import type { ResolvedMember } from '../strategies/members';

/** What every vote, step or answer of a member carries, as far as the loop is concerned. */
export interface MemberOutcome {
  member: string;
  status: string;
  error?: { kind: string; message: string };
}

/** Why a member was never asked: early exit settled the outcome, or the deadline came first. */
export interface NotAsked {
  status: 'skipped' | 'timeout';
  error?: ErrorInfo;
}

export interface RunTask<V extends MemberOutcome> {
  ensemble: string;
  members: readonly ResolvedMember[];
  deadlineMs: number;
  /** What the client cancelled, for the `RequestCancelled` message ("classification"). */
  noun: string;
  /** The members to ask next, given the outcomes so far in asking order; none: the task is settled. */
  next(asked: readonly V[]): readonly string[];
  /** Asks one member; never throws (a failure is the member's own outcome). */
  ask(member: ResolvedMember, run: RunContext): Promise<V>;
  /** Told each outcome as it arrives (`done` of `total`). */
  onOutcome(outcome: V, done: number, total: number, id: string): void;
  /** The vote of a member never asked; without it, such members are left out of `outcomes`. */
  unasked?(member: ResolvedMember, why: NotAsked): V;
  /** What a "no model can serve" error carries as its data, when every member failed to be served. */
  noneCanServeData?(outcomes: readonly V[]): unknown;
  /** False for tasks that report failed members in a result of their own instead of failing. */
  failWhenNoneCanServe?: boolean;
}

export interface RunContext {
  /** The record id of this request, as progress reports it. */
  id: string;
  /** Fires at the deadline or on the client's cancel: every member call runs under it. */
  signal: AbortSignal;
  /** The member's place in the ensemble's list. */
  index: number;
}

export interface RunResult<V> {
  id: string;
  /** Every member's outcome in the ensemble's order (members never asked included when the task says how). */
  outcomes: V[];
  /** The outcomes of the members asked, in asking order (batch by batch). */
  asked: V[];
  rounds: number;
  /** True when the asking rule stopped (rather than the deadline). */
  settled: boolean;
  /** True when the request deadline cut the run short. */
  timedOut: boolean;
  elapsedMs(): number;
}

export async function runMembers<V extends MemberOutcome>(task: RunTask<V>, signal: AbortSignal): Promise<RunResult<V>> {
  const started = performance.now();
  const id = newRecordId();
  const deadline = linkedAbort(signal, task.deadlineMs, () => new EnsembleError('Timeout', `deadline of ${task.deadlineMs} ms reached`));
  const run = deadline.signal;
  const { members } = task;
  const byId = new Map(members.map((m, i) => [m.member, i]));
  const outcomes: Array<V | undefined> = new Array(members.length);
  const asked: V[] = [];
  let done = 0;
  let rounds = 0;
  let settled = false;
  try {
    for (;;) {
      if (run.aborted) break;
      const batch = task.next(asked).filter((m, k, xs) => byId.has(m) && outcomes[byId.get(m)!] === undefined && xs.indexOf(m) === k);
      if (batch.length === 0) {
        settled = true;
        break;
      }
      rounds++;
      // The whole batch at once: a request's latency is its rounds' slowest members, not their sum.
      const arrived = await Promise.all(
        batch.map(async (member) => {
          const index = byId.get(member)!;
          const outcome = await task.ask(members[index]!, { id, signal: run, index });
          outcomes[index] = outcome;
          task.onOutcome(outcome, ++done, members.length, id);
          return outcome;
        }),
      );
      asked.push(...arrived);
    }
  } finally {
    deadline.dispose();
  }
  if (signal.aborted) throw new EnsembleError('RequestCancelled', `${task.noun} cancelled`);
  const why: NotAsked = settled
    ? { status: 'skipped' }
    : { status: 'timeout', error: new EnsembleError('Timeout', 'not asked: the request deadline was reached').toInfo() };
  const unasked = task.unasked;
  const all = unasked ? members.map((m, i) => outcomes[i] ?? unasked(m, why)) : outcomes.filter((o): o is V => o !== undefined);
  if (task.failWhenNoneCanServe !== false) {
    const none = noneCanServe(task.ensemble, all, task.noneCanServeData?.(all));
    if (none) throw none;
  }
  return {
    id,
    outcomes: all,
    asked,
    rounds,
    settled,
    timedOut: deadline.timedOut(),
    elapsedMs: () => Math.round(performance.now() - started),
  };
}
