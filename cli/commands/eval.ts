/**
 * `ensemble eval <recordings>`: how well each member, and each way of combining them, does on
 * recorded predictions; fits on a seeded train split and reports on the held-out split. Reads wide
 * CSV (one row per item, one column per model) or long JSONL; writes aligned tables, `--json`, and
 * `--html FILE` (a self-contained report). Runs offline: no daemon needed.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { evaluate, type EvalReport } from '../../daemon/learning/evaluate';
import { loadIdList, loadRecordingsFile, RecordingsError, type Recording } from '../../daemon/learning/recordings';
import { reportHtml } from '../../daemon/learning/reportHtml';
import { homePaths } from '../../common/node/home';
import { buildTable } from '../../daemon/learning/aggregators/types';
import { summarizeDiversity } from '../../daemon/learning/diversityHints';
import { answerItems, extractionItems } from '../../daemon/learning/tasks/fromStore';
import { evaluateTasks, type TasksReport } from '../../daemon/learning/tasks/taskReport';
import type { StoredTask } from '../../daemon/store/store';
import { applyRecommendation } from '../applyRecommendation';
import { CliError, splitList } from '../connect';
import { evaluateGenerations, type GenerationReport } from '../../daemon/learning/tasks/generationEval';
import { formatGenerations, generationRecords } from './generationReport';

export interface EvalCommandOptions {
  models?: string;
  gold?: string;
  categoryColumn?: string;
  idColumn?: string;
  trainFraction: string;
  seed: string;
  excludeIds?: string;
  stratify: boolean;
  json?: boolean;
  html?: string;
  ensemble: string;
  apply?: boolean;
}

/** Reads recordings from a database file (`.db`, `.sqlite`); plugged in by the daemon store. */
export type DatabaseLoader = (file: string, opts: { models?: string[] }) => Recording[];

/** Reads the recorded answers and extractions of a database file; plugged in by the daemon store. */
export type TaskLoader = (file: string) => { answers: StoredTask[]; extractions: StoredTask[]; generations?: StoredTask[] };

const usage = (msg: string) => new CliError(msg, 2);
const isDatabase = (file: string) => /\.(db|sqlite|sqlite3)$/.test(file.toLowerCase());

function parseFraction(v: string): number {
  const f = Number(v);
  if (v.trim() === '' || !Number.isFinite(f) || f < 0 || f >= 1)
    throw usage(`--train-fraction: expected a number in [0, 1) (0 = fit nothing, evaluate every item), got "${v}"`);
  return f;
}

function parseSeed(v: string): number {
  const s = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(s)) throw usage(`--seed: expected an integer, got "${v}"`);
  return s;
}

function load(file: string, o: EvalCommandOptions, models: string[] | undefined, loadDatabase?: DatabaseLoader): Recording[] {
  const lower = file.toLowerCase();
  if (!fs.existsSync(file)) throw usage(`${file}: no such file`);
  if (isDatabase(file)) {
    if (!loadDatabase)
      throw usage(
        `${file}: database recordings cannot be read by this build of ensemble eval; export them to JSONL ({item, model, prediction, confidence?, probabilities?, gold?, category?} per line) and pass that file`,
      );
    return loadDatabase(file, models ? { models } : {});
  }
  if (!/\.(csv|jsonl|ndjson)$/.test(lower))
    throw usage(`${file}: expected a .csv (one row per item, one column per model), a .jsonl (one recording per line) or a .db file`);
  if (lower.endsWith('.csv') === false && (o.gold || o.categoryColumn || o.idColumn)) {
    throw usage('--gold, --category-column and --id-column apply to CSV files only (JSONL records carry "gold" and "category" fields)');
  }
  const recs = loadRecordingsFile(file, { gold: o.gold, categoryColumn: o.categoryColumn, idColumn: o.idColumn, models });
  if (models) {
    const seen = new Set(recs.map((r) => r.model));
    const missing = models.filter((m) => !seen.has(m));
    if (missing.length > 0)
      throw usage(
        `${file}: no recordings for model(s) ${missing.join(', ')}; models present: ${[...new Set(recs.map((r) => r.model))].join(', ') || '(none)'}`,
      );
  }
  if (recs.length === 0) throw usage(`${file}: no recordings`);
  return recs;
}

