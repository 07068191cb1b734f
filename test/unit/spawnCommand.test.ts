/**
 * common/node/spawnCommand.ts: how a command array is started on each platform. A `.cmd`/`.bat`
 * on Windows goes through cmd.exe with every metacharacter escaped; the tests replay what cmd.exe
 * and the C runtime do with the line (percent expansion, carets, argv splitting) and check that
 * the batch file, and the program it forwards `%*` to, receive exactly the original arguments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnPlan } from '../../common/node/spawnCommand';

const ENV = { ComSpec: 'C:\\Windows\\system32\\cmd.exe', PATH: 'C:\\Windows', USERNAME: 'jane' };

/**
 * cmd.exe's first two phases on a command line: %VAR% of defined variables, then carets outside
 * quotes. Returns the text and where its command name ends (the first space neither escaped nor
 * quoted). Throws on an operator cmd.exe would act on.
 */
function cmdPhases(line: string, env: Record<string, string>): { text: string; commandEnd: number } {
  const expanded = line.replace(/%([^%]+)%/g, (whole, name: string) => env[name] ?? whole);
  let text = '';
  let quoted = false;
  let commandEnd = -1;
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i]!;
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '^') {
      text += expanded[++i] ?? '';
      continue;
    }
    if (!quoted && '&|<>'.includes(ch)) throw new Error(`cmd.exe would act on "${ch}" in: ${line}`);
    if (!quoted && ch === ' ' && commandEnd < 0) commandEnd = text.length;
    text += ch;
  }
  return { text, commandEnd: commandEnd < 0 ? text.length : commandEnd };
}

/** The C runtime's argv rules (backslashes count only before a quote). */
function crtArgv(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      let n = 0;
      for (; line[i] === '\\'; i++) n++;
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
      inArg = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inArg = true;
    } else if ((ch === ' ' || ch === '\t') && !quoted) {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(cur);
  return args;
}

/** What the batch file sees and what the program it runs with `%*` gets. */
function replay(command: string[]) {
  const plan = spawnPlan(command, 'win32', ENV);
  assert.deepEqual(plan.args.slice(0, 3), ['/d', '/s', '/c']);
  assert.equal(plan.args.length, 4);
  const line = plan.args[3]!;
  assert.ok(line.startsWith('"') && line.endsWith('"'), 'with /s, cmd.exe strips one pair of outer quotes');
  const first = cmdPhases(line.slice(1, -1), ENV);
  const file = first.text.slice(0, first.commandEnd);
  const forwarded = first.text.slice(first.commandEnd + 1); // %* in the batch file
  return { plan, file, forwarded: crtArgv(cmdPhases(forwarded, ENV).text) };
}

describe('spawn command per platform', () => {
  it('runs an executable as it is, on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.deepEqual(spawnPlan(['/opt/node/bin/node', 'cli.mjs', 'daemon'], platform, ENV), {
        file: '/opt/node/bin/node',
        args: ['cli.mjs', 'daemon'],
        windowsVerbatimArguments: false,
      });
    }
    assert.equal(spawnPlan(['C:\\Program Files\\nodejs\\node.exe', 'x'], 'win32', ENV).file, 'C:\\Program Files\\nodejs\\node.exe');
  });

  it('a .cmd elsewhere than Windows is just a file name', () => {
    assert.equal(spawnPlan(['/home/u/ensemble.cmd', 'daemon'], 'linux', ENV).file, '/home/u/ensemble.cmd');
  });

  it('runs a Windows .cmd through cmd.exe by its full path, arguments verbatim', () => {
    const plan = spawnPlan(['C:\\Users\\jane\\AppData\\Roaming\\npm\\ensemble.cmd', 'daemon'], 'win32', ENV);
    assert.equal(plan.file, 'C:\\Windows\\system32\\cmd.exe');
    assert.equal(plan.windowsVerbatimArguments, true);
    assert.deepEqual(plan.args, ['/d', '/s', '/c', '"C:\\Users\\jane\\AppData\\Roaming\\npm\\ensemble.cmd ^^^"daemon^^^""']);
    assert.equal(spawnPlan(['x.BAT'], 'win32', { SystemRoot: 'D:\\Win' }).file, 'D:\\Win\\System32\\cmd.exe');
    assert.equal(
      spawnPlan(['x.bat'], 'win32', { ComSpec: 'cmd.exe' }).file,
      'C:\\Windows\\System32\\cmd.exe',
      'a relative ComSpec is not trusted',
    );
  });

  it('a path with spaces, parentheses and & reaches cmd.exe as one file name, nothing run after it', () => {
    const file = 'C:\\Program Files (x86)\\Tom & Jerry\\ensemble.cmd';
    const { file: seen, forwarded } = replay([file, 'daemon']);
    assert.equal(seen, file);
    assert.deepEqual(forwarded, ['daemon']);
  });

  it('arguments with spaces, &, |, quotes, backslashes and %VARIABLES% arrive unchanged through a forwarding .cmd', () => {
    const args = [
      'C:\\Users\\Jane Doe & Co\\ext (1)\\dist\\cli.mjs',
      'daemon',
      'a|b<c>d',
      'say "hi"',
      'trailing\\',
      'C:\\dir with space\\',
      '%PATH% and %USERNAME%',
      '100% ^caret! *?;,',
      '',
    ];
    const { forwarded } = replay(['C:\\tools\\node.cmd', ...args]);
    assert.deepEqual(forwarded, args);
  });

  it('refuses a line break, which would end the command inside cmd.exe', () => {
    assert.throws(() => spawnPlan(['C:\\x.cmd', 'a\r\ndel *'], 'win32', ENV), /line break/);
    assert.throws(() => spawnPlan([], 'linux', ENV), /no command/);
  });
});
