/**
 * Entity extraction by vote: every member lists the entities of the asked types as JSON (constrained
 * by a JSON schema where the backend supports it), their spans are aligned to the input and voted
 * (daemon/tasks/spans.ts). Members run in parallel under per-member timeouts and the deadline.
 */
import { z } from 'zod';
import { EnsembleError } from '../../protocol/errors';
import { ExtractionResult, type ExtractionVote } from '../../protocol/tasks';
import type { MemberCaller } from './memberCaller';
import { parseMemberJson } from '../tasks/memberJson';
import { alignSpans, alignmentInput, voteAligned, type AlignedSpans } from '../tasks/spans';
import { fitExtraction, fitVote } from '../tasks/fitExtraction';
import { LIMITS } from '../../protocol/limits';
import { callMember } from './callMember';
import type { ResolvedMember } from '../strategies/members';
import { runMembers } from './runLoop';
import { own } from '../../common/ownProperty';
import { isoNow } from '../../common/isoNow';

export interface ExtractJob {
  ensemble: string;
  members: ResolvedMember[];
  text: string;
  types: string[];
  quorum?: number;
  instruction?: string;
  memberTimeoutMs: number;
  deadlineMs: number;
}

const MemberSpan = z.object({ type: z.string().max(200), text: z.string().max(LIMITS.maxSpanChars) });
const MemberAnswer = z.union([
  z.object({ entities: z.array(MemberSpan).max(LIMITS.maxSpansPerMember) }),
  z.array(MemberSpan).max(LIMITS.maxSpansPerMember),
]);
/** A vote sent as progress is one frame of its own: its proposed spans are cut to half the reply budget. */
const PROGRESS_VOTE_BYTES = LIMITS.maxReplyBytes / 2;

const SYSTEM =
  'You extract named entities from a text. Reply with JSON only, {"entities": [{"type": "<one of the types>", "text": "<the entity, copied exactly from the text>"}]}. ' +
  'List every entity of the given types; an empty list when there is none.';

export function extractionSchema(types: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      entities: {
        type: 'array',
        items: {
          type: 'object',
          properties: { type: { type: 'string', enum: [...types] }, text: { type: 'string' } },
          required: ['type', 'text'],
          additionalProperties: false,
        },
      },
    },
    required: ['entities'],
    additionalProperties: false,
  };
}

export async function extract(
  pool: MemberCaller,
  job: ExtractJob,
  signal: AbortSignal,
  onVote: (v: ExtractionVote, done: number, total: number, id: string) => void,
): Promise<ExtractionResult> {
  const prompt = `${job.instruction ? `${job.instruction}\n\n` : ''}Entity types: ${job.types.join(', ')}\n\nText:\n${job.text}`;
  const schema = extractionSchema(job.types);
  const on = alignmentInput(job.text, job.types);
  const alignedBy = new Map<string, AlignedSpans>();
  const run = await runMembers<ExtractionVote>(
    {
      ensemble: job.ensemble,
      members: job.members,
      deadlineMs: job.deadlineMs,
      noun: 'extraction',
      // Every member at once: spans are voted only once all have answered.
      next: (asked) => (asked.length === 0 ? job.members.map((m) => m.member) : []),
      ask: async (m, { signal: runSignal }) => {
        const call = await callMember(pool, m.model, runSignal, job.memberTimeoutMs, async (b, s) => {
          const { text } = await b.generate({ system: SYSTEM, prompt, jsonSchema: schema, maxTokens: 1024 }, s);
          const parsed = MemberAnswer.safeParse(parseMemberJson(text));
          if (!parsed.success)
            throw new EnsembleError(
              'BackendError',
              `the member's JSON is not a list of entities: ${z.prettifyError(parsed.error).slice(0, 300)}`,
            );
          const spans = Array.isArray(parsed.data) ? parsed.data : parsed.data.entities;
          // Aligned inside the member's call: whatever its spans make this throw is its own error.
          return { spans, aligned: alignSpans(on, spans) };
        });
        const base = { member: m.member, model: m.model, latencyMs: call.latencyMs, unaligned: 0 };
        if (call.ok) alignedBy.set(m.member, call.value.aligned);
        return call.ok
          ? { ...base, status: 'ok', spans: call.value.spans }
          : { ...base, status: call.status, spans: [], error: call.error };
      },
      onOutcome: (vote, done, total, id) => onVote(fitVote(vote, PROGRESS_VOTE_BYTES), done, total, id),
    },
    signal,
  );
  const votes = run.outcomes;
  const answered = votes.filter((v) => v.status === 'ok');
  const vote = voteAligned(
    job.text,
    answered.map((v) => ({ member: v.member, aligned: alignedBy.get(v.member)! })),
    job.quorum,
  );
  const finalVotes = votes.map((v) => ({ ...v, unaligned: own(vote.unaligned, v.member) ?? 0 }));
  const failed = votes.length - answered.length;
  const notes = [`${answered.length} of ${votes.length} members answered; a span needs ${vote.needed}`];
  if (failed) notes.push(`${failed} timed out or failed`);
  const unaligned = Object.values(vote.unaligned).reduce((a, b) => a + b, 0);
  if (unaligned) notes.push(`${unaligned} span${unaligned > 1 ? 's' : ''} not found in the text were dropped`);
  const result: ExtractionResult = {
    id: run.id,
    ensemble: job.ensemble,
    types: job.types,
    spans: vote.kept,
    rejected: vote.rejected,
    quorum: job.quorum ?? vote.needed / Math.max(1, answered.length),
    votes: finalVotes,
    partial: failed > 0,
    note: notes.join('; '),
    elapsedMs: run.elapsedMs(),
    createdAt: isoNow(),
  };
  const fitted = fitExtraction(result, vote.dropped);
  if (fitted.dropped) fitted.note += `; reply cut to fit: ${describeDropped(fitted.dropped)}`;
  return checkedReply(fitted);
}

/**
 * The daemon's end of the check the client makes: the reply matches the protocol schema (a cut
 * reply says what it dropped) and fits the reply budget. Failing here is a bug of ours, reported
 * as one, rather than a frame the client refuses with a closed connection.
 */
function checkedReply(r: ExtractionResult): ExtractionResult {
  const parsed = ExtractionResult.safeParse(r);
  if (!parsed.success) throw new EnsembleError('InternalError', `extraction reply off the protocol: ${z.prettifyError(parsed.error)}`);
  const bytes = Buffer.byteLength(JSON.stringify(r));
  if (bytes > LIMITS.maxReplyBytes)
    throw new EnsembleError('InternalError', `extraction reply of ${bytes} bytes, over ${LIMITS.maxReplyBytes}`);
  return r;
}

function describeDropped(d: NonNullable<ExtractionResult['dropped']>): string {
  const missing = [
    d.spans && `${d.spans} kept spans`,
    d.rejected && `${d.rejected} rejected spans`,
    d.proposed && `${d.proposed} proposed spans`,
  ].filter(Boolean);
  const parts = missing.length ? [`${missing.join(', ')} not listed`] : [];
  if (d.occurrences) parts.push(`${d.occurrences} spans aligned to their first ${LIMITS.maxOccurrencesPerSpan} places only`);
  return parts.join('; ');
}
