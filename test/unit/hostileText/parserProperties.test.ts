/**
 * Property tests over every parser that reads member replies or client text: random and
 * adversarial strings (long runs of whitespace, newlines and punctuation, repeated keywords,
 * unicode, lone surrogates, prototype names) up to the size limits. Each parser must not throw
 * (or throw only its documented EnsembleError) and must return a bounded, well-formed result.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { matchLabel, parseVerbalizedConfidence } from '../../../daemon/backends/answerParsing';
import { normalizeAnswer } from '../../../daemon/tasks/answerNormalize';
import { numberWordsToDigits } from '../../../daemon/tasks/numberWords';
import { parseMemberJson } from '../../../daemon/tasks/memberJson';
import { locate, normalizeWithMap, voteSpans } from '../../../daemon/tasks/spans';
import { fitExtraction } from '../../../daemon/tasks/fitExtraction';
import { parseModel } from '../../../daemon/gateway/chatRequest';
import { GatewayError } from '../../../daemon/gateway/errors';
import { schemaChoices } from '../../../daemon/gateway/schemaChoices';
import { EnsembleError } from '../../../protocol/errors';
import { LIMITS } from '../../../protocol/limits';
import { ExtractionResult } from '../../../protocol/tasks';

/** Pieces hostile replies are made of: keywords, separators, markup, numbers, unicode, prototype names. */
const PIECES = [
  'answer',
  'Answer:',
  'answer is',
  ' is ',
  'confidence',
  'Confidence: ',
  '80%',
  '/10',
  '0.9',
  ' ',
  '\n',
  '\r\n',
  '\t',
  '\u00a0',
  '\u2028',
  '*',
  '**',
  '"',
  '”',
  '«',
  '.',
  ',',
  ';',
  '!',
  ':',
  '-',
  '–',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '$',
  '€',
  '5',
  'twenty',
  'hundred',
  'and',
  'km',
  'March',
  '2024',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'ﬁ',
  'é',
  '\u0301',
  '😀',
  '\ud800',
  '\udfff',
  'Paris',
  'billing',
  'card arrival',
];

/** A hostile text: pieces, some repeated in long runs, with random strings between. */
const hostile = (maxPieces: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...PIECES) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PIECES), fc.integer({ min: 1, max: 3_000 })).map(([p, n]) => p.repeat(n)) },
        { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
      ),
      { maxLength: maxPieces },
    )
    .map((parts) => parts.join(''));

const LABELS = ['billing', 'card arrival', 'card', 'constructor', 'toString', 'Paris'];
const label = fc.oneof(fc.constantFrom(...LABELS), fc.string({ minLength: 1, maxLength: 30 }));

