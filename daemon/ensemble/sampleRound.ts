/**
 * mux's round: each member samples `samples` answers at `temperature`, all at once (the pool's
 * per-model limits queue them), and becomes one panel entry: its samples, the share agreeing with
 * its own majority (strategies/selfConsistency.ts) and that majority's first sample as its answer.
 */
import type { PanelAnswer } from '../../protocol/generation';
import type { Pool } from '../pool/pool';
import { consistencyOf } from '../strategies/selfConsistency';
import type { GenerationJob } from './generate';
import type { ResolvedMember } from '../strategies/members';
import { panelRound } from './panelRound';

export async function sampleRound(
  pool: Pool,
  job: GenerationJob,
  members: readonly ResolvedMember[],
  round: number,
  runSignal: AbortSignal,
): Promise<PanelAnswer[]> {
  const { params } = job;
  const n = params.samples;
  const calls = members.flatMap((m) => Array.from({ length: n }, () => m));
  const request = { prompt: params.prompt, maxTokens: params.maxTokens, temperature: params.temperature };
  const answers = await panelRound(pool, calls, { request, memberTimeoutMs: job.memberTimeoutMs, round }, runSignal);
  return members.map((m, i) => {
    const own = answers.slice(i * n, (i + 1) * n);
    const ok = own.filter((a) => a.status === 'ok');
    const base = {
      member: m.member,
      model: m.model,
      latencyMs: Math.max(...own.map((a) => a.latencyMs)),
      tokens: own.reduce((sum, a) => sum + a.tokens, 0),
      round,
      samples: ok.map((a) => a.text),
    };
    // The share is over every sample asked: a sample that failed does not agree with anything.
    const c = consistencyOf(own.map((a) => (a.status === 'ok' ? a.text : '')));
    if (ok.length === 0 || c.representative < 0) {
      const failed = own.find((a) => a.error) ?? own[0]!;
      return {
        ...base,
        status: failed.status,
        text: '',
        finishReason: null,
        consistency: 0,
        ...(failed.error ? { error: failed.error } : {}),
      };
    }
    const chosen = own[c.representative]!;
    return { ...base, status: 'ok', text: chosen.text, finishReason: chosen.finishReason, consistency: c.share };
  });
}
