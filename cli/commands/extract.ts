/** `ensemble extract "<text>" --types person,location`: entities a quorum of members agree on. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { GoldSpan, type ExtractionResult } from '../../protocol/tasks';
import { CliError, connectCli, splitList } from '../connect';
import { table } from '../format';
import { parseQuorum } from './quorum';

export function registerExtract(program: Command): void {
  program
    .command('extract')
    .description('extract entities of the given types; a span is kept when a quorum of members found it ("-" reads stdin)')
    .argument('<text>', 'the text, or - for stdin')
    .requiredOption('--types <list>', 'comma-separated entity types, e.g. person,organization,date')
    .option('--ensemble <name>', 'ensemble from config.json')
    .option('--quorum <share>', 'share of answering members that must agree, in (0, 1] (default: more than half)')
    .option('--gold <json>', 'the entities the text holds, when you know them: a JSON list of {"type", "text"}, recorded for ensemble eval')
    .option('--json', 'print the result as JSON')
    .action(async (text: string, opts: { types: string; ensemble?: string; quorum?: string; gold?: string; json?: boolean }) => {
      const input = text === '-' ? fs.readFileSync(0, 'utf8') : text;
      if (!input.trim()) throw new CliError('the text is empty', 2);
      const types = splitList(opts.types);
      if (types.length === 0) throw new CliError('--types: give at least one entity type', 2);
      const gold = opts.gold === undefined ? undefined : parseGold(opts.gold);
      const conn = await connectCli();
      try {
        const result = await conn.rpc.request('ensemble/extract', {
          text: input,
          types,
          ensemble: opts.ensemble,
          quorum: parseQuorum(opts.quorum),
          gold,
        });
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatExtraction(result)}\n`);
      } finally {
        conn.close();
      }
    });
}

export function formatExtraction(r: ExtractionResult): string {
  const answered = r.votes.filter((v) => v.status === 'ok').length;
  const rows = [['type', 'entity', 'at', 'agreement', 'members']];
  for (const s of r.spans) rows.push([s.type, s.text, `${s.start}-${s.end}`, `${s.members.length}/${answered}`, s.members.join(', ')]);
  const failed = r.votes.filter((v) => v.status !== 'ok').map((v) => `${v.member}: ${v.status}${v.error ? ` (${v.error.message})` : ''}`);
  const cut = r.dropped
    ? [
        `TRUNCATED: the reply was cut to fit (${r.dropped.spans} kept, ${r.dropped.rejected} rejected and ${r.dropped.proposed} proposed spans not listed; ` +
          `${r.dropped.occurrences} spans aligned to their first places only)`,
      ]
    : [];
  return [
    `${r.spans.length} entities kept (${r.rejected.length} below the quorum)  ${r.elapsedMs} ms`,
    ...cut,
    r.note,
    '',
    table(rows),
    ...failed,
  ].join('\n');
}

/** `--gold`: a JSON list of entities, e.g. '[{"type": "person", "text": "Ada Lovelace"}]'. */
export function parseGold(json: string): GoldSpan[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CliError('--gold: expected a JSON list of {"type", "text"}, e.g. \'[{"type": "person", "text": "Ada Lovelace"}]\'', 2);
  }
  const parsed = z.array(GoldSpan).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`--gold: at "${issue.path.join('.') || '(list)'}": ${issue.message} (expected a JSON list of {"type", "text"})`, 2);
  }
  return parsed.data;
}
