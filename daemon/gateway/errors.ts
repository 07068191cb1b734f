/**
 * Errors in OpenAI's shape, `{error: {message, type, param, code}}`, with the status codes the
 * official clients map to their error classes (400 BadRequest, 401 Authentication, 404 NotFound,
 * 413, 429 RateLimit, 503 InternalServer...). Messages never echo the request body.
 */
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { EnsembleError } from '../../protocol/errors';
import { LIMITS } from '../../protocol/limits';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError(400, message, 'invalid_request_error', param, code);

/** The first few zod issues, as "path: what was expected" (values are not repeated back). */
export function invalidBody(error: z.ZodError): GatewayError {
  const issues = error.issues
    .slice(0, LIMITS.gateway.maxIssuesReported)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message.slice(0, 200)}`);
  const more = error.issues.length - issues.length;
  const first = error.issues[0]?.path.join('.') || null;
  return badRequest(`invalid request: ${issues.join('; ')}${more > 0 ? `; and ${more} more` : ''}`, first);
}

/** What an EnsembleError from the daemon means to an OpenAI client. */
export function fromEnsembleError(err: EnsembleError): GatewayError {
  switch (err.kind) {
    case 'EnsembleNotFound':
      return new GatewayError(404, err.message, 'invalid_request_error', 'model', 'model_not_found');
    case 'NotFound':
      return new GatewayError(404, err.message, 'invalid_request_error', null, 'not_found');
    case 'BadInput':
    case 'InvalidParams':
      return badRequest(err.message);
    case 'PayloadTooLarge':
      return new GatewayError(413, err.message, 'invalid_request_error', null, 'request_too_large');
    case 'BackendBusy':
      return new GatewayError(503, err.message, 'server_error', null, 'overloaded');
    case 'ModelUnavailable':
    case 'ConfigInvalid':
      return new GatewayError(503, err.message, 'server_error', null, 'model_unavailable');
    case 'ModelDownloading':
      return new GatewayError(503, err.message, 'server_error', null, 'model_downloading');
    case 'Timeout':
      return new GatewayError(504, err.message, 'server_error', null, 'timeout');
    default:
      return new GatewayError(500, err.message, 'server_error', null, err.kind);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, err: GatewayError): void {
  sendJson(res, err.status, err.body());
}
