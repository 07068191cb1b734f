/**
 * The generation strategies on a real daemon over loopback OpenAI-style servers (test/fakes):
 * compare returns every member's answer; fusion with a hung member ends its round at the round
 * timeout, names the member and aborts its call (the server sees the connection closed), and the
 * judge is shown exactly the bounded panel answers; select returns one panel answer verbatim;
 * firstSuccess returns the first acceptable answer, cancels the slower call and skips a failing
 * member; live runs replay to the same calls and outcome; the CLI prints compare in columns; the
 * gateway streams the judge's tokens to the official openai client.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { judgePrompt, boundAnswer } from '../../daemon/ensemble/judgePrompt';
import { generationPlanFor, replayGeneration, toAsked } from '../../daemon/strategies/generationPlan';
import { GenerationResult, type GenerateParams } from '../../protocol/generation';
import type { ProgressValue } from '../../protocol/methods';
import { startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const ANSWER_A = 'Paris is the capital of France.';
const ANSWER_B = `The capital is Paris. ${'It has been the capital for centuries. '.repeat(8)}`.trim();
const JUDGE_TOKENS = ['Paris', ' is', ' the', ' capital.'];

function chatCalls(server: FakeOpenAiServer): number {
  return server.requests.filter((r) => r.path === '/v1/chat/completions').length;
}

// A bound on the whole suite: a call that is never aborted would otherwise leave `abandonedAtLeast` waiting forever.
describe('generation strategies: compare, fusion, firstSuccess', { timeout: 180_000 }, () => {
  let daemon: TestDaemon;
  let home: string;
  const servers: Record<string, FakeOpenAiServer> = {};

  before(async () => {
    for (const id of ['a', 'b', 'hung', 'failing', 'judge', 'wavering', 'steady']) servers[id] = await startOpenAiServer();
    // mux: one member answers two ways out of three samples, the other the same way every time.
    servers.wavering!.script({ content: 'Paris' }, { content: 'Lyon.' }, { content: 'paris' });
    servers.steady!.script({ content: 'Rome' });
    servers.a!.script({ tokens: [{ token: 'Paris' }, { token: ' is the capital' }, { token: ' of France.' }] });
    servers.b!.script({ content: ANSWER_B });
    servers.hung!.script({ hang: true });
    servers.failing!.script({ error: 400, message: 'this member always fails' });
    // The judge answers a select prompt with a number, a synthesize prompt with its own text, token by token.
    servers.judge!.script((req) =>
      JSON.stringify(req.body?.messages ?? '').includes('number only')
        ? { content: '2' }
        : { tokens: JUDGE_TOKENS.map((token) => ({ token })) },
    );
    home = tempHome();
    const timeouts = { memberTimeoutMs: 60_000, deadlineMs: 90_000 };
    writeConfig(home, {
      models: Object.entries(servers).map(([id, s]) => ({ id, backend: 'openai', baseUrl: s.baseUrl, model: 'test-model' })),
      ensembles: {
        panel: { members: ['a', 'b'], strategy: 'majority', ...timeouts },
        withHung: { members: ['a', 'b', 'hung'], strategy: 'majority', ...timeouts },
        race: { members: ['failing', 'hung', 'a'], strategy: 'majority', ...timeouts },
        fallback: { members: ['failing', 'a', 'hung'], strategy: 'majority', ...timeouts },
        sampling: { members: ['wavering', 'steady'], strategy: 'majority', ...timeouts },
        // Generation defaults from the config: the strategy (also for the gateway's bare name) and the judge.
        configured: { members: ['failing', 'a'], strategy: 'majority', generation: { strategy: 'firstSuccess' }, ...timeouts },
        judged: { members: ['a', 'b'], strategy: 'majority', generation: { strategy: 'fusion', judge: 'judge' }, ...timeouts },
      },
    });
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  async function generate(
    params: Partial<GenerateParams> & { prompt: string },
  ): Promise<{ result: GenerationResult; events: ProgressValue[] }> {
    const conn = await daemon.connect();
    try {
      const events: ProgressValue[] = [];
      const result = await conn.rpc.request('ensemble/generate', params, { onProgress: (p) => events.push(p) });
      return { result: GenerationResult.parse(result), events };
    } finally {
      conn.close();
    }
  }

  /** The live run's panel replayed through the same plan: same members asked, same rounds, same pick. */
  function assertReplays(result: GenerationResult, k = 1): void {
    const listed = result.panel.map((a) => a.member);
    const byMember = new Map(result.panel.map((a) => [a.member, toAsked(a)]));
    const replayed = replayGeneration(generationPlanFor(result.strategy as 'compare', listed, k), listed, (m) => byMember.get(m)!);
    const judgeCalls = result.judge ? 1 : 0;
    assert.equal(replayed.calls + judgeCalls, result.calls, 'calls');
    assert.equal(replayed.rounds, result.rounds, 'rounds');
    if (result.strategy === 'firstSuccess' || result.strategy === 'mux') assert.equal(replayed.picked, result.from, 'the picked member');
  }

  it('compare: every member answers the same prompt, each with its latency, tokens and finish reason; nothing is synthesized', async () => {
    const { result, events } = await generate({ prompt: 'What is the capital of France?', strategy: 'compare', ensemble: 'panel' });
    assert.deepEqual(
      result.panel.map((a) => [a.member, a.status, a.text]),
      [
        ['a', 'ok', ANSWER_A],
        ['b', 'ok', ANSWER_B],
      ],
    );
    assert.equal(result.panel[0]!.tokens, 3, 'a streamed three pieces');
    assert.ok(result.panel.every((a) => a.finishReason === 'stop'));
    assert.equal(result.text, '');
    assert.equal(result.judge, null);
    assert.deepEqual(
      events.flatMap((e) => (e.kind === 'panelAnswer' ? [`${e.done}/${e.total}`] : [])),
      ['1/2', '2/2'],
      'each answer reported as it arrives, counted',
    );
    for (const id of ['a', 'b'])
      assert.equal(servers[id]!.last('/v1/chat/completions')!.body.messages.at(-1).content, 'What is the capital of France?');
    assertReplays(result);
  });

  it('fusion with a hung member: the round ends at its timeout, the judge works with the quorum, the hung call is aborted and named', async () => {
    const abandoned = servers.hung!.abandoned.length;
    const prompt = 'Name the capital of France.';
    const { result, events } = await generate({
      prompt,
      strategy: 'fusion',
      ensemble: 'withHung',
      judge: 'judge',
      minResponses: 2,
      roundTimeoutMs: 1_000,
      maxAnswerChars: 64,
    });
    assert.deepEqual(result.missing, ['hung']);
    assert.equal(result.panel.find((a) => a.member === 'hung')!.status, 'missing');
    await servers.hung!.abandonedAtLeast(abandoned + 1); // the hung server saw its request cancelled
    assert.equal(result.text, JUDGE_TOKENS.join(''));
    assert.deepEqual(result.judge!.shown, ['a', 'b']);
    const streamed = events.flatMap((e) => (e.kind === 'judgeToken' ? [e.text] : []));
    assert.deepEqual(streamed, JUDGE_TOKENS, 'the judge tokens arrive as progress, in order');
    // The judge was shown exactly the bounded answers, in the documented template.
    const expected = judgePrompt(undefined, 'synthesize', prompt, [
      { member: 'a', text: boundAnswer(ANSWER_A, 64) },
      { member: 'b', text: boundAnswer(ANSWER_B, 64) },
    ]);
    assert.ok(ANSWER_B.length > 64 && expected.includes(boundAnswer(ANSWER_B, 64)) && !expected.includes(ANSWER_B));
    assert.equal(servers.judge!.last('/v1/chat/completions')!.body.messages.at(-1).content, expected);
    assertReplays(result);
  });

  it('fusion select: the judge picks a panel answer, returned verbatim (not the bounded copy it saw)', async () => {
    const { result } = await generate({
      prompt: 'Name the capital of France.',
      strategy: 'fusion',
      ensemble: 'panel',
      judge: 'judge',
      mode: 'select',
      maxAnswerChars: 64,
    });
    assert.equal(result.judge!.selected, 'b');
    assert.equal(result.from, 'b');
    assert.equal(result.text, ANSWER_B);
  });

  it('firstSuccess k at a time: a failing member is passed over, the first good answer returns and the slower call is cancelled', async () => {
    const abandoned = servers.hung!.abandoned.length;
    const { result } = await generate({ prompt: 'Capital of France?', strategy: 'firstSuccess', ensemble: 'race', k: 3 });
    assert.equal(result.from, 'a');
    assert.equal(result.text, ANSWER_A);
    assert.deepEqual(
      result.panel.map((a) => [a.member, a.status]),
      [
        ['failing', 'error'],
        ['hung', 'cancelled'],
        ['a', 'ok'],
      ],
    );
    await servers.hung!.abandonedAtLeast(abandoned + 1);
    assertReplays(result, 3);
  });

  it('firstSuccess in order: after the failing member, the next answers and the rest are never asked', async () => {
    const hungCalls = chatCalls(servers.hung!);
    const { result } = await generate({ prompt: 'Capital of France?', strategy: 'firstSuccess', ensemble: 'fallback' });
    assert.equal(result.from, 'a');
    assert.deepEqual(
      result.panel.map((a) => [a.member, a.status, a.round]),
      [
        ['failing', 'error', 1],
        ['a', 'ok', 2],
        ['hung', 'skipped', 0],
      ],
    );
    assert.equal(result.calls, 2);
    assert.equal(chatCalls(servers.hung!), hungCalls, 'the member after the accepted one was never asked');
    assertReplays(result);
  });

  it('mux: each member samples at a temperature; the most self-consistent member answers', async () => {
    const { result } = await generate({ prompt: 'Capital of Italy?', strategy: 'mux', ensemble: 'sampling', samples: 3, temperature: 0.7 });
    assert.equal(result.from, 'steady');
    assert.equal(result.text, 'Rome');
    const wavering = result.panel.find((a) => a.member === 'wavering')!;
    assert.equal(wavering.consistency, 2 / 3);
    assert.equal(wavering.text.toLowerCase(), 'paris', 'a member stands for its majority, by one of its samples');
    assert.deepEqual([...wavering.samples!].sort(), ['Lyon.', 'Paris', 'paris']);
    assert.equal(result.panel.find((a) => a.member === 'steady')!.consistency, 1);
    assert.equal(chatCalls(servers.wavering!), 3);
    assert.ok(servers.wavering!.requests.every((r) => r.path !== '/v1/chat/completions' || r.body.temperature === 0.7));
    assertReplays(result);
  });

  it("the ensemble's configured generation strategy and judge apply when the request names none, also to the gateway's bare name", async () => {
    const { result } = await generate({ prompt: 'Capital of France?', ensemble: 'configured' });
    assert.equal(result.strategy, 'firstSuccess');
    assert.equal(result.from, 'a');
    const judged = await generate({ prompt: 'Capital of France?', ensemble: 'judged' });
    assert.equal(judged.result.strategy, 'fusion');
    assert.equal(judged.result.judge?.model, 'judge');
    const client = new OpenAI({ apiKey: daemon.info.token, baseURL: `http://127.0.0.1:${daemon.info.port}/v1`, maxRetries: 0 });
    const c = await client.chat.completions.create({ model: 'configured', messages: [{ role: 'user', content: 'Capital of France?' }] });
    assert.equal(c.choices[0]!.message.content, ANSWER_A);
    assert.equal((c as unknown as { ensemble: GenerationResult }).ensemble.strategy, 'firstSuccess');
  });

  it('an unknown judge is refused, naming what was expected', async () => {
    const conn = await daemon.connect();
    try {
      await assert.rejects(
        conn.rpc.request('ensemble/generate', { prompt: 'x', strategy: 'fusion', ensemble: 'panel', judge: 'nobody' }),
        /judge "nobody": expected a model id of the config or a member/,
      );
    } finally {
      conn.close();
    }
  });

  it('ensemble generate prints compare in columns, one per member, and the whole result with --json', async () => {
    const table = await daemon.cli(['generate', 'Capital of France?', '--strategy', 'compare', '--ensemble', 'panel']);
    assert.equal(table.code, 0, table.stderr);
    const header = table.stdout.split('\n')[0]!;
    assert.match(header, /^a\s+\| b$/);
    assert.match(table.stdout, /Paris is the/);
    const json = await daemon.cli(['generate', 'Capital of France?', '--strategy', 'firstSuccess', '--ensemble', 'fallback', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(GenerationResult.parse(JSON.parse(json.stdout)).from, 'a');
  });

  it('a generation recorded with its gold is scored by ensemble eval, per member and with firstSuccess replayed', async () => {
    const { result } = await generate({
      prompt: 'Capital of France?',
      strategy: 'compare',
      ensemble: 'panel',
      dataset: 'capitals.jsonl',
      itemId: 'q1',
      gold: 'Paris is the capital of France',
    });
    assert.equal(result.panel.length, 2);
    const r = await daemon.cli(['eval', path.join(home, 'ensemble.db'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = (JSON.parse(r.stdout) as { generations: { rows: Array<{ name: string; exact: number; calls: number }> } }).generations
      .rows;
    const row = (name: string) => rows.find((x) => x.name === name);
    assert.equal(row('member a')?.exact, 1);
    assert.equal(row('member b')?.exact, 0);
    assert.deepEqual([row('firstSuccess (replayed, in order)')?.exact, row('firstSuccess (replayed, in order)')?.calls], [1, 1]);
  });

  it('the gateway streams the judge tokens of <ensemble>/fusion through the official openai client', async () => {
    const client = new OpenAI({ apiKey: daemon.info.token, baseURL: `http://127.0.0.1:${daemon.info.port}/v1`, maxRetries: 0 });
    const body = {
      model: 'panel/fusion',
      stream: true as const,
      max_tokens: 32,
      messages: [{ role: 'user' as const, content: 'Name the capital of France.' }],
      ensemble: { judge: 'judge' },
    };
    const stream = await client.chat.completions.create(body);
    const pieces: string[] = [];
    let last: (OpenAI.ChatCompletionChunk & { ensemble?: unknown }) | undefined;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) pieces.push(content);
      last = chunk;
    }
    assert.deepEqual(pieces, JUDGE_TOKENS, 'each judge token is its own chunk');
    assert.equal(last!.choices[0]!.finish_reason, 'stop');
    const result = GenerationResult.parse(last!.ensemble);
    assert.deepEqual(
      result.panel.map((a) => a.member),
      ['a', 'b'],
      'the panel is never hidden',
    );
  });
});
