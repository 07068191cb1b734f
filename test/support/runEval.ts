/** Runs `ensemble eval` in process (its commander command, exactly as the CLI wires it) and returns what it printed. */
import { Command } from 'commander';
import { registerEval } from '../../cli/commands/eval';

export async function runEval(args: string[]): Promise<string> {
  const program = new Command('ensemble').exitOverride().configureOutput({ writeErr: () => {} });
  registerEval(program);
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'ensemble', 'eval', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}
