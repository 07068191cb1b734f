/**
 * The one aggregation engine. A strategy is a plan for one input: the weight of each member, a
 * pure asking rule ("given the votes so far, whom to ask next, all at once; nobody: stop") and a
 * pure decision over the votes. The daemon's orchestrator (ensemble/classify.ts) runs the rule
 * live, asking each batch in parallel; `ensemble eval` replays the same rule over recorded votes
 * (`replayPlan`), so both give the same decision and the same number of calls on the same votes.
 */
import type { StrategyName } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import { earlyExitOutcome, settle } from './earlyExit';
import { logOddsWeight, reliabilitiesFor, type StrategyFit } from './fit';
import { majority } from './majority';
import { nextRouted, routerScores, type RouteRule } from './routing';
import { candidatesOf, stackingFeatures, stackingProbabilities } from './stackingFeatures';
import { agreementOf, describeOutcome, isVoting, normalizeSupport, votingMembers } from './tally';
import type { SparseVector } from './textFeatures';
import type { EarlyExitSettingsLike, Outcome, StrategyVote } from './types';
import { weighted } from './weighted';
import { voteRow } from './voteTable';
import { own } from '../../common/ownProperty';

export interface PlanInput {
  labels: readonly string[];
  /** Members in listed order, with their weight from the config and feedback (majority ignores it). */
  members: ReadonlyArray<{ member: string; weight: number }>;
  earlyExit: EarlyExitSettingsLike;
  /** What `ensemble fit` stored for this ensemble; needed by learned, stacking and routed. */
  fit: StrategyFit | null;
  category: string | null;
  /** The input's hashed features (textFeatures.ts); needed by routed and by stacking with a router. */
  features: SparseVector | null;
  /** The router's scores for this input, per fitted member, when already known (replay); else computed from `features`. */
  routerScores?: readonly number[] | null;
  /** Overrides of the fitted routing rule (from the config). */
  route?: Partial<RouteRule>;
}

/** What the router saw: its predicted chance that each member is right, and whom it asks first. */
export interface RouteView {
  scores: Record<string, number>;
  /** Members in the router's order, best first. */
  ranked: string[];
  threshold: number;
  fallback: number;
}

export interface Plan {
  strategy: StrategyName;
  /** The weight each member's vote carries in the decision. */
  weightOf(member: string): number;
  /** Members to ask next, together; [] means stop. `asked`: the votes so far, in asking order. */
  next(asked: readonly StrategyVote[]): string[];
  /** The decision over every member's vote, in listed order (members never asked: `skipped`). */
  decide(votes: readonly StrategyVote[]): Outcome;
  route: RouteView | null;
}

/** Strategies whose parameters come from `ensemble fit`. */
export const FITTED_STRATEGIES: ReadonlySet<StrategyName> = new Set<StrategyName>(['learned', 'stacking', 'routed']);

export function planFor(strategy: StrategyName, input: PlanInput): Plan {
  const listed = input.members.map((m) => m.member);
  const configured = new Map(input.members.map((m) => [m.member, m.weight]));
  const everyone = (asked: readonly StrategyVote[]) => (asked.length === 0 ? [...listed] : []);
  switch (strategy) {
    case 'majority':
      return { strategy, weightOf: (m) => configured.get(m) ?? 1, next: everyone, decide: (v) => majority(v, input.labels), route: null };
    case 'weighted':
      return { strategy, weightOf: (m) => configured.get(m) ?? 1, next: everyone, decide: (v) => weighted(v, input.labels), route: null };
    case 'earlyExit':
      return {
        strategy,
        weightOf: (m) => configured.get(m) ?? 1,
        next: (asked) => nextEarlyExit(asked, listed, input),
        decide: (v) => earlyExitOutcome(v, input.labels, input.earlyExit, 'majority'),
        route: null,
      };
    case 'learned': {
      const { fit, index } = requireFit(strategy, input);
      const r = reliabilitiesFor(fit, input.category);
      const weightOf = (m: string) => logOddsWeight(r[index.get(m)!] ?? 0.5, input.labels.length);
      return { strategy, weightOf, next: everyone, decide: (v) => weighted(v, input.labels), route: null };
    }
    case 'stacking':
      return stackingPlan(input, everyone);
    case 'routed':
      return routedPlan(input);
    default: {
      const unknown: never = strategy;
      throw new EnsembleError('BadInput', `unknown strategy "${String(unknown)}"`);
    }
  }
}

