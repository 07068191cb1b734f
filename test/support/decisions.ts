/** Decisions and votes for tests of what clients show: an agreeing `bug` by default, any field overridden. */
import type { Decision, Vote } from '../../protocol/ensemble';

export function voteOf(member: string, label: string | null, extra: Partial<Vote> = {}): Vote {
  return {
    member,
    model: member,
    promptStyle: 'direct',
    status: 'ok',
    label,
    confidence: label ? 0.9 : null,
    rawConfidence: label ? 0.9 : null,
    confidenceSource: 'logprobs',
    probabilities: label ? { [label]: 0.9 } : {},
    weight: 1,
    latencyMs: 5,
    ...extra,
  };
}

export function decisionOf(id: string, extra: Partial<Decision> = {}): Decision {
  return {
    id,
    ensemble: 'default',
    strategy: 'majority',
    labels: ['bug', 'feature'],
    label: 'bug',
    confidence: 1,
    agreement: 1,
    votes: [voteOf('a', 'bug'), voteOf('b', 'bug')],
    partial: false,
    earlyExit: false,
    note: '',
    elapsedMs: 10,
    createdAt: '2026-01-01T00:00:00.000Z',
    inputHash: 'x',
    ...extra,
  };
}
