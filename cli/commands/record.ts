/**
 * `ensemble record <dataset.jsonl> --ensemble NAME`: runs every member over a labelled dataset and
 * records each prediction (with its probabilities) and the gold label in the daemon's database.
 * Resumable and idempotent: items already recorded with every vote are skipped; items whose votes
 * timed out or failed are asked again, and the new decision replaces the old one (one per item).
 */
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { EnsembleError } from '../../protocol/errors';
import { GoldSpan } from '../../protocol/tasks';
import { CliError, connectCli, splitList } from '../connect';

const Id = z.union([z.string().min(1), z.number()]).transform(String);
const Item = z.object({
  id: Id,
  text: z.string().min(1),
  label: z.string().min(1),
  category: z.string().optional(),
});
type Item = z.infer<typeof Item>;

/** A labelled question (`--task answer`): the right answer, and the choices when the question offers some. */
const QuestionItem = z.object({
  id: Id,
  question: z.string().min(1),
  answer: z.string().min(1),
  options: z.array(z.string().min(1)).optional(),
});
/** A text with its entities (`--task extract`): an empty list when it holds none. */
const TextItem = z.object({ id: Id, text: z.string().min(1), entities: z.array(GoldSpan) });

export const DATASET_SHAPES = {
  classify: { schema: Item, shape: '{"id", "text", "label", "category"?}' },
  answer: { schema: QuestionItem, shape: '{"id", "question", "answer", "options"?: [...]}' },
  extract: { schema: TextItem, shape: '{"id", "text", "entities": [{"type", "text"}]}' },
} as const;
export type RecordTask = keyof typeof DATASET_SHAPES;

export function readDataset(file: string): Item[] {
  return readJsonl(file, Item, DATASET_SHAPES.classify.shape);
}