function requireFit(strategy: StrategyName, input: PlanInput): { fit: StrategyFit; index: Map<string, number> } {
  const fit = input.fit;
  if (!fit)
    throw new EnsembleError(
      'BadInput',
      `strategy "${strategy}" needs a fitted aggregation: record a labelled dataset with "ensemble record" and run "ensemble fit"`,
    );
  const index = new Map(fit.members.map((m, i) => [m, i]));
  const missing = input.members.filter((m) => !index.has(m.member)).map((m) => m.member);
  if (missing.length > 0) {
    throw new EnsembleError(
      'BadInput',
      `strategy "${strategy}": the fitted aggregation does not know member(s) ${missing.join(', ')} (fitted on ${fit.members.join(', ')}): run "ensemble fit" again`,
    );
  }
  return { fit, index };
}

/**
 * Speculative early exit (majority): first ask as many members at once as could settle the
 * outcome on their own (agreeK, for the confident-agreement rule), then, while the rest could
 * still change the outcome, the fewest members that could settle it, all at once.
 */
function nextEarlyExit(asked: readonly StrategyVote[], listed: readonly string[], input: PlanInput): string[] {
  const done = new Set(asked.map((v) => v.member));
  const rest = listed.filter((m) => !done.has(m));
  if (rest.length === 0) return [];
  const k = Math.max(1, Math.floor(input.earlyExit.agreeK));
  if (asked.length === 0) return rest.slice(0, Math.min(k, rest.length));
  const inOrder = listed.filter((m) => done.has(m)).map((m) => asked.find((v) => v.member === m)!);
  const remaining = (from: number) => rest.slice(from).map((member) => ({ member, weight: 1 }));
  if (settle(inOrder, remaining(0), input.labels, input.earlyExit, 'majority').settled) return [];
  const leader = majority(inOrder, input.labels).label ?? input.labels[0] ?? null;
  for (let n = 1; n < rest.length; n++) {
    // The best case for stopping: the next n all confirm the leader, confidently.
    const hypothetical = rest
      .slice(0, n)
      .map((member): StrategyVote => ({ member, label: leader, probabilities: {}, confidence: 1, weight: 1, status: 'ok' }));
    if (settle([...inOrder, ...hypothetical], remaining(n), input.labels, input.earlyExit, 'majority').settled) return rest.slice(0, n);
  }
  return rest;
}

function stackingPlan(input: PlanInput, everyone: (asked: readonly StrategyVote[]) => string[]): Plan {
  const { fit, index } = requireFit('stacking', input);
  const stacking = fit.stacking;
  if (!stacking)
    throw new EnsembleError(
      'BadInput',
      'strategy "stacking": the fitted aggregation has no stacking model (too few labelled items with disagreement): record more, then run "ensemble fit"',
    );
  const scores = stacking.usesRouter ? routerScoresFor(fit, input, 'stacking') : null;
  const decide = (votes: readonly StrategyVote[]): Outcome => {
    // A skipped member was never asked; one asked without a label of the set abstained.
    const memberVotes = voteRow(
      fit.members,
      votes.filter((v) => v.status !== 'skipped').map((v) => ({ member: v.member, label: isVoting(v, input.labels) ? v.label : null })),
    );
    const cands = candidatesOf(memberVotes);
    const probs =
      cands.length <= 1
        ? cands.map(() => 1)
        : stackingProbabilities(
            (input.category !== null ? stacking.byCategory?.[input.category] : undefined) ?? stacking.weights,
            stackingFeatures(
              {
                votes: memberVotes,
                categoryReliability: reliabilitiesFor(fit, input.category),
                globalReliability: fit.global,
                labelCount: fit.labelCount,
                routerScores: scores,
                labelSet: stacking.labels ?? null,
                extras: stacking.extras ?? null,
              },
              cands,
            ),
          );
    let best = -1;
    probs.forEach((p, i) => {
      if (best < 0 || p > probs[best]! + 1e-12) best = i;
    });
    const label = best >= 0 ? cands[best]! : null;
    const raw: Record<string, number> = {};
    cands.forEach((c, i) => (raw[c] = probs[i]!));
    const support = normalizeSupport(raw, input.labels);
    const voters = votingMembers(votes, input.labels);
    return {
      label,
      confidence: label === null ? 0 : (own(support, label) ?? 0),
      agreement: agreementOf(voters, label),
      support,
      tie: false,
      voters: voters.length,
      note: describeOutcome({ votes, labels: input.labels, voters, label, tieBreak: null }),
    };
  };
  const r = reliabilitiesFor(fit, input.category);
  return {
    strategy: 'stacking',
    weightOf: (m) => logOddsWeight(r[index.get(m)!] ?? 0.5, input.labels.length),
    next: everyone,
    decide,
    route: null,
  };
}