export function alignedTable(rows: string[][], rightAlign: number[] = []): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (rightAlign.includes(i) ? c.padStart(widths[i]!) : i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const fx = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

const MATRIX_UP_TO = 10;

export function formatReport(r: EvalReport): string {
  const out: string[] = [];
  const where =
    r.split.evaluatedOn === 'held-out'
      ? `fitted on ${r.split.train} items, evaluated on ${r.split.test} held-out items (train fraction ${r.trainFraction}, seed ${r.seed}${r.stratified ? ', stratified by category' : ''})`
      : 'train fraction 0: nothing fitted, every item evaluated with the fixed strategies';
  out.push(
    `${r.items} items${r.excluded ? ` (${r.excluded} excluded)` : ''}, ${r.models.length} models; ${where}; ${r.withGold} evaluated items have gold.`,
    '',
  );
  out.push(
    alignedTable(
      [['member', 'accuracy', 'abstained', 'items'], ...r.perModel.map((m) => [m.model, pct(m.accuracy), pct(m.abstained), String(m.n)])],
      [1, 2, 3],
    ),
    '',
  );
  const sgn = (x: number | null) => (x === null ? '' : `${x >= 0 ? '+' : '-'}${(100 * Math.abs(x)).toFixed(1)} pt`);
  out.push(
    alignedTable(
      [
        ['strategy', 'accuracy', 'calls/item', 'rounds', 'validation', 'vs majority', 'how'],
        ...r.strategies.map((s) => [
          s.name,
          pct(s.accuracy),
          fx(s.callsPerItem, 2),
          fx(s.roundsPerItem, 2),
          s.validation ? pct(s.validation.accuracy) : '-',
          sgn(s.vsMajority),
          s.description,
        ]),
      ],
      [1, 2, 3, 4, 5],
    ),
    '',
  );
  const short = r.models.map((_, i) => `#${i + 1}`);
  if (r.models.length > MATRIX_UP_TO) out.push(`error correlation and disagreement: ${r.models.length} members, see --json or --html`, '');
  else out.push('error correlation (phi of per-item errors) | disagreement rate');
  if (r.models.length <= MATRIX_UP_TO)
    out.push(
      alignedTable(
        [
          ['', ...short, '|', ...short],
          ...r.models.map((m, i) => [
            `#${i + 1} ${m}`,
            ...r.diversity.errorCorrelation[i]!.map((v) => fx(v, 2)),
            '|',
            ...r.diversity.disagreement[i]!.map((v, j) => (i === j ? '-' : pct(v))),
          ]),
        ],
        r.models.flatMap((_, i) => [i + 1, r.models.length + 2 + i]),
      ),
      '',
    );
  if (r.calibration) {
    out.push(
      `calibration, fitted on the train split and measured on the ${r.split.evaluatedOn === 'held-out' ? 'held-out split it never saw' : 'evaluated items'} (ECE: ${r.calibration.binning}; Brier of the confidence in the answer, multiclass when vectors exist)`,
    );
    out.push(
      alignedTable(
        [
          ['member', 'method', 'T', 'ECE before', 'ECE after', 'Brier before', 'Brier after', 'answers'],
          ...r.calibration.models.map((m) => {
            const a = m.method === 'temperature' ? m.afterTemperature : m.method === 'platt' ? m.afterPlatt : null;
            return [
              m.model,
              m.method,
              fx(m.temperature, 2),
              fx(m.before.ece),
              fx(a?.ece),
              fx(m.before.brierMulticlass ?? m.before.brier),
              fx(a ? (a.brierMulticlass ?? a.brier) : null),
              String(m.before.n),
            ];
          }),
        ],
        [2, 3, 4, 5, 6, 7],
      ),
      '',
    );
  }
  out.push(`recommendation: ${r.recommendation.text}`);
  out.push(`config.json (paste, or run again with --apply):\n${JSON.stringify(r.recommendation.config, null, 2)}`);
  return out.join('\n');
}

/** Per task: the verdict, then the answers' and extraction's own tables. */
export function formatTasks(t: TasksReport): string {
  const out: string[] = ['when an ensemble helps, per task (held-out items; gain ± paired standard error):'];
  for (const v of t.verdicts) out.push(`- ${v.text}`);
  if (t.answers) {
    const a = t.answers;
    out.push('', `answers: ${a.withGold} evaluated items (${a.split.evaluatedOn}); accuracy of the voted normalized answer against gold`);
    out.push(
      alignedTable(
        [['member', 'accuracy', 'no answer', 'items'], ...a.perModel.map((m) => [m.model, pct(m.accuracy), pct(m.abstained), String(m.n)])],
        [1, 2, 3],
      ),
    );
    out.push(
      alignedTable(
        [['strategy', 'accuracy', 'calls/item'], ...a.strategies.map((s) => [s.name, pct(s.accuracy), fx(s.callsPerItem, 2)])],
        [1, 2],
      ),
    );
  }
  if (t.extraction) {
    const x = t.extraction;
    out.push(
      '',
      `extraction: ${x.split.test} evaluated texts (${x.split.evaluatedOn}); span-level scores against gold entities (micro), F1 per text averaged`,
    );
    const row = (s: { name: string; precision: number; recall: number; f1: number; meanF1: number }) => [
      s.name,
      pct(s.precision),
      pct(s.recall),
      pct(s.f1),
      pct(s.meanF1),
    ];
    out.push(
      alignedTable(
        [
          ['member / vote', 'precision', 'recall', 'F1', 'F1 per text'],
          ...x.perMember.map(row),
          ...x.votes.map((v) => row({ ...v, name: `span vote ${v.name}${v.name === x.chosen ? ' (chosen on train)' : ''}` })),
        ],
        [1, 2, 3, 4],
      ),
    );
  }
  return out.join('\n');
}

export function registerEval(program: Command, hooks: { loadDatabase?: DatabaseLoader; loadTasks?: TaskLoader } = {}): void {
  program
    .command('eval')
    .description('evaluate members and aggregation strategies on recorded predictions (fit on a train split, report on the held-out split)')
    .argument(
      '<recordings>',
      'a .csv (one row per item: id, gold, category?, one column per model; empty cell = abstention, NA = absent) or a .jsonl ({item, model, prediction, confidence?, probabilities?, gold?, category?} per line)',
    )
    .option('--models <a,b,c>', 'members to evaluate, in tie-break order (default: every model column / model)')
    .option('--gold <column>', 'CSV gold column (default: answer, else gold, else label)')
    .option('--category-column <column>', 'CSV category column (default: category, when present)')
    .option('--id-column <column>', 'CSV item id column (default: question_id, else id, else item)')
    .option('--train-fraction <f>', 'share of items used to fit, in [0, 1); 0 fits nothing and evaluates every item', '0.5')
    .option('--seed <n>', 'seed of the train/test split', '42')
    .option('--exclude-ids <file>', 'drop these items (one id per line, or a CSV whose first column holds them)')
    .option('--no-stratify', 'split without stratifying by category')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--ensemble <name>', 'ensemble the config snippet (and --apply) is for', 'default')
    .option('--apply', 'write the recommended strategy into ENSEMBLE_HOME/config.json, keeping every other setting')
    .action((file: string, o: EvalCommandOptions) => {
      const trainFraction = parseFraction(o.trainFraction);
      const seed = parseSeed(o.seed);
      const models = o.models !== undefined ? splitList(o.models) : undefined;
      if (models !== undefined && models.length === 0) throw usage('--models: expected a comma-separated list of model names');
      if (models && new Set(models).size !== models.length) throw usage('--models: a model is listed twice');
      let report: EvalReport | null = null;
      let tasks: TasksReport;
      let hints: string[] = [];
      let generations: GenerationReport | null;
      try {
        const excludeIds = o.excludeIds ? loadIdList(o.excludeIds) : undefined;
        const recs = load(file, o, models, hooks.loadDatabase);
        // A database may hold answers and extractions only: classification is then left out.
        const recorded = isDatabase(file) && hooks.loadTasks ? hooks.loadTasks(file) : { answers: [], extractions: [] };
        const answers = answerItems(recorded.answers);
        const extractions = extractionItems(recorded.extractions);
        generations = evaluateGenerations(generationRecords(recorded.generations ?? []));
        if (recs.length === 0 && answers.length === 0 && extractions.length === 0 && !generations)
          throw usage(`${file}: no recordings (record some with ensemble record)`);
        // Live decisions without any feedback have nothing to judge on: with other tasks present, they wait.
        const unlabelled = answers.length + extractions.length > 0 && !recs.some((r) => r.gold !== undefined);
        if (recs.length > 0 && !unlabelled) {
          report = evaluate(recs, { models, trainFraction, seed, stratify: o.stratify, excludeIds, ensembleName: o.ensemble });
          // Which members add diversity, in words, over every item not excluded.
          const items = buildTable(recs, report.models).items.filter((it) => !excludeIds?.has(it.id));
          hints = summarizeDiversity(items, report.models).hints;
        }
        tasks = evaluateTasks(
          { classification: report, answers, extractions, unlabelledClassifications: unlabelled ? recs.length : 0 },
          { trainFraction, seed },
        );
      } catch (e) {
        if (e instanceof RecordingsError || e instanceof RangeError) throw usage(e.message);
        throw e;
      }
      if (o.apply && !report)
        throw usage('--apply: no classification recordings to recommend a strategy from (answers and extractions give a verdict only)');
      if (o.html) {
        try {
          fs.writeFileSync(o.html, reportHtml(report, undefined, { diversityHints: hints, tasks }));
        } catch (e) {
          throw new CliError(`--html ${o.html}: cannot write: ${(e as Error).message}`, 1);
        }
      }
      // The verdicts first (a summary); the classification report ends with its config snippet.
      const text = [
        formatTasks(tasks),
        generations ? formatGenerations(generations) : '',
        report ? withHints(formatReport(report), hints) : '',
      ]
        .filter(Boolean)
        .join('\n\n');
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ ...(report ?? { version: 1 }), tasks, ...(generations ? { generations } : {}) }, null, 2)}\n`
          : `${text}\n${o.html ? `report written to ${o.html}\n` : ''}`,
      );
      if (o.apply && report) {
        const configPath = homePaths().config;
        applyRecommendation(configPath, report.recommendation, o.ensemble);
        process.stderr.write(
          `applied: ensemble "${o.ensemble}" in ${configPath} now uses ${report.recommendation.config.ensembles[o.ensemble]!.strategy}${report.recommendation.needsFit ? '; run "ensemble fit" next' : ''}\n`,
        );
      }
    });
}

/** The diversity hints (which members add diversity), just before the recommendation (whose config snippet ends the report). */
function withHints(report: string, hints: readonly string[]): string {
  if (hints.length === 0) return report;
  const block = `Diversity:\n${hints.map((h) => `  - ${h}`).join('\n')}\n`;
  const at = report.indexOf('\nrecommendation: ');
  return at < 0 ? `${report}\n\n${block}` : `${report.slice(0, at)}\n${block}${report.slice(at)}`;
}