describe('parsers of member replies never throw and return bounded results', () => {
  it('matchLabel: null or one of the labels', () => {
    fc.assert(
      fc.property(hostile(60), fc.uniqueArray(label, { minLength: 1, maxLength: 8 }), (text, labels) => {
        const got = matchLabel(text, labels);
        assert.ok(got === null || labels.includes(got));
      }),
      { numRuns: 300 },
    );
  });

  it('parseVerbalizedConfidence: null or a probability', () => {
    fc.assert(
      fc.property(hostile(60), (text) => {
        const c = parseVerbalizedConfidence(text);
        assert.ok(c === null || (Number.isFinite(c) && c >= 0 && c <= 1), String(c));
      }),
      { numRuns: 300 },
    );
  });

  it('normalizeAnswer (answers and gold): null or one line within maxAnswerChars', () => {
    fc.assert(
      fc.property(hostile(60), fc.option(fc.array(hostile(4), { maxLength: 5 }), { nil: undefined }), (text, options) => {
        const n = normalizeAnswer(text, { options });
        assert.ok(n === null || (typeof n === 'string' && n.length > 0), String(n));
        // Number words can lengthen text ("trillion" -> 13 digits); NFKC a little: a bound well under the input limit.
        if (n !== null && !options?.length) assert.ok(n.length <= LIMITS.maxAnswerChars * 4, `${n.length}`);
        if (n !== null) assert.ok(!n.includes('\n'));
      }),
      { numRuns: 300 },
    );
  });

  it('numberWordsToDigits: never throws on any words', () => {
    fc.assert(
      fc.property(hostile(40), (text) => {
        assert.equal(typeof numberWordsToDigits(text.toLowerCase()), 'string');
      }),
      { numRuns: 300 },
    );
  });

  it('parseMemberJson: JSON, or an EnsembleError naming what was expected', () => {
    const jsonish = fc.oneof(
      hostile(40),
      fc.json({ maxDepth: 4 }),
      fc.tuple(hostile(5), fc.json(), hostile(5)).map(([a, j, b]) => `${a}${j}${b}`),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        try {
          parseMemberJson(text);
        } catch (e) {
          assert.ok(e instanceof EnsembleError && e.kind === 'BackendError' && /did not answer JSON/.test(e.message), String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parseModel (gateway): ensemble and task from any model name', () => {
    fc.assert(
      fc.property(hostile(10), (name) => {
        const m = parseModel(name.slice(0, 200));
        assert.ok(['chat', 'classify', 'extract', 'answer'].includes(m.task));
      }),
    );
  });
});

describe("the gateway's response_format choices", () => {
  it('any JSON schema: choices within the bounds, none reserved, or a 400 naming response_format', () => {
    const schema = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.record({ enum: fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string(), fc.integer()), { maxLength: 8 }) }),
        fc.record({ properties: fc.dictionary(fc.constantFrom(...PIECES), tie('node'), { maxKeys: 4 }) }),
        fc.record({ items: tie('node') }),
        fc.record({ anyOf: fc.array(tie('node'), { maxLength: 3 }) }),
        fc.jsonValue(),
      ),
    })).node;
    fc.assert(
      fc.property(schema, (s) => {
        try {
          const c = schemaChoices({ type: 'json_schema', json_schema: { name: 'x', schema: s as Record<string, unknown> } });
          if (c) {
            assert.ok(c.values.length > 0 && c.values.every((v) => typeof v === 'string' && v.length > 0 && v !== '__proto__'));
          }
        } catch (e) {
          assert.ok(e instanceof GatewayError && /response_format/.test(e.message), String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('span finding and the extraction reply stay bounded', () => {
  const text = hostile(80).filter((t) => t.length > 0);
  const spans = fc.array(
    fc.record({ type: fc.constantFrom('person', 'place', 'other'), text: fc.oneof(hostile(3), fc.constantFrom('a', 'Paris', ' ', '.')) }),
    {
      maxLength: 30,
    },
  );

  it('every place is where the input holds the span, and at most the bound', () => {
    fc.assert(
      fc.property(text, hostile(3), fc.integer({ min: 1, max: 50 }), (input, span, max) => {
        const places = locate(normalizeWithMap(input), span, max);
        assert.ok(places.length <= max);
        for (const p of places) assert.ok(p.start >= 0 && p.end <= input.length && p.start < p.end);
      }),
      { numRuns: 200 },
    );
  });

  it('kept spans are disjoint, within the input and the bounds, and what was cut is counted', () => {
    const bounds = { maxOccurrencesPerSpan: 5, maxKeptSpans: 7, maxRejectedSpans: 4 };
    fc.assert(
      fc.property(text, fc.array(spans, { minLength: 1, maxLength: 4 }), (input, proposals) => {
        const members = proposals.map((s, i) => ({ member: `m${i}`, spans: s }));
        const v = voteSpans(input, ['person', 'place'], members, undefined, bounds);
        assert.ok(v.kept.length <= bounds.maxKeptSpans && v.rejected.length <= bounds.maxRejectedSpans);
        for (let i = 1; i < v.kept.length; i++) assert.ok(v.kept[i - 1]!.end <= v.kept[i]!.start, 'kept spans overlap');
        for (const s of [...v.kept, ...v.rejected]) assert.equal(s.text, input.slice(s.start, s.end));
        for (const s of v.kept) assert.ok(s.members.length >= v.needed);
        const unbounded = voteSpans(input, ['person', 'place'], members, undefined, {
          maxOccurrencesPerSpan: 5,
          maxKeptSpans: Infinity,
          maxRejectedSpans: Infinity,
        });
        assert.equal(v.kept.length + v.dropped.kept, unbounded.kept.length);
        assert.equal(v.rejected.length + v.dropped.rejected, unbounded.rejected.length);
      }),
      { numRuns: 200 },
    );
  });

  it('the fitted reply is within the byte budget and valid, and says when it was cut', () => {
    const big = fc.record({ type: fc.constant('person'), text: hostile(6) });
    fc.assert(
      fc.property(
        fc.array(big, { maxLength: 60 }),
        fc.array(big, { maxLength: 60 }),
        fc.integer({ min: 3_000, max: 20_000 }),
        (kept, proposed, maxBytes) => {
          const spans = kept.map((s, i) => ({ ...s, start: i, end: i + 1, agreement: 1, members: ['a'] }));
          const result: ExtractionResult = {
            id: 'x',
            ensemble: 'e',
            types: ['person'],
            spans,
            rejected: spans,
            quorum: 0.5,
            votes: [
              { member: 'a', model: 'a', status: 'ok', spans: proposed, unaligned: 0, latencyMs: 1 },
              { member: 'b', model: 'b', status: 'ok', spans: proposed, unaligned: 0, latencyMs: 1 },
            ],
            partial: false,
            note: '',
            elapsedMs: 1,
            createdAt: new Date(0).toISOString(),
          };
          const fitted = fitExtraction(result, { occurrences: 0, kept: 0, rejected: 0 }, maxBytes);
          assert.ok(Buffer.byteLength(JSON.stringify(fitted)) <= maxBytes, 'over the budget');
          assert.ok(ExtractionResult.safeParse(fitted).success);
          const cut =
            fitted.spans.length < spans.length ||
            fitted.rejected.length < spans.length ||
            fitted.votes.some((v) => v.spans.length < proposed.length);
          assert.equal(fitted.truncated === true, cut);
          if (fitted.dropped) {
            assert.equal(fitted.dropped.spans, spans.length - fitted.spans.length);
            assert.equal(fitted.dropped.proposed, 2 * proposed.length - fitted.votes.reduce((n, v) => n + v.spans.length, 0));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
