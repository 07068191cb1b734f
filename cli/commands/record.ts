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
import { CliError, connectCli, splitList } from '../connect';

const Item = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  text: z.string().min(1),
  label: z.string().min(1),
  category: z.string().optional(),
});
type Item = z.infer<typeof Item>;

export function readDataset(file: string): Item[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: cannot read: ${(e as Error).message}`, 2);
  }
  const items: Item[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new CliError(`${file}:${i + 1}: not valid JSON (expected {"id", "text", "label", "category"?} per line)`, 2);
    }
    const parsed = Item.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CliError(`${file}:${i + 1}: field "${issue.path.join('.') || '(line)'}": ${issue.message} (expected {"id", "text", "label", "category"?})`, 2);
    }
    if (ids.has(parsed.data.id)) throw new CliError(`${file}:${i + 1}: duplicate id "${parsed.data.id}"`, 2);
    ids.add(parsed.data.id);
    items.push(parsed.data);
  });
  if (items.length === 0) throw new CliError(`${file}: no items`, 2);
  return items;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('run every member of an ensemble over a labelled JSONL dataset and record the predictions (resumable)')
    .argument('<dataset>', 'JSONL file: {"id", "text", "label", "category"?} per line')
    .option('--ensemble <name>', 'ensemble from config.json (default: the default ensemble)')
    .option('--labels <labels>', 'candidate labels (default: every label that occurs in the dataset)')
    .option('--limit <n>', 'record at most n new items')
    .option('--concurrency <n>', 'items in flight at once (HTTP backends gain from more; in-process models queue per model)', '2')
    .action(async (file: string, opts: { ensemble?: string; labels?: string; limit?: string; concurrency: string }) => {
      const items = readDataset(file);
      const dataset = path.resolve(file);
      const labels = opts.labels ? splitList(opts.labels) : [...new Set(items.map((i) => i.label))].sort();
      const limit = opts.limit === undefined ? Infinity : Number(opts.limit);
      if (!(limit > 0)) throw new CliError('--limit: expected a positive number', 2);
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new CliError('--concurrency: expected a whole number from 1 to 64', 2);
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
        let page = await conn.rpc.request('recordings/items', { dataset, ensemble: opts.ensemble });
        for (const id of page.itemIds) done.add(id);
        while (page.nextCursor !== undefined) {
          page = await conn.rpc.request('recordings/items', { dataset, ensemble: opts.ensemble, cursor: page.nextCursor });
          for (const id of page.itemIds) done.add(id);
        }
        const ensemble = page.ensemble;
        const todo = items.filter((i) => !done.has(i.id)).slice(0, limit);
        process.stderr.write(`${items.length} items, ${done.size} already recorded, ${todo.length} to go (ensemble ${ensemble}; Ctrl+C stops, run again to resume)\n`);
        const bar = new cliProgress.SingleBar(
          { format: 'recording [{bar}] {value}/{total}  {percentage}%  ETA {eta_formatted}  errors {errors}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000 },
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
              // Majority over all members: recording needs every member's vote, so no early exit.
              await conn.rpc.request(
                'ensemble/classify',
                { text: item.text, labels, ensemble, strategy: 'majority', itemId: item.id, category: item.category, dataset, gold: item.label },
                { signal: abort.signal },
              );
              recorded++;
            } catch (e) {
              if (abort.signal.aborted) return;
              errors++;
              // A model that is down, or a store that cannot write, fails every item alike: stop and say why.
              if (e instanceof EnsembleError && (e.kind === 'ModelUnavailable' || e.kind === 'StoreFailed')) fatal = new CliError(e.message, 1);
            }
            bar.increment(1, { errors });
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
        bar.stop();
        if (fatal) throw fatal;
        process.stderr.write(`${recorded} recorded${errors ? `, ${errors} failed (run again to retry them)` : ''}\n`);
        process.stderr.write(interrupted ? 'interrupted: run the same command again to resume\n' : `done; evaluate with: ensemble eval ${path.join(process.env.ENSEMBLE_HOME ?? '~/.ensemble', 'ensemble.db')}\n`);
      } finally {
        conn.close();
      }
    });
}
