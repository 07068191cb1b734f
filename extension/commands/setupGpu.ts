/**
 * `Ensemble: Set Up GPU`: runs the bundled CLI's `setup gpu --json` (the same code as
 * `ensemble setup gpu`: daemon/runtime/setUpGpu.ts) under the Node the daemon runs under, so no
 * npm, node or `ensemble` is needed on PATH. Progress and Cancel in a notification; the result
 * offers a daemon restart, which is when workers pick the runtime up. VS Code's proxy settings go
 * with it (the same environment the daemon gets).
 */
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { formatSize } from '../../common/formatSize';
import type { EnsembleContext, Outcome } from '../context';
import { launchPlan } from '../daemon/launcher';
import * as settings from '../settings';

type Choice = { label: string; description: string; args: string[] };

function choices(): Choice[] {
  const gpu: Choice[] =
    process.platform === 'darwin' && process.arch === 'arm64'
      ? [{ label: 'Metal', description: 'Apple silicon (built in)', args: ['metal'] }]
      : (process.platform === 'linux' || process.platform === 'win32') && process.arch === 'x64'
        ? [
            { label: 'CUDA', description: 'NVIDIA GPUs: needs the NVIDIA driver', args: ['cuda'] },
            { label: 'Vulkan', description: 'AMD, Intel and NVIDIA GPUs: needs a Vulkan driver', args: ['vulkan'] },
          ]
        : [];
  return [...gpu, { label: 'CPU only', description: 'models run on the CPU (turns a GPU runtime off)', args: ['--cpu'] }];
}

interface CliLine {
  type: 'plan' | 'progress' | 'done' | 'error';
  receivedBytes?: number;
  totalBytes?: number | null;
  gpu?: string;
  message?: string;
  loaded?: string | null;
}

/** Programmatic callers (other extensions, the tests) may name the runtime instead of picking it. */
export interface SetupGpuArgs {
  runtime?: 'cuda' | 'vulkan' | 'metal' | 'cpu';
  /** Record the runtime without loading it once (the driver comes later). */
  skipLoadCheck?: boolean;
}

export async function setupGpuCommand(ctx: EnsembleContext, args: SetupGpuArgs = {}): Promise<Outcome<{ gpu: string }>> {
  const named = args.runtime && choices().find((c) => c.args[0] === (args.runtime === 'cpu' ? '--cpu' : args.runtime));
  const picked = named || (await vscode.window.showQuickPick(choices(), { title: 'Ensemble: which runtime should the models use?' }));
  if (!picked) return { ok: false, kind: 'RequestCancelled', message: 'no runtime chosen' };
  const plan = launchPlan(ctx.extension.extensionPath);
  // The daemon's command ends in "daemon": the same program runs "setup gpu".
  const command = [
    ...plan.command.slice(0, -1),
    'setup',
    'gpu',
    ...picked.args,
    '--json',
    ...(args.skipLoadCheck ? ['--skip-load-check'] : []),
  ];
  const env = { ...process.env, ...plan.env, ENSEMBLE_HOME: settings.homeDir() };
  ctx.log.info(`setting up the GPU runtime: ${command.join(' ')}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Ensemble: setting up ${picked.label}`, cancellable: true },
    (progress, token) =>
      new Promise<CliLine>((resolve) => {
        const child = spawn(command[0]!, command.slice(1), { env, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
        let last: CliLine = { type: 'error', message: 'the setup ended without a result' };
        let partial = '';
        let stderr = '';
        let shown = 0;
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = (lines.pop() ?? '').slice(-10_000);
          for (const line of lines) {
            let parsed: CliLine;
            try {
              parsed = JSON.parse(line) as CliLine;
            } catch {
              continue; // not ours
            }
            if (parsed.type === 'progress' && parsed.receivedBytes !== undefined) {
              const pct = parsed.totalBytes ? Math.floor((100 * parsed.receivedBytes) / parsed.totalBytes) : 0;
              const of = parsed.totalBytes ? ` of ${formatSize(parsed.totalBytes)}` : '';
              progress.report({ message: `${formatSize(parsed.receivedBytes)}${of}`, increment: Math.max(0, pct - shown) });
              shown = Math.max(shown, pct);
            } else if (parsed.type === 'done' || parsed.type === 'error') last = parsed;
          }
        });
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
        token.onCancellationRequested(() => child.kill('SIGTERM'));
        child.on('error', (e) => resolve({ type: 'error', message: e.message }));
        child.on('close', () => {
          if (stderr.trim()) ctx.log.info(`setup gpu: ${stderr.trim()}`);
          resolve(token.isCancellationRequested ? { type: 'error', message: 'cancelled; nothing was changed' } : last);
        });
      }),
  );
  if (result.type !== 'done') {
    const message = `Ensemble: GPU setup failed: ${result.message ?? 'unknown error'}`;
    ctx.log.warn(message);
    void vscode.window.showErrorMessage(message, 'Show Log').then((c) => c && ctx.log.show(true));
    return { ok: false, kind: 'BackendError', message };
  }
  const gpu = result.gpu ?? picked.label;
  void vscode.window
    .showInformationMessage(
      `Ensemble: models will use ${gpu}${result.loaded ? ` (${result.loaded})` : ''} once the daemon restarts.`,
      'Restart Daemon',
    )
    .then((restart) => restart && vscode.commands.executeCommand('ensemble.restartDaemon'));
  return { ok: true, value: { gpu } };
}

/** A GPU runtime that was set up but is missing or stale: said once per session (status bar and log say it too). */
export function warnAboutGpuFallback(ctx: EnsembleContext): vscode.Disposable {
  let warned = false;
  return ctx.daemon.onDidChangePool(() => {
    const warning = ctx.daemon.poolStatus?.gpuRuntime?.warning;
    if (!warning || warned) return;
    warned = true;
    ctx.log.warn(`GPU: ${warning}`);
    void vscode.window
      .showWarningMessage(`Ensemble: ${warning}`, 'Set Up GPU')
      .then((c) => c && vscode.commands.executeCommand('ensemble.setupGpu'));
  });
}
