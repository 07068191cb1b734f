/**
 * When an ensemble helps, per task, end to end: `ensemble record --task answer|extract` records
 * labelled datasets through a real daemon on scripted GGUF models (real llama.cpp, known outputs),
 * resumably; `ensemble eval` on the database gives each task's verdict. The extractors each make an
 * error of their own, so their majority vote is right where none of them is; the answerers write
 * "21" alike (one as a word), so voting adds nothing and their shared errors are flagged.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AnswerResult } from '../../protocol/tasks';
import { writeScriptedModel } from '../fixtures/gguf/models';
import { startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const TEXT = 'Ada Lovelace worked with Charles Babbage in London.';
const entity = (type: string, text: string) => `{"type":"${type}","text":"${text}"}`;
const entities = (...es: string[]) => ['{"entities":[', ...es.map((e, i) => (i ? `,${e}` : e)), ']}'];
const answer = (text: string, confidence: number) => ['{"answer":"', text, '","confidence":', String(confidence), '}'];

const scripts: Record<string, string[]> = {
  // Each gets one entity's type wrong; two of three agree on every right one.
  e1: entities(entity('person', 'Ada Lovelace'), entity('person', 'Charles Babbage'), entity('person', 'London')),
  e2: entities(entity('person', 'Ada Lovelace'), entity('location', 'London'), entity('location', 'Charles Babbage')),
  e3: entities(entity('person', 'Charles Babbage'), entity('location', 'London'), entity('location', 'Ada Lovelace')),
  q21words: answer('Twenty-one', 0.9),
  q21: answer('21', 0.6),
  q22: answer('22', 0.8),
};

describe('per-task verdicts from recorded answers and extractions', () => {
  let home: string;
  let daemon: TestDaemon;
  let questions: string;
  let texts: string;

  before(async () => {
    home = tempHome();
    fs.mkdirSync(path.join(home, 'models'), { recursive: true });
    const models = Object.entries(scripts).map(([id, script]) => ({
      id,
      backend: 'llama.cpp' as const,
      path: writeScriptedModel(path.join(home, 'models', `${id}.gguf`), script).path,
      threads: 1,
      contextSize: 256,
    }));
    writeConfig(home, {
      models,
      ensembles: {
        extractors: { members: ['e1', 'e2', 'e3'], strategy: 'majority' },
        answers: { members: ['q21words', 'q21', 'q22'], strategy: 'majority' },
      },
    });
    questions = path.join(home, 'questions.jsonl');
    // Two questions in three have 21 for answer (written either way), the rest 22.
    fs.writeFileSync(
      questions,
      Array.from({ length: 12 }, (_, k) =>
        JSON.stringify({ id: `q${k}`, question: `How many in case ${k}?`, answer: k % 3 ? (k % 2 ? 'twenty one' : '21') : '22' }),
      ).join('\n'),
    );
    texts = path.join(home, 'texts.jsonl');
    const gold = [
      { type: 'person', text: 'Ada Lovelace' },
      { type: 'person', text: 'Charles Babbage' },
      { type: 'location', text: 'London' },
    ];
    fs.writeFileSync(texts, Array.from({ length: 8 }, (_, k) => JSON.stringify({ id: `t${k}`, text: TEXT, entities: gold })).join('\n'));
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  it('records both datasets, and a second run resumes with nothing left to do', async () => {
    const a = await daemon.cli(['record', questions, '--task', 'answer', '--ensemble', 'answers']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /12 items, 0 already recorded, 12 to go/);
    const x = await daemon.cli(['record', texts, '--task', 'extract', '--ensemble', 'extractors']);
    assert.equal(x.code, 0, x.stderr);
    const again = await daemon.cli(['record', texts, '--task', 'extract', '--ensemble', 'extractors']);
    assert.match(again.stderr, /8 items, 8 already recorded, 0 to go/);
    const db = new Database(path.join(home, 'ensemble.db'), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT task, COUNT(*) AS n, COUNT(gold) AS gold FROM task_results WHERE source = 'record' GROUP BY task ORDER BY task")
        .all();
      assert.deepEqual(rows, [
        { task: 'answer', n: 12, gold: 12 },
        { task: 'extract', n: 8, gold: 8 },
      ]);
      // Gold answers are normalized like the members' answers: "twenty one" is 21.
      const golds = db.prepare("SELECT DISTINCT gold FROM task_results WHERE task = 'answer' ORDER BY gold").all();
      assert.deepEqual(golds, [{ gold: '21' }, { gold: '22' }]);
    } finally {
      db.close();
    }
  });

  it('a bad dataset line is refused with the file, the line and the field', async () => {
    const bad = path.join(home, 'bad.jsonl');
    fs.writeFileSync(bad, `${JSON.stringify({ id: 'x', text: TEXT, entities: [{ type: 'person' }] })}\n`);
    const r = await daemon.cli(['record', bad, '--task', 'extract']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.jsonl:1: field "entities\.0\.text"/);
  });

  it("eval: the extractors' vote beats their best member; answering alike does not help, and the shared failure is named", async () => {
    const html = path.join(home, 'report.html');
    const r = await daemon.cli(['eval', path.join(home, 'ensemble.db'), '--json', '--html', html]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      tasks: {
        verdicts: Array<{
          task: string;
          helps: boolean;
          suggestion: string;
          text: string;
          bestMember: { model: string; score: number };
          ensemble: { score: number };
          gain: number;
          sharedFailures: Array<{ a: string; b: string }>;
        }>;
      };
    };
    const byTask = new Map(report.tasks.verdicts.map((v) => [v.task, v]));
    assert.deepEqual([...byTask.keys()], ['answers', 'extraction']);
    const x = byTask.get('extraction')!;
    assert.equal(x.helps, true);
    assert.equal(x.ensemble.score, 1);
    assert.match(x.text, /^extraction: the ensemble beats its best member by 33\.3 points \(± 0\.0\)/);
    const a = byTask.get('answers')!;
    assert.equal(a.helps, false);
    assert.equal(a.suggestion, 'single');
    assert.equal(a.gain, 0);
    assert.match(a.text, new RegExp(`use ${a.bestMember.model} alone`));
    assert.deepEqual(
      a.sharedFailures.map((s) => [s.a, s.b]),
      [['q21words', 'q21']],
    );
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /When the ensemble helps, per task/);
    assert.match(page, /span vote 2 of 3 \(majority\) \(chosen on train\)/);
    const text = await daemon.cli(['eval', path.join(home, 'ensemble.db')]);
    assert.match(text.stdout, /when an ensemble helps, per task/);
    assert.match(text.stdout, /- extraction: the ensemble beats its best member/);
  });

  it('live answers are recorded; feedback, or --gold on the CLI, gives them their gold', async () => {
    const conn = await daemon.connect();
    try {
      const res = AnswerResult.parse(await conn.rpc.request('ensemble/answer', { question: 'How many?', ensemble: 'answers' }));
      assert.deepEqual(await conn.rpc.request('answer/feedback', { answerId: res.id, answer: 'twenty-two' }), { recorded: true });
      assert.deepEqual(await conn.rpc.request('answer/feedback', { answerId: 'unknown', answer: '22' }), { recorded: false });
    } finally {
      conn.close();
    }
    const cli = await daemon.cli(['answer', 'How many?', '--ensemble', 'answers', '--gold', 'twenty-one']);
    assert.equal(cli.code, 0, cli.stderr);
    const db = new Database(path.join(home, 'ensemble.db'), { readonly: true });
    try {
      assert.deepEqual(db.prepare("SELECT gold FROM task_results WHERE source = 'live' ORDER BY created_at").all(), [
        { gold: '22' },
        { gold: '21' },
      ]);
    } finally {
      db.close();
    }
  });
});
