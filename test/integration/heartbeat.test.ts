/**
 * Heartbeats: the daemon pings every client; one that stops answering is dropped (its requests are
 * aborted with it), one that answers stays. Runs the daemon in-process with a short interval.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { runDaemon, type RunningDaemon } from '../../daemon/main';
import { tempHome, writeConfig } from './harness';

describe('heartbeat', () => {
  let daemon: RunningDaemon;

  before(async () => {
    const home = tempHome();
    writeConfig(home, { models: [], ensembles: {} });
    daemon = await runDaemon({ home, logLevel: 'error', warmUp: false, heartbeatIntervalMs: 150 });
  });
  after(async () => {
    await daemon?.shutdown('test over');
  });

  const open = (autoPong: boolean) => {
    const ws = new WebSocket(`ws://127.0.0.1:${daemon.info.port}/`, {
      headers: { Authorization: `Bearer ${daemon.info.token}` },
      autoPong,
    });
    return new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  };

  /** Counts the pings `ws` receives; `closed` settles with that count when the daemon drops it. */
  const watch = (ws: WebSocket) => {
    const seen = { pings: 0, closed: new Promise<number>((resolve) => ws.once('close', () => resolve(seen.pings))) };
    ws.on('ping', () => seen.pings++);
    return seen;
  };
  /** The next ping `ws` receives; rejects if the daemon closes it first. */
  const nextPing = (ws: WebSocket) =>
    new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Error('the daemon closed a client that answers its pings'));
      ws.once('close', onClose);
      ws.once('ping', () => {
        ws.off('close', onClose);
        resolve();
      });
    });

  // No timer decides these tests: they wait on the sockets' events, in the order the rounds happen.
  // The per-test timeout is only a safety net so a daemon that never pings fails instead of hanging.
  it('drops a client that misses one ping round, at the next round', { timeout: 60_000 }, async () => {
    const silent = watch(await open(false));
    assert.equal(await silent.closed, 1, 'terminated at the round after its one unanswered ping');
  });

  it('keeps a client that answers, through the rounds that drop a silent one', { timeout: 60_000 }, async () => {
    const live = await open(true);
    const silent = watch(await open(false));
    await silent.closed;
    // Two more rounds after the silent client was dropped: each would have dropped `live` had it not answered.
    await nextPing(live);
    await nextPing(live);
    assert.equal(live.readyState, WebSocket.OPEN);
    live.close();
  });
});
