/**
 * Hostile text from members and clients, end to end: a real daemon with two good members and one
 * hostile member (a loopback OpenAI-shape server replying "answer" + 100k newlines, 60k punctuation,
 * "5 constructor", a markdown command link...), and a client sending a 150k-character extraction
 * text in which a span occurs every three characters. Every request returns with the good members'
 * votes, the extraction reply fits the client's frame (cut, and saying so), and the daemon keeps
 * answering WebSocket pings meanwhile.
 *
 * The ping bound is a bound on the daemon's event loop, not a timing of our code: a ReDoS or a
 * quadratic pass stalls the loop for seconds (the audit measured 3 to 40 s), and the member timeout
 * is what a stalled member costs anyway. So the worst ping round trip must stay under a tenth of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { DaemonConnection } from '../../client/daemonClient';
import { Decision } from '../../protocol/ensemble';
import { LIMITS } from '../../protocol/limits';
import { PoolStatus } from '../../protocol/methods';
import { AnswerResult, ExtractionResult } from '../../protocol/tasks';
import { startOpenAiServer, alts, type FakeOpenAiServer, type FakeReply } from '../fakes/openaiServer';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const MEMBER_TIMEOUT_MS = 20_000;

const goodLabel: FakeReply = { tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] };
const goodAnswer: FakeReply = { content: '{"answer": "Paris", "confidence": 0.9}' };
const entities = (spans: Array<{ type: string; text: string }>): FakeReply => ({ content: JSON.stringify({ entities: spans }) });

const HOSTILE_REPLIES: Array<[string, string]> = [
  ['"answer" + 100k newlines', `answer${'\n'.repeat(100_000)}`],
  ['60k punctuation', `Paris${'.,;!?'.repeat(12_000)}x`],
  ['"5 constructor"', '5 constructor'],
  ['"answer answer answer ..."', 'answer '.repeat(20_000)],
  ['"Confidence:" + 60k spaces', `Confidence:${' '.repeat(60_000)}x`],
  ['prototype names, a command link, lone surrogates', '__proto__ toString [Fix it](command:ensemble.stopDaemon) \ud800 😀 hasOwnProperty'],
];

/** Round trips of WebSocket pings, one after another for as long as it runs: the daemon's loop must keep answering. */
class PingProbe {
  private socket: WebSocket;
  private sentAt = 0;
  private stopped = false;
  maxDelayMs = 0;
  pongs = 0;

  constructor(port: number, token: string) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { Authorization: `Bearer ${token}` } });
    this.socket.on('pong', () => {
      this.maxDelayMs = Math.max(this.maxDelayMs, performance.now() - this.sentAt);
      this.pongs++;
      this.ping();
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.ping();
  }

  private ping(): void {
    if (this.stopped) return;
    this.sentAt = performance.now();
    this.socket.ping();
  }

  stop(): void {
    this.stopped = true;
    this.socket.close();
  }
}

