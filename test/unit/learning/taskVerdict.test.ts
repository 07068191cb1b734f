/**
 * When an ensemble helps, per task: span scoring table-tested on realistic cases, the paired standard
 * error, the verdict's wording and shared failure modes, extraction's quorum chosen on train and
 * judged on held-out texts, and answers judged through the one engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGold } from '../../../cli/commands/extract';
import { CliError } from '../../../cli/connect';
import { reportHtml } from '../../../daemon/learning/reportHtml';
import { evaluateExtraction, type ExtractionItem } from '../../../daemon/learning/tasks/extractionEval';
import { pairedStandardError, prf, spanCounts } from '../../../daemon/learning/tasks/spanScore';
import { evaluateTasks, type AnswerItem } from '../../../daemon/learning/tasks/taskReport';
import { sharedFailures, verdict } from '../../../daemon/learning/tasks/verdict';

const p = (type: string, text: string) => ({ type, text });

describe('spanCounts and prf', () => {
  const gold = [p('person', 'Ada Lovelace'), p('person', 'Charles Babbage'), p('location', 'London')];
  const cases: Array<
    [
      string,
      Array<{ type: string; text: string }>,
      Array<{ type: string; text: string }>,
      [number, number, number],
      [number, number, number],
    ]
  > = [
    ['exact', gold, gold, [3, 0, 0], [1, 1, 1]],
    [
      'casing, spacing and trailing punctuation still match',
      [p('person', 'ADA  lovelace'), p('person', 'charles babbage'), p('location', 'London.')],
      gold,
      [3, 0, 0],
      [1, 1, 1],
    ],
    [
      'a partial name is a false positive and a miss',
      [p('person', 'Ada Lovelace'), p('person', 'Babbage'), p('location', 'London')],
      gold,
      [2, 1, 1],
      [2 / 3, 2 / 3, 2 / 3],
    ],
    ['the right text with the wrong type counts as wrong', [p('person', 'London')], gold, [0, 1, 3], [0, 0, 0]],
    ['an entity listed twice counts once', [p('person', 'Ada Lovelace'), p('person', 'ada lovelace')], gold, [1, 0, 2], [1, 1 / 3, 0.5]],
    ['nothing found in a text with entities: no false claim, nothing recalled', [], gold, [0, 0, 3], [1, 0, 0]],
    ['nothing found where there is nothing: perfect', [], [], [0, 0, 0], [1, 1, 1]],
    ['something found where there is nothing', [p('date', '1843')], [], [0, 1, 0], [0, 1, 0]],
  ];
  for (const [name, predicted, g, counts, scores] of cases) {
    it(name, () => {
      const c = spanCounts(predicted, g);
      assert.deepEqual([c.tp, c.fp, c.fn], counts);
      const s = prf(c);
      assert.deepEqual(
        [s.precision, s.recall, s.f1].map((x) => Number(x.toFixed(6))),
        scores.map((x) => Number(x.toFixed(6))),
      );
    });
  }
});

describe('pairedStandardError', () => {
  it('is 0 for a constant difference and for fewer than two items, the SE of the mean difference otherwise', () => {
    assert.equal(pairedStandardError([1, 1, 1], [0, 0, 0]), 0);
    assert.equal(pairedStandardError([1], [0]), 0);
    // Differences 1, 0, 0, 1: mean 0.5, sample variance 1/3, SE sqrt(1/3 / 4).
    assert.equal(pairedStandardError([1, 1, 0, 1], [0, 1, 0, 0]).toFixed(6), Math.sqrt(1 / 12).toFixed(6));
  });
});

const div = (models: string[], r: number | null, n = 10) => ({
  models,
  errorCorrelation: models.map((_, i) => models.map((__, j) => (i === j ? 1 : r))),
  disagreement: models.map(() => models.map(() => 0)),
  pairItems: models.map(() => models.map(() => n)),
});

describe('verdict', () => {
  const base = {
    task: 'classification' as const,
    metric: 'accuracy',
    items: 100,
    bestMember: { model: 'qwen', score: 0.7 },
    ensemble: { strategy: 'majority', score: 0.75, callsPerItem: 3 },
    diversity: null,
  };
  it('says the ensemble beats its best member by X points (± SE) when the gain is over two standard errors', () => {
    const v = verdict({ ...base, gain: 0.05, standardError: 0.02 });
    assert.equal(v.helps, true);
    assert.equal(v.suggestion, 'ensemble');
    assert.match(v.text, /^classification: the ensemble beats its best member by 5\.0 points \(± 2\.0\)/);
  });
  it('names the single model when the gain is within two standard errors, or nothing', () => {
    const noisy = verdict({ ...base, gain: 0.03, standardError: 0.02 });
    assert.equal(noisy.helps, false);
    assert.equal(noisy.suggestion, 'single');
    assert.match(noisy.text, /within 2 standard errors.*use qwen alone/);
    assert.match(verdict({ ...base, gain: -0.02, standardError: 0.01 }).text, /does not beat its best member.*use qwen alone/);
  });
  it('suggests refinement for answers members rarely agree on (open-ended)', () => {
    const v = verdict({ ...base, task: 'answers', gain: 0, standardError: 0, noAgreement: 0.8 });
    assert.equal(v.suggestion, 'refine');
    assert.match(v.text, /open-ended; use refinement/);
    assert.equal(verdict({ ...base, task: 'answers', gain: 0, standardError: 0, noAgreement: 0.2 }).suggestion, 'single');
  });
  it('flags members whose errors go together, only with enough items behind the correlation', () => {
    const v = verdict({ ...base, gain: 0, standardError: 0, diversity: div(['a', 'b'], 0.9) });
    assert.deepEqual(
      v.sharedFailures.map((s) => [s.a, s.b, s.correlation]),
      [['a', 'b', 0.9]],
    );
    assert.match(v.text, /a and b share one failure mode \(error correlation 0\.90\)/);
    assert.deepEqual(sharedFailures(div(['a', 'b'], 0.3)), []);
    assert.deepEqual(sharedFailures(div(['a', 'b'], 0.95, 3)), []);
    assert.deepEqual(sharedFailures(div(['a', 'b'], null)), []);
  });
  it('with no labelled item asks for a labelled dataset', () => {
    const v = verdict({ ...base, items: 0, gain: 0, standardError: 0 });
    assert.equal(v.suggestion, 'record');
    assert.equal(v.helps, false);
  });
});

const TEXT = 'Ada Lovelace worked with Charles Babbage in London.';
const GOLD = [p('person', 'Ada Lovelace'), p('person', 'Charles Babbage'), p('location', 'London')];

/** Three members each with one error of their own: the majority vote gets every text right. */
function complementary(n: number): ExtractionItem[] {
  return Array.from({ length: n }, (_, k) => ({
    id: `t${String(k).padStart(2, '0')}`,
    text: TEXT,
    types: ['person', 'location'],
    gold: GOLD,
    members: [
      { member: 'e1', spans: [p('person', 'Ada Lovelace'), p('person', 'Charles Babbage'), p('person', 'London')] },
      { member: 'e2', spans: [p('person', 'Ada Lovelace'), p('location', 'London'), p('location', 'Charles Babbage')] },
      { member: 'e3', spans: [p('person', 'Charles Babbage'), p('location', 'London'), p('location', 'Ada Lovelace')] },
    ],
  }));
}

