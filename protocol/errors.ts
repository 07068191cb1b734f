/**
 * One table of error codes. JSON-RPC's reserved codes for protocol faults, -32800 for a cancelled
 * request (as in LSP), application codes from 1000. Every error also carries a stable string `kind`
 * so no side ever branches on message text.
 */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  RequestCancelled: -32800,
  ModelUnavailable: 1001,
  EnsembleNotFound: 1002,
  ConfigInvalid: 1003,
  NoVotes: 1004,
  BackendError: 1005,
  BackendBusy: 1006,
  Timeout: 1007,
  PayloadTooLarge: 1008,
  NotFound: 1009,
  BadInput: 1010,
  /** A client called a method before "initialize" on its connection. */
  NotInitialized: 1011,
  /** A limit of `protocol/limits.ts` was hit (batch size, requests in flight, connections...); `data.limit` names it. */
  LimitExceeded: 1081,
  /** The store could not record something the caller needs recorded (a failed write is never swallowed). */
  StoreFailed: 1082,
  /**
   * The model's file is still downloading (or waits for the user's approval to download):
   * `data` has receivedBytes, totalBytes (null when unknown), percent and awaitingApproval.
   */
  ModelDownloading: 1083,
  // Why a client has no working daemon connection: each cause its own kind, so the editor and the
  // CLI can offer the fix that fits (start it, restart it, fix a setting, trust the workspace).
  /** No daemon runs for this home (no daemon.json, or nothing listens on its port). */
  DaemonNotRunning: 1084,
  /** A daemon was started but exited or never became ready. */
  DaemonStartFailed: 1085,
  /** The connection to the daemon closed (or the client is shutting down) while it was needed. */
  ConnectionClosed: 1086,
  /** The daemon refused the WebSocket handshake (a wrong token, or not our daemon on that port). */
  HandshakeRefused: 1087,
  /** The daemon speaks another protocol version than the client. */
  ProtocolMismatch: 1088,
  /** The configured daemon path (ensemble.daemonPath, or the bundled daemon) does not exist. */
  DaemonPathInvalid: 1089,
  /** A configured executable lies inside an untrusted workspace and is refused. */
  UntrustedWorkspace: 1090,
  /** The SQLite module (better-sqlite3 or node:sqlite) cannot be loaded by this runtime. */
  SqliteUnavailable: 1091,
} as const;

export type ErrorKind = keyof typeof ErrorCodes;
export type ErrorCode = (typeof ErrorCodes)[ErrorKind];

/** Every kind, as the non-empty tuple `z.enum` takes (messages that carry a kind declare it with this). */
export const ERROR_KINDS = Object.keys(ErrorCodes) as [ErrorKind, ...ErrorKind[]];

const kindByCode = new Map<number, ErrorKind>(Object.entries(ErrorCodes).map(([kind, code]) => [code, kind as ErrorKind]));

export function kindOf(code: number): ErrorKind | 'Unknown' {
  return kindByCode.get(code) ?? 'Unknown';
}

/** The error every layer throws: a stable kind, a message for people, optional data, and its cause. */
export class EnsembleError extends Error {
  readonly code: ErrorCode;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly data?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EnsembleError';
    this.code = ErrorCodes[kind];
  }

  toInfo(): { code: number; kind: string; message: string } {
    return { code: this.code, kind: this.kind, message: this.message };
  }
}

/** Any thrown value as an EnsembleError (unknown failures become InternalError, keeping the cause). */
export function asEnsembleError(e: unknown, fallback: ErrorKind = 'InternalError'): EnsembleError {
  if (e instanceof EnsembleError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new EnsembleError('RequestCancelled', 'cancelled', undefined, { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  return new EnsembleError(fallback, message, undefined, { cause: e });
}
