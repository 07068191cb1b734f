/**
 * Which program runs the daemon: pure (no editor API), so it is tested as a table.
 *
 * By default the extension host's own runtime: it is there on every desk and every remote, with no
 * PATH lookup that a workspace's `.envrc` or a stray old `node` could steer. On desktop VS Code
 * that is Electron, which runs as plain Node with ELECTRON_RUN_AS_NODE=1; in remote windows,
 * Codespaces and code-server it is the server's Node. `ensemble.nodePath` overrides it.
 */
export interface HostRuntime {
  /** process.execPath of the extension host. */
  execPath: string;
  /** process.versions.electron: set when the host is the desktop editor's Electron. */
  electron?: string;
}

export interface DaemonCommand {
  command: string[];
  env: Record<string, string>;
  /** For the log: what runs the daemon. */
  runtime: string;
}

/** True for a script that must run under Node; anything else (an executable, a .cmd) runs as it is. */
export function isNodeScript(file: string): boolean {
  return /\.(c|m)?js$/i.test(file);
}

export function daemonCommand(script: string, configuredNode: string | undefined, host: HostRuntime): DaemonCommand {
  if (!isNodeScript(script)) return { command: [script, 'daemon'], env: {}, runtime: script };
  if (configuredNode) return { command: [configuredNode, script, 'daemon'], env: {}, runtime: `ensemble.nodePath (${configuredNode})` };
  if (host.electron) {
    return {
      command: [host.execPath, script, 'daemon'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
      runtime: `the editor's runtime as Node (Electron ${host.electron})`,
    };
  }
  return { command: [host.execPath, script, 'daemon'], env: {}, runtime: `the extension host's Node (${host.execPath})` };
}
