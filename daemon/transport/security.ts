/**
 * Checks every connection makes before it is served (WebSocket upgrade and HTTP gateway alike):
 * - the bearer token, compared in constant time (401 otherwise);
 * - the Host header names our own loopback port (403 otherwise: DNS rebinding);
 * - no browser Origin unless it is explicitly allowed (403 otherwise: cross-site WebSocket hijacking).
 */
import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

export function checkRequest(
  headers: IncomingHttpHeaders,
  opts: { token: string; port: number; allowedOrigins: readonly string[] },
): Verdict {
  const host = headers.host?.toLowerCase();
  const allowedHosts = [`127.0.0.1:${opts.port}`, `localhost:${opts.port}`, `[::1]:${opts.port}`];
  if (!host || !allowedHosts.includes(host)) return { ok: false, status: 403, reason: `Host ${quoted(host)} is not this daemon` };
  const origin = headers.origin;
  if (origin !== undefined && !opts.allowedOrigins.includes(origin)) {
    return { ok: false, status: 403, reason: `Origin ${quoted(origin)} is not allowed` };
  }
  if (!tokenMatches(headers.authorization, opts.token)) return { ok: false, status: 401, reason: 'missing or wrong bearer token' };
  return { ok: true };
}

/** A header value as the remote sent it, quoted and cut short: it goes into logs and replies. */
function quoted(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

export function tokenMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m?.[1]) return false;
  // Hash both sides first: timingSafeEqual needs equal lengths, and the lengths must not leak either.
  const a = crypto.createHash('sha256').update(m[1]).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}
