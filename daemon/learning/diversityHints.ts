/**
 * Diversity you can read (pure): which members add something to the vote and which only repeat
 * another, as figures (agreement, error correlation, dissent) and as plain-words hints, e.g.
 * "B agrees with A on 96 % of items and adds nothing". Error correlation comes from diversity.ts;
 * this file adds what an operator acts on: agreement over every item both members answered
 * (gold or not), how often each member goes against the others and whether it is right then.
 *
 * Works on the same vote table as `ensemble eval` (Item[]): from recordings (buildTable), or from
 * the daemon's recorded decisions with their feedback (itemsFromDecisions).
 */
import type { Decision } from '../../protocol/ensemble';
import type { Item } from './aggregators/types';
import { diversity } from './diversity';

export interface MemberDissent {
  member: string;
  /** Items this member voted on alongside at least one other member. */
  votes: number;
  /** Of those, items where its vote differed from the others' most common vote. */
  dissents: number;
  dissentRate: number;
  /** Dissents on items with gold, and the share of those where it was right (null without any). */
  judged: number;
  rightWhenDissenting: number | null;
}

export interface DiversitySummary {
  members: string[];
  items: number;
  withGold: number;
  /** Share of items both members voted on where they gave the same vote; null when they never shared one. */
  agreement: Array<Array<number | null>>;
  /** Items both members voted on. */
  shared: number[][];
  /** Phi coefficient of the error indicators (diversity.ts); null when undefined. */
  errorCorrelation: Array<Array<number | null>>;
  accuracy: Array<number | null>;
  dissent: MemberDissent[];
  hints: string[];
}

export interface HintOptions {
  /** Agreement from which a pair counts as redundant. */
  redundantAt?: number;
  /** Error correlation from which two members count as making the same mistakes. */
  sameErrorsAt?: number;
  /** Fewest shared items before saying anything about a pair or a member. */
  minItems?: number;
}

const DEFAULTS: Required<HintOptions> = { redundantAt: 0.95, sameErrorsAt: 0.8, minItems: 10 };

/** Decisions of one ensemble (with their gold, when known) as a vote table: answered votes count, failures are "not asked". */
export function itemsFromDecisions(
  decisions: ReadonlyArray<{ decision: Decision; gold: string | null }>,
  members: readonly string[],
): Item[] {
  const col = new Map(members.map((m, j) => [m, j]));
  return decisions.map(({ decision, gold }) => {
    const votes: Array<string | null | undefined> = new Array(members.length).fill(undefined);
    for (const v of decision.votes) {
      const j = col.get(v.member);
      if (j !== undefined && v.status === 'ok') votes[j] = v.label;
    }
    return { id: decision.id, category: null, gold, votes, confidences: [], probabilities: [] };
  });
}

export function summarizeDiversity(items: readonly Item[], members: readonly string[], options: HintOptions = {}): DiversitySummary {
  const opts = { ...DEFAULTS, ...options };
  const M = members.length;
  const agreement: Array<Array<number | null>> = [];
  const shared: number[][] = [];
  for (let i = 0; i < M; i++) {
    agreement.push([]);
    shared.push([]);
    for (let j = 0; j < M; j++) {
      let both = 0;
      let same = 0;
      for (const it of items) {
        const a = it.votes[i];
        const b = it.votes[j];
        if (a === undefined || b === undefined) continue;
        both++;
        if (a === b) same++;
      }
      agreement[i]!.push(both === 0 ? null : same / both);
      shared[i]!.push(both);
    }
  }
  const accuracy = members.map((_, i) => {
    const judged = items.filter((it) => it.gold !== null && it.votes[i] !== undefined);
    return judged.length === 0 ? null : judged.filter((it) => it.votes[i] === it.gold).length / judged.length;
  });
  const dissent = members.map((member, i) => dissentOf(items, i, member));
  const errorCorrelation = diversity(items, members).errorCorrelation;
  const withGold = items.filter((it) => it.gold !== null).length;
  const summary = { members: [...members], items: items.length, withGold, agreement, shared, errorCorrelation, accuracy, dissent };
  return { ...summary, hints: diversityHints(summary, opts) };
}

