/** What every command needs, built once at activation. */
import type * as vscode from 'vscode';
import type { DaemonManager } from './daemon/daemonManager';
import type { DecisionStore } from './decisionStore';
import type { ClassificationLenses } from './codeLens';
import type { InspectorPanel } from './inspectorPanel';
import type { RefineDocuments } from './refineDocuments';
import type { TaskStore } from './taskStore';
import type { EntityHighlights } from './entityHighlights';

export interface EnsembleContext {
  extension: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  daemon: DaemonManager;
  store: DecisionStore;
  lenses: ClassificationLenses;
  inspector: InspectorPanel;
  refineDocs: RefineDocuments;
  tasks: TaskStore;
  entities: EntityHighlights;
}

/**
 * What a command returns to a programmatic caller (other extensions, the integration tests);
 * people see notifications instead.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; kind: string; message: string };
