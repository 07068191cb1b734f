/**
 * How to start a command given as an argument array, on any desk, without a shell string.
 *
 * Node refuses to spawn a `.cmd` or `.bat` file without a shell since its 2024 security release
 * (EINVAL), because cmd.exe re-parses the command line and would run `&`, `|`, `%VAR%` in an
 * argument. Such a file is run the way Node's documentation prescribes: through cmd.exe
 * (`/d /s /c "<line>"`, `windowsVerbatimArguments`), with every cmd.exe metacharacter in the line
 * escaped by `^`, using the algorithm of the cross-spawn package (which cannot be called here as a
 * pure function: it reads the process's platform at load and the file's shebang). Arguments are
 * escaped twice, because a `.cmd` wrapper (npm's shims, version-manager shims) forwards them with
 * `%*` into a second command line that cmd.exe parses again.
 */
import path from 'node:path';

export interface SpawnPlan {
  file: string;
  args: string[];
  /** Node must pass `args` to Windows as they are: they are already quoted for cmd.exe. */
  windowsVerbatimArguments: boolean;
}

const CMD_METACHARS = /([()\][%!^"`<>&|;, *?])/g;
const BATCH_FILE = /\.(cmd|bat)$/i;

export function isBatchFile(file: string): boolean {
  return BATCH_FILE.test(file);
}

/** Spawn options every process the product starts gets: no console window flashing up on Windows. */
export const HIDDEN_WINDOW = { windowsHide: true } as const;

export function spawnPlan(
  command: readonly string[],
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): SpawnPlan {
  const [file, ...args] = command;
  if (!file) throw new Error('no command to run');
  if (platform !== 'win32' || !isBatchFile(file)) return { file, args, windowsVerbatimArguments: false };
  for (const part of command) {
    // cmd.exe ends the command at a line break whatever the quoting; NUL cannot reach a process at all.
    if (/[\r\n\0]/.test(part)) throw new Error(`cannot pass a line break or NUL to ${path.win32.basename(file)} through cmd.exe`);
  }
  const line = [escapeCommand(path.win32.normalize(file)), ...args.map((a) => escapeArgument(a, true))].join(' ');
  return { file: commandInterpreter(env), args: ['/d', '/s', '/c', `"${line}"`], windowsVerbatimArguments: true };
}

/**
 * cmd.exe by its full path: a bare "cmd.exe" is looked up in the current directory first on
 * Windows, which may be a workspace.
 */
function commandInterpreter(env: NodeJS.ProcessEnv): string {
  const comspec = env.ComSpec ?? env.COMSPEC;
  if (comspec && path.win32.isAbsolute(comspec)) return comspec;
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows';
  return path.win32.join(root, 'System32', 'cmd.exe');
}

function escapeCommand(file: string): string {
  return file.replace(CMD_METACHARS, '^$1');
}

/**
 * Quotes one argument for the C runtime's parser (backslashes before a quote or the end are
 * doubled, a quote is escaped), then escapes cmd.exe's metacharacters, the quotes included, so
 * cmd.exe never enters a quoted state in which `^` would stop working.
 */
function escapeArgument(arg: string, twice: boolean): string {
  let quoted = '';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    quoted += ch === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  quoted = `"${quoted}${'\\'.repeat(backslashes * 2)}"`;
  const once = quoted.replace(CMD_METACHARS, '^$1');
  return twice ? once.replace(CMD_METACHARS, '^$1') : once;
}
