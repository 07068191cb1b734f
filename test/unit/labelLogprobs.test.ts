import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkLabelScores,
  labelLogprobs,
  labelScoresFromAnswer,
  parseWireLogprobs,
  type TokenAlternative,
  type TokenLogprob,
} from '../../daemon/backends/labelLogprobs';

/** A token with top alternatives given as probabilities (the sampled token first unless listed). */
function tok(token: string, top: Record<string, number> = {}): TokenLogprob {
  const alts: TokenAlternative[] = Object.entries(top).map(([t, p]) => ({ token: t, logprob: Math.log(p) }));
  const own = top[token];
  return { token, logprob: own === undefined ? 0 : Math.log(own), top: alts };
}

function close(actual: Record<string, number> | undefined, expected: Record<string, number>) {
  assert.ok(actual, 'expected probabilities');
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(actual[k]! - v) < 1e-9, `${k}: ${actual[k]} != ${v}`);
}

const LABELS = ['bug', 'feature', 'question'];

describe('labelLogprobs', () => {
  const table: {
    name: string;
    tokens: TokenLogprob[];
    labels?: string[];
    marker?: boolean;
    expect: Record<string, number> | null;
    unmatched?: number;
    position?: number;
  }[] = [
    {
      name: 'first token alternatives, normalized over labels',
      tokens: [tok('bug', { bug: 0.6, feature: 0.2, question: 0.1, hello: 0.1 })],
      expect: { bug: 0.6 / 0.9, feature: 0.2 / 0.9, question: 0.1 / 0.9 },
      unmatched: 0.1,
      position: 0,
    },
    {
      name: 'case-insensitive, leading space and trailing punctuation ignored',
      tokens: [tok(' Bug', { ' Bug': 0.5, 'FEATURE.': 0.25, ' question\n': 0.25 })],
      expect: { bug: 0.5, feature: 0.25, question: 0.25 },
    },
    {
      name: 'whitespace and quote tokens are skipped',
      tokens: [tok('\n', { '\n': 0.9, bug: 0.1 }), tok('"', { '"': 1 }), tok('feature', { feature: 0.8, bug: 0.2 }), tok('"')],
      expect: { bug: 0.2, feature: 0.8, question: 0 },
      position: 2,
    },
    {
      name: 'a partial-word prefix counts (multi-token labels)',
      tokens: [tok('fe', { fe: 0.7, qu: 0.3 }), tok('ature')],
      expect: { bug: 0, feature: 0.7, question: 0.3 },
    },
    {
      name: 'shared prefix settled by what the model generated',
      labels: ['card arrival', 'card payment', 'refund'],
      tokens: [tok('card', { card: 0.8, refund: 0.2 }), tok(' payment')],
      expect: { 'card arrival': 0, 'card payment': 0.8, refund: 0.2 },
    },
    {
      name: 'shared prefix with underscores in labels and tokens',
      labels: ['card_arrival', 'card_payment'],
      tokens: [tok('card', { card: 1 }), tok('_', { _: 1 }), tok('arrival')],
      expect: { card_arrival: 1, card_payment: 0 },
    },
    {
      name: 'shared prefix on an alternative that was not generated is split evenly',
      labels: ['card arrival', 'card payment', 'refund'],
      tokens: [tok('refund', { refund: 0.6, card: 0.4 })],
      expect: { 'card arrival': 0.2, 'card payment': 0.2, refund: 0.6 },
    },
    {
      name: 'label that is a prefix of another: the longest fully generated one wins',
      labels: ['card', 'card arrival'],
      tokens: [tok('card', { card: 1 }), tok(' arrival')],
      expect: { card: 0, 'card arrival': 1 },
    },
    {
      name: 'generation cut mid-label keeps the labels it still fits',
      labels: ['card arrival', 'card payment', 'cash'],
      tokens: [tok('ca', { ca: 0.9, refund: 0.1 }), tok('rd arr')],
      expect: { 'card arrival': 1, 'card payment': 0, cash: 0 },
      unmatched: 0.1,
    },
    {
      name: 'reasoning style: scored right after the last "Answer:"',
      marker: true,
      tokens: [
        tok('The answer: maybe a', { 'The answer: maybe a': 1 }),
        tok(' bug.\n'),
        tok('Answer'),
        tok(':'),
        tok(' question', { ' question': 0.7, ' bug': 0.3 }),
      ],
      expect: { bug: 0.3, feature: 0, question: 0.7 },
      position: 4,
    },
    {
      name: 'reasoning style without an answer line: nothing to score',
      marker: true,
      tokens: [tok('bug', { bug: 1 })],
      expect: null,
    },
    {
      name: 'direct style that wrote "Answer:" anyway',
      tokens: [tok('Answer', { Answer: 0.9, bug: 0.1 }), tok(':'), tok(' feature', { ' feature': 0.9, ' bug': 0.1 })],
      expect: { bug: 0.1, feature: 0.9, question: 0 },
    },
    {
      name: 'token straddling the marker: alternatives must share its lead',
      marker: true,
      tokens: [tok('Answer'), tok(':bug', { ':bug': 0.5, ':feature': 0.3, ' feature': 0.2 })],
      expect: { bug: 0.5 / 0.8, feature: 0.3 / 0.8, question: 0 },
      unmatched: 0.2,
    },
    {
      name: 'no alternative starts a label',
      tokens: [tok('I', { I: 0.7, The: 0.3 })],
      expect: null,
    },
    {
      name: 'no top list: the sampled token alone',
      tokens: [{ token: 'feature', logprob: -0.1, top: [] }],
      expect: { bug: 0, feature: 1, question: 0 },
    },
    {
      name: 'only filler generated',
      tokens: [tok(' ', { ' ': 1 }), tok('\n')],
      expect: null,
    },
    {
      name: 'vLLM -9999 logprobs count as zero',
      tokens: [
        {
          token: 'bug',
          logprob: -0.01,
          top: [
            { token: 'bug', logprob: -0.01 },
            { token: 'feature', logprob: -9999 },
          ],
        },
      ],
      expect: { bug: 1, feature: 0, question: 0 },
    },
  ];

  for (const row of table) {
    it(row.name, () => {
      const got = labelLogprobs(row.tokens, row.labels ?? LABELS, { requireAnswerMarker: row.marker ?? false });
      if (row.expect === null) {
        assert.equal(got, null);
        return;
      }
      close(got?.probabilities, row.expect);
      if (row.unmatched !== undefined) assert.ok(Math.abs(got!.unmatched - row.unmatched) < 1e-9, `unmatched ${got!.unmatched}`);
      if (row.position !== undefined) assert.equal(got!.position, row.position);
    });
  }
});

