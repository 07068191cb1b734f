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

  it('drops a client that stops answering pings', async () => {
    const silent = await open(false);
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3_000);
      silent.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    assert.equal(closed, true, 'the silent client was terminated');
  });

  it('keeps a client that answers', async () => {
    const live = await open(true);
    let pings = 0;
    live.on('ping', () => pings++);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(live.readyState, WebSocket.OPEN);
    assert.ok(pings >= 2, `pinged ${pings} times`);
    live.close();
  });
});
