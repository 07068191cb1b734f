/**
 * Sequential refinement for generation: the first member drafts, each next member edits the
 * previous text. A member that fails or times out is passed over (its step is reported), so the
 * result is the last good text; the request deadline cuts the chain short with a partial result.
 */
import crypto from 'node:crypto';
import type { RefineResult, RefineStep } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { Pool } from '../pool/pool';
import type { ResolvedMember } from './members';
import { callMember } from './callMember';

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
  const system = role === 'draft' ? DRAFT_SYSTEM : EDIT_SYSTEM;
  const call = await callMember(pool, m.model, runSignal, job.memberTimeoutMs, (b, signal) => b.generate({ system, prompt, maxTokens: job.maxTokens }, signal));
  const base = { member: m.member, model: m.model, role, latencyMs: call.latencyMs };
  return call.ok ? { ...base, status: 'ok', text: call.value.text } : { ...base, status: call.status, text: '', error: call.error };
}
