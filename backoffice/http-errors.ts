/** Errors as the back office answers them: a clear 4xx with `{ error, message }`, 503 when the
 * database is away, 500 only for real bugs. */
import type { z } from 'zod';
import type { ErrorCodeDto } from '../contract/backoffice-api.js';
import { DatabaseUnavailableError } from './db/engine.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCodeDto,
    message: string,
  ) {
    super(message);
  }
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const detail = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || what}: ${i.message}`)
      .join('; ');
    throw new HttpError(400, 'bad-request', `invalid ${what}: ${detail}`);
  }
  return r.data;
}

/** Map any error Fastify raises on bad input to a clear 4xx; only real bugs become 500. */
export function errorReply(err: unknown): { status: number; body: { error: ErrorCodeDto; message: string } } {
  if (err instanceof HttpError) return { status: err.statusCode, body: { error: err.code, message: err.message } };
  if (err instanceof DatabaseUnavailableError) {
    return { status: 503, body: { error: 'unavailable', message: 'database unavailable: nothing was stored, try again later' } };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return { status, body: { error: 'payload-too-large', message: 'request body too large' } };
  if (status === 415) return { status, body: { error: 'unsupported-media-type', message: 'send application/json' } };
  if (status >= 400 && status < 500) {
    return { status: status === 404 ? 404 : 400, body: { error: status === 404 ? 'not-found' : 'bad-request', message: e.message ?? 'bad request' } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}
