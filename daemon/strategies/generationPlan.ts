/**
 * The asking rule of the generation strategies, pure like the label strategies' plans (engine.ts):
 * "given the answers so far, whom to ask next, together; nobody: stop", and which member's answer
 * is the result. The daemon runs it live (ensemble/generate.ts); `replayGeneration` runs it over
 * recorded answers, so both ask the same members in the same rounds and pick the same answer.
 */
import type { GenerationStrategy, PanelAnswer, PanelStatus } from '../../protocol/generation';
import { muxPick } from './selfConsistency';

export interface AskedAnswer {
  member: string;
  status: PanelStatus;
  /** Passed the acceptance check (firstSuccess); an `ok` answer otherwise. */
  accepted: boolean;
  latencyMs: number;
  round: number;
  /** mux: the share of the member's samples agreeing with its own majority. */
  consistency?: number;
}

export interface GenerationPlan {
  strategy: Exclude<GenerationStrategy, 'refine'>;
  next(asked: readonly AskedAnswer[]): string[];
  /** The member whose answer is the result, or null (compare; fusion, where the judge decides). */
  pick(asked: readonly AskedAnswer[]): string | null;
}

export function generationPlanFor(
  strategy: Exclude<GenerationStrategy, 'refine'>,
  listed: readonly string[],
  k = 1,
  /** mux's tie-break: a member's validation accuracy from feedback on its recorded answers, when there is any. */
  accuracyOf: (member: string) => number | null = () => null,
): GenerationPlan {
  const everyoneOnce = (asked: readonly AskedAnswer[]) => (asked.length === 0 ? [...listed] : []);
  if (strategy === 'mux') {
    const pick = (asked: readonly AskedAnswer[]) =>
      muxPick(
        asked.filter((a) => a.accepted).map((a) => ({ member: a.member, consistency: a.consistency ?? 0, accuracy: accuracyOf(a.member) })),
      );
    return { strategy, next: everyoneOnce, pick };
  }
  if (strategy !== 'firstSuccess') return { strategy, next: everyoneOnce, pick: () => null };
  const size = Math.max(1, Math.floor(k));
  return {
    strategy,
    next: (asked) => {
      if (asked.some((a) => a.accepted)) return [];
      const done = new Set(asked.map((a) => a.member));
      return listed.filter((m) => !done.has(m)).slice(0, size);
    },
    // Within the round that succeeded, the accepted answer that arrived first; ties go to the earlier-listed member.
    pick: (asked) => {
      const accepted = asked.filter((a) => a.accepted);
      if (accepted.length === 0) return null;
      const best = accepted.reduce((a, b) => (b.latencyMs < a.latencyMs ? b : a));
      return best.member;
    },
  };
}

export interface ReplayedGeneration {
  asked: AskedAnswer[];
  picked: string | null;
  calls: number;
  rounds: number;
}

/** Runs a plan over known answers (`answerOf` gives a member's recorded answer). */
export function replayGeneration(
  plan: GenerationPlan,
  listed: readonly string[],
  answerOf: (member: string) => Omit<AskedAnswer, 'member' | 'round'>,
): ReplayedGeneration {
  const asked: AskedAnswer[] = [];
  let rounds = 0;
  for (;;) {
    const done = new Set(asked.map((a) => a.member));
    const batch = plan.next(asked).filter((m, i, xs) => listed.includes(m) && !done.has(m) && xs.indexOf(m) === i);
    if (batch.length === 0) break;
    rounds++;
    const round = batch.map((member) => ({ ...answerOf(member), member, round: rounds }));
    // A round of firstSuccess ends at its first accepted answer: the slower ones were cancelled, not accepted.
    const firstAccepted = round.filter((a) => a.accepted).sort((a, b) => a.latencyMs - b.latencyMs)[0];
    for (const a of round)
      asked.push(firstAccepted && a !== firstAccepted && plan.strategy === 'firstSuccess' ? { ...a, accepted: false } : a);
  }
  return { asked, picked: plan.pick(asked), calls: asked.length, rounds };
}

/** The plan's view of an answer (live and replayed runs hand the plan the same facts). */
export function toAsked(a: PanelAnswer): AskedAnswer {
  return {
    member: a.member,
    status: a.status,
    accepted: a.status === 'ok' && a.text.trim().length > 0,
    latencyMs: a.latencyMs,
    round: a.round,
    ...(a.consistency !== undefined ? { consistency: a.consistency } : {}),
  };
}
