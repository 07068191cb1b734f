/**
 * mux's question to one member: it samples `samples` answers at `temperature`, all at once (the
 * pool's per-model limits queue them), and becomes one panel entry: its samples, the share agreeing
 * with its own majority (strategies/selfConsistency.ts) and that majority's first sample as its answer.
 */
import type { PanelAnswer } from '../../protocol/generation';
import type { Pool } from '../pool/pool';
import { consistencyOf } from '../strategies/selfConsistency';
import type { GenerationJob } from './generate';
import type { ResolvedMember } from '../strategies/members';
import { askPanelist } from './panelAnswer';
import type { RunContext } from './runLoop';

export async function sampleMember(pool: Pool, job: GenerationJob, m: ResolvedMember, run: RunContext): Promise<PanelAnswer> {
  const { params } = job;
  const request = { prompt: params.prompt, maxTokens: params.maxTokens, temperature: params.temperature };
  const ask = { request, memberTimeoutMs: job.memberTimeoutMs };
  const own = await Promise.all(Array.from({ length: params.samples }, () => askPanelist(pool, m, ask, run)));
  const ok = own.filter((a) => a.status === 'ok');
  const base = {
    member: m.member,
    model: m.model,
    latencyMs: Math.max(...own.map((a) => a.latencyMs)),
    tokens: own.reduce((sum, a) => sum + a.tokens, 0),
    round: run.round,
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
}
