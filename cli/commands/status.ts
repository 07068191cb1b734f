/** `ensemble status`, `ensemble stop`, `ensemble feedback`: pool health and daemon control. */
import type { Command } from 'commander';
import { readDaemonFile } from '../../client/daemonClient';
import { ensembleHome } from '../../common/node/home';
import { CliError, connectCli } from '../connect';
import { formatStatus } from '../format';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the pool: models, their state and why a model is unavailable, ensembles, weights')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const conn = await connectCli();
      try {
        const status = await conn.rpc.request('pool/status', {});
        process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
      } finally {
        conn.close();
      }
    });

  const pool = program.command('pool').description('manage the model pool');
  pool
    .command('download')
    .description('start model downloads that wait for approval (a daemon started by VS Code asks first), all or those named')
    .argument('[models...]', 'model ids')
    .action(async (models: string[]) => {
      const conn = await connectCli();
      try {
        const { started } = await conn.rpc.request('pool/download', models.length ? { models } : {});
        process.stdout.write(
          started.length ? `downloading ${started.join(', ')} (see "ensemble status")\n` : 'no download waits for approval\n',
        );
      } finally {
        conn.close();
      }
    });
  pool
    .command('reload')
    .description('load failed or unavailable models again (all, or the one named), forgetting their crashes')
    .argument('[model]', 'the model id')
    .action(async (model: string | undefined) => {
      const conn = await connectCli();
      try {
        const { reloaded } = await conn.rpc.request('pool/reload', model === undefined ? {} : { model });
        process.stdout.write(
          reloaded.length ? `reloading ${reloaded.join(', ')} (see "ensemble status")\n` : 'no failed or unavailable model to reload\n',
        );
      } finally {
        conn.close();
      }
    });

  program
    .command('stop')
    .description('stop the running daemon')
    .action(async () => {
      if (!readDaemonFile(ensembleHome())) {
        process.stdout.write('no daemon is running\n');
        return;
      }
      const conn = await connectCli({ start: false });
      await conn.rpc.request('shutdown', {});
      conn.close();
      process.stdout.write(`stopped daemon pid ${conn.info.pid}\n`);
    });

  program
    .command('feedback')
    .description('tell the ensemble whether a decision was right (moves model weights)')
    .argument('<decisionId>', 'the id printed with the decision')
    .option('--label <label>', 'the right label')
    .option('--correct', 'the decision was right')
    .option('--json', 'print the result as JSON')
    .action(async (decisionId: string, opts: { label?: string; correct?: boolean; json?: boolean }) => {
      if (opts.label === undefined && !opts.correct) throw new CliError('give --label <right label> or --correct', 2);
      const conn = await connectCli();
      try {
        const result = await conn.rpc.request('feedback/submit', { decisionId, label: opts.label, correct: opts.correct });
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(result)}\n`
            : `recorded; weights now ${Object.entries(result.weights)
                .map(([m, w]) => `${m} ${w.toFixed(2)}`)
                .join(', ')}\n`,
        );
      } finally {
        conn.close();
      }
    });
}
