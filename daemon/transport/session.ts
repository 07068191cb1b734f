/**
 * One client connection: a JSON-RPC peer over the WebSocket, wired to the handlers (daemon/handlers/). Requests other
 * than `initialize` are refused until the client has initialized (and so agreed on the protocol).
 */
import type { WebSocket } from 'ws';
import { EnsembleError } from '../../protocol/errors';
import { JsonRpcPeer, type RequestHandler } from '../../protocol/jsonrpc';
import { freshAbortController } from '../../common/freshAbort';
import { LIMITS } from '../../protocol/limits';
import { PROTOCOL_VERSION, type RequestMethod } from '../../protocol/methods';
import { guardSocket, type GuardedSocket } from './backpressure';
import type { Logger } from '../process/log';
import type { Handlers } from '../handlers/handlers';
import { DAEMON_VERSION } from '../version';

export class Session {
  readonly peer: JsonRpcPeer;
  /** Every frame to this client goes through here: backpressure, and a drop for one that never reads. */
  readonly out: GuardedSocket;
  private initialized = false;
  private unsubscribeLog: (() => void) | null = null;

  constructor(
    socket: WebSocket,
    private readonly handlers: Handlers,
    private readonly logger: Logger,
    private readonly requestShutdown: () => void,
  ) {
    this.out = guardSocket(
      socket,
      (bytes) =>
        logger.warn(
          `dropped a client that does not read its replies (${Math.round(bytes / 1024)} KiB unsent, limit ${LIMITS.dropBufferedBytes / 1024} KiB)`,
        ),
      LIMITS,
      (bytes) => {
        // Once per client is enough to tell an operator; the counter says how often it recurred.
        if (this.out.stats.pauses === 1)
          logger.info(
            `a client is not reading its replies (${Math.round(bytes / 1024)} KiB unsent): stopped reading its requests until it catches up`,
          );
      },
    );
    this.peer = new JsonRpcPeer((text) => this.out.send(text), {
      onInternalError: (e) => logger.error(`request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      maxInFlight: LIMITS.maxInFlightPerConnection,
      maxBatch: LIMITS.maxBatch,
      role: 'daemon',
      onRefused: (why) => logger.warn(`client: ${why}`),
      newController: freshAbortController,
    });
    this.register();
  }

  private guard<M extends RequestMethod>(method: M, handler: RequestHandler<M>): void {
    this.peer.handle(method, (params, ctx) => {
      if (!this.initialized) throw new EnsembleError('NotInitialized', `call "initialize" before "${method}"`);
      return handler(params, ctx);
    });
  }

  private register(): void {
    this.peer.handle('initialize', (params) => {
      this.initialized = true;
      if (params.subscribeLog && !this.unsubscribeLog) {
        this.unsubscribeLog = this.logger.subscribe((line) => this.peer.notify('$/log', line));
      }
      this.logger.debug(`client ${params.client.name} ${params.client.version} connected (protocol ${params.protocolVersion})`);
      return { protocolVersion: PROTOCOL_VERSION, daemonVersion: DAEMON_VERSION, pid: process.pid };
    });
    this.guard('ensemble/classify', (params, ctx) => this.handlers.classify(params, ctx.signal, ctx.progress));
    this.guard('ensemble/refine', (params, ctx) => this.handlers.refine(params, ctx.signal, ctx.progress));
    this.guard('ensemble/generate', (params, ctx) => this.handlers.generate(params, ctx.signal, ctx.progress));
    this.guard('ensemble/answer', (params, ctx) => this.handlers.answer(params, ctx.signal, ctx.progress));
    this.guard('ensemble/extract', (params, ctx) => this.handlers.extract(params, ctx.signal, ctx.progress));
    this.guard('pool/status', () => {
      this.handlers.countStatusRead();
      return this.handlers.status();
    });
    this.guard('pool/diversity', (params) => this.handlers.diversityOf(params.ensemble, params.limit));
    this.guard('config/reload', () => this.handlers.reloadConfig());
    this.guard('pool/reload', (params) => this.handlers.reloadModels(params.model));
    this.guard('pool/download', (params) => this.handlers.approveDownloads(params.models));
    this.guard('pool/cancelDownload', (params) => this.handlers.cancelDownloads(params.models));
    this.guard('decisions/recent', (params) => this.handlers.recent(params.limit, params.before));
    this.guard('feedback/submit', (params) => this.handlers.feedback(params));
    this.guard('recordings/items', (params) => this.handlers.recordedItems(params.dataset, params.ensemble, params.cursor, params.task));
    this.guard('answer/feedback', (params) => this.handlers.answerFeedback(params.answerId, params.answer));
    this.guard('calibration/fit', (params) => this.handlers.fitCalibration(params.method, params.minSamples));
    this.guard('aggregation/fit', (params) => this.handlers.fitAggregation(params.ensemble));
    this.guard('shutdown', () => {
      setImmediate(this.requestShutdown);
      return null;
    });
  }

  /** The client sent `initialize` (agreed on the protocol). */
  get isInitialized(): boolean {
    return this.initialized;
  }

  close(): void {
    this.unsubscribeLog?.();
    this.peer.close();
  }
}
