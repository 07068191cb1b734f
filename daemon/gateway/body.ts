/** Reads a request body as JSON within the size bound (413 above it, 400 when it is not JSON). */
import type { IncomingMessage } from 'node:http';
import { GatewayError, badRequest } from './errors';
import { LIMITS } from '../../protocol/limits';

export async function readJsonBody(req: IncomingMessage, maxBytes: number = LIMITS.gateway.maxBodyBytes): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('request body is not valid JSON', null, 'invalid_json');
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, `request body over ${maxBytes} bytes`, 'invalid_request_error', null, 'request_too_large');
}
