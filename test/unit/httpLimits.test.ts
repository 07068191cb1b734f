/** The front door's limits (daemon/transport/httpLimits.ts): the table's values, and ENSEMBLE_HTTP_LIMITS as hostile input. */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { applyHttpLimits, connectionsCheckingInterval, httpLimits } from '../../daemon/transport/httpLimits';
import { LIMITS } from '../../protocol/limits';

describe('httpLimits', () => {
  it('without ENSEMBLE_HTTP_LIMITS: the table', () => {
    assert.deepEqual(httpLimits({}), LIMITS.http);
    assert.deepEqual(httpLimits({ ENSEMBLE_HTTP_LIMITS: '' }), LIMITS.http);
  });

  it('takes the fields it is given, and keeps the headers deadline within the whole request', () => {
    const l = httpLimits({ ENSEMBLE_HTTP_LIMITS: '{"maxSockets": 4, "headersTimeoutMs": 9000, "requestTimeoutMs": 500}' });
    assert.deepEqual(l, { ...LIMITS.http, maxSockets: 4, headersTimeoutMs: 500, requestTimeoutMs: 500 });
  });

  it('refuses what is not a JSON object of known integer fields, naming the variable and the fields', () => {
    const refused = (raw: string) => () => httpLimits({ ENSEMBLE_HTTP_LIMITS: raw });
    assert.throws(refused('maxSockets=4'), /ENSEMBLE_HTTP_LIMITS must be a JSON object/);
    assert.throws(refused('{"maxSockets": 0}'), /ENSEMBLE_HTTP_LIMITS: maxSockets: .*expected integers for maxSockets, headersTimeoutMs/);
    assert.throws(refused('{"headersTimeoutMs": 1.5}'), /headersTimeoutMs/);
    assert.throws(refused('{"sockets": 4}'), /ENSEMBLE_HTTP_LIMITS: /);
    assert.throws(refused(`{"maxSockets": ${'9'.repeat(5_000)}}`), /ENSEMBLE_HTTP_LIMITS must be a JSON object/); // cut, then not JSON
  });

  it('checks timeouts at a quarter of the headers deadline, between 10 ms and 1 s', () => {
    assert.equal(connectionsCheckingInterval(LIMITS.http), 1_000);
    assert.equal(connectionsCheckingInterval({ ...LIMITS.http, headersTimeoutMs: 400 }), 100);
    assert.equal(connectionsCheckingInterval({ ...LIMITS.http, headersTimeoutMs: 1 }), 10);
  });

  it('applies the table to a Node server', () => {
    const server = http.createServer();
    applyHttpLimits(server, LIMITS.http);
    assert.equal(server.maxConnections, LIMITS.http.maxSockets);
    assert.equal(server.headersTimeout, LIMITS.http.headersTimeoutMs);
    assert.equal(server.requestTimeout, LIMITS.http.requestTimeoutMs);
    assert.equal(server.keepAliveTimeout, LIMITS.http.keepAliveTimeoutMs);
  });
});
