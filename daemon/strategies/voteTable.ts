/**
 * The vote table: items by members, the one shape every learned strategy reads. It is built here
 * and only here, whether the votes come from recordings (`ensemble eval`), from the store
 * (`ensemble fit`) or from one live decision (the engine's stacking), so a fit replays on the
 * same table it was trained on. A vote is a label; `null` is an abstention (the member was asked
 * and named no usable label); `undefined` means the member was never asked (it cost no call).
 */
import { own } from '../../common/ownProperty';

/** One item's votes, per member in table order. */
export type MemberVotes = ReadonlyArray<string | null | undefined>;

export interface Item {
  id: string;
  category: string | null;
  gold: string | null;
  /** Per member, in table order. */
  votes: Array<string | null | undefined>;
  /** Per member: confidence in its vote (calibrated when calibration ran), when recorded. */
  confidences: Array<number | undefined>;
  /** Per member: probability per label, when recorded. */
  probabilities: Array<Record<string, number> | undefined>;
  /** The input text, when recorded (the router reads it). */
  text?: string | null;
}

export interface VoteTable {
  models: string[];
  items: Item[];
}

/** One member's vote on one item, with what is known of the item. */
export interface VoteCell {
  item: string;
  member: string;
  label: string | null;
  confidence?: number | undefined;
  probabilities?: Record<string, number> | undefined;
  gold?: string | null | undefined;
  category?: string | null | undefined;
  text?: string | null | undefined;
}

/**
 * The table over `members` (its columns, and so the tie-break order). Items come in the order of
 * their first cell; cells of other members are left out; a later cell of the same member and item
 * replaces the earlier one. A confidence not given is the probability of the vote's label.
 */
export function buildVoteTable(members: readonly string[], cells: Iterable<VoteCell>): VoteTable {
  const col = new Map(members.map((m, j) => [m, j]));
  const byId = new Map<string, Item>();
  for (const c of cells) {
    const j = col.get(c.member);
    if (j === undefined) continue;
    let it = byId.get(c.item);
    if (!it) {
      it = {
        id: c.item,
        category: c.category ?? null,
        gold: c.gold ?? null,
        votes: new Array(members.length).fill(undefined),
        confidences: new Array(members.length).fill(undefined),
        probabilities: new Array(members.length).fill(undefined),
      };
      byId.set(c.item, it);
    }
    if (it.gold === null && c.gold !== undefined) it.gold = c.gold;
    if (it.category === null && c.category !== undefined) it.category = c.category;
    if (!it.text && c.text !== undefined) it.text = c.text;
    it.votes[j] = c.label;
    let confidence = c.confidence;
    if (c.probabilities) {
      it.probabilities[j] = c.probabilities;
      if (confidence === undefined && c.label !== null) confidence = own(c.probabilities, c.label) ?? 0;
    }
    it.confidences[j] = confidence;
  }
  return { models: [...members], items: [...byId.values()] };
}

/** One item's row of the table (a live decision's votes): every member `undefined` when no cell names one. */
export function voteRow(members: readonly string[], cells: Iterable<Omit<VoteCell, 'item'>>): MemberVotes {
  const one = function* () {
    for (const c of cells) yield { ...c, item: '' };
  };
  return buildVoteTable(members, one()).items[0]?.votes ?? members.map(() => undefined);
}
