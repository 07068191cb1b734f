/** extension/daemon/runtimeChoice.ts: which program runs the daemon, per host and settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonCommand } from '../../../extension/daemon/runtimeChoice';

const SCRIPT = '/ext/dist/cli.mjs';
const desktop = {
  execPath: '/Applications/Code.app/Contents/Frameworks/Code Helper (Plugin).app/Code Helper (Plugin)',
  electron: '35.5.1',
};
const server = { execPath: '/home/u/.vscode-server/cli/servers/Stable-x/server/node' };

describe('daemon runtime choice', () => {
  it("desktop: the editor's own Electron, run as Node", () => {
    const c = daemonCommand(SCRIPT, undefined, desktop);
    assert.deepEqual(c.command, [desktop.execPath, SCRIPT, 'daemon']);
    assert.deepEqual(c.env, { ELECTRON_RUN_AS_NODE: '1' });
  });

  it("remote window, Codespaces, code-server: the server's own Node, nothing added to the environment", () => {
    const c = daemonCommand(SCRIPT, undefined, server);
    assert.deepEqual(c.command, [server.execPath, SCRIPT, 'daemon']);
    assert.deepEqual(c.env, {});
  });

  it('ensemble.nodePath overrides the host runtime, on desktop and remote alike', () => {
    for (const host of [desktop, server]) {
      const c = daemonCommand(SCRIPT, 'C:\\nodejs\\node.exe', host);
      assert.deepEqual(c.command, ['C:\\nodejs\\node.exe', SCRIPT, 'daemon']);
      assert.deepEqual(c.env, {}, 'a real Node needs no ELECTRON_RUN_AS_NODE');
    }
  });

  it('a daemonPath that is not a script (an executable, a .cmd) runs as it is, whatever nodePath says', () => {
    assert.deepEqual(daemonCommand('C:\\Users\\me\\AppData\\Roaming\\npm\\ensemble.cmd', '/usr/bin/node', desktop).command, [
      'C:\\Users\\me\\AppData\\Roaming\\npm\\ensemble.cmd',
      'daemon',
    ]);
    assert.deepEqual(daemonCommand('/usr/local/bin/ensemble', undefined, server).command, ['/usr/local/bin/ensemble', 'daemon']);
  });

  it('.js, .cjs and .mjs daemon scripts run under the chosen Node', () => {
    for (const s of ['/x/cli.js', '/x/cli.cjs', '/x/CLI.MJS'])
      assert.equal(daemonCommand(s, undefined, server).command[0], server.execPath);
  });
});
