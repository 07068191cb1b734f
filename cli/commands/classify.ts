/** `ensemble classify "<text>" --labels a,b,c`: one decision from the running (or auto-started) daemon. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { StrategyName } from '../../protocol/ensemble';
import { CliError, connectCli, splitList } from '../connect';
import { formatDecision } from '../format';

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify a text with an ensemble ("-" reads the text from stdin)')
    .argument('<text>', 'the text, or - for stdin')
    .option('--labels <labels>', "comma-separated candidate labels (default: the ensemble's)")
    .option('--ensemble <name>', 'ensemble from config.json (default: the default ensemble)')
    .option('--strategy <name>', `one of ${StrategyName.options.join(', ')}`)
    .option('--category <name>', "the input's category, when known: learned, stacking and the router use it")
    .option('--deadline <ms>', 'decide with the votes that arrived by then')
    .option('--json', 'print the decision as JSON')
    .action(
      async (
        text: string,
        opts: { labels?: string; ensemble?: string; strategy?: string; category?: string; deadline?: string; json?: boolean },
      ) => {
        const input = text === '-' ? fs.readFileSync(0, 'utf8') : text;
        if (!input.trim()) throw new CliError('the text is empty', 2);
        const strategy = opts.strategy === undefined ? undefined : StrategyName.safeParse(opts.strategy);
        if (strategy && !strategy.success)
          throw new CliError(`--strategy: expected one of ${StrategyName.options.join(', ')}, got "${opts.strategy}"`, 2);
        const labels = opts.labels === undefined ? undefined : splitList(opts.labels);
        if (labels && labels.length < 2) throw new CliError('--labels: give at least two comma-separated labels', 2);
        const deadlineMs = opts.deadline === undefined ? undefined : Number(opts.deadline);
        if (deadlineMs !== undefined && !(Number.isInteger(deadlineMs) && deadlineMs > 0))
          throw new CliError('--deadline: expected a positive whole number of milliseconds', 2);
        const conn = await connectCli();
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        try {
          const decision = await conn.rpc.request(
            'ensemble/classify',
            {
              text: input,
              labels,
              ensemble: opts.ensemble,
              strategy: strategy?.data,
              deadlineMs,
              ...(opts.category ? { category: opts.category } : {}),
            },
            {
              signal: abort.signal,
              onProgress: (p) => {
                if (p.kind === 'vote' && !opts.json && process.stderr.isTTY) {
                  process.stderr.write(`  ${p.done}/${p.total} ${p.vote.member}: ${p.vote.label ?? p.vote.status}\n`);
                }
              },
            },
          );
          process.stdout.write(opts.json ? `${JSON.stringify(decision, null, 2)}\n` : `${formatDecision(decision)}\n`);
        } finally {
          conn.close();
        }
      },
    );
}
