/**
 * Extraction, evaluated like classification: each member alone (its spans aligned to the text, as
 * the daemon would keep them from a one-member ensemble) and the span vote at every quorum, scored
 * span by span against gold entities (precision, recall, F1). The quorum is chosen on the train
 * split, everything reported on the held-out split, and the verdict compares the chosen vote with
 * the best member by F1 per text (paired per text, so it has a standard error). Pure.
 */
import type { ProposedSpan } from '../../../protocol/tasks';
import { voteSpans } from '../../tasks/spans';
import type { Item } from '../aggregators/types';
import { diversity, type Diversity } from '../diversity';
import { trainTestSplit } from '../split';
import { addCounts, pairedStandardError, prf, spanCounts, type Prf, type SpanCounts, type TypedText } from './spanScore';
import { verdict, type TaskVerdict } from './verdict';

export interface ExtractionItem {
  id: string;
  text: string;
  types: string[];
  /** Per member: the spans it proposed, or null when it failed or timed out (it found nothing). */
  members: Array<{ member: string; spans: ProposedSpan[] | null }>;
  gold: TypedText[] | null;
}

export interface ExtractionScore extends Prf {
  name: string;
  /** F1 per text, averaged: what the verdict compares. */
  meanF1: number;
  /** Micro counts over the held-out texts. */
  counts: SpanCounts;
}

export interface ExtractionReport {
  models: string[];
  items: number;
  split: { train: number; test: number; evaluatedOn: 'held-out' | 'all items' };
  perMember: ExtractionScore[];
  /** The span vote at each quorum ("k of M": a span needs k members). */
  votes: Array<ExtractionScore & { needed: number; trainMeanF1: number | null }>;
  chosen: string | null;
  diversity: Diversity;
  verdict: TaskVerdict;
}

const ZERO: SpanCounts = { tp: 0, fp: 0, fn: 0 };

function score(name: string, perItem: SpanCounts[]): ExtractionScore {
  const counts = perItem.reduce(addCounts, ZERO);
  const meanF1 = perItem.length ? perItem.reduce((s, c) => s + prf(c).f1, 0) / perItem.length : 0;
  return { name, ...prf(counts), meanF1, counts };
}

/** What one member alone yields on an item: its spans that are in the text (the daemon drops the rest). */
function memberAlone(it: ExtractionItem, member: string): TypedText[] {
  const m = it.members.find((x) => x.member === member);
  if (!m?.spans) return [];
  return voteSpans(it.text, it.types, [{ member, spans: m.spans }], 1).kept;
}

/** The span vote with `needed` of the members: a share of those that answered, as the daemon's quorum. */
function voted(it: ExtractionItem, needed: number, of: number): TypedText[] {
  const answered = it.members.filter((m) => m.spans !== null).map((m) => ({ member: m.member, spans: m.spans! }));
  return voteSpans(it.text, it.types, answered, needed / of).kept;
}

export function evaluateExtraction(all: readonly ExtractionItem[], opts: { trainFraction?: number; seed?: number } = {}): ExtractionReport {
  const trainFraction = opts.trainFraction ?? 0.5;
  const seed = opts.seed ?? 42;
  const models = [...new Set(all.flatMap((it) => it.members.map((m) => m.member)))];
  const labelled = all.filter((it) => it.gold !== null);
  const fitting = trainFraction > 0;
  let { train, test } = fitting
    ? trainTestSplit(labelled, { trainFraction, seed, id: (x) => x.id })
    : { train: [] as ExtractionItem[], test: labelled };
  // Too few texts to hold any out: say so rather than report on train.
  if (test.length === 0) ({ train, test } = { train: [], test: labelled });
  const M = models.length;
  const perItem = (items: readonly ExtractionItem[], predict: (it: ExtractionItem) => TypedText[]) =>
    items.map((it) => spanCounts(predict(it), it.gold!));
  const perMember = models.map((m) =>
    score(
      m,
      perItem(test, (it) => memberAlone(it, m)),
    ),
  );
  const majority = Math.floor(M / 2) + 1;
  const votes = Array.from({ length: M }, (_, k) => k + 1).map((needed) => {
    const name = needed === majority ? `${needed} of ${M} (majority)` : `${needed} of ${M}`;
    const trainMeanF1 = train.length
      ? score(
          name,
          perItem(train, (it) => voted(it, needed, M)),
        ).meanF1
      : null;
    return {
      ...score(
        name,
        perItem(test, (it) => voted(it, needed, M)),
      ),
      needed,
      trainMeanF1,
    };
  });
  // Chosen on train when there is one (ties: the daemon's default, majority, then fewer needed).
  const key = (v: (typeof votes)[number]) => v.trainMeanF1 ?? v.meanF1;
  const isMajority = (v: (typeof votes)[number]) => Number(v.needed === majority);
  const chosen = [...votes].sort((a, b) => key(b) - key(a) || isMajority(b) - isMajority(a) || a.needed - b.needed)[0];
  let best = perMember[0];
  for (const p of perMember) if (best && p.meanF1 > best.meanF1) best = p;
  const f1s = (predict: (it: ExtractionItem) => TypedText[]) => test.map((it) => prf(spanCounts(predict(it), it.gold!)).f1);
  const bestF1s = best ? f1s((it) => memberAlone(it, best!.name)) : [];
  const chosenF1s = chosen ? f1s((it) => voted(it, chosen.needed, M)) : [];
  const gain = chosen && best ? chosen.meanF1 - best.meanF1 : 0;
  // Error of a member on a text: it did not get the text's entities exactly right (F1 below 1).
  const errorItems: Item[] = test.map((it) => ({
    id: it.id,
    category: null,
    gold: 'right',
    votes: models.map((m) => (prf(spanCounts(memberAlone(it, m), it.gold!)).f1 === 1 ? 'right' : 'wrong')),
    confidences: [],
    probabilities: [],
  }));
  const div = diversity(errorItems, models);
  return {
    models,
    items: all.length,
    split: { train: train.length, test: test.length, evaluatedOn: train.length > 0 ? 'held-out' : 'all items' },
    perMember,
    votes,
    chosen: chosen?.name ?? null,
    diversity: div,
    verdict: verdict({
      task: 'extraction',
      metric: 'span F1 per text',
      items: test.length,
      bestMember: best ? { model: best.name, score: best.meanF1 } : null,
      ensemble: chosen ? { strategy: `span vote ${chosen.name}`, score: chosen.meanF1, callsPerItem: M } : null,
      gain,
      standardError: pairedStandardError(chosenF1s, bestF1s),
      diversity: div,
      heldOut: train.length > 0,
    }),
  };
}