/** One JSON object per line, each checked against `schema`; errors name the file, the line and the field. */
export function readJsonl<S extends z.ZodType<{ id: string }>>(file: string, schema: S, shape: string): Array<z.infer<S>> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: cannot read: ${(e as Error).message}`, 2);
  }
  const items: Array<z.infer<S>> = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new CliError(`${file}:${i + 1}: not valid JSON (expected ${shape} per line)`, 2);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CliError(`${file}:${i + 1}: field "${issue.path.join('.') || '(line)'}": ${issue.message} (expected ${shape})`, 2);
    }
    if (ids.has(parsed.data.id)) throw new CliError(`${file}:${i + 1}: duplicate id "${parsed.data.id}"`, 2);
    ids.add(parsed.data.id);
    items.push(parsed.data);
  });
  if (items.length === 0) throw new CliError(`${file}: no items`, 2);
  return items;
}

type Rpc = Awaited<ReturnType<typeof connectCli>>['rpc'];
type Ask = (rpc: Rpc, item: { id: string }, ensemble: string, dataset: string, signal: AbortSignal) => Promise<unknown>;

/** The dataset of a task, and how one of its items is asked (and recorded: the daemon records it with its gold). */
export function prepareRecording(
  task: RecordTask,
  file: string,
  opts: { labels?: string; types?: string },
): { items: Array<{ id: string }>; ask: Ask } {
  if (task === 'answer') {
    const items = readJsonl(file, QuestionItem, DATASET_SHAPES.answer.shape);
    const byId = new Map(items.map((i) => [i.id, i]));
    return {
      items,
      // Majority over all members: recording needs every member's answer, so no early exit.
      ask: (rpc, { id }, ensemble, dataset, signal) => {
        const i = byId.get(id)!;
        return rpc.request(
          'ensemble/answer',
          { question: i.question, options: i.options, ensemble, strategy: 'majority', itemId: i.id, dataset, gold: i.answer },
          { signal },
        );
      },
    };
  }
  if (task === 'extract') {
    const items = readJsonl(file, TextItem, DATASET_SHAPES.extract.shape);
    const types = opts.types ? splitList(opts.types) : [...new Set(items.flatMap((i) => i.entities.map((e) => e.type)))].sort();
    if (types.length === 0) throw new CliError(`${file}: no entity in the dataset to take the types from; give them with --types`, 2);
    const byId = new Map(items.map((i) => [i.id, i]));
    return {
      items,
      ask: (rpc, { id }, ensemble, dataset, signal) => {
        const i = byId.get(id)!;
        return rpc.request('ensemble/extract', { text: i.text, types, ensemble, itemId: i.id, dataset, gold: i.entities }, { signal });
      },
    };
  }
  const items = readDataset(file);
  const labels = opts.labels ? splitList(opts.labels) : [...new Set(items.map((i) => i.label))].sort();
  const byId = new Map(items.map((i) => [i.id, i]));
  return {
    items,
    // Majority over all members: recording needs every member's vote, so no early exit.
    ask: (rpc, { id }, ensemble, dataset, signal) => {
      const i = byId.get(id)!;
      return rpc.request(
        'ensemble/classify',
        { text: i.text, labels, ensemble, strategy: 'majority', itemId: i.id, category: i.category, dataset, gold: i.label },
        { signal },
      );
    },
  };
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('run every member of an ensemble over a labelled JSONL dataset and record the predictions (resumable)')
    .argument(
      '<dataset>',
      `JSONL file, one item per line: ${Object.entries(DATASET_SHAPES)
        .map(([t, d]) => `${d.shape} (${t})`)
        .join('; ')}`,
    )
    .option(
      '--task <task>',
      'what the dataset holds: classify (labels), answer (questions with their right answer) or extract (texts with their entities)',
      'classify',
    )
    .option('--ensemble <name>', 'ensemble from config.json (default: the default ensemble)')
    .option('--labels <labels>', 'classify: candidate labels (default: every label that occurs in the dataset)')
    .option('--types <types>', "extract: entity types asked for (default: every type among the dataset's entities)")
    .option('--limit <n>', 'record at most n new items')
    .option('--concurrency <n>', 'items in flight at once (HTTP backends gain from more; in-process models queue per model)', '2')
    .action(
      async (
        file: string,
        opts: { task: string; ensemble?: string; labels?: string; types?: string; limit?: string; concurrency: string },
      ) => {
        if (!Object.hasOwn(DATASET_SHAPES, opts.task))
          throw new CliError(`--task: expected one of ${Object.keys(DATASET_SHAPES).join(', ')}, got "${opts.task}"`, 2);
        const task = opts.task as RecordTask;
        const { items, ask } = prepareRecording(task, file, opts);
        const dataset = path.resolve(file);
        const limit = opts.limit === undefined ? Infinity : Number(opts.limit);
        if (!(limit > 0)) throw new CliError('--limit: expected a positive number', 2);
        const concurrency = Number(opts.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
          throw new CliError('--concurrency: expected a whole number from 1 to 64', 2);
        const conn = await connectCli();
        let interrupted = false;
        const abort = new AbortController();
        process.once('SIGINT', () => {
          interrupted = true;
          abort.abort();
        });
        try {
          // Items with every vote in; the daemon pages the list so no reply outgrows a frame.
          const done = new Set<string>();
          let page = await conn.rpc.request('recordings/items', { dataset, ensemble: opts.ensemble, task });
          for (const id of page.itemIds) done.add(id);
          while (page.nextCursor !== undefined) {
            page = await conn.rpc.request('recordings/items', { dataset, ensemble: opts.ensemble, task, cursor: page.nextCursor });
            for (const id of page.itemIds) done.add(id);
          }
          const ensemble = page.ensemble;
          const todo = items.filter((i) => !done.has(i.id)).slice(0, limit);
          process.stderr.write(
            `${items.length} items, ${done.size} already recorded, ${todo.length} to go (ensemble ${ensemble}; Ctrl+C stops, run again to resume)\n`,
          );
          const bar = new cliProgress.SingleBar(
            {
              format: 'recording [{bar}] {value}/{total}  {percentage}%  ETA {eta_formatted}  errors {errors}',
              hideCursor: true,
              noTTYOutput: true,
              notTTYSchedule: 5_000,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(todo.length, 0, { errors: 0 });
          let errors = 0;
          let recorded = 0;
          let fatal: CliError | null = null;
          const queue = [...todo];
          // A few workers pull items; each item is recorded by the daemon as soon as it is decided,
          // so an interruption loses at most the items in flight.
          const worker = async () => {
            for (let item = queue.shift(); item && !abort.signal.aborted && !fatal; item = queue.shift()) {
              try {
                await ask(conn.rpc, item, ensemble, dataset, abort.signal);
                recorded++;
              } catch (e) {
                if (abort.signal.aborted) return;
                errors++;
                // A model that is down, or a store that cannot write, fails every item alike: stop and say why.
                if (e instanceof EnsembleError && (e.kind === 'ModelUnavailable' || e.kind === 'StoreFailed'))
                  fatal = new CliError(e.message, 1);
              }
              bar.increment(1, { errors });
            }
          };
          await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
          bar.stop();
          if (fatal) throw fatal;
          process.stderr.write(`${recorded} recorded${errors ? `, ${errors} failed (run again to retry them)` : ''}\n`);
          process.stderr.write(
            interrupted
              ? 'interrupted: run the same command again to resume\n'
              : `done; evaluate with: ensemble eval ${path.join(process.env.ENSEMBLE_HOME ?? '~/.ensemble', 'ensemble.db')}\n`,
          );
        } finally {
          conn.close();
        }
      },
    );
}
