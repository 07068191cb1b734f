// A real daemon for the e2e suites: a temp ENSEMBLE_HOME, three generated tiny GGUF label models
// (two favour "bug", one "feature", so the decision is "bug" with 2/3 agreeing), and the bundled
// CLI run in the foreground as our own child process, so we can always stop it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { repoRoot } from './paths.mjs';

export const LABELS = ['bug', 'feature', 'question'];

export async function writePool(home) {
  const { writeClassifierPool } = await tsImport(path.join(repoRoot, 'test/fixtures/gguf/models.ts'), import.meta.url);
  const models = await writeClassifierPool(path.join(home, 'models'), { labels: LABELS, favors: ['bug', 'bug', 'feature'] });
  const config = {
    models: models.map((m) => ({ id: m.id, backend: 'llama.cpp', path: m.path, threads: 1, contextSize: 256 })),
    ensembles: { default: { members: models.map((m) => m.id), strategy: 'majority', labels: LABELS } },
  };
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config, null, 2));
  return models;
}

function readInfo(home) {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Starts `node dist/cli.mjs daemon` on a fresh home; resolves once daemon.json names it. */
export async function startDaemon({ log = () => {} } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-e2e-home-'));
  const models = await writePool(home);
  const cli = path.join(repoRoot, 'dist', 'cli.mjs');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing (build first)`);
  const logFile = path.join(home, 'daemon.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [cli, 'daemon', '--log-level', 'debug'], {
    env: { ...process.env, ENSEMBLE_HOME: home },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited = null;
  child.once('exit', (code, signal) => (exited = code ?? signal));
  const deadline = Date.now() + 30_000;
  let info = null;
  while (Date.now() < deadline && exited === null) {
    info = readInfo(home);
    if (info?.pid === child.pid) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (info?.pid !== child.pid) {
    child.kill('SIGKILL');
    throw new Error(`the daemon did not start (exit ${exited}); log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
  }
  log(`daemon pid ${child.pid} on port ${info.port}, ENSEMBLE_HOME=${home}`);
  return {
    home,
    info,
    models,
    logFile,
    /** Stops the daemon we started, and any other daemon the home names (one the extension started). */
    async stop() {
      const pids = new Set([child.pid]);
      const current = readInfo(home);
      if (current?.pid) pids.add(current.pid);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
      const until = Date.now() + 5_000;
      while (Date.now() < until && [...pids].some(alive)) await new Promise((r) => setTimeout(r, 50));
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      if (!process.env.ENSEMBLE_E2E_KEEP) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
