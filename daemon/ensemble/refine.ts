/**
 * Sequential refinement for generation: the first member drafts, each next member edits the
 * previous text, and every step's tokens are reported as they are generated. A member that fails
 * or times out is passed over (its step is reported, and whatever it streamed is not kept), so the
 * result is the last complete text; an editor that returns the draft unchanged ends the chain
 * (the text has converged); the request deadline cuts the chain short with a partial result.
 */
import type { RefineResult, RefineStep } from '../../protocol/ensemble';
import type { ChatMessage, GenerateRequest } from '../backends/backend';
import type { MemberCaller } from './memberCaller';
import type { ResolvedMember } from '../strategies/members';
import { callMember } from './callMember';
import { runMembers } from './runLoop';

export interface RefineJob {
  ensemble: string;
  members: ResolvedMember[];
  text: string;
  instruction: string;
  /** A whole conversation to answer (the gateway's chat completions) instead of `text` to rewrite. */
  conversation?: ChatMessage[];
  maxTokens: number;
  memberTimeoutMs: number;
  deadlineMs: number;
}

/** Where a streamed piece of text belongs: which step (0-based, in chain order), by whom. */
export interface StepToken {
  index: number;
  member: string;
  model: string;
  role: RefineStep['role'];
  /** True for the last member of the chain: its text, when complete, is the answer. */
  last: boolean;
  text: string;
}

export interface RefineListeners {
  onStep(step: RefineStep, done: number, total: number, refineId: string): void;
  onToken?(token: StepToken, total: number, refineId: string): void;
}

const DRAFT_SYSTEM = 'You rewrite text as instructed. Reply with the rewritten text only, no preamble.';
const EDIT_SYSTEM =
  'You are an editor. Improve the draft so it follows the instruction better. Reply with the improved text only, no preamble.';
const EDIT_REPLY_SYSTEM =
  'You are an editor. Improve the draft reply to the conversation: correct, clear, complete. Reply with the improved reply only, no preamble.';

export async function refine(pool: MemberCaller, job: RefineJob, signal: AbortSignal, listeners: RefineListeners): Promise<RefineResult> {
  const total = job.members.length;
  let current = job.conversation ? '' : job.text;
  let drafted = false;
  let converged = false;
  const run = await runMembers<RefineStep>(
    {
      ensemble: job.ensemble,
      members: job.members,
      deadlineMs: job.deadlineMs,
      noun: 'refinement',
      // One member at a time, in chain order: each edits the text the steps before it left.
      next: (asked) => (converged || asked.length === total ? [] : [job.members[asked.length]!.member]),
      ask: async (m, { id, signal: runSignal, index }) => {
        const role = drafted ? 'edit' : 'draft';
        const onToken = (text: string) =>
          listeners.onToken?.({ index, member: m.member, model: m.model, role, last: index === total - 1, text }, total, id);
        const step = await runStep(pool, m, role, stepRequest(job, role, current), job, runSignal, onToken);
        if (step.status === 'ok' && step.text.trim()) {
          const next = step.text.trim();
          // The editor changed nothing: later editors would only see the same draft again.
          if (drafted && next === current) converged = true;
          current = next;
          drafted = true;
        }
        return step;
      },
      onOutcome: (step, done, all, id) => listeners.onStep(step, done, all, id),
      // A failed chain is a partial result with each step's error, not a failed request.
      failWhenNoneCanServe: false,
    },
    signal,
  );
  const steps = run.asked;
  return {
    id: run.id,
    ensemble: job.ensemble,
    original: job.text,
    text: current,
    steps,
    partial: (!converged && steps.length < total) || steps.some((s) => s.status !== 'ok'),
    converged,
    elapsedMs: run.elapsedMs(),
  };
}

function stepRequest(job: RefineJob, role: RefineStep['role'], current: string): Omit<GenerateRequest, 'maxTokens'> {
  if (job.conversation) {
    if (role === 'draft') return { prompt: '', messages: job.conversation };
    const transcript = job.conversation.map((t) => `${t.role}: ${t.content}`).join('\n\n');
    return { system: EDIT_REPLY_SYSTEM, prompt: `Conversation:\n${transcript}\n\nDraft reply:\n${current}` };
  }
  return role === 'edit'
    ? { system: EDIT_SYSTEM, prompt: `Instruction: ${job.instruction}\n\nOriginal text:\n${job.text}\n\nDraft:\n${current}` }
    : { system: DRAFT_SYSTEM, prompt: `Instruction: ${job.instruction}\n\nText:\n${job.text}` };
}

async function runStep(
  pool: MemberCaller,
  m: ResolvedMember,
  role: RefineStep['role'],
  request: Omit<GenerateRequest, 'maxTokens'>,
  job: RefineJob,
  runSignal: AbortSignal,
  onToken: (text: string) => void,
): Promise<RefineStep> {
  const call = await callMember(pool, m.model, runSignal, job.memberTimeoutMs, (b, signal) =>
    b.generate({ ...request, maxTokens: job.maxTokens }, signal, (t) => {
      if (!signal.aborted) onToken(t); // a straggler's late tokens belong to no step any more
    }),
  );
  const base = { member: m.member, model: m.model, role, latencyMs: call.latencyMs };
  return call.ok ? { ...base, status: 'ok', text: call.value.text } : { ...base, status: call.status, text: '', error: call.error };
}
