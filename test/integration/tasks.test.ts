/**
 * Extraction and factual answers end to end: a real daemon process, real llama.cpp on scripted GGUF
 * models (known outputs, JSON constrained by a grammar from the schema), over JSON-RPC and the CLI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnswerResult, ExtractionResult } from '../../protocol/tasks';
import type { ProgressValue } from '../../protocol/methods';
import { startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';
import { EXTRACT_TEXT, TYPES, taskPoolConfig } from './taskPool';

describe('extraction and answers by vote', () => {
  let daemon: TestDaemon;

  before(async () => {
    const home = tempHome();
    writeConfig(home, taskPoolConfig(home));
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  async function rpc<M extends 'ensemble/extract' | 'ensemble/answer'>(
    method: M,
    params: Parameters<Awaited<ReturnType<TestDaemon['connect']>>['rpc']['request']>[1],
    events: ProgressValue[] = [],
  ) {
    const conn = await daemon.connect();
    try {
      return await conn.rpc.request(method, params as never, { onProgress: (p) => events.push(p) });
    } finally {
      conn.close();
    }
  }

  it('extract: spans normalized, aligned to the input and kept by majority, with their members', async () => {
    const events: ProgressValue[] = [];
    const r = ExtractionResult.parse(await rpc('ensemble/extract', { text: EXTRACT_TEXT, types: TYPES, ensemble: 'extractors' }, events));
    assert.deepEqual(
      r.spans.map((s) => [s.type, s.text, s.start, s.end, s.members]),
      [
        ['person', 'Ada Lovelace', 0, 12, ['x1', 'x2', 'x3']],
        ['person', 'Charles Babbage', 25, 40, ['x1', 'x3']],
        ['location', 'London', 44, 50, ['x1', 'x2']],
      ],
    );
    for (const s of r.spans) assert.equal(EXTRACT_TEXT.slice(s.start, s.end), s.text);
    assert.deepEqual(
      r.spans.map((s) => Number(s.agreement.toFixed(3))),
      [1, 0.667, 0.667],
    );
    assert.deepEqual(
      r.rejected.map((s) => [s.text, s.members]),
      [['Babbage', ['x2']]],
    );
    assert.equal(r.votes.find((v) => v.member === 'x3')!.unaligned, 1); // "Paris" is not in the text
    assert.equal(events.filter((e) => e.kind === 'extractionVote').length, 3);
  });

  it('extract with a quorum of one member keeps what any member found, overlaps resolved to the better supported', async () => {
    const r = ExtractionResult.parse(
      await rpc('ensemble/extract', { text: EXTRACT_TEXT, types: TYPES, ensemble: 'extractors', quorum: 0.3 }),
    );
    assert.deepEqual(
      r.spans.map((s) => s.text),
      ['Ada Lovelace', 'Charles Babbage', 'London'],
    );
    assert.deepEqual(
      r.rejected.map((s) => s.text),
      ['Babbage'],
    );
  });

  it('answer: "Twenty-one" and "21" agree after normalization; the majority wins with its agreement', async () => {
    const r = AnswerResult.parse(await rpc('ensemble/answer', { question: 'How many?', ensemble: 'answers' }));
    assert.equal(r.normalized, '21');
    assert.equal(r.answer, 'Twenty-one');
    assert.equal(Number(r.agreement.toFixed(3)), 0.667);
    assert.deepEqual(
      r.votes.map((v) => v.normalized),
      ['21', '21', '22'],
    );
    assert.deepEqual(
      r.votes.map((v) => v.confidence),
      [0.9, 0.6, 0.99],
    );
  });

  it('answer: three different answers are "no agreement", not a forced pick', async () => {
    const r = AnswerResult.parse(await rpc('ensemble/answer', { question: 'How many?', ensemble: 'split' }));
    assert.equal(r.answer, null);
    assert.match(r.note, /no agreement/);
    assert.deepEqual(
      r.votes.map((v) => v.normalized),
      ['21', '22', '19'],
    );
  });

  it("answer: an ensemble's own quorum from the config applies when the request names none", async () => {
    const r = AnswerResult.parse(await rpc('ensemble/answer', { question: 'How many?', ensemble: 'anyVoice' }));
    assert.equal(r.answer, 'Twenty-one');
    assert.equal(r.quorum, 0.3);
  });

  it('answer, weighted: the more confident member wins once the quorum allows one voice', async () => {
    const strict = AnswerResult.parse(await rpc('ensemble/answer', { question: 'How many?', ensemble: 'confident' }));
    assert.equal(strict.answer, null);
    const r = AnswerResult.parse(await rpc('ensemble/answer', { question: 'How many?', ensemble: 'confident', quorum: 0.5 }));
    assert.equal(r.normalized, '22');
  });

  it('answer, early exit: dates in three formats agree and the third member is not asked', async () => {
    const r = AnswerResult.parse(await rpc('ensemble/answer', { question: 'When?', ensemble: 'dates' }));
    assert.equal(r.normalized, '2024-03-05');
    assert.equal(r.earlyExit, true);
    assert.deepEqual(
      r.votes.map((v) => v.status),
      ['ok', 'ok', 'skipped'],
    );
  });

  it('answer with options maps a member answer onto the option', async () => {
    const r = AnswerResult.parse(await rpc('ensemble/answer', { question: 'How many?', ensemble: 'answers', options: ['19', '21', '22'] }));
    assert.equal(r.answer, '21');
  });

  it('ensemble extract and ensemble answer on the command line', async () => {
    const x = await daemon.cli(['extract', EXTRACT_TEXT, '--types', 'person,location', '--ensemble', 'extractors']);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout, /3 entities kept/);
    assert.match(x.stdout, /person\s+Charles Babbage\s+25-40\s+2\/3/);
    const a = await daemon.cli(['answer', 'How many?', '--ensemble', 'answers', '--json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(AnswerResult.parse(JSON.parse(a.stdout)).normalized, '21');
    const none = await daemon.cli(['answer', 'How many?', '--ensemble', 'split']);
    assert.equal(none.code, 3);
    assert.match(none.stdout, /^no agreement/);
    const bad = await daemon.cli(['answer', 'x', '--quorum', '2']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--quorum/);
  });
});