function routerScoresFor(fit: StrategyFit, input: PlanInput, strategy: StrategyName): readonly number[] {
  if (input.routerScores) return input.routerScores;
  if (!fit.router)
    throw new EnsembleError(
      'BadInput',
      `strategy "${strategy}": the fitted aggregation has no router: run "ensemble fit" again (recordings must hold the input text)`,
    );
  if (!input.features) throw new EnsembleError('BadInput', `strategy "${strategy}" reads the input text, and there is none`);
  return routerScores(fit.router, input.features);
}

function routedPlan(input: PlanInput): Plan {
  const { fit, index } = requireFit('routed', input);
  const all = routerScoresFor(fit, input, 'routed');
  const scoreOf = (m: string) => all[index.get(m)!] ?? 0;
  const listed = input.members.map((m) => m.member);
  const ranked = [...listed].sort((a, b) => scoreOf(b) - scoreOf(a) || listed.indexOf(a) - listed.indexOf(b));
  const rule: RouteRule = {
    threshold: input.route?.threshold ?? fit.router!.threshold,
    fallback: input.route?.fallback ?? fit.router!.fallback,
  };
  const weightOf = (m: string) => logOddsWeight(scoreOf(m), input.labels.length);
  return {
    strategy: 'routed',
    weightOf,
    next: (asked) => nextRouted(asked, ranked, scoreOf, input.labels, rule),
    // Weighted by the router's scores: ties go to the member the router ranked higher.
    decide: (votes) => {
      const byRank = [...votes].sort((a, b) => rank(a) - rank(b));
      const out = weighted(byRank, input.labels);
      return out;
    },
    route: { scores: Object.fromEntries(listed.map((m) => [m, scoreOf(m)])), ranked, threshold: rule.threshold, fallback: rule.fallback },
  };
  function rank(v: StrategyVote): number {
    return ranked.indexOf(v.member);
  }
}

export interface Replayed {
  /** Every member's vote in listed order; members never asked are `skipped`. */
  votes: StrategyVote[];
  outcome: Outcome;
  calls: number;
  /** Batches asked one after another: latency is about rounds × the slowest member of a round. */
  rounds: number;
}

/**
 * Runs a plan over known votes: what the daemon would have asked, in the same batches, and what
 * it would have decided. `voteOf` gives a member's vote (its weight is set from the plan).
 */
export function replayPlan(plan: Plan, listed: readonly string[], voteOf: (member: string) => StrategyVote): Replayed {
  const asked: StrategyVote[] = [];
  let rounds = 0;
  for (;;) {
    const done = new Set(asked.map((v) => v.member));
    const batch = plan.next(asked).filter((m, i, xs) => listed.includes(m) && !done.has(m) && xs.indexOf(m) === i);
    if (batch.length === 0) break;
    rounds++;
    for (const m of batch) asked.push({ ...voteOf(m), member: m, weight: plan.weightOf(m) });
  }
  const byMember = new Map(asked.map((v) => [v.member, v]));
  const votes = listed.map(
    (m): StrategyVote =>
      byMember.get(m) ?? { member: m, label: null, probabilities: {}, confidence: null, weight: plan.weightOf(m), status: 'skipped' },
  );
  return { votes, outcome: plan.decide(votes), calls: asked.length, rounds };
}
