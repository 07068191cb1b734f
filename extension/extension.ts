/**
 * Activation: wires the daemon connection, the commands, the code lenses, the inspector and the
 * status bar. Everything registered here is disposed with the extension.
 */
import * as vscode from 'vscode';
import { homePaths } from '../common/node/home';
import type { PoolStatus } from '../protocol/methods';
import type { ConnectionState, DecisionView } from '../protocol/webview';
import { ClassificationLenses, type TrackedResult } from './codeLens';
import { classifyCommand } from './commands/classify';
import { daemonCommand } from './commands/daemonCommands';
import { openConfigCommand, reloadOnSave } from './commands/openConfig';
import { openReportCommand } from './commands/openReport';
import { showPoolStatusCommand } from './commands/poolStatus';
import { refineCommand } from './commands/refine';
import { generateCommand } from './commands/generate';
import type { EnsembleContext } from './context';
import { DaemonGaveUpError, DaemonManager } from './daemon/daemonManager';
import { DecisionStore } from './decisionStore';
import { InspectorPanel } from './inspectorPanel';
import { MemoryStorageNotice } from './memoryStorageNotice';
import { showError, showWarningWithLog } from './notify';
import { RefineDocuments } from './refineDocuments';
import { homeDir } from './settings';
import { EnsembleStatusBar } from './statusBar';
import { TaskStore } from './taskStore';
import { EntityHighlights } from './entityHighlights';
import { askCommand } from './commands/ask';
import { extractCommand } from './commands/extract';
import { setupGpuCommand, warnAboutGpuFallback } from './commands/setupGpu';
import { DownloadsUi } from './downloads';

/** What the extension exports: enough for other extensions and the integration tests to observe it. */
export interface EnsembleApi {
  connectionState(): ConnectionState;
  pool(): PoolStatus | null;
  statusBarText(): string;
  lenses(uri: vscode.Uri): TrackedResult[];
  decisions(): DecisionView[];
  inspectorVisible(): boolean;
  /** Entities highlighted in a document (Ensemble: Extract Entities). */
  entityRanges(uri: vscode.Uri): Array<{ type: string; start: number; end: number; hover: string }>;
  /** What the download notifications showed ("prompt: …", "progress: …", "cancelled", "done"). */
  downloadEvents(): readonly string[];
  /** The progress notification's Cancel button. */
  cancelDownloads(): Promise<string[]>;
}

export function activate(extension: vscode.ExtensionContext): EnsembleApi {
  const log = vscode.window.createOutputChannel('Ensemble', { log: true });
  const version = String((extension.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  const daemon = new DaemonManager(extension.extensionPath, version, log);
  const store = new DecisionStore();
  const lenses = new ClassificationLenses();
  const tasks = new TaskStore();
  const entities = new EntityHighlights();
  const inspector = new InspectorPanel(extension.extensionUri, store, daemon, log, tasks);
  const refineDocs = new RefineDocuments();
  const statusBar = new EnsembleStatusBar(daemon);
  const ctx: EnsembleContext = { extension, log, daemon, store, lenses, inspector, refineDocs, tasks, entities };
  const downloads = new DownloadsUi(daemon, log);

  const command = (id: string, fn: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown);
  extension.subscriptions.push(
    log,
    statusBar,
    inspector,
    lenses,
    refineDocs,
    store,
    tasks,
    entities,
    daemon,
    command('ensemble.classify', (args?: Parameters<typeof classifyCommand>[1]) => classifyCommand(ctx, args)),
    command('ensemble.refine', (args?: Parameters<typeof refineCommand>[1]) => refineCommand(ctx, args)),
    command('ensemble.ask', (args?: Parameters<typeof askCommand>[1]) => askCommand(ctx, args)),
    command('ensemble.compare', (args?: Parameters<typeof generateCommand>[2]) => generateCommand(ctx, 'compare', args)),
    command('ensemble.fuse', (args?: Parameters<typeof generateCommand>[2]) => generateCommand(ctx, 'fusion', args)),
    command('ensemble.extract', (args?: Parameters<typeof extractCommand>[1]) => extractCommand(ctx, args)),
    command(
      'ensemble.openInspector',
      (decisionId?: string) => void inspector.open(typeof decisionId === 'string' ? decisionId : undefined),
    ),
    command('ensemble.showPoolStatus', () => showPoolStatusCommand(ctx)),
    command('ensemble.startDaemon', () => daemonCommand(ctx, 'start')),
    command('ensemble.stopDaemon', () => daemonCommand(ctx, 'stop')),
    command('ensemble.restartDaemon', () => daemonCommand(ctx, 'restart')),
    command('ensemble.openConfig', () => openConfigCommand(ctx)),
    command('ensemble.openReport', (file?: string) => openReportCommand(ctx, file)),
    command('ensemble.showLog', () => log.show(true)),
    downloads,
    command('ensemble.downloadModels', () => downloads.download()),
    command('ensemble.setupGpu', (args?: Parameters<typeof setupGpuCommand>[1]) => setupGpuCommand(ctx, args)),
    warnAboutGpuFallback(ctx),
    command('ensemble.clearResults', () => {
      lenses.clear(vscode.window.activeTextEditor?.document.uri);
      entities.clear(vscode.window.activeTextEditor?.document.uri);
    }),
    daemon.onDidGiveUp((message) => showError(new DaemonGaveUpError(message), log, 'daemon')),
    warnWhenRecordingInMemory(daemon, log),
    reloadOnSave(ctx),
    watchDaemonFile(daemon),
  );

  // Join a daemon that already runs (started by the CLI or another window); start one only when
  // a command needs it, so merely opening VS Code does not load models.
  void daemon.connection(false).catch((e: unknown) => log.info(`no daemon yet: ${e instanceof Error ? e.message : String(e)}`));
  log.info(`Ensemble ${version} activated (ENSEMBLE_HOME=${homeDir()})`);

  return {
    connectionState: () => daemon.connectionState,
    pool: () => daemon.poolStatus,
    statusBarText: () => statusBar.text,
    lenses: (uri) => lenses.results(uri),
    decisions: () => store.all(),
    inspectorVisible: () => inspector.isVisible,
    entityRanges: (uri) => entities.ranges(uri),
    downloadEvents: () => downloads.events,
    cancelDownloads: () => downloads.cancel(),
  };
}

/** Recording in memory is the last resort: say so with a notification, once per daemon start (memoryStorageNotice.ts). */
function warnWhenRecordingInMemory(daemon: DaemonManager, log: vscode.LogOutputChannel): vscode.Disposable {
  const notice = new MemoryStorageNotice();
  return daemon.onDidChangePool(() => {
    const message = notice.check(daemon.poolStatus);
    if (message) showWarningWithLog(message, log);
  });
}

/** A daemon started elsewhere (the CLI, another window) is joined as soon as its daemon.json appears. */
function watchDaemonFile(daemon: DaemonManager): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(
    new vscode.RelativePattern(vscode.Uri.file(homePaths(homeDir()).home), 'daemon.json'),
  );
  const join = () => {
    if (daemon.connectionState === 'stopped') void daemon.connection(false).catch(() => undefined);
  };
  return vscode.Disposable.from(watcher, watcher.onDidCreate(join), watcher.onDidChange(join));
}

export function deactivate(): void {
  // Disposables registered on the context are disposed by VS Code.
}
