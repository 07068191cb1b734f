/**
 * Sequential refinement for generation: the first member drafts, each next member edits the
 * previous text. A member that fails or times out is passed over (its step is reported), so the
 * result is the last good text; the request deadline cuts the chain short with a partial result.
 */
import crypto from 'node:crypto';
import type { RefineResult, RefineStep } from '../../protocol/ensemble';
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import type { Pool } from '../pool/pool';
import type { ResolvedMember } from './members';
import { raceAbort } from './raceAbort';

export interface RefineJob {
  ensemble: string;
  members: ResolvedMember[];
  text: string;
  instruction: string;
  maxTokens: number;
  memberTimeoutMs: number;
  deadlineMs: number;
}

const DRAFT_SYSTEM = 'You rewrite text as instructed. Reply with the rewritten text only, no preamble.';
const EDIT_SYSTEM = 'You are an editor. Improve the draft so it follows the instruction better. Reply with the improved text only, no preamble.';

export async function refine(pool: Pool, job: RefineJob, signal: AbortSignal, onStep: (s: RefineStep, done: number, total: number, refineId: string) => void): Promise<RefineResult> {
  const started = performance.now();
  const refineId = crypto.randomUUID();
  const deadline = AbortSignal.timeout(job.deadlineMs);
  const runSignal = AbortSignal.any([signal, deadline]);
  const steps: RefineStep[] = [];
  let current = job.text;
  let drafted = false;
  for (const m of job.members) {
    if (runSignal.aborted) break;
    const role = drafted ? 'edit' : 'draft';
    const prompt = drafted
      ? `Instruction: ${job.instruction}\n\nOriginal text:\n${job.text}\n\nDraft:\n${current}`
      : `Instruction: ${job.instruction}\n\nText:\n${job.text}`;
    const step = await runStep(pool, m, role, prompt, job, runSignal);
    steps.push(step);
    onStep(step, steps.length, job.members.length, refineId);
    if (step.status === 'ok' && step.text.trim()) {
      current = step.text.trim();
      drafted = true;
    }
  }
  if (signal.aborted) throw new EnsembleError('RequestCancelled', 'refinement cancelled');
  return {
    id: refineId,
    ensemble: job.ensemble,
    original: job.text,
    text: current,
    steps,
    partial: steps.length < job.members.length || steps.some((s) => s.status !== 'ok'),
    elapsedMs: Math.round(performance.now() - started),
  };
}

async function runStep(pool: Pool, m: ResolvedMember, role: RefineStep['role'], prompt: string, job: RefineJob, runSignal: AbortSignal): Promise<RefineStep> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(job.memberTimeoutMs);
  const signal = AbortSignal.any([runSignal, timeout]);
  try {
    const { text } = await raceAbort(signal, async () => {
      const model = await pool.ready(m.model, signal);
      return pool.call(model, signal, (b) =>
        b.generate({ system: role === 'draft' ? DRAFT_SYSTEM : EDIT_SYSTEM, prompt, maxTokens: job.maxTokens }, signal),
      );
    });
    return { member: m.member, model: m.model, role, status: 'ok', text, latencyMs: Math.round(performance.now() - started) };
  } catch (e) {
    // Any abort here is a member timeout or the deadline; a client cancel is reported by refine() itself.
    const timedOut = signal.aborted;
    const err = timedOut
      ? new EnsembleError('Timeout', timeout.aborted ? `no answer within ${job.memberTimeoutMs} ms` : 'the request deadline was reached')
      : asEnsembleError(e, 'BackendError');
    return {
      member: m.member,
      model: m.model,
      role,
      status: timedOut ? 'timeout' : 'error',
      text: '',
      latencyMs: Math.round(performance.now() - started),
      error: err.toInfo(),
    };
  }
}
