// code-server 4.100.3 (a real VS Code 1.100.3 workbench), started hermetically: its own config,
// data, user-data and extensions folders under one temp root (XDG_* too, because code-server
// writes outside its data folders otherwise), bound to 127.0.0.1 on a free port, no auth.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { e2eDir } from './paths.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'editor.codeLens': true,
  'editor.minimap.enabled': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

/**
 * Starts code-server on `folder`. `env` is added to the server's environment, which its extension
 * host inherits (ENSEMBLE_HOME, the result file...). `workspaceTrust: true` turns workspace trust on
 * (every other run disables it) without the startup prompt, so the folder opens untrusted.
 */
export async function startCodeServer(opts) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-e2e-cs-'));
  try {
    return await start(root, opts);
  } catch (e) {
    if (!process.env.ENSEMBLE_E2E_KEEP) {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(opts.folder, { recursive: true, force: true });
    }
    throw e;
  }
}

const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
};

async function start(root, { folder, env = {}, log = () => {}, settings = {}, vsix, workspaceTrust = false }) {
  const dirs = Object.fromEntries(['config', 'data', 'userData', 'extensions', 'tmp'].map((d) => [d, path.join(root, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({ ...USER_SETTINGS, ...(workspaceTrust ? UNTRUSTED_SETTINGS : {}), ...settings }, null, 2),
  );
  const port = await freePort();
  const cfg = path.join(root, 'config.yaml');
  fs.writeFileSync(cfg, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const entry = path.join(e2eDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const serverEnv = { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, TMPDIR: dirs.tmp, ...env };
  if (vsix) {
    // Installed the way a user installs a downloaded .vsix.
    execFileSync(
      process.execPath,
      [entry, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix],
      { env: serverEnv, stdio: 'pipe' },
    );
    log(`installed ${vsix}`);
  }
  const logFile = path.join(root, 'server.log');
  const out = fs.openSync(logFile, 'a');
  const args = [
    entry,
    '--config',
    cfg,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--disable-proxy',
    '--log',
    'info',
    folder,
  ];
  // Its own process group, so stop() ends the server and every process it forked, by our pid.
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', out, out],
    env: serverEnv,
  });
  fs.closeSync(out);
  let exited = null;
  child.once('exit', (code, signal) => (exited = code ?? signal));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && exited === null) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const readLog = () => fs.readFileSync(logFile, 'utf8');
  if (exited !== null || Date.now() >= deadline) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    throw new Error(`code-server did not start (exit ${exited}); log:\n${readLog().slice(-3000)}`);
  }
  log(`code-server ${url} (pid ${child.pid}, root ${root})`);
  return {
    url,
    port,
    root,
    logFile,
    readLog,
    /** The workbench URL; `payload` adds development-mode options (extensionDevelopmentPath...). */
    workbenchUrl(payload) {
      let u = `${url}/?folder=${encodeURIComponent(folder)}`;
      if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return u;
    },
    /** Changes user settings while running (the workbench watches the file), e.g. the colour theme. */
    updateSettings(changes) {
      const file = path.join(dirs.userData, 'User', 'settings.json');
      const current = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...current, ...changes }, null, 2));
    },
    /** A local path as the workbench's remote URI (how payload paths are given). */
    remoteUri(p) {
      return `vscode-remote://127.0.0.1:${port}${p}`;
    },
    async stop() {
      const kill = (sig) => {
        try {
          process.kill(-child.pid, sig);
          return true;
        } catch {
          return false;
        }
      };
      if (kill('SIGTERM')) {
        const until = Date.now() + 5_000;
        while (Date.now() < until && kill(0)) await new Promise((r) => setTimeout(r, 100));
        kill('SIGKILL');
      }
      if (!process.env.ENSEMBLE_E2E_KEEP) {
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(folder, { recursive: true, force: true });
      }
    },
  };
}

/** A workspace folder with a file to classify (removed with the server that opened it). */
export function makeWorkspace(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-e2e-ws-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
