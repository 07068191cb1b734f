/**
 * One generation member asked once, inside a batch of the run loop (runLoop.ts): its text, the
 * tokens it generated, and a status. A call the batch cut short is `cancelled` (firstSuccess: an
 * answer was accepted first) or `missing` (fusion: the round timeout fired), not a failure of its own.
 */
import type { ErrorInfo } from '../../protocol/ensemble';
import type { PanelAnswer } from '../../protocol/generation';
import type { GenerateRequest } from '../backends/backend';
import type { Pool } from '../pool/pool';
import { callMember } from './callMember';
import type { RunContext } from './runLoop';
import type { ResolvedMember } from '../strategies/members';

export interface PanelAsk {
  request: GenerateRequest;
  memberTimeoutMs: number;
  /** An answer that fails this check is `rejected` (firstSuccess's acceptance check). */
  check?: (text: string) => ErrorInfo | null;
}

export async function askPanelist(pool: Pool, m: ResolvedMember, ask: PanelAsk, run: RunContext): Promise<PanelAnswer> {
  let tokens = 0;
  const call = await callMember(pool, m.model, run.signal, ask.memberTimeoutMs, (b, signal) =>
    b.generate(ask.request, signal, () => {
      if (!signal.aborted) tokens++;
    }),
  );
  const base = { member: m.member, model: m.model, latencyMs: call.latencyMs, tokens, round: run.round };
  if (call.ok) {
    const finishReason = tokens >= ask.request.maxTokens ? 'length' : 'stop';
    const rejection = ask.check?.(call.value.text) ?? null;
    return rejection
      ? { ...base, status: 'rejected', text: call.value.text, finishReason, error: rejection }
      : { ...base, status: 'ok', text: call.value.text, finishReason };
  }
  const ended = run.signal.aborted ? run.batchEnded() : null;
  if (ended) return { ...base, status: ended === 'ended' ? 'cancelled' : 'missing', text: '', finishReason: null };
  return { ...base, status: call.status, text: '', finishReason: null, error: call.error };
}
