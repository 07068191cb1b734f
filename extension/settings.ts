/**
 * The extension's settings, read in one place. Settings that name a program or a path the
 * extension runs or trusts (`home`, `nodePath`, `daemonPath`) are machine scope and read from the
 * user's own settings only: a workspace (possibly untrusted, possibly a cloned repo) must never be
 * able to point the extension at another executable.
 */
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { ensembleHome } from '../common/node/home';
import { DAEMON_RESTART_DEFAULTS } from '../common/restartPolicy';
import { StrategyName } from '../protocol/ensemble';

export const SECTION = 'ensemble';

/** A machine-scope setting's value from user (global) settings only, never from a workspace. */
function machineSetting(key: string): string | undefined {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>(key);
  const v = inspected?.globalValue?.trim();
  return v ? expandHome(v) : undefined;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** ENSEMBLE_HOME: setting `ensemble.home`, else the environment's ENSEMBLE_HOME, else ~/.ensemble. */
export function homeDir(): string {
  return path.resolve(machineSetting('home') ?? ensembleHome(process.env));
}

export function nodePath(): string | undefined {
  return machineSetting('nodePath');
}

export function daemonPath(): string | undefined {
  return machineSetting('daemonPath');
}

export function autoStart(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('autoStart', true);
}

export interface ClassifySettings {
  labels: string[];
  ensemble: string | undefined;
  strategy: StrategyName | undefined;
}

/** Resource-scoped classify settings for the document being classified. */
export function classifySettings(scope?: vscode.ConfigurationScope): ClassifySettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const labels = (c.get<unknown[]>('labels') ?? []).filter((l): l is string => typeof l === 'string' && l.trim() !== '');
  const ensemble = c.get<string>('ensemble')?.trim() || undefined;
  const strategy = StrategyName.safeParse(c.get<string>('strategy'));
  return { labels: labels.map((l) => l.trim()), ensemble, strategy: strategy.success ? strategy.data : undefined };
}

export function refineInstruction(scope?: vscode.ConfigurationScope): string | undefined {
  return vscode.workspace.getConfiguration(SECTION, scope).get<string>('refine.instruction')?.trim() || undefined;
}

export function requestTimeoutMs(): number {
  const s = vscode.workspace.getConfiguration(SECTION).get<number>('requestTimeoutSeconds', 120);
  return Math.max(5, Math.min(600, s)) * 1000;
}

export interface RestartPolicySettings {
  maxCrashes: number;
  windowMs: number;
}

export function restartPolicy(): RestartPolicySettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    maxCrashes: Math.max(1, c.get<number>('restart.maxCrashes', DAEMON_RESTART_DEFAULTS.maxCrashes)),
    windowMs: Math.max(1, c.get<number>('restart.windowMinutes', DAEMON_RESTART_DEFAULTS.windowMinutes)) * 60_000,
  };
}

export interface ExtractSettings {
  types: string[];
  quorum: number | undefined;
}

/** Entity types and quorum for `Ensemble: Extract Entities`. */
export function extractSettings(scope?: vscode.ConfigurationScope): ExtractSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const types = (c.get<unknown[]>('extract.types') ?? [])
    .filter((t): t is string => typeof t === 'string' && t.trim() !== '')
    .map((t) => t.trim());
  const q = c.get<number>('extract.quorum', 0);
  return { types: types.length > 0 ? types : ['person', 'organization', 'location', 'date'], quorum: q > 0 && q <= 1 ? q : undefined };
}

/** VS Code's own proxy settings (`http.proxy`, `http.noProxy`), for the daemon and the CLI it runs. */
export function httpProxy(): { proxy: string | undefined; noProxy: string[] | undefined } {
  const http = vscode.workspace.getConfiguration('http');
  return { proxy: http.get<string>('proxy') || undefined, noProxy: http.get<string[]>('noProxy') };
}
