/**
 * The `ensemble` command. Each subcommand lives in its own file under cli/commands; this file only
 * wires them and turns errors into one clear line and an exit code (1 runtime, 2 usage).
 */
import { Command, CommanderError } from 'commander';
import { EnsembleError } from '../protocol/errors';
import { DAEMON_VERSION } from '../daemon/version';
import { registerClassify } from './commands/classify';
import { registerDaemon } from './commands/daemon';
import { registerStatus } from './commands/status';
import { registerRefine } from './commands/refine';
import { registerGenerate } from './commands/generate';
import { registerAnswer } from './commands/answer';
import { registerExtract } from './commands/extract';
import { registerEval } from './commands/eval';
import { loadFromDatabase, loadTasksFromDatabase } from '../daemon/learning/recordingsDb';
import { registerRecord } from './commands/record';
import { registerPlan } from './commands/plan';
import { registerSetupGpu } from './commands/setupGpu';
import { registerCalibrate } from './commands/calibrate';
import { registerDemo } from './commands/demo';
import { CliError } from './connect';
import { formatCliError } from './errorText';

const program = new Command('ensemble')
  .version(DAEMON_VERSION)
  .description(
    'Ensembles of small local language models: a daemon, and commands that talk to it.\nState lives in ENSEMBLE_HOME (default ~/.ensemble).',
  )
  .exitOverride()
  .showHelpAfterError();

registerDaemon(program);
registerClassify(program);
registerRefine(program);
registerGenerate(program);
registerAnswer(program);
registerExtract(program);
registerStatus(program);
registerRecord(program);
registerPlan(program);
registerSetupGpu(program);
registerCalibrate(program);
registerEval(program, {
  loadDatabase: loadFromDatabase,
  loadTasks: (file) => ({
    answers: loadTasksFromDatabase(file, 'answer'),
    extractions: loadTasksFromDatabase(file, 'extract'),
    generations: loadTasksFromDatabase(file, 'generate'),
  }),
});
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof CliError) {
    process.stderr.write(`ensemble: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else if (e instanceof EnsembleError) {
    process.stderr.write(formatCliError(e));
    process.exitCode = 1;
  } else {
    process.stderr.write(`ensemble: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  }
}
