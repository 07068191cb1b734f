/**
 * Object.prototype's names as labels, answers, gold, ensemble names and words: "constructor",
 * "toString" and "hasOwnProperty" are ordinary names (counted, matched, normalized like any other);
 * "__proto__", the one key a plain object cannot hold, is refused where names enter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchLabel } from '../../../daemon/backends/answerParsing';
import { normalizeAnswer } from '../../../daemon/tasks/answerNormalize';
import { numberWordsToDigits } from '../../../daemon/tasks/numberWords';
import { majority } from '../../../daemon/strategies/majority';
import { weighted } from '../../../daemon/strategies/weighted';
import { planFor } from '../../../daemon/strategies/engine';
import { argmaxLabel, normalizeDistribution } from '../../../common/distribution';
import { own } from '../../../common/ownProperty';
import { ClassifyParams } from '../../../protocol/methods';
import { PoolConfig } from '../../../protocol/config';
import { schemaChoices } from '../../../daemon/gateway/schemaChoices';
import { parseConfig } from '../../../daemon/config/loadConfig';
import { loadJsonl } from '../../../daemon/learning/recordings';
import { ok } from '../strategies/helpers';
import { contributions } from '../../../daemon/strategies/contribution';

const PROTO_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

describe('prototype names are ordinary names', () => {
  it('normalizing an answer or a gold that names one never throws ("5 constructor" threw)', () => {
    assert.equal(normalizeAnswer('5 constructor'), '5 constructor');
    assert.equal(normalizeAnswer('5 toString'), '5 tostring');
    assert.equal(normalizeAnswer('constructor'), 'constructor');
    assert.equal(normalizeAnswer('hasOwnProperty'), 'hasownproperty');
    assert.equal(normalizeAnswer('__proto__'), 'proto');
    assert.equal(normalizeAnswer('twenty constructor hundred'), '20 constructor hundred');
    assert.equal(numberWordsToDigits('constructor valueof tostring'), 'constructor valueof tostring');
  });

  it('a member naming one as its label matches it', () => {
    assert.equal(matchLabel('Answer: constructor', ['toString', 'constructor']), 'constructor');
    assert.equal(matchLabel('I think hasOwnProperty', ['hasOwnProperty', 'other']), 'hasOwnProperty');
    assert.equal(matchLabel('constructor', ['a', 'b']), null);
  });

  for (const name of PROTO_NAMES) {
    it(`votes for "${name}" are counted by every strategy`, () => {
      const labels = [name, 'other'];
      const votes = [ok('a', name), ok('b', name), ok('c', 'other')];
      const m = majority(votes, labels);
      assert.equal(m.label, name);
      assert.equal(m.agreement, 2 / 3);
      const w = weighted(
        votes.map((v) => ({ ...v, probabilities: v.label === name ? { [name]: 0.9, other: 0.1 } : { other: 1 } })),
        labels,
      );
      assert.equal(w.label, name);
      assert.ok(Number.isFinite(w.confidence) && w.confidence > 0.5, String(w.confidence));
      for (const strategy of ['majority', 'weighted', 'earlyExit'] as const) {
        const plan = planFor(strategy, {
          labels,
          members: votes.map((v) => ({ member: v.member, weight: 1 })),
          earlyExit: { agreeK: 2, threshold: 0.6 },
          fit: null,
          category: null,
          features: null,
        });
        assert.equal(plan.decide(votes).label, name, strategy);
      }
    });

    it(`a distribution that does not name "${name}" gives it nothing`, () => {
      assert.equal(argmaxLabel({ other: 0.4 }, [name, 'other']), 'other');
      assert.deepEqual(normalizeDistribution({ other: 2, [name]: 2 }), { other: 0.5, [name]: 0.5 });
      assert.equal(own({ other: 1 }, name), undefined);
    });
  }
});

describe('prototype names as model ids', () => {
  it('a model named "constructor" gets its own contribution counts', () => {
    const vote = (model: string, label: string) => ({ model, label, status: 'ok' as const });
    const c = contributions([
      { votes: [vote('constructor', 'bug'), vote('toString', 'bug'), vote('m', 'feature')], decided: 'bug', gold: 'bug' },
    ]);
    assert.deepEqual(c.constructor, { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 });
    assert.deepEqual(c.toString, { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 });
  });
});

describe('"__proto__" is refused where names enter', () => {
  it('as a label of a request', () => {
    assert.equal(ClassifyParams.safeParse({ text: 't', labels: ['__proto__', 'b'] }).success, false);
    assert.equal(ClassifyParams.safeParse({ text: 't', labels: ['constructor', 'toString'] }).success, true);
  });

  it('as an ensemble name or a label in the config', () => {
    const spec = (labels?: string[]) => ({ members: ['m'], ...(labels ? { labels } : {}) });
    const config = (ensembles: unknown) => ({
      models: [{ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'x' }],
      ensembles,
    });
    // zod drops a "__proto__" key silently; the config loader refuses it with a clear error
    const proto = JSON.parse('{"__proto__": {"members": ["m"]}}') as unknown;
    const loaded = parseConfig(config(proto), { config: 'config.json', models: '/models' } as never, 'file');
    assert.ok(!loaded.ok && /ensembles\.__proto__: "__proto__" is reserved/.test(loaded.error), JSON.stringify(loaded));
    assert.equal(PoolConfig.safeParse(config({ x: spec(['__proto__', 'b']) })).success, false);
    const fine = PoolConfig.safeParse(config({ constructor: spec(['toString', 'hasOwnProperty']) }));
    assert.ok(fine.success, fine.error?.message);
    assert.ok(Object.hasOwn(fine.data.ensembles, 'constructor'));
  });

  it('as a label in a recordings file', () => {
    const line = (probabilities: string) => `{"item":"a","model":"m","prediction":"constructor","probabilities":${probabilities}}\n`;
    assert.throws(() => loadJsonl(line('{"__proto__":0.5,"constructor":0.5}'), 'r.jsonl'), /probabilities\.__proto__.*reserved/);
    const [rec] = loadJsonl(line('{"toString":0.5,"constructor":0.5}'), 'r.jsonl');
    assert.deepEqual(rec!.probabilities, { toString: 0.5, constructor: 0.5 });
  });

  it('as a choice of the gateway', () => {
    const format = (values: string[]) => ({
      type: 'json_schema' as const,
      json_schema: { name: 'x', schema: { type: 'object', properties: { label: { enum: values } } } },
    });
    assert.throws(() => schemaChoices(format(['__proto__', 'b'])), /reserved|cannot be a choice/);
    assert.deepEqual(schemaChoices(format(['constructor', 'b']))?.values, ['constructor', 'b']);
  });
});
