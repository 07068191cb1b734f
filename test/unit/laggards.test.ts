/** daemon/pool/laggards.ts: percentiles, the laggard rule, the policies and adaptive timeouts, as tables. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adaptiveTimeoutMs,
  applyLaggardPolicy,
  detectLaggards,
  laggardWeight,
  orderForLaggards,
  percentile,
  type LaggardSettings,
} from '../../daemon/pool/laggards';
import { LatencyWindow } from '../../daemon/pool/latency';

const ramp = (n: number, from: number, step = 1): number[] => Array.from({ length: n }, (_, i) => from + i * step);

describe('percentile (nearest rank)', () => {
  const rows: Array<[number[], number, number | null]> = [
    [[], 90, null],
    [[5], 90, 5],
    [ramp(10, 1), 90, 9],
    [ramp(10, 1), 99, 10],
    [ramp(100, 1), 90, 90],
    [[3, 1, 2], 50, 2],
    [[NaN, -1, 4, Infinity], 90, 4],
  ];
  for (const [values, p, expected] of rows)
    it(`p${p} of [${values.slice(0, 4).join(', ')}${values.length > 4 ? ', ...' : ''}] = ${expected}`, () =>
      assert.equal(percentile(values, p), expected));
});

describe('detectLaggards', () => {
  interface Row {
    name: string;
    windows: Record<string, number[]>;
    settings?: Partial<LaggardSettings>;
    flagged: string[];
  }
  const rows: Row[] = [
    {
      name: 'one slow member among three is flagged',
      windows: { a: ramp(20, 100), b: ramp(20, 110), slow: ramp(20, 400) },
      flagged: ['slow'],
    },
    { name: 'a member just under the factor is not', windows: { a: ramp(20, 100), b: ramp(20, 100), c: ramp(20, 200) }, flagged: [] },
    {
      name: 'the factor is configurable',
      windows: { a: ramp(20, 100), b: ramp(20, 100), c: ramp(20, 200) },
      settings: { factor: 1.5 },
      flagged: ['c'],
    },
    {
      name: 'too few samples: not judged, and not a reference either',
      windows: { a: ramp(20, 100), slow: ramp(5, 1000), c: ramp(20, 100) },
      flagged: [],
    },
    { name: 'a lone member has nobody to compare with', windows: { slow: ramp(20, 5000) }, flagged: [] },
    { name: 'two members: the slower one is flagged against the other', windows: { a: ramp(20, 100), b: ramp(20, 1000) }, flagged: ['b'] },
    {
      name: 'sub-millisecond members do not make a 2 ms member a laggard',
      windows: { a: new Array(20).fill(0.2), b: new Array(20).fill(0.3), c: new Array(20).fill(1.5) },
      flagged: [],
    },
    { name: 'only occasional spikes (under 10 %) do not flag', windows: { a: ramp(20, 100), b: [...ramp(19, 100), 5000] }, flagged: [] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const flags = detectLaggards(new Map(Object.entries(row.windows)), row.settings);
      assert.deepEqual([...flags.keys()], row.flagged);
    });
  }

  it('the flag carries the figures and the advice in words', () => {
    const flag = detectLaggards(new Map(Object.entries({ a: ramp(20, 100), b: ramp(20, 100), slow: ramp(20, 400) }))).get('slow')!;
    assert.equal(flag.p90Ms, 417);
    assert.equal(flag.othersP90Ms, 117);
    assert.equal(
      flag.message,
      "slow is consistently slow: replace it, give it a shorter timeout or lower its weight (p90 417 ms, 3.6x the others' 117 ms)",
    );
  });
});

describe('policies', () => {
  const flags = detectLaggards(new Map(Object.entries({ a: ramp(20, 100), b: ramp(20, 100), slow: ramp(20, 900) })));
  const members = [
    { model: 'slow', member: 'slow' },
    { model: 'a', member: 'a' },
    { model: 'b', member: 'b#stepByStep' },
  ];
  const rows: Array<[LaggardSettings['policy'], number, string[]]> = [
    ['flag', 1, ['slow', 'a', 'b#stepByStep']],
    ['lowerWeight', 0.5, ['slow', 'a', 'b#stepByStep']],
    ['moveLast', 1, ['a', 'b#stepByStep', 'slow']],
  ];
  for (const [policy, weight, order] of rows) {
    it(`${policy}: weight x${weight}, order ${order.join(', ')}`, () => {
      assert.equal(laggardWeight('slow', flags, { policy }), weight);
      assert.equal(laggardWeight('a', flags, { policy }), 1, 'members that keep up keep their weight');
      assert.deepEqual(
        orderForLaggards(members, flags, policy).map((m) => m.member),
        order,
      );
    });
  }
  it('the weight factor is configurable and clamped to [0, 1]', () => {
    assert.equal(laggardWeight('slow', flags, { policy: 'lowerWeight', weightFactor: 0.2 }), 0.2);
    assert.equal(laggardWeight('slow', flags, { policy: 'lowerWeight', weightFactor: 3 }), 1);
  });
});

describe('applyLaggardPolicy (what the service applies before building the plan)', () => {
  const flags = detectLaggards(new Map(Object.entries({ a: ramp(20, 100), b: ramp(20, 100), slow: ramp(20, 900) })));
  const members = [
    { model: 'slow', member: 'slow', priorWeight: 2 },
    { model: 'a', member: 'a', priorWeight: 1 },
    { model: 'b', member: 'b', priorWeight: 1 },
  ];
  const rows: Array<[LaggardSettings['policy'], Array<[string, number]>]> = [
    [
      'flag',
      [
        ['slow', 2],
        ['a', 1],
        ['b', 1],
      ],
    ],
    [
      'lowerWeight',
      [
        ['slow', 0.5],
        ['a', 1],
        ['b', 1],
      ],
    ],
    [
      'moveLast',
      [
        ['a', 1],
        ['b', 1],
        ['slow', 2],
      ],
    ],
  ];
  for (const [policy, expected] of rows) {
    it(`${policy}: ${expected.map(([m, w]) => `${m} ${w}`).join(', ')}`, () => {
      assert.deepEqual(
        applyLaggardPolicy(members, flags, { policy, weightFactor: 0.25 }).map((m) => [m.member, m.priorWeight]),
        expected,
      );
      assert.equal(members[0]!.priorWeight, 2, 'the resolved members are not mutated');
    });
  }
  it('no laggard: the members as they were', () => {
    assert.deepEqual(applyLaggardPolicy(members, new Map(), { policy: 'moveLast' }), members);
  });
});

describe('adaptiveTimeoutMs', () => {
  const rows: Array<[string, number[], Parameters<typeof adaptiveTimeoutMs>[1], number]> = [
    ['p99 x 3 within bounds', ramp(100, 100, 10), { maxMs: 30_000 }, 3 * 1080],
    ['never longer than the configured timeout', ramp(100, 5000, 100), { maxMs: 10_000 }, 10_000],
    ['never shorter than the floor', new Array(20).fill(10), { maxMs: 30_000, minMs: 500 }, 500],
    ['a floor above the configured timeout gives the timeout', new Array(20).fill(10), { maxMs: 300, minMs: 500 }, 300],
    ['too few samples: the configured timeout', [100, 200], { maxMs: 30_000 }, 30_000],
    ['the factor is configurable', new Array(20).fill(1000), { maxMs: 30_000, factor: 1.5 }, 1500],
  ];
  for (const [name, samples, opts, expected] of rows) it(name, () => assert.equal(adaptiveTimeoutMs(samples, opts), expected));
});

describe('LatencyWindow (the one window per member the pool keeps)', () => {
  it('keeps the last N samples, ignores broken figures, resizes keeping the newest', () => {
    const w = new LatencyWindow(3);
    for (const v of [1, 2, 3, 4, NaN, -5, Infinity]) w.record(v);
    assert.deepEqual(w.samples(), [2, 3, 4]);
    w.resize(2);
    assert.deepEqual(w.samples(), [3, 4]);
    w.resize(0);
    assert.deepEqual(w.samples(), [4], 'a window holds at least one sample');
  });

  it("serves status' percentiles and the laggard rule's p90 from the same samples", () => {
    const w = new LatencyWindow(50);
    for (const v of ramp(20, 100)) w.record(v);
    assert.deepEqual(w.summary(), { samples: 20, p50: 109, p95: 118, p99: 119 });
    assert.equal(w.percentile(90), percentile(w.samples(), 90));
    const others = new LatencyWindow(50);
    for (const v of ramp(20, 10)) others.record(v);
    const flags = detectLaggards(
      new Map([
        ['slow', w.samples()],
        ['fast', others.samples()],
      ]),
    );
    assert.equal(flags.get('slow')?.p90Ms, w.percentile(90));
  });
});
