/**
 * How to run the daemon: the `ensemble` CLI bundled with the extension (`dist/cli.mjs daemon`)
 * under Node, unless the user's own (machine-scope) settings name another node or daemon script.
 * In an untrusted workspace nothing that lives inside the workspace is ever executed.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { EnsembleError } from '../../protocol/errors';
import * as settings from '../settings';
import { proxyEnv } from './proxyEnv';

export interface LaunchPlan {
  command: string[];
  env: NodeJS.ProcessEnv;
  /** For the log: where the command came from. */
  source: string;
}

export function launchPlan(extensionPath: string): LaunchPlan {
  const configuredScript = settings.daemonPath();
  const script = configuredScript ?? path.join(extensionPath, 'dist', 'cli.mjs');
  const configuredNode = settings.nodePath();
  refuseWorkspaceExecutable(configuredScript, 'ensemble.daemonPath');
  refuseWorkspaceExecutable(configuredNode, 'ensemble.nodePath');
  if (!fs.existsSync(script)) {
    throw new EnsembleError(
      'NotInitialized',
      configuredScript
        ? `ensemble.daemonPath names ${script}, which does not exist`
        : `the bundled daemon is missing (${script}); reinstall the extension or set ensemble.daemonPath`,
    );
  }
  // Downloads (models, the GPU runtime) go through VS Code's proxy, as the editor's own requests do.
  const { proxy, noProxy } = settings.httpProxy();
  // ENSEMBLE_DOWNLOADS=ask: model downloads wait for the user's go-ahead (extension/downloads.ts).
  const env: NodeJS.ProcessEnv = { ...proxyEnv(proxy, noProxy), ENSEMBLE_DOWNLOADS: 'ask' };
  // A script runs under Node; anything else (a native launcher) is run as it is.
  const isScript = /\.(c|m)?js$/.test(script);
  let command: string[];
  if (!isScript) command = [script, 'daemon'];
  else if (configuredNode) command = [configuredNode, script, 'daemon'];
  else command = [defaultNode(env), script, 'daemon'];
  return { command, env, source: configuredScript ? 'ensemble.daemonPath' : 'bundled' };
}

/**
 * The Node that runs the bundled daemon when no setting names one. In code-server and remote hosts
 * the extension host is Node itself. On desktop it is Electron, whose Node ABI differs from the
 * one better-sqlite3 was built for, so a `node` on PATH is preferred; under Electron
 * (ELECTRON_RUN_AS_NODE), the last resort, the daemon records with node:sqlite where that Electron
 * has it (35 and later: VS Code 1.101+), else in memory only, and says so (docs/storage.md).
 */
function defaultNode(env: NodeJS.ProcessEnv): string {
  if (!process.versions.electron) return process.execPath;
  const onPath = findOnPath(process.platform === 'win32' ? 'node.exe' : 'node');
  if (onPath) return onPath;
  env.ELECTRON_RUN_AS_NODE = '1';
  return process.execPath;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue; // a relative PATH entry would resolve inside the workspace
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function refuseWorkspaceExecutable(p: string | undefined, setting: string): void {
  if (!p || vscode.workspace.isTrusted) return;
  const resolved = path.resolve(p);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const root = folder.uri.fsPath;
    if (resolved === root || resolved.startsWith(root + path.sep)) {
      throw new EnsembleError(
        'NotInitialized',
        `${setting} points inside the untrusted workspace (${resolved}); trust the workspace or choose a path outside it`,
      );
    }
  }
}
