/**
 * A lean JSON-RPC client for the bench: one WebSocket, requests matched to replies by id, replies
 * only JSON-parsed. The product's client (`client/daemonClient.ts`) also validates every result
 * with zod, which is the client's CPU, not the daemon's: with 64 clients in one bench process it
 * would make the bench client, not the daemon, the bottleneck. The direct path parses its answers
 * the same lean way.
 */
import WebSocket from 'ws';
import type { DaemonFile } from '../protocol/daemonFile';
import { LIMITS } from '../protocol/limits';
import { PROTOCOL_VERSION } from '../protocol/methods';

export class LeanClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (typeof msg.id !== 'number') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('closed'));
      this.pending.clear();
    });
  }

  static async connect(info: DaemonFile): Promise<LeanClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${info.port}/`, {
      headers: { Authorization: `Bearer ${info.token}` },
      maxPayload: LIMITS.maxPayloadBytes,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.setMaxListeners(0);
    const c = new LeanClient(ws);
    await c.request('initialize', { protocolVersion: PROTOCOL_VERSION, client: { name: 'bench', version: '0' } });
    return c;
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
