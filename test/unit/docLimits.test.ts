/**
 * docs/reliability.md and docs/protocol.md quote the daemon's limits; the one table is `LIMITS`
 * (protocol/limits.ts). Each claim below finds a quoted sentence (whitespace-insensitive) and checks
 * every number in it against the table, so a changed limit or a reworded sentence fails here until
 * the text and the table agree again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LIMITS } from '../../protocol/limits';

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8').replace(/\s+/g, ' ');

/** "1 MiB" → bytes, "10 s" → ms, "100,000" → 100000. */
function quotedNumber(text: string): number {
  const m = /^([\d,]+)(?: (MiB|KiB|s))?$/.exec(text.trim());
  if (!m) throw new Error(`not a quoted limit: ${JSON.stringify(text)}`);
  const n = Number(m[1]!.replace(/,/g, ''));
  const unit = { MiB: 1024 * 1024, KiB: 1024, s: 1000 }[m[2] ?? ''] ?? 1;
  return n * unit;
}

const N = '([\\d,]+(?: MiB| KiB| s)?)';
const G = LIMITS.gateway;
const gatewaySentence = {
  pattern: `${N} body, ${N} messages, ${N} characters per message and ${N} in all, ${N}-character model names, ${N} choices, ${N} tokens, ${N} requests in flight`,
  values: [G.maxBodyBytes, G.maxMessages, G.maxContentChars, G.maxTotalChars, G.maxModelChars, G.maxChoices, G.maxTokens, G.maxInFlight],
};

const claims: Record<string, Array<{ pattern: string; values: number[] }>> = {
  'docs/reliability.md': [
    { pattern: `sockets open at once \\(\`maxSockets\`\\) \\| ${N} \\|`, values: [LIMITS.http.maxSockets] },
    { pattern: `request headers \\(\`headersTimeoutMs\`\\) \\| ${N} \\|`, values: [LIMITS.http.headersTimeoutMs] },
    { pattern: `whole request \\(\`requestTimeoutMs\`\\) \\| ${N} \\|`, values: [LIMITS.http.requestTimeoutMs] },
    { pattern: `idle keep-alive \\(\`keepAliveTimeoutMs\`\\) \\| ${N} \\|`, values: [LIMITS.http.keepAliveTimeoutMs] },
    { pattern: `JSON-RPC handshake \\(\`initializeTimeoutMs\`\\) \\| ${N} \\|`, values: [LIMITS.http.initializeTimeoutMs] },
    { pattern: `\\(\`maxConnections\`, ${N}, refused at the upgrade with 503\\)`, values: [LIMITS.maxConnections] },
    {
      pattern: `Frames are capped at ${N} \\(\`maxPayloadBytes\`\\), connections at ${N}`,
      values: [LIMITS.maxPayloadBytes, LIMITS.maxConnections],
    },
    { pattern: `Heartbeats every ${N} \\(\`heartbeatIntervalMs\`\\)`, values: [LIMITS.heartbeatIntervalMs] },
    gatewaySentence,
    { pattern: `batches over ${N} messages refused whole`, values: [LIMITS.maxBatch] },
    { pattern: `more than ${N} requests in flight on one connection`, values: [LIMITS.maxInFlightPerConnection] },
    { pattern: `connections past ${N} refused with 503`, values: [LIMITS.maxConnections] },
    { pattern: `once ${N} of its replies are unsent, drops it past ${N}`, values: [LIMITS.pauseBufferedBytes, LIMITS.dropBufferedBytes] },
  ],
  'docs/protocol.md': [{ pattern: `paged to stay inside the client's ${N} frame`, values: [LIMITS.maxPayloadBytes] }],
};

describe('limits quoted in the docs equal the limits table', () => {
  it('reads quoted numbers with their units', () => {
    assert.equal(quotedNumber('1 MiB'), 1024 * 1024);
    assert.equal(quotedNumber('100,000'), 100_000);
    assert.equal(quotedNumber('10 s'), 10_000);
    assert.throws(() => quotedNumber('ten'), /not a quoted limit/);
  });

  for (const [file, list] of Object.entries(claims)) {
    for (const claim of list) {
      it(`${file}: "${claim.pattern.replace(/\(\[[^)]*\)\?\)/g, 'N').replace(/\\/g, '')}"`, () => {
        // Table cells are padded for alignment: compare with the padding collapsed.
        const text = read(file).replace(/ *\| */g, ' | ');
        const m = new RegExp(claim.pattern).exec(text);
        assert.ok(m, `${file} no longer says this; update the claim and the text together`);
        assert.deepEqual(m.slice(1).map(quotedNumber), claim.values);
      });
    }
  }
});