describe('hostile text from members and clients', { timeout: 300_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  let conn: DaemonConnection;
  let probe: PingProbe;
  const servers: FakeOpenAiServer[] = [];

  before(async () => {
    home = tempHome();
    for (let i = 0; i < 3; i++) servers.push(await startOpenAiServer());
    writeConfig(home, {
      models: servers.map((s, i) => ({ id: `m${i}`, backend: 'openai', baseUrl: s.baseUrl, model: 'test-model' })),
      ensembles: {
        default: { members: ['m0', 'm1', 'm2'], strategy: 'majority', labels: LABELS, memberTimeoutMs: MEMBER_TIMEOUT_MS },
        // A prototype name as an ensemble name is an ordinary name.
        constructor: {
          members: ['m0', 'm1', 'm2'],
          strategy: 'majority',
          labels: ['toString', 'constructor'],
          memberTimeoutMs: MEMBER_TIMEOUT_MS,
        },
      },
      // The hostile member answers badly on purpose, request after request: keep its breaker closed.
      daemon: { breakerThreshold: 100 },
    });
    daemon = await startTestDaemon(home);
    conn = await daemon.connect();
    probe = new PingProbe(daemon.info.port, daemon.info.token);
    await probe.start();
  });
  after(async () => {
    probe?.stop();
    conn?.close();
    await daemon?.stop();
    for (const s of servers) await s.close();
  });

  /** The two good members reply `good`, the third `hostile`. */
  const script = (good: FakeReply, hostile: FakeReply) => {
    servers[0]!.script(good);
    servers[1]!.script(good);
    servers[2]!.script(hostile);
  };
  /** The good members' votes, as [status, what they said]. */
  const goodVotes = (said: Array<[string, string | null]>) => said.slice(0, 2);

  for (const [what, reply] of HOSTILE_REPLIES) {
    it(`classify: a member replying ${what} costs only its own vote`, async () => {
      script(goodLabel, { content: reply });
      const d = Decision.parse(await conn.rpc.request('ensemble/classify', { text: 'It crashes on save' }));
      assert.equal(d.label, 'bug');
      assert.deepEqual(goodVotes(d.votes.map((v) => [v.status, v.label])), [
        ['ok', 'bug'],
        ['ok', 'bug'],
      ]);
      assert.notEqual(d.votes[2]!.label, 'bug');
    });

    it(`answer: a member replying ${what} costs only its own vote`, async () => {
      script(goodAnswer, { content: reply });
      const r = AnswerResult.parse(await conn.rpc.request('ensemble/answer', { question: 'Capital of France?' }));
      assert.equal(r.normalized, 'paris');
      assert.deepEqual(goodVotes(r.votes.map((v) => [v.status, v.normalized])), [
        ['ok', 'paris'],
        ['ok', 'paris'],
      ]);
      const hostile = r.votes[2]!;
      assert.ok(hostile.status === 'error' || (hostile.answer ?? '').length <= 500, JSON.stringify(hostile).slice(0, 300));
    });
  }

  it('answer: a gold of "5 constructor" is recorded, not an InternalError', async () => {
    for (const s of servers) s.script({ content: '{"answer": "5 constructor", "confidence": 0.7}' });
    const r = AnswerResult.parse(await conn.rpc.request('ensemble/answer', { question: 'Which?', gold: '5 constructor' }));
    assert.equal(r.normalized, '5 constructor');
  });

  it('an ensemble named "constructor" with labels "toString" and "constructor" counts every vote', async () => {
    const said = (label: string): FakeReply => ({ tokens: [{ token: label, top: alts({ [label]: 0.9 }) }] });
    servers[0]!.script(said('constructor'));
    servers[1]!.script(said('constructor'));
    servers[2]!.script(said('toString'));
    const d = Decision.parse(await conn.rpc.request('ensemble/classify', { text: 'x', ensemble: 'constructor' }));
    assert.equal(d.label, 'constructor');
    assert.equal(d.agreement, 2 / 3);
  });

  it('extract: 150k characters with a span every three, and a member proposing 200 long spans: cut to fit, and saying so', async () => {
    const text = 'ab '.repeat(50_000);
    const everywhere = [{ type: 'person', text: 'ab' }];
    script(entities(everywhere), entities(Array.from({ length: 200 }, (_, i) => ({ type: 'person', text: `${i} ${'x'.repeat(1_000)}` }))));
    const raw = await conn.rpc.request('ensemble/extract', { text, types: ['person'] });
    const r = ExtractionResult.parse(raw);
    assert.ok(Buffer.byteLength(JSON.stringify(r)) <= LIMITS.maxReplyBytes);
    assert.equal(r.truncated, true);
    assert.ok(r.dropped!.occurrences >= 2, JSON.stringify(r.dropped));
    assert.ok(r.spans.length > 0 && r.spans.length <= LIMITS.maxOccurrencesPerSpan);
    for (const s of r.spans) assert.equal(text.slice(s.start, s.end), 'ab');
    assert.deepEqual(
      r.votes.map((v) => v.status),
      ['ok', 'ok', 'ok'],
    );
    assert.equal(r.votes[2]!.unaligned, 200);
    assert.match(r.note, /reply cut to fit/);
    // the CLI shows the flag
    const cli = await daemon.cli(['extract', text.slice(0, 30_000), '--types', 'person']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /TRUNCATED: the reply was cut to fit/);
  });

  it('the daemon answered pings all along: its event loop never stalled for a tenth of the member timeout', async (t) => {
    assert.ok(probe.pongs > 10, `${probe.pongs} pongs`);
    // The daemon's own measure of the same thing, for the record (scheduling on a busy machine adds to it).
    const status = PoolStatus.parse(await conn.rpc.request('pool/status', {}));
    assert.ok(status.eventLoop, 'pool/status carries the event-loop delay');
    t.diagnostic(`daemon event-loop delay over the run: p99 ${status.eventLoop.p99Ms} ms, max ${status.eventLoop.maxMs} ms`);
    // A bound on the event loop (see the header), not a timing of our code.
    const maxPingDelayMs = probe.maxDelayMs;
    t.diagnostic(`worst ping round trip ${Math.round(maxPingDelayMs)} ms over ${probe.pongs} pings`);
    assert.ok(maxPingDelayMs < MEMBER_TIMEOUT_MS / 10, `worst ping round trip ${Math.round(maxPingDelayMs)} ms`);
  });
});
