/**
 * daemon/transport/security.ts: the checks every WebSocket upgrade and HTTP request passes before it is
 * served: bearer token (401), Host of our own loopback port (403: DNS rebinding), no browser Origin
 * unless allowed (403: cross-site WebSocket hijacking).
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { checkRequest, newToken, tokenMatches } from '../../daemon/transport/security';

const token = 'k3y_-AbC0123456789abcdefghijklmnopqrstuvwxyzXY';
const port = 43210;
const good: IncomingHttpHeaders = { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}` };
const check = (headers: IncomingHttpHeaders, allowedOrigins: readonly string[] = []) =>
  checkRequest(headers, { token, port, allowedOrigins });

describe('tokens', () => {
  it('newToken: 32 random bytes, base64url, different every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => newToken()));
    assert.equal(tokens.size, 50);
    for (const t of tokens) {
      assert.match(t, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(t, 'base64url').length, 32);
    }
  });

  const rows: Array<[string, string | undefined, boolean]> = [
    ['the token', `Bearer ${token}`, true],
    ['scheme in any case', `bearer ${token}`, true],
    ['scheme in capitals', `BEARER ${token}`, true],
    ['several spaces after the scheme', `Bearer    ${token}`, true],
    ['no header', undefined, false],
    ['empty header', '', false],
    ['scheme only', 'Bearer', false],
    ['scheme and a space', 'Bearer ', false],
    ['token without the scheme', token, false],
    ['another scheme', `Basic ${token}`, false],
    ['a wrong token', 'Bearer nope', false],
    ['the token with one character changed', `Bearer ${token.slice(0, -1)}Z`, false],
    ['a prefix of the token', `Bearer ${token.slice(0, 10)}`, false],
    ['the token and more', `Bearer ${token}x`, false],
    ['the token then another word', `Bearer ${token} extra`, false],
    ['the token in another case', `Bearer ${token.toUpperCase()}`, false],
    ['leading space', ` Bearer ${token}`, false],
  ];
  for (const [name, header, expected] of rows) {
    it(`tokenMatches: ${name} -> ${expected}`, () => assert.equal(tokenMatches(header, token), expected));
  }

  it('tokens of different lengths compare without throwing (both sides are hashed first)', () => {
    assert.equal(tokenMatches('Bearer x', 'a much longer token than x'), false);
    assert.equal(tokenMatches(`Bearer ${'a'.repeat(10_000)}`, token), false);
  });
});

describe('checkRequest: Host (DNS rebinding)', () => {
  const rows: Array<[string, string | undefined, boolean]> = [
    ['127.0.0.1 with our port', `127.0.0.1:${port}`, true],
    ['localhost with our port', `localhost:${port}`, true],
    ['LOCALHOST in capitals', `LOCALHOST:${port}`, true],
    ['Localhost mixed case', `LocalHost:${port}`, true],
    ['IPv6 loopback with our port', `[::1]:${port}`, true],
    ['no Host', undefined, false],
    ['empty Host', '', false],
    ['127.0.0.1 without a port', '127.0.0.1', false],
    ['localhost without a port', 'localhost', false],
    ['another port', `127.0.0.1:${port + 1}`, false],
    ['a rebinding domain with our port', `evil.example:${port}`, false],
    ['a domain ending in localhost', `evil.localhost.example:${port}`, false],
    ['a subdomain of localhost', `a.localhost:${port}`, false],
    ['localhost with a trailing dot', `localhost.:${port}`, false],
    ['another loopback address', `127.0.0.2:${port}`, false],
    ['0.0.0.0', `0.0.0.0:${port}`, false],
    ['IPv6 loopback without brackets', `::1:${port}`, false],
    ['IPv6 loopback without a port', '[::1]', false],
    ['IPv4-mapped IPv6 loopback', `[::ffff:127.0.0.1]:${port}`, false],
    ['the port with a leading zero', `127.0.0.1:0${port}`, false],
    ['credentials in the Host', `user@127.0.0.1:${port}`, false],
  ];
  for (const [name, host, expected] of rows) {
    it(`${name} -> ${expected ? 'served' : '403'}`, () => {
      const v = check({ ...good, host });
      if (expected) assert.deepEqual(v, { ok: true });
      else {
        assert.equal(v.ok, false);
        if (!v.ok) {
          assert.equal(v.status, 403);
          assert.match(v.reason, /^Host .* is not this daemon$/);
        }
      }
    });
  }

  it('the Host check comes first: a rebinding page without the token still gets 403, not 401', () => {
    const v = check({ host: `evil.example:${port}` });
    assert.deepEqual(v, { ok: false, status: 403, reason: `Host "evil.example:${port}" is not this daemon` });
  });

  it('names a missing Host', () => {
    assert.deepEqual(check({ authorization: good.authorization }), { ok: false, status: 403, reason: 'Host (none) is not this daemon' });
  });
});

describe('checkRequest: Origin (cross-site WebSocket hijacking)', () => {
  it('no Origin (CLI, extension host, any non-browser client) is served', () => {
    assert.deepEqual(check(good), { ok: true });
  });

  const allowed = ['vscode-webview://abc123', 'http://localhost:5173'];
  const rows: Array<[string, string, readonly string[], boolean]> = [
    ['a browser page, nothing allowed', 'https://evil.example', [], false],
    ["the daemon's own address is not implicitly allowed", `http://127.0.0.1:${port}`, [], false],
    ['"null" (sandboxed iframe, file://)', 'null', [], false],
    ['an empty Origin', '', [], false],
    ['a listed origin', 'vscode-webview://abc123', allowed, true],
    ['another listed origin', 'http://localhost:5173', allowed, true],
    ['an unlisted one next to listed ones', 'https://evil.example', allowed, false],
    ['a listed origin with another port', 'http://localhost:5174', allowed, false],
    ['a listed origin with a trailing slash', 'http://localhost:5173/', allowed, false],
    ['a listed origin in other case (exact match only)', 'HTTP://LOCALHOST:5173', allowed, false],
    ['a prefix of a listed origin', 'vscode-webview://abc', allowed, false],
    ['a listed origin and more', 'vscode-webview://abc123.evil.example', allowed, false],
  ];
  for (const [name, origin, list, expected] of rows) {
    it(`${name} -> ${expected ? 'served' : '403'}`, () => {
      const v = check({ ...good, origin }, list);
      if (expected) assert.deepEqual(v, { ok: true });
      else assert.deepEqual(v, { ok: false, status: 403, reason: `Origin "${origin}" is not allowed` });
    });
  }

  it('an allowed Origin still needs the token', () => {
    const v = check({ host: good.host, origin: 'vscode-webview://abc123' }, ['vscode-webview://abc123']);
    assert.deepEqual(v, { ok: false, status: 401, reason: 'missing or wrong bearer token' });
  });

  it('a forbidden Origin is 403 even with the right token', () => {
    assert.equal((check({ ...good, origin: 'https://evil.example' }) as { status: number }).status, 403);
  });
});

describe('checkRequest: the token', () => {
  it('right Host, no Origin, no token: 401', () => {
    assert.deepEqual(check({ host: good.host }), { ok: false, status: 401, reason: 'missing or wrong bearer token' });
  });
  it('right Host, wrong token: 401, and the reason does not echo the token', () => {
    const v = check({ host: good.host, authorization: 'Bearer guess' });
    assert.deepEqual(v, { ok: false, status: 401, reason: 'missing or wrong bearer token' });
  });
  it('everything right: served', () => {
    assert.deepEqual(check({ host: `localhost:${port}`, authorization: `bearer ${token}` }), { ok: true });
  });
});