function dissentOf(items: readonly Item[], i: number, member: string): MemberDissent {
  let votes = 0;
  let dissents = 0;
  let judged = 0;
  let right = 0;
  for (const it of items) {
    const mine = it.votes[i];
    if (mine === undefined) continue;
    const counts = new Map<string | null, number>();
    it.votes.forEach((v, j) => j !== i && v !== undefined && counts.set(v, (counts.get(v) ?? 0) + 1));
    if (counts.size === 0) continue;
    votes++;
    const top = Math.max(...counts.values());
    const majority = [...counts].filter(([, c]) => c === top).map(([v]) => v);
    if (majority.includes(mine)) continue;
    dissents++;
    if (it.gold !== null) {
      judged++;
      if (mine === it.gold) right++;
    }
  }
  return {
    member,
    votes,
    dissents,
    dissentRate: votes ? dissents / votes : 0,
    judged,
    rightWhenDissenting: judged ? right / judged : null,
  };
}

const pct = (x: number): string => `${Math.round(100 * x)} %`;
const modelOf = (member: string): string => member.split('#')[0]!;

/** The plain-words reading of the figures, most useful first. */
export function diversityHints(s: Omit<DiversitySummary, 'hints'>, options: HintOptions = {}): string[] {
  const opts = { ...DEFAULTS, ...options };
  const M = s.members.length;
  if (M < 2) return [];
  if (s.items < opts.minItems) {
    return [`Too few decisions (${s.items}) to judge which members add diversity: at least ${opts.minItems} are needed.`];
  }
  const hints: string[] = [];
  const redundant = new Set<string>();
  const pairs: Array<{ i: number; j: number; a: number }> = [];
  for (let i = 0; i < M; i++) {
    for (let j = i + 1; j < M; j++) {
      const a = s.agreement[i]![j];
      if (a !== null && a !== undefined && a >= opts.redundantAt && s.shared[i]![j]! >= opts.minItems) pairs.push({ i, j, a });
    }
  }
  pairs.sort((x, y) => y.a - x.a);
  for (const { i, j, a } of pairs.slice(0, 3)) {
    // The one that adds nothing is the less accurate one (the later one when accuracy is unknown or equal).
    const [keep, drop] = (s.accuracy[j] ?? -1) > (s.accuracy[i] ?? -1) ? [j, i] : [i, j];
    const A = s.members[keep]!;
    const B = s.members[drop]!;
    redundant.add(`${Math.min(i, j)},${Math.max(i, j)}`);
    hints.push(
      modelOf(A) === modelOf(B)
        ? `${B} agrees with ${A} (another prompt of the same model) on ${pct(a)} of items: the prompt variant adds nothing; drop it or try another prompt style.`
        : `${B} agrees with ${A} on ${pct(a)} of items and adds nothing: drop it or replace it with a different model.`,
    );
  }
  for (let i = 0; i < M; i++) {
    for (let j = i + 1; j < M; j++) {
      const r = s.errorCorrelation[i]![j];
      if (r === null || r === undefined || r < opts.sameErrorsAt || redundant.has(`${i},${j}`)) continue;
      hints.push(
        `${s.members[i]} and ${s.members[j]} make the same mistakes (error correlation ${r.toFixed(2)}): together they count one error twice.`,
      );
    }
  }
  const candidates = s.dissent.filter((d) => d.votes >= opts.minItems && d.dissents > 0);
  const most = candidates.sort((x, y) => y.dissentRate - x.dissentRate)[0];
  if (most) {
    const base = `${most.member} disagrees most (with the others on ${pct(most.dissentRate)} of items)`;
    const right = most.rightWhenDissenting;
    if (right === null) hints.push(`${base}; give feedback on decisions to learn whether it is right when it does.`);
    else if (right >= 0.5)
      hints.push(
        `${base} and is right ${pct(right)} of the time when it does: it adds diversity the vote can use; consider a higher weight.`,
      );
    else
      hints.push(
        `${base} and is right ${pct(right)} of the time when it does${right < 0.2 ? ': mostly noise, lower its weight or replace it' : ''}.`,
      );
  }
  if (hints.length === 0) hints.push('No member repeats another: every member adds something to the vote.');
  return hints;
}
