/** `ensemble answer "<question>"`: a short factual answer, normalized and voted across the ensemble. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { StrategyName } from '../../protocol/ensemble';
import type { AnswerResult } from '../../protocol/tasks';
import { CliError, connectCli, splitList } from '../connect';
import { table } from '../format';
import { parseQuorum } from './quorum';

export function registerAnswer(program: Command): void {
  program
    .command('answer')
    .description('ask the ensemble a factual question; answers are normalized, then voted ("-" reads stdin)')
    .argument('<question>', 'the question, or - for stdin')
    .option('--options <list>', 'comma-separated choices the answer must be one of')
    .option('--ensemble <name>', 'ensemble from config.json')
    .option('--strategy <name>', `one of ${StrategyName.options.join(', ')}`)
    .option('--quorum <share>', 'share of answering members that must agree, in (0, 1] (default: more than half)')
    .option('--gold <answer>', 'the right answer, when you know it: recorded with the result for ensemble eval')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        question: string,
        opts: { options?: string; ensemble?: string; strategy?: string; quorum?: string; gold?: string; json?: boolean },
      ) => {
        const input = question === '-' ? fs.readFileSync(0, 'utf8') : question;
        if (!input.trim()) throw new CliError('the question is empty', 2);
        const strategy = opts.strategy === undefined ? undefined : StrategyName.safeParse(opts.strategy);
        if (strategy && !strategy.success)
          throw new CliError(`--strategy: expected one of ${StrategyName.options.join(', ')}, got "${opts.strategy}"`, 2);
        const conn = await connectCli();
        try {
          const result = await conn.rpc.request('ensemble/answer', {
            question: input,
            options: opts.options === undefined ? undefined : splitList(opts.options),
            ensemble: opts.ensemble,
            strategy: strategy?.data,
            quorum: parseQuorum(opts.quorum),
            gold: opts.gold,
          });
          process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatAnswer(result)}\n`);
          if (result.answer === null) process.exitCode = 3; // scripts can tell "no agreement" from an answer
        } finally {
          conn.close();
        }
      },
    );
}

export function formatAnswer(r: AnswerResult): string {
  const answering = r.votes.filter((v) => v.status === 'ok' && v.normalized !== null).length;
  const head = `${r.answer ?? 'no agreement'}  agreement ${r.agreement.toFixed(2)} (${Math.round(r.agreement * answering)}/${answering})  confidence ${r.confidence.toFixed(2)}  ${r.strategy}  ${r.elapsedMs} ms`;
  const rows = [['member', 'answer', 'normalized', 'confidence', 'status']];
  for (const v of r.votes)
    rows.push([
      v.member,
      v.answer ?? '-',
      v.normalized ?? '-',
      v.confidence === null ? '-' : v.confidence.toFixed(2),
      v.error ? `${v.status}: ${v.error.message}` : v.status,
    ]);
  return `${head}\n${r.note}\n\n${table(rows)}`;
}