describe('parseWireLogprobs', () => {
  it('reads the OpenAI/Ollama shape', () => {
    const parsed = parseWireLogprobs([
      { token: 'bug', logprob: -0.1, bytes: [98, 117, 103], top_logprobs: [{ token: 'bug', logprob: -0.1, bytes: null }, { token: 'x' }] },
    ]);
    assert.deepEqual(parsed, [{ token: 'bug', logprob: -0.1, top: [{ token: 'bug', logprob: -0.1 }] }]);
  });
  it('is null for missing or malformed input', () => {
    assert.equal(parseWireLogprobs(undefined), null);
    assert.equal(parseWireLogprobs([]), null);
    assert.equal(parseWireLogprobs([{ token: 1, logprob: 0 }]), null);
  });
});

describe('parseWireLogprobs: numbers from the server are untrusted', () => {
  const wire = (logprob: unknown, alt: unknown = -1) => [
    {
      token: 'bug',
      logprob,
      top_logprobs: [
        { token: 'bug', logprob },
        { token: 'feature', logprob: alt },
      ],
    },
  ];
  it('refuses logprobs above 0, +Infinity, NaN and strings with a BackendError naming token and value', () => {
    for (const bad of [1000, 0.5, Infinity, NaN, 'NaN', '-0.1']) {
      assert.throws(
        () => parseWireLogprobs(wire(bad)),
        (e: Error & { kind?: string }) => e.kind === 'BackendError' && /token "bug"/.test(e.message),
        String(bad),
      );
      assert.throws(() => parseWireLogprobs(wire(-0.1, bad)), /expected a number <= 0/, `alternative ${String(bad)}`);
    }
  });
  it('-Infinity is probability 0 and rounding just above 0 is 0', () => {
    const parsed = parseWireLogprobs(wire(1e-7, -Infinity))!;
    assert.equal(parsed[0]!.logprob, 0);
    const s = labelScoresFromAnswer('bug', parsed, { text: 't', labels: LABELS, promptStyle: 'direct' });
    assert.deepEqual([s.label, s.confidence, s.probabilities.feature], ['bug', 1, 0]);
  });
  it('checkLabelScores refuses a non-finite or out-of-range probability or confidence', () => {
    const ok = { label: 'bug', probabilities: { bug: 1 }, confidence: 1, confidenceSource: 'logprobs' as const };
    assert.equal(checkLabelScores(ok), ok);
    assert.throws(() => checkLabelScores({ ...ok, probabilities: { bug: NaN } }), /probability NaN for label "bug"/);
    assert.throws(() => checkLabelScores({ ...ok, confidence: 1.5 }), /confidence 1.5/);
    assert.throws(() => checkLabelScores({ ...ok, confidence: Infinity }), /expected a finite number in \[0, 1\]/);
  });
});

describe('labelScoresFromAnswer', () => {
  const req = (promptStyle: 'direct' | 'stepByStep' | 'withConfidence') => ({ text: 't', labels: LABELS, promptStyle });

  it('logprobs: the named label with its probability', () => {
    const s = labelScoresFromAnswer('bug', [tok('bug', { bug: 0.75, feature: 0.25 })], req('direct'));
    assert.equal(s.label, 'bug');
    assert.equal(s.confidenceSource, 'logprobs');
    assert.ok(Math.abs(s.confidence! - 0.75) < 1e-9);
  });
  it('logprobs: falls back to the arg-max when the text names no label', () => {
    const s = labelScoresFromAnswer('fea', [tok('fea', { fea: 0.6, bug: 0.4 })], req('direct'));
    assert.equal(s.label, 'feature');
  });
  it('verbalized confidence without logprobs', () => {
    const s = labelScoresFromAnswer('Answer: bug\nConfidence: 0.8', null, req('withConfidence'));
    assert.deepEqual(s, {
      label: 'bug',
      probabilities: {},
      confidence: 0.8,
      confidenceSource: 'verbalized',
      text: 'Answer: bug\nConfidence: 0.8',
    });
  });
  it('no confidence at all', () => {
    const s = labelScoresFromAnswer('It is a feature.', null, req('direct'));
    assert.deepEqual([s.label, s.confidence, s.confidenceSource], ['feature', null, 'none']);
  });
  it('abstains when nothing names a label', () => {
    const s = labelScoresFromAnswer('No idea', [tok('No', { No: 1 })], req('direct'));
    assert.deepEqual([s.label, s.confidence, s.confidenceSource], [null, null, 'none']);
  });
});
