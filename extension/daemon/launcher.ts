/**
 * How to run the daemon: the `ensemble` CLI bundled with the extension (`dist/cli.mjs daemon`)
 * under the extension host's own runtime (runtimeChoice.ts), unless the user's own (machine-scope)
 * settings name another node or daemon script. In an untrusted workspace nothing that lives inside
 * the workspace is ever executed.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { EnsembleError } from '../../protocol/errors';
import * as settings from '../settings';
import { proxyEnv } from './proxyEnv';
import { daemonCommand } from './runtimeChoice';

export interface LaunchPlan {
  command: string[];
  env: NodeJS.ProcessEnv;
  /** For the log: where the command came from. */
  source: string;
  /** For the log: what runs it. */
  runtime: string;
}

export function launchPlan(extensionPath: string): LaunchPlan {
  const configuredScript = settings.daemonPath();
  const script = configuredScript ?? path.join(extensionPath, 'dist', 'cli.mjs');
  const configuredNode = settings.nodePath();
  refuseWorkspaceExecutable(configuredScript, 'ensemble.daemonPath');
  refuseWorkspaceExecutable(configuredNode, 'ensemble.nodePath');
  if (!fs.existsSync(script)) {
    throw new EnsembleError(
      'DaemonPathInvalid',
      configuredScript
        ? `ensemble.daemonPath names ${script}, which does not exist`
        : `the bundled daemon is missing (${script}); reinstall the extension or set ensemble.daemonPath`,
    );
  }
  const { command, env, runtime } = daemonCommand(script, configuredNode, {
    execPath: process.execPath,
    ...(process.versions.electron ? { electron: process.versions.electron } : {}),
  });
  // Downloads (models, the GPU runtime) go through VS Code's proxy, as the editor's own requests do.
  const { proxy, noProxy } = settings.httpProxy();
  // ENSEMBLE_DOWNLOADS=ask: model downloads wait for the user's go-ahead (extension/downloads.ts).
  return {
    command,
    env: { ...env, ...proxyEnv(proxy, noProxy), ENSEMBLE_DOWNLOADS: 'ask' },
    source: configuredScript ? 'ensemble.daemonPath' : 'bundled',
    runtime,
  };
}

function refuseWorkspaceExecutable(p: string | undefined, setting: string): void {
  if (!p || vscode.workspace.isTrusted) return;
  const resolved = path.resolve(p);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const root = folder.uri.fsPath;
    if (resolved === root || resolved.startsWith(root + path.sep)) {
      throw new EnsembleError(
        'UntrustedWorkspace',
        `${setting} points inside the untrusted workspace (${resolved}); trust the workspace or choose a path outside it`,
      );
    }
  }
}
