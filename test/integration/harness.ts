/**
 * A real daemon process for integration tests: a temp ENSEMBLE_HOME, a config on generated tiny
 * GGUF models (and/or fake HTTP servers), the bundled CLI (`dist/cli.mjs`, built by `npm test`
 * before this suite) started exactly as users start it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DaemonConnection, startDaemon } from '../../client/daemonClient';
import { isAlive } from '../../common/node/daemonFile';
import { until } from '../support/until';
import type { PoolConfigInput } from '../../protocol/config';
import type { DaemonFile } from '../../protocol/daemonFile';
import { writeClassifierPool, type PoolModel } from '../fixtures/gguf/models';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'cli.mjs');
export const LABELS = ['bug', 'feature', 'question'];

export function tempHome(prefix = 'ensemble-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Three label models of three families; two favour "bug", one "feature". */
export function tinyPool(dir: string): PoolModel[] {
  return writeClassifierPool(path.join(dir, 'models'), { labels: LABELS, favors: ['bug', 'bug', 'feature'] });
}

export function poolConfig(models: PoolModel[], extra: Partial<PoolConfigInput> = {}): PoolConfigInput {
  return {
    models: models.map((m) => ({ id: m.id, backend: 'llama.cpp' as const, path: m.path, threads: 1, contextSize: 256 })),
    ensembles: { default: { members: models.map((m) => m.id), strategy: 'majority', labels: LABELS } },
    ...extra,
  };
}

export function writeConfig(home: string, config: unknown): void {
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config, null, 2));
}

export interface TestDaemon {
  home: string;
  info: DaemonFile;
  connect(): Promise<DaemonConnection>;
  /** Runs the CLI against this daemon's home. */
  cli(args: string[], opts?: { input?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Runs the bundled CLI with ENSEMBLE_HOME=home; never throws, the exit code says how it went. */
export async function runCli(
  home: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, ENSEMBLE_HOME: home };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cliPath, ...args], { env, timeout: opts.timeoutMs ?? 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/**
 * `node`: the Node binary to run the daemon with (test/support/runtimes.ts), this test's own by default.
 * `env` adds to the test's environment (e.g. tighter `ENSEMBLE_HTTP_LIMITS`).
 */
export async function startTestDaemon(home: string, opts: { node?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestDaemon> {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} is missing: run "npm run build" first`);
  const command = [opts.node ?? process.execPath, cliPath, 'daemon', '--log-level', 'debug'];
  const info = await startDaemon({ home, command, env: opts.env, timeoutMs: 30_000 });
  return {
    home,
    info,
    connect: () => DaemonConnection.connect(info, { clientName: 'test', clientVersion: '0' }),
    cli: (args) => runCli(home, args),
    async stop() {
      try {
        process.kill(info.pid, 'SIGTERM');
      } catch {
        return;
      }
      // A grace period for a clean exit, then the hard kill below. The daemon removes daemon.json
      // first and only then closes its store (writing what its writer thread still holds): waiting
      // for the file alone and killing then lost the last decisions. Wait for the process itself.
      await until('the daemon to exit cleanly', async () => (isAlive(info.pid) ? undefined : true), 15_000, 50).catch(() => undefined);
      try {
        process.kill(info.pid, 'SIGKILL');
      } catch {
        // exited
      }
    },
  };
}

export function daemonLog(home: string): string {
  try {
    return fs.readFileSync(path.join(home, 'daemon.log'), 'utf8');
  } catch {
    return '';
  }
}
