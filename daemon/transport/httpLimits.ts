/**
 * The front door's bounds (`LIMITS.http`): how many sockets the listener holds and how long a
 * client may take to send a request. Tests and operators may tighten them through
 * `ENSEMBLE_HTTP_LIMITS` (a JSON object of the same fields), so a slow client is cut off in a test
 * without waiting the production timeout.
 */
import type http from 'node:http';
import { z } from 'zod';
import { EnsembleError } from '../../protocol/errors';
import { LIMITS } from '../../protocol/limits';

export type HttpLimits = { [K in keyof typeof LIMITS.http]: number };

const Override = z
  .object({
    maxSockets: z.number().int().min(1).max(65_536),
    headersTimeoutMs: z.number().int().min(1).max(3_600_000),
    requestTimeoutMs: z.number().int().min(1).max(3_600_000),
    keepAliveTimeoutMs: z.number().int().min(1).max(3_600_000),
    initializeTimeoutMs: z.number().int().min(1).max(3_600_000),
  })
  .partial()
  .strict();

export const HTTP_LIMITS_ENV = 'ENSEMBLE_HTTP_LIMITS';

/** `LIMITS.http`, with the fields `ENSEMBLE_HTTP_LIMITS` sets; a malformed value is an error naming the variable. */
export function httpLimits(env: NodeJS.ProcessEnv = process.env): HttpLimits {
  const raw = env[HTTP_LIMITS_ENV];
  if (raw === undefined || raw === '') return { ...LIMITS.http };
  let json: unknown;
  try {
    json = JSON.parse(raw.slice(0, 1_000));
  } catch {
    throw new EnsembleError('BadInput', `${HTTP_LIMITS_ENV} must be a JSON object such as {"headersTimeoutMs": 5000}`);
  }
  const parsed = Override.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new EnsembleError(
      'BadInput',
      `${HTTP_LIMITS_ENV}: ${first?.path.join('.') || 'value'}: ${first?.message ?? 'invalid'} ` +
        `(expected integers for ${Object.keys(LIMITS.http).join(', ')})`,
    );
  }
  const limits = { ...LIMITS.http, ...parsed.data };
  // Node refuses a headers timeout longer than the whole request's.
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return limits;
}

/**
 * Node checks the header and request timeouts on an interval (30 s by default), which would let a
 * slow client overstay a short timeout by that much: check at a fraction of the shortest one.
 */
export function connectionsCheckingInterval(limits: HttpLimits): number {
  return Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)));
}

export function applyHttpLimits(server: http.Server, limits: HttpLimits): void {
  server.maxConnections = limits.maxSockets;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}
