/** `ensemble refine "<text>"`: sequential refinement (first member drafts, the next ones edit). */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { ProgressValue } from '../../protocol/methods';
import { CliError, connectCli } from '../connect';

/** Each step's tokens as they are generated (on a terminal), then its status. */
function showProgress(p: ProgressValue): void {
  if (p.kind === 'refineToken' && process.stderr.isTTY) process.stderr.write(p.text);
  if (p.kind === 'refineStep')
    process.stderr.write(
      `${process.stderr.isTTY ? '\n' : ''}  ${p.done}/${p.total} ${p.step.role} by ${p.step.member}: ${p.step.status}\n`,
    );
}

export function registerRefine(program: Command): void {
  program
    .command('refine')
    .description('rewrite a text with sequential refinement across the ensemble ("-" reads stdin)')
    .argument('<text>', 'the text, or - for stdin')
    .option('--instruction <text>', 'what to do with the text')
    .option('--ensemble <name>', 'ensemble from config.json')
    .option('--max-tokens <n>', 'tokens per step', '256')
    .option('--json', 'print the result as JSON')
    .action(async (text: string, opts: { instruction?: string; ensemble?: string; maxTokens: string; json?: boolean }) => {
      const input = text === '-' ? fs.readFileSync(0, 'utf8') : text;
      const maxTokens = Number(opts.maxTokens);
      if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new CliError('--max-tokens: expected a positive whole number', 2);
      const conn = await connectCli();
      try {
        const result = await conn.rpc.request(
          'ensemble/refine',
          { text: input, instruction: opts.instruction, ensemble: opts.ensemble, maxTokens },
          { onProgress: (p) => !opts.json && showProgress(p) },
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(`${result.text}\n${result.partial ? '(partial: some steps failed or the deadline was reached)\n' : ''}`);
      } finally {
        conn.close();
      }
    });
}
