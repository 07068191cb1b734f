/**
 * One regression per super-linear pattern the audit found, without timing anything: ESLint's regexp
 * rules (the ones eslint.config.mjs enables for product code) report each OLD pattern and none of
 * the product files that replaced them; and the worst-case inputs give a correct, bounded result.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint, Linter } from 'eslint';
import regexp from 'eslint-plugin-regexp';
import { matchLabel, parseVerbalizedConfidence } from '../../../daemon/backends/answerParsing';
import { DATE_PATTERNS, normalizeAnswer, parseQuantity } from '../../../daemon/tasks/answerNormalize';
import { LIMITS } from '../../../protocol/limits';

const RULES: Linter.RulesRecord = {
  'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
  'regexp/no-super-linear-move': ['error', { report: 'potential', ignoreSticky: false, ignorePartial: false }],
};

/** The patterns as they were before this change, where each read outside text. */
const OLD_PATTERNS: Record<string, string> = {
  'matchLabel: the "Answer:" line': String.raw`/answer\s*(?:is)?\s*[:-]?\s*\**\s*([^\n]+)/i`,
  parseVerbalizedConfidence: String.raw`/confidence\s*[:=]?\s*(\d+(?:\.\d+)?)\s*(%|\/\s*10\b|\/\s*100\b)?/i`,
  'answer cleanup: closing quotes': String.raw`/^["'“‘«]+|["'”’»]+$/g`,
  'answer cleanup: final punctuation': String.raw`/[.!;,]+$/`,
  'answer display: final punctuation': String.raw`/[.;,]+$/`,
  'parseQuantity: currency': String.raw`/^([$€])\s*(.*)$/`,
  'parseQuantity: number and unit': String.raw`/^(-?\d+(?:\.\d+)?)\s*(.*)$/`,
  'label logprobs: trailing punctuation': String.raw`/[\s"'\x60*“”‘’«».,;:!?)\]]+$/`,
};

function reports(code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  return linter.verify(code, [{ plugins: { regexp }, rules: RULES }]).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('ReDoS regressions', () => {
  for (const [where, source] of Object.entries(OLD_PATTERNS)) {
    it(`the old pattern of ${where} is reported`, () => {
      assert.ok(reports(`export const r = ${source};`).length > 0, source);
    });
  }

  it('the product files that replaced them have no super-linear pattern', async () => {
    const eslint = new ESLint({ cwd: process.cwd() });
    const results = await eslint.lintFiles([
      'daemon/backends/answerParsing.ts',
      'daemon/backends/labelLogprobs.ts',
      'daemon/tasks/answerNormalize.ts',
      'daemon/tasks/numberWords.ts',
      'daemon/tasks/spans.ts',
      'daemon/ensemble/answer.ts',
      'common/trimChars.ts',
    ]);
    const found = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId?.startsWith('regexp/')).map((m) => `${r.filePath}:${m.line} ${m.message}`),
    );
    assert.deepEqual(found, []);
    // and the rules are on for them (a config that dropped them would pass the line above)
    const config = await eslint.calculateConfigForFile('daemon/backends/answerParsing.ts');
    assert.equal(config.rules['regexp/no-super-linear-backtracking'][0], 2);
    assert.equal(config.rules['regexp/no-super-linear-move'][0], 2);
  });
});

describe('patterns built at run time (ESLint sees only literals)', () => {
  for (const [name, re] of Object.entries(DATE_PATTERNS)) {
    it(`the date pattern ${name} has no super-linear backtracking`, () => {
      assert.deepEqual(reports(`export const r = ${String(re)};`), []);
    });
  }
});

describe('worst-case inputs give a correct, bounded result', () => {
  const labels = ['billing', 'card arrival', 'refund'];

  it('"answer" then 800 newlines, then the label', () => {
    assert.equal(matchLabel(`answer${'\n'.repeat(800)}refund`, labels), 'refund');
    assert.equal(matchLabel(`The answer is${' \n'.repeat(800)}**card arrival**`, labels), 'card arrival');
  });

  it('"answer" then 100k newlines: nothing named in the part read', () => {
    assert.equal(matchLabel(`answer${'\n'.repeat(100_000)}refund`, labels), null);
    assert.equal(matchLabel(`refund answer${'\n'.repeat(100_000)}`, labels), 'refund');
  });

  it('"answer answer answer ..." and a long run of spaces', () => {
    assert.equal(matchLabel(`${'answer '.repeat(20_000)}billing`, labels), null); // beyond the part read
    assert.equal(matchLabel(`${'answer '.repeat(100)}billing`, labels), 'billing');
  });

  it('a confidence after a long run of whitespace, and none in 60k characters of separators', () => {
    assert.equal(parseVerbalizedConfidence(`Confidence:${' '.repeat(1_000)}80%`), 0.8);
    assert.equal(parseVerbalizedConfidence(`confidence${' :='.repeat(20_000)}x`), null);
    assert.equal(parseVerbalizedConfidence('Confidence: 8 / 10'), 0.8);
  });

  it('60k punctuation after an answer, and between quotes', () => {
    assert.equal(normalizeAnswer(`Paris${'.'.repeat(60_000)}`), 'paris');
    assert.equal(normalizeAnswer(`Paris${',;!'.repeat(20_000)}x`), 'paris');
    assert.equal(normalizeAnswer(`"Paris${'”'.repeat(60_000)}`), 'paris');
    assert.equal(normalizeAnswer(`${'«'.repeat(60_000)}Paris`), null); // only quotes in the part read
    const long = normalizeAnswer('x'.repeat(60_000));
    assert.equal(long?.length, LIMITS.maxAnswerChars);
  });

  it('a currency or a number followed by 60k spaces', () => {
    assert.equal(parseQuantity(`$${' '.repeat(60_000)}5`), '5 usd');
    assert.equal(parseQuantity(`5${' '.repeat(60_000)}km`), '5 km');
    assert.equal(parseQuantity(`5${' '.repeat(60_000)}x`), null);
  });

  it('8 MiB of newlines before an answer: the first line read is blank, so no answer', () => {
    assert.equal(normalizeAnswer(`${'\n'.repeat(8 * 1024 * 1024)}Paris`), null);
  });
});
