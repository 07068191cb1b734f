/**
 * `ensemble generate "<prompt>" --strategy compare|fusion|firstSuccess|refine`: free text from the
 * ensemble (docs/generation.md). compare prints the members' answers in columns (or JSON); the other
 * strategies print the answer, with the panel on stderr as it arrives.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { GenerationStrategy, JudgeMode, type GenerateParams } from '../../protocol/generation';
import type { ProgressValue } from '../../protocol/methods';
import { CliError, connectCli } from '../connect';
import { panelColumns } from './panelColumns';

interface GenerateOptions {
  strategy?: string;
  ensemble?: string;
  judge?: string;
  mode: string;
  minResponses?: string;
  roundTimeout?: string;
  k?: string;
  samples?: string;
  maxTokens: string;
  json?: boolean;
}

function showProgress(p: ProgressValue): void {
  if (p.kind === 'judgeToken' && process.stderr.isTTY) process.stderr.write(p.text);
  if (p.kind === 'panelAnswer')
    process.stderr.write(`  ${p.done}/${p.total} ${p.answer.member}: ${p.answer.status} in ${p.answer.latencyMs} ms\n`);
}

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: expected a positive whole number, got "${value.slice(0, 40)}"`, 2);
  return n;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'free text from the ensemble: compare members side by side, fuse with a judge, fall back in order, or refine ("-" reads stdin)',
    )
    .argument('<prompt>', 'the prompt, or - for stdin')
    .option(
      '--strategy <name>',
      `one of ${GenerationStrategy.options.join(', ')} (default: the ensemble's generation.strategy, else compare)`,
    )
    .option('--ensemble <name>', 'ensemble from config.json')
    .option('--judge <id>', 'fusion: the judge, a model id of the config or a member (default: the first member)')
    .option('--mode <mode>', `fusion: ${JudgeMode.options.join(' or ')}`, 'synthesize')
    .option('--min-responses <n>', 'fusion: panel answers the judge needs')
    .option('--round-timeout <ms>', 'fusion: when the panel round ends')
    .option('--k <n>', 'firstSuccess: members asked together')
    .option('--samples <n>', 'mux: answers each member samples')
    .option('--max-tokens <n>', 'tokens per answer', '256')
    .option('--json', 'print the whole result as JSON')
    .action(async (prompt: string, opts: GenerateOptions) => {
      const strategy = GenerationStrategy.optional().safeParse(opts.strategy);
      if (!strategy.success) throw new CliError(`--strategy: expected one of ${GenerationStrategy.options.join(', ')}`, 2);
      const mode = JudgeMode.safeParse(opts.mode);
      if (!mode.success) throw new CliError(`--mode: expected ${JudgeMode.options.join(' or ')}`, 2);
      const params: Partial<GenerateParams> & { prompt: string } = {
        prompt: prompt === '-' ? fs.readFileSync(0, 'utf8') : prompt,
        strategy: strategy.data,
        ensemble: opts.ensemble,
        judge: opts.judge,
        mode: mode.data,
        minResponses: wholeNumber('--min-responses', opts.minResponses),
        roundTimeoutMs: wholeNumber('--round-timeout', opts.roundTimeout),
        k: wholeNumber('--k', opts.k),
        samples: wholeNumber('--samples', opts.samples),
        maxTokens: wholeNumber('--max-tokens', opts.maxTokens),
      };
      const conn = await connectCli();
      try {
        const result = await conn.rpc.request('ensemble/generate', params, { onProgress: (p) => !opts.json && showProgress(p) });
        if (opts.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        if (result.strategy === 'compare') return void process.stdout.write(panelColumns(result.panel, process.stdout.columns ?? 120));
        const missing = result.missing.length > 0 ? `(missing from the panel: ${result.missing.join(', ')})\n` : '';
        process.stdout.write(
          `${process.stderr.isTTY ? '\n' : ''}${result.text}\n${result.from ? `(from ${result.from})\n` : ''}${missing}`,
        );
      } finally {
        conn.close();
      }
    });
}