describe('evaluateExtraction', () => {
  it('complementary members: the majority vote beats the best member, chosen on train, judged on held-out texts', () => {
    const r = evaluateExtraction(complementary(10), { trainFraction: 0.5, seed: 1 });
    assert.equal(r.split.evaluatedOn, 'held-out');
    assert.equal(r.split.train + r.split.test, 10);
    for (const m of r.perMember)
      assert.deepEqual(
        [m.precision, m.recall].map((x) => x.toFixed(3)),
        ['0.667', '0.667'],
      );
    assert.equal(r.chosen, '2 of 3 (majority)');
    const chosen = r.votes.find((v) => v.name === r.chosen)!;
    assert.deepEqual([chosen.precision, chosen.recall, chosen.f1], [1, 1, 1]);
    // Unanimity keeps nothing: no entity was found by all three with its type.
    const all = r.votes.find((v) => v.needed === 3)!;
    assert.deepEqual([all.recall, all.counts.tp], [0, 0]);
    assert.equal(r.verdict.helps, true);
    assert.match(r.verdict.text, /extraction: the ensemble beats its best member by 33\.3 points \(± 0\.0\)/);
  });

  it('a member that finds it all alone: use it, and members that miss the same entity share one failure mode', () => {
    const items = complementary(12).map((it) => ({
      ...it,
      // Half the gold lists name only Ada: there the two weak members are right too.
      gold: Number(it.id.slice(1)) % 2 ? GOLD : [p('person', 'Ada Lovelace')],
    }));
    for (const it of items) {
      it.members = [
        { member: 'good', spans: it.gold! },
        { member: 'same1', spans: [p('person', 'Ada Lovelace')] },
        { member: 'same2', spans: [p('person', 'Ada Lovelace')] },
      ];
    }
    const r = evaluateExtraction(items, { trainFraction: 0.5, seed: 3 });
    assert.equal(r.verdict.suggestion, 'single');
    assert.equal(r.verdict.bestMember?.model, 'good');
    assert.match(r.verdict.text, /use good alone/);
    assert.deepEqual(
      r.verdict.sharedFailures.map((s) => [s.a, s.b]),
      [['same1', 'same2']],
    );
  });

  it('a failed member found nothing; texts without gold are left out', () => {
    const items = complementary(4);
    items[0]!.members[0]!.spans = null;
    items[1]!.gold = null;
    const r = evaluateExtraction(items, { trainFraction: 0 });
    assert.equal(r.split.test, 3);
    // e1 missed the three entities of the text it failed on, and one on each of the two others.
    assert.equal(r.perMember[0]!.counts.fn, 3 + 1 + 1);
    assert.equal(r.perMember[0]!.counts.tp, 2 + 2);
  });
});

