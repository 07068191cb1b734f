/**
 * One round of a generation strategy: the members asked at once, each under its own abort so the
 * round can end early. It ends when every call has settled, when `stopWhen` holds for an answer
 * (firstSuccess: the first acceptable one), or when the round timeout fires (fusion); calls still
 * running then are aborted through their AbortSignal, and reported `cancelled` or `missing`.
 */
import type { ErrorInfo } from '../../protocol/ensemble';
import type { PanelAnswer } from '../../protocol/generation';
import type { GenerateRequest } from '../backends/backend';
import type { Pool } from '../pool/pool';
import { callMember } from './callMember';
import type { ResolvedMember } from '../strategies/members';

export interface RoundJob {
  request: GenerateRequest;
  memberTimeoutMs: number;
  round: number;
  /** Ends the round at this answer: the calls still running are cancelled. */
  stopWhen?: (answer: PanelAnswer) => boolean;
  roundTimeoutMs?: number;
  onAnswer?: (answer: PanelAnswer) => void;
  /** An answer that fails this check is `rejected` (firstSuccess's acceptance check). */
  check?: (text: string) => ErrorInfo | null;
}

export async function panelRound(
  pool: Pool,
  members: readonly ResolvedMember[],
  job: RoundJob,
  runSignal: AbortSignal,
): Promise<PanelAnswer[]> {
  const controllers = members.map(() => new AbortController());
  const unlink = () => controllers.forEach((c) => c.abort());
  runSignal.addEventListener('abort', unlink, { once: true });
  let ended: 'cancelled' | 'missing' | null = null;
  const endRound = (why: 'cancelled' | 'missing') => {
    if (ended) return;
    ended = why;
    for (const c of controllers) c.abort();
  };
  const timer = job.roundTimeoutMs === undefined ? undefined : setTimeout(() => endRound('missing'), job.roundTimeoutMs);
  try {
    return await Promise.all(
      members.map(async (m, i) => {
        let tokens = 0;
        const call = await callMember(pool, m.model, controllers[i]!.signal, job.memberTimeoutMs, (b, signal) =>
          b.generate(job.request, signal, () => {
            if (!signal.aborted) tokens++;
          }),
        );
        const base = { member: m.member, model: m.model, latencyMs: call.latencyMs, tokens, round: job.round };
        let answer: PanelAnswer;
        const rejection = call.ok ? (job.check?.(call.value.text) ?? null) : null;
        if (call.ok) {
          const finishReason = tokens >= job.request.maxTokens ? 'length' : 'stop';
          answer = rejection
            ? { ...base, status: 'rejected', text: call.value.text, finishReason, error: rejection }
            : { ...base, status: 'ok', text: call.value.text, finishReason };
        } else if (controllers[i]!.signal.aborted && ended && !runSignal.aborted) {
          answer = { ...base, status: ended, text: '', finishReason: null };
        } else {
          answer = { ...base, status: call.status, text: '', finishReason: null, error: call.error };
        }
        job.onAnswer?.(answer);
        if (!ended && job.stopWhen?.(answer)) endRound('cancelled');
        return answer;
      }),
    );
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', unlink);
  }
}
