/** `ensemble daemon`: run the daemon in the foreground (what `npm start` and clients' auto-start run). */
import type { Command } from 'commander';
import { runDaemon } from '../../daemon/main';
import { ensembleHome } from '../../common/node/home';
import { downloadBars } from '../downloadBars';
import { tuneV8Tiering } from '../../daemon/process/v8Tiering';

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the daemon in the foreground (Ctrl+C stops it)')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--no-warm-up', 'load models on first use instead of at start')
    .action(async (opts: { logLevel: string; warmUp: boolean }) => {
      // Before the daemon's code first runs: V8 reads these when it compiles a function.
      const tiering = tuneV8Tiering();
      const level = ['trace', 'debug', 'info', 'warn', 'error'].includes(opts.logLevel) ? (opts.logLevel as 'info') : 'info';
      const daemon = await runDaemon({ home: ensembleHome(), logLevel: level, warmUp: opts.warmUp, onDownloadProgress: downloadBars() });
      daemon.logger.debug(`V8 tiering: ${tiering.length ? tiering.join(' ') : 'as given on the command line'}`);
      // The daemon must outlive any one bad request: log what escaped, keep serving.
      process.on('uncaughtException', (e) => daemon.logger.error(`uncaught: ${e.stack ?? e.message}`));
      process.on('unhandledRejection', (e) =>
        daemon.logger.error(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      );
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => void daemon.shutdown(sig));
      await daemon.closed;
      process.exit(0);
    });
}