describe('evaluateTasks: answers', () => {
  const item = (k: number, gold: string, answers: Array<string | null>, quorum: number | null = null): AnswerItem => ({
    id: `q${String(k).padStart(2, '0')}`,
    gold,
    agreed: true,
    quorum,
    members: answers.map((a, i) => ({ member: ['words', 'digits', 'other'][i]!, normalized: a, confidence: 0.7 })),
  });
  it('members answering alike: the vote is the best member, and their shared errors are flagged', () => {
    const answers = Array.from({ length: 16 }, (_, k) => item(k, k % 2 ? '21' : '22', ['21', '21', '22']));
    const t = evaluateTasks({ classification: null, answers, extractions: [] }, { trainFraction: 0.5, seed: 42 });
    assert.equal(t.verdicts.length, 1);
    const v = t.verdicts[0]!;
    assert.equal(v.task, 'answers');
    assert.equal(v.suggestion, 'single');
    assert.match(v.text, /use (words|other) alone/);
    assert.deepEqual(
      v.sharedFailures.map((s) => [s.a, s.b, s.correlation]),
      [['words', 'digits', 1]],
    );
    assert.deepEqual(
      t.answers?.strategies.map((s) => s.name),
      ['majority', 'weighted', 'earlyExit'],
    );
  });
  it('classification recordings without any gold wait for labels, the other tasks are still judged', () => {
    const answers = Array.from({ length: 8 }, (_, k) => item(k, '21', ['21', '21', '22']));
    const t = evaluateTasks({ classification: null, answers, extractions: [], unlabelledClassifications: 9 }, { trainFraction: 0 });
    assert.deepEqual(
      t.verdicts.map((v) => [v.task, v.suggestion]),
      [
        ['classification', 'record'],
        ['answers', 'single'],
      ],
    );
    assert.match(t.verdicts[0]!.text, /^classification: 9 votes recorded, none with a gold label/);
    assert.match(t.verdicts[1]!.text, /8 items, none held out/);
  });
  it('a voted answer no quorum backs is "no agreement": not right, as the daemon would not give it', () => {
    // Three different answers: the tie goes to the first member, right, but one voice is no majority.
    const split = (quorum: number | null) => Array.from({ length: 6 }, (_, k) => item(k, '21', ['21', '22', '19'], quorum));
    const strict = evaluateTasks({ classification: null, answers: split(null), extractions: [] }, { trainFraction: 0 });
    assert.deepEqual(
      strict.answers?.strategies.map((s) => s.accuracy),
      [0, 0, 0],
    );
    assert.equal(strict.answers?.perModel[0]!.accuracy, 1);
    const anyVoice = evaluateTasks({ classification: null, answers: split(0.3), extractions: [] }, { trainFraction: 0 });
    assert.equal(anyVoice.answers?.strategies.find((s) => s.name === 'majority')!.accuracy, 1);
  });
  it('no gold: a verdict asking for a labelled dataset', () => {
    const t = evaluateTasks({ classification: null, answers: [{ ...item(0, '21', ['21']), gold: null }], extractions: [] });
    assert.equal(t.verdicts[0]!.suggestion, 'record');
    assert.match(t.verdicts[0]!.text, /none with a gold answer/);
  });
});

describe('the HTML report with per-task verdicts', () => {
  it('shows each verdict and the span scores, escaped, without a classification report', () => {
    const items = complementary(6).map((it) => ({
      ...it,
      members: it.members.map((m, i) => (i === 0 ? { ...m, member: '<b>e1</b>' } : m)),
    }));
    const tasks = evaluateTasks({ classification: null, answers: [], extractions: items }, { trainFraction: 0.5, seed: 1 });
    const page = reportHtml(null, 'Tasks', { tasks });
    assert.match(page, /When the ensemble helps, per task/);
    assert.match(page, /<strong>the ensemble helps<\/strong>/);
    assert.match(page, /Extraction: span scores/);
    assert.ok(page.includes('&lt;b&gt;e1&lt;/b&gt;') && !page.includes('<b>e1</b>'));
    assert.ok(!/<h2>Classification<\/h2>|<h2>Members<\/h2>/.test(page));
  });
});

describe('extract --gold', () => {
  it('reads a JSON list of entities and refuses anything else with the place of the problem', () => {
    assert.deepEqual(parseGold('[{"type": "person", "text": "Ada Lovelace"}]'), [{ type: 'person', text: 'Ada Lovelace' }]);
    assert.deepEqual(parseGold('[]'), []);
    const usage = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message);
    assert.throws(() => parseGold('Ada'), usage(/--gold: expected a JSON list/));
    assert.throws(() => parseGold('[{"type": "person"}]'), usage(/--gold: at "0\.text"/));
    assert.throws(() => parseGold('{"type": "person", "text": "Ada"}'), usage(/--gold: at "\(list\)"/));
  });
});
