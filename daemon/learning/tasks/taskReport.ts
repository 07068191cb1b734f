/**
 * Per task present in the recordings (classification, answers, extraction): whether the ensemble
 * beats its best member on held-out items. Classification and answers are both label votes, so they
 * go through the one engine (`evaluate`: answers are their normalized forms, voted by the strategies
 * the daemon runs for answers); extraction is scored span by span (`evaluateExtraction`). Pure.
 */
import type { StrategyName } from '../../../protocol/ensemble';
import { neededVotes } from '../../tasks/spans';
import { evaluate, type EvalOptions, type EvalReport } from '../evaluate';
import type { Recording } from '../recordings';
import { evaluateExtraction, type ExtractionItem, type ExtractionReport } from './extractionEval';
import { verdict, type TaskName, type TaskVerdict } from './verdict';

export interface AnswerItem {
  id: string;
  /** Per member: its normalized answer (null: none usable, or it failed); members not asked are left out. */
  members: Array<{ member: string; normalized: string | null; confidence: number | null }>;
  /** The normalized right answer. */
  gold: string | null;
  /** A quorum agreed on an answer when it was asked. */
  agreed: boolean;
  /** The quorum it was asked with (a share of the members that answered); null: more than half. */
  quorum: number | null;
}

export interface TasksReport {
  verdicts: TaskVerdict[];
  answers: EvalReport | null;
  extraction: ExtractionReport | null;
}

/** The strategies the daemon votes answers with (fitted ones fall back to weighted there). */
export const ANSWER_STRATEGIES: readonly StrategyName[] = ['majority', 'weighted', 'earlyExit'];

export function answerRecordings(items: readonly AnswerItem[]): Recording[] {
  return items.flatMap((it) =>
    it.members.map((m) => ({
      item: it.id,
      model: m.member,
      prediction: m.normalized,
      ...(m.confidence !== null ? { confidence: m.confidence } : {}),
      ...(it.gold !== null ? { gold: it.gold } : {}),
    })),
  );
}

/** The verdict of a label-vote report (classification, answers): its recommendation, read per task. */
export function verdictOfReport(task: TaskName, r: EvalReport, noAgreement?: number): TaskVerdict {
  let best = r.perModel[0];
  for (const m of r.perModel) if (best && m.accuracy > best.accuracy) best = m;
  const rec = r.recommendation;
  const recommended = rec.strategy ? { name: rec.strategy, accuracy: rec.expectedAccuracy, callsPerItem: rec.callsPerItem } : null;
  const s = rec.bestStrategy ?? recommended;
  return verdict({
    task,
    metric: 'accuracy',
    items: r.withGold,
    bestMember: best ? { model: best.model, score: best.accuracy } : null,
    ensemble: s ? { strategy: s.name, score: s.accuracy, callsPerItem: s.callsPerItem } : null,
    gain: r.recommendation.gainOverBestSingle,
    standardError: r.recommendation.gainStandardError,
    diversity: r.diversity,
    noAgreement,
    heldOut: r.split.evaluatedOn === 'held-out',
  });
}

const noData = (task: TaskName, why: string): TaskVerdict => ({
  ...verdict({
    task,
    metric: task === 'extraction' ? 'span F1 per text' : 'accuracy',
    items: 0,
    bestMember: null,
    ensemble: null,
    gain: 0,
    standardError: 0,
    diversity: null,
  }),
  text: `${task}: ${why}`,
});

export function evaluateTasks(
  input: {
    classification: EvalReport | null;
    answers: readonly AnswerItem[];
    extractions: readonly ExtractionItem[];
    /** Classification recordings left out for want of any gold label (live decisions without feedback). */
    unlabelledClassifications?: number;
  },
  opts: Pick<EvalOptions, 'trainFraction' | 'seed'> = {},
): TasksReport {
  const verdicts: TaskVerdict[] = [];
  if (input.classification) verdicts.push(verdictOfReport('classification', input.classification));
  else if (input.unlabelledClassifications) {
    const why = 'none with a gold label: record a labelled dataset (ensemble record) or give feedback.';
    verdicts.push(noData('classification', `${input.unlabelledClassifications} votes recorded, ${why}`));
  }
  let answers: EvalReport | null = null;
  if (input.answers.length > 0) {
    const labelled = input.answers.filter((a) => a.gold !== null);
    if (labelled.length === 0) {
      const why = 'none with a gold answer: record a labelled dataset (ensemble record --task answer) or give feedback.';
      verdicts.push(noData('answers', `${input.answers.length} answers recorded, ${why}`));
    } else {
      // As the daemon answers: a voted answer no quorum backs is "no agreement", so it is not right.
      const quorumOf = new Map(labelled.map((a) => [a.id, a.quorum ?? undefined]));
      const accept: EvalOptions['accept'] = (item, label, votes) => {
        const voters = votes.filter((v) => v.status === 'ok' && v.label !== null);
        return voters.filter((v) => v.label === label).length >= neededVotes(voters.length, quorumOf.get(item.id));
      };
      const base = { ...opts, strategies: [...ANSWER_STRATEGIES], stratify: false, accept };
      try {
        answers = evaluate(answerRecordings(labelled), base);
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        // Too few to split: judge on every item, with nothing fitted, and say so in the report.
        answers = evaluate(answerRecordings(labelled), { ...base, trainFraction: 0 });
      }
      const noAgreement = labelled.filter((a) => !a.agreed).length / labelled.length;
      verdicts.push(verdictOfReport('answers', answers, noAgreement));
    }
  }
  let extraction: ExtractionReport | null = null;
  if (input.extractions.length > 0) {
    if (!input.extractions.some((x) => x.gold !== null)) {
      const why = 'none with gold entities: record a labelled dataset (ensemble record --task extract).';
      verdicts.push(noData('extraction', `${input.extractions.length} extractions recorded, ${why}`));
    } else {
      extraction = evaluateExtraction(input.extractions, opts);
      verdicts.push(extraction.verdict);
    }
  }
  return { verdicts, answers, extraction };
}
