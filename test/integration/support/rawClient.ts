/**
 * A raw WebSocket client for hardening tests: it speaks whatever frames a test wants (valid or not),
 * and reads the daemon process's memory and descriptors from /proc.
 */
import WebSocket from 'ws';
import { LIMITS } from '../../../protocol/limits';

export interface RawMessage {
  id?: unknown;
  method?: string;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export class RawClient {
  readonly received: unknown[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      try {
        this.received.push(JSON.parse(d.toString()));
      } catch {
        this.received.push(d.toString());
      }
    });
  }

  static async open(port: number, token: string, opts: { maxPayload?: number } = {}): Promise<RawClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      headers: { Authorization: `Bearer ${token}` },
      maxPayload: opts.maxPayload ?? LIMITS.maxPayloadBytes,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new RawClient(ws);
    await c.request('initialize', { protocolVersion: 1, client: { name: 'raw', version: '0' } });
    return c;
  }

  send(data: string | Buffer, binary = false): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(data, { binary }, (e) => (e ? reject(e) : resolve())));
  }

  private nextId = 1_000_000;

  /** Sends one request and waits for the reply with its id. */
  async request(method: string, params: unknown, timeoutMs = 30_000): Promise<RawMessage> {
    const id = this.nextId++;
    await this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return this.waitFor((m) => (m as RawMessage).id === id, timeoutMs) as Promise<RawMessage>;
  }

  /**
   * Resolves with the first received message matching `test` (already received ones included),
   * checked at each message: no polling. Rejects when the connection closes first; the timer is
   * only a safety net so a daemon that never answers fails the test instead of hanging it.
   */
  waitFor(test: (m: unknown) => boolean, timeoutMs = 30_000): Promise<unknown> {
    const found = this.received.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        this.ws.off('close', onClose);
        outcome();
      };
      // Registered after the constructor's listener, so the message is already in `received`.
      const onMessage = () => {
        const m = this.received.find(test);
        if (m !== undefined) settle(() => resolve(m));
      };
      const onClose = () => settle(() => reject(new Error(`the connection closed (${this.received.length} received)`)));
      const timer = setTimeout(
        () => settle(() => reject(new Error(`no matching message within ${timeoutMs} ms (${this.received.length} received)`))),
        timeoutMs,
      );
      this.ws.on('message', onMessage);
      this.ws.once('close', onClose);
      if (this.ws.readyState !== WebSocket.OPEN) onClose();
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

export { openFds, rssMiB } from '../../../bench/stats';
