/**
 * The one place where failures become words for people. Keyed by the error's stable kind (never
 * by its message text); each entry says what to tell the user and which actions to offer.
 */
import { EnsembleError, type ErrorKind } from '../protocol/errors';
import { plainText } from './plainText';

/** A follow-up the error notification offers: a button label and the command it runs. */
export interface ErrorAction {
  title: string;
  command: string;
  /** Arguments for the command (e.g. the setting the Settings editor opens on). */
  args?: unknown[];
}

export interface UserError {
  /** `silent` errors (the user cancelled) are not shown at all. */
  severity: 'error' | 'warning' | 'silent';
  message: string;
  actions: ErrorAction[];
}

/** Error kinds the extension itself raises, next to the daemon's. */
export type ExtensionErrorKind = 'DaemonGaveUp' | 'NoSelection' | 'NoLabels' | 'Unknown';

const OPEN_POOL: ErrorAction = { title: 'Open Pool Status', command: 'ensemble.showPoolStatus' };
const OPEN_CONFIG: ErrorAction = { title: 'Open Config', command: 'ensemble.openConfig' };
const SHOW_LOG: ErrorAction = { title: 'Show Log', command: 'ensemble.showLog' };
const RESTART: ErrorAction = { title: 'Restart Daemon', command: 'ensemble.restartDaemon' };
const RETRY_START: ErrorAction = { title: 'Retry', command: 'ensemble.startDaemon' };
const START: ErrorAction = { title: 'Start Daemon', command: 'ensemble.startDaemon' };
const DAEMON_PATH_SETTING: ErrorAction = {
  title: 'Open Settings',
  command: 'workbench.action.openSettings',
  args: ['ensemble.daemonPath'],
};
const MANAGE_TRUST: ErrorAction = { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' };

type Entry = (message: string) => Omit<UserError, 'actions'> & { actions?: ErrorAction[] };

const table: Record<ErrorKind | ExtensionErrorKind, Entry> = {
  ModelUnavailable: (m) => ({
    severity: 'error',
    message: `A model is unavailable: ${m}. Open the pool status?`,
    actions: [OPEN_POOL, OPEN_CONFIG],
  }),
  ModelDownloading: (m) => ({
    severity: 'warning',
    message: `The models are not downloaded yet: ${m}`,
    actions: [{ title: 'Download Models', command: 'ensemble.downloadModels' }, OPEN_POOL],
  }),
  EnsembleNotFound: (m) => ({
    severity: 'error',
    message: `No such ensemble: ${m}. Check the "ensemble.ensemble" setting or the pool config.`,
    actions: [OPEN_CONFIG],
  }),
  ConfigInvalid: (m) => ({ severity: 'error', message: `The Ensemble config is invalid: ${m}`, actions: [OPEN_CONFIG] }),
  NoVotes: (m) => ({ severity: 'warning', message: `No model produced a usable vote: ${m}`, actions: [OPEN_POOL] }),
  BackendError: (m) => ({ severity: 'error', message: `A model backend failed: ${m}`, actions: [OPEN_POOL, SHOW_LOG] }),
  BackendBusy: (m) => ({ severity: 'warning', message: `A model server is busy: ${m}. Try again in a moment.` }),
  Timeout: (m) => ({
    severity: 'warning',
    message: `The ensemble took too long: ${m}. Raise "ensemble.requestTimeoutSeconds" or the ensemble's deadline.`,
    actions: [OPEN_CONFIG],
  }),
  PayloadTooLarge: (m) => ({ severity: 'error', message: `The text is too large to send to the daemon: ${m}. Select less text.` }),
  NotFound: (m) => ({ severity: 'warning', message: `Not found: ${m}` }),
  BadInput: (m) => ({ severity: 'error', message: `The request was refused: ${m}` }),
  LimitExceeded: (m) => ({ severity: 'warning', message: `The daemon is at a limit: ${m}. Try again in a moment.` }),
  StoreFailed: (m) => ({ severity: 'error', message: `The daemon could not record the result: ${m}`, actions: [SHOW_LOG] }),
  NotInitialized: (m) => ({
    severity: 'error',
    message: `The daemon was asked before the connection was set up: ${m}`,
    actions: [RESTART, SHOW_LOG],
  }),
  DaemonNotRunning: (m) => ({ severity: 'error', message: `The Ensemble daemon is not running: ${m}`, actions: [START, SHOW_LOG] }),
  DaemonStartFailed: (m) => ({ severity: 'error', message: `The Ensemble daemon did not start: ${m}`, actions: [SHOW_LOG, RETRY_START] }),
  ConnectionClosed: (m) => ({
    severity: 'error',
    message: `The connection to the Ensemble daemon closed: ${m}`,
    actions: [RESTART, SHOW_LOG],
  }),
  HandshakeRefused: (m) => ({
    severity: 'error',
    message: `The Ensemble daemon refused the connection (is another program on its port?): ${m}`,
    actions: [RESTART, SHOW_LOG],
  }),
  ProtocolMismatch: (m) => ({
    severity: 'error',
    message: `The running Ensemble daemon is another version than the extension: ${m}`,
    actions: [RESTART],
  }),
  DaemonPathInvalid: (m) => ({ severity: 'error', message: `Cannot start the Ensemble daemon: ${m}`, actions: [DAEMON_PATH_SETTING] }),
  UntrustedWorkspace: (m) => ({
    severity: 'error',
    message: `The daemon is not started from an untrusted workspace: ${m}`,
    actions: [MANAGE_TRUST, DAEMON_PATH_SETTING],
  }),
  SqliteUnavailable: (m) => ({ severity: 'error', message: `The recordings database cannot be opened: ${m}`, actions: [SHOW_LOG] }),
  RequestCancelled: (m) => ({ severity: 'silent', message: `Cancelled: ${m}` }),
  ParseError: (m) => ({ severity: 'error', message: `The daemon could not read a message: ${m}`, actions: [SHOW_LOG] }),
  InvalidRequest: (m) => ({ severity: 'error', message: `The daemon rejected a request: ${m}`, actions: [SHOW_LOG] }),
  MethodNotFound: (m) => ({
    severity: 'error',
    message: `The daemon does not support this (is it an older version?): ${m}`,
    actions: [RESTART],
  }),
  InvalidParams: (m) => ({ severity: 'error', message: `The daemon rejected the request's parameters: ${m}`, actions: [SHOW_LOG] }),
  InternalError: (m) => ({ severity: 'error', message: `The Ensemble daemon failed: ${m}`, actions: [SHOW_LOG] }),
  DaemonGaveUp: (m) => ({ severity: 'error', message: m, actions: [RETRY_START, SHOW_LOG] }),
  NoSelection: (m) => ({ severity: 'warning', message: m }),
  NoLabels: (m) => ({ severity: 'warning', message: m, actions: [OPEN_CONFIG] }),
  Unknown: (m) => ({ severity: 'error', message: `Ensemble: ${m}`, actions: [SHOW_LOG] }),
};

/** The stable kind of any thrown value. */
export function errorKind(e: unknown): ErrorKind | ExtensionErrorKind {
  if (e instanceof EnsembleError) return e.kind;
  if (typeof e === 'object' && e !== null && 'kind' in e && typeof e.kind === 'string' && e.kind in table) {
    return e.kind as ErrorKind | ExtensionErrorKind;
  }
  return 'Unknown';
}

/** What to show for `e`. */
export function describeError(e: unknown): UserError {
  // The message comes from the daemon, a model or a server: shown as plain text, never as links.
  const message = plainText(e instanceof Error ? e.message : String(e));
  const entry = table[errorKind(e)](message);
  return { ...entry, actions: entry.actions ?? [] };
}

/** An error the extension raises with one of its own kinds. */
export class UserFacingError extends Error {
  constructor(
    readonly kind: ExtensionErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}
