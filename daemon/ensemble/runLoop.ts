/**
 * The one run loop every ensemble task shares: a record id, the whole-request deadline, asking the
 * members a task's asking rule names (each batch in parallel, until the rule names none), reporting
 * each vote the moment it arrives, the votes of members never asked, "no model can serve", and the
 * client's cancel. A task supplies only what differs: which members to ask next, how to ask one
 * (its request and its parse), and what a member never asked counts as; it decides on the votes
 * this returns (through the engine, for the voting tasks), or in `conclude`, which still runs
 * under the request deadline (generation's judge). A batch may end before all its calls settle:
 * at an outcome that `endsBatch` accepts (the calls still running are aborted) or at `batchTimeoutMs`.
 */
import type { ErrorInfo } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import { linkedAbort } from '../../common/linkedAbort';
import { newRecordId } from '../../common/recordId';
import { batchEnding, withRequest, type BatchEnd } from './batchEnding';
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
  /** True for an outcome that settles its batch: the batch's calls still running are aborted. */
  endsBatch?(outcome: V): boolean;
  /** Each batch ends this long after it starts: the calls still running are aborted. */
  batchTimeoutMs?: number;
}

export interface RunContext {
  /** The record id of this request, as progress reports it. */
  id: string;
  /** Fires at the deadline, on the client's cancel or when the batch ends: every member call runs under it. */
  signal: AbortSignal;
  /** The member's place in the ensemble's list. */
  index: number;
  /** The batch's number, from 1. */
  round: number;
  /** Why the batch ended early, while the run itself goes on (null otherwise): a call aborted by it was cut short, not failed. */
  batchEnded(): BatchEnd | null;
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

export function runMembers<V extends MemberOutcome>(task: RunTask<V>, signal: AbortSignal): Promise<RunResult<V>>;
/** With `conclude`: what the task does after the loop (a judge, a pick), still under the request deadline and the cancel. */
export function runMembers<V extends MemberOutcome, R>(
  task: RunTask<V>,
  signal: AbortSignal,
  conclude: (run: RunResult<V>, signal: AbortSignal) => Promise<R>,
): Promise<R>;
export async function runMembers<V extends MemberOutcome, R>(
  task: RunTask<V>,
  signal: AbortSignal,
  conclude?: (run: RunResult<V>, signal: AbortSignal) => Promise<R>,
): Promise<RunResult<V> | R> {
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
      const round = ++rounds;
      // A batch that only ends with the request needs no signal of its own (one controller and listener less per request).
      const ending = task.endsBatch || task.batchTimeoutMs !== undefined ? batchEnding(run, task.batchTimeoutMs) : withRequest(run);
      try {
        // The whole batch at once: a request's latency is its rounds' slowest members, not their sum.
        const arrived = await Promise.all(
          batch.map(async (member) => {
            const index = byId.get(member)!;
            const context = { id, signal: ending.signal, index, round, batchEnded: () => ending.why() };
            const outcome = await task.ask(members[index]!, context);
            outcomes[index] = outcome;
            task.onOutcome(outcome, ++done, members.length, id);
            if (task.endsBatch?.(outcome)) ending.end('ended');
            return outcome;
          }),
        );
        asked.push(...arrived);
      } finally {
        ending.dispose();
      }
    }
    if (signal.aborted) throw cancelled(task.noun);
    const result = finish();
    if (!conclude) return result;
    let concluded: R;
    try {
      concluded = await conclude(result, run);
    } catch (e) {
      // A conclusion cut short by the client's cancel (a judge aborted mid-answer) is the cancel, not its failure.
      if (signal.aborted) throw cancelled(task.noun);
      throw e;
    }
    if (signal.aborted) throw cancelled(task.noun);
    return concluded;
  } finally {
    deadline.dispose();
  }

  function finish(): RunResult<V> {
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
}

function cancelled(noun: string): EnsembleError {
  return new EnsembleError('RequestCancelled', `${noun} cancelled`);
}
