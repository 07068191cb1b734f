/**
 * Which way each notification travels (protocol/methods.ts `notificationDirections`), and a peer
 * with a role refusing one that arrives the wrong way (protocol/jsonrpc.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonRpcPeer } from '../../protocol/jsonrpc';
import { mayReceive, notificationDirections, notifications, type NotificationParams, type PeerRole } from '../../protocol/methods';

const LOG = { level: 'info', message: 'hello', time: new Date(0).toISOString() } as const;
const CHANGED: NotificationParams<'pool/changed'> = { reason: 'x', changes: [] };

function peer(role: PeerRole): { peer: JsonRpcPeer; refused: string[]; heard: string[] } {
  const refused: string[] = [];
  const heard: string[] = [];
  const p = new JsonRpcPeer(() => undefined, { role, onRefused: (why) => refused.push(why) });
  p.onNotification('$/log', (params) => heard.push(`$/log ${params.message}`));
  p.onNotification('pool/changed', (params) => heard.push(`pool/changed ${params.reason}`));
  return { peer: p, refused, heard };
}

const wire = (method: string, params: unknown) => JSON.stringify({ jsonrpc: '2.0', method, params });

describe('notification directions', () => {
  it('declares a direction for every notification, and $/log and pool/changed only go to the client', () => {
    assert.deepEqual(Object.keys(notificationDirections).sort(), Object.keys(notifications).sort());
    assert.equal(notificationDirections['$/log'], 'daemonToClient');
    assert.equal(notificationDirections['pool/changed'], 'daemonToClient');
    assert.equal(mayReceive('client', '$/log'), true);
    assert.equal(mayReceive('daemon', '$/log'), false);
    assert.equal(mayReceive('daemon', '$/cancelRequest'), true);
    assert.equal(mayReceive('daemon', 'no/such'), false);
    assert.equal(mayReceive('daemon', 'toString'), false, 'only the table itself, not what objects inherit');
  });

  it('the daemon drops $/log and pool/changed from a client and says so', () => {
    const daemon = peer('daemon');
    daemon.peer.receive(wire('$/log', LOG));
    daemon.peer.receive(wire('pool/changed', CHANGED));
    assert.deepEqual(daemon.heard, []);
    assert.deepEqual(daemon.refused, [
      'refused a $/log notification: it goes from the daemon to the client',
      'refused a pool/changed notification: it goes from the daemon to the client',
    ]);
  });

  it('the client takes them', () => {
    const client = peer('client');
    client.peer.receive(wire('$/log', LOG));
    client.peer.receive(wire('pool/changed', CHANGED));
    assert.deepEqual(client.heard, ['$/log hello', 'pool/changed x']);
    assert.deepEqual(client.refused, []);
  });

  it('cancellation still works both ways: a daemon peer aborts the request a client cancels', async () => {
    const out: string[] = [];
    const daemon = new JsonRpcPeer((t) => out.push(t), { role: 'daemon' });
    let aborted = false;
    daemon.handle(
      'shutdown',
      (_p, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        ),
    );
    daemon.receive(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'shutdown', params: {} }));
    daemon.receive(wire('$/cancelRequest', { id: 9 }));
    assert.equal(aborted, true);
  });

  it('a peer refuses to send a notification its side never sends (a bug here, not a hostile peer)', () => {
    const sent: string[] = [];
    const client = new JsonRpcPeer((t) => sent.push(t), { role: 'client' });
    assert.throws(() => client.notify('$/log', LOG), /\$\/log goes from the daemon to the client: the client does not send it/);
    assert.equal(sent.length, 0, 'nothing was written');
    const daemon = new JsonRpcPeer((t) => sent.push(t), { role: 'daemon' });
    daemon.notify('pool/changed', CHANGED);
    assert.equal(sent.length, 1);
  });
});
