/** Random and mutated JSON-RPC frames for the fuzz and soak tests: deterministic for a seed, so a failure replays. */
import crypto from 'node:crypto';
import { LIMITS } from '../../../protocol/limits';
import { LABELS } from '../harness';

/** A deterministic pseudo-random source, so a failing fuzz run can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function fuzzFrames(count: number, seed: number): Array<{ data: string | Buffer; binary: boolean }> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const valid = () => ({
    jsonrpc: '2.0',
    id: Math.floor(r() * 1e6),
    method: pick(['pool/status', 'decisions/recent', 'ensemble/classify', 'nope/unknown', '$/cancelRequest']),
    params: pick([{}, { limit: 3 }, { text: 'x', labels: LABELS }, null, [], 'str', { limit: 'many' }]),
  });
  const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
  const frames: Array<{ data: string | Buffer; binary: boolean }> = [];
  for (let i = 0; i < count; i++) {
    const kind = Math.floor(r() * 12);
    let data: string | Buffer;
    let binary = false;
    switch (kind) {
      case 0: // random bytes as text
        data = crypto.randomBytes(1 + Math.floor(r() * 512)).toString('latin1');
        break;
      case 1: // a valid request with one character changed
        data = JSON.stringify(valid());
        {
          const at = Math.floor(r() * data.length);
          data = data.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 90)) + data.slice(at + 1);
        }
        break;
      case 2: // truncated
        data = JSON.stringify(valid()).slice(0, Math.floor(r() * 40));
        break;
      case 3: // deep nesting, arrays and objects, as a whole frame or as params
        data =
          r() < 0.5
            ? deep(50_000 + Math.floor(r() * 100_000), '[', ']')
            : `{"jsonrpc":"2.0","id":1,"method":"pool/status","params":${deep(20_000, '{"a":', '}').replace(/\{"a":\}/, '{}')}}`;
        break;
      case 4: // a huge string within the frame limit
        data = JSON.stringify({
          jsonrpc: '2.0',
          id: i,
          method: 'ensemble/classify',
          params: { text: 'x'.repeat(900_000), labels: LABELS },
        });
        break;
      case 5: // a huge array within the frame limit
        data = JSON.stringify({
          jsonrpc: '2.0',
          id: i,
          method: 'ensemble/classify',
          params: { text: 'x', labels: Array.from({ length: 90_000 }, (_, k) => `l${k}`) },
        });
        break;
      case 6: // a batch within the limit, mixed
        data = JSON.stringify(
          Array.from({ length: 1 + Math.floor(r() * LIMITS.maxBatch) }, () => (r() < 0.5 ? valid() : pick([1, 'x', null, {}, []]))),
        );
        break;
      case 7: // a batch over the limit
        data = JSON.stringify(Array.from({ length: LIMITS.maxBatch + 1 + Math.floor(r() * 5_000) }, valid));
        break;
      case 8: // a binary frame
        data = crypto.randomBytes(1 + Math.floor(r() * 2048));
        binary = true;
        break;
      case 9: // unknown methods with long names, long ids
        data = JSON.stringify({
          jsonrpc: '2.0',
          id: 'i'.repeat(Math.floor(r() * 5_000)),
          method: 'm'.repeat(Math.floor(r() * 50_000)),
          params: {},
        });
        break;
      case 10: // responses and notifications nobody asked for
        data = JSON.stringify(
          pick([
            { jsonrpc: '2.0', id: 5, result: 'x'.repeat(1000) },
            { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 'nope' } },
            { jsonrpc: '2.0', method: '$/progress', params: { token: 1, value: { kind: 'message', message: 'hi' } } },
          ]),
        );
        break;
      default: // numbers JSON cannot hold, odd types
        data = pick([
          '{"jsonrpc":"2.0","id":1e999,"method":"pool/status"}',
          '{"jsonrpc":"2.0","id":-0,"method":"pool/status","params":{"limit":1e999}}',
          'NaN',
          '""',
          '{"__proto__":{"polluted":1},"jsonrpc":"2.0","id":2,"method":"pool/status"}',
          'null',
        ]);
    }
    frames.push({ data, binary });
  }
  return frames;
}
