/**
 * The reference back office: a Fastify HTTP service on its own SQLite database (store.ts).
 * Every /v1 request is authenticated per kiosk (main/backoffice-client/signing.ts) and validated with
 * the zod schemas of api-schema.ts; bad input is answered with a 4xx and a JSON error body
 * `{ error, message }`, never a 500.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Clock } from '../contract/time.js';
import { cardRef } from '../contract/record-crypto.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { HEADER_KIOSK, HEADER_RESPONSE_SIGNATURE, HEADER_SIGNATURE, HEADER_TIME, signResponse, verifyRequestSignature } from '../contract/request-signing.js';
import {
  API_PREFIX,
  BlockedQuery,
  CollectParams,
  CollectRequest,
  IntakeRequest,
  OrdersQueryRequest,
  type BlockedResponseDto,
  type ErrorCodeDto,
} from '../contract/backoffice-api.js';
import { openStore, type BackOfficeStore } from './store.js';

export interface BackOfficeOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  /** SQLite file, or ':memory:'. */
  dbPath: string;
  clock: Clock;
  /** Where "today" is for the order rules; default Europe/Amsterdam. */
  timeZone?: string;
  /** kiosk id -> that kiosk's secret (the same secret the kiosk journal signs with). */
  kiosks: Record<string, string>;
  /** Largest request body accepted (bytes); default 1 MiB. */
  bodyLimit?: number;
  /** Allowed clock difference for signed requests; default 5 minutes. */
  maxSkewMs?: number;
  /** Fastify/pino logger options, or false (default). */
  logger?: boolean | Record<string, unknown>;
  /** Serve https with this key and certificate (PEM); the kiosk pins the CA that issued it. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface BackOfficeServer {
  url: string;
  close(): Promise<void>;
  /** Direct access for testers and tests: add orders and cards, block cards, inspect intake. */
  store: BackOfficeStore;
  app: FastifyInstance;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCodeDto,
    message: string,
  ) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: string;
    kioskId: string;
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
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
function errorReply(err: unknown): { status: number; body: { error: ErrorCodeDto; message: string } } {
  if (err instanceof HttpError) return { status: err.statusCode, body: { error: err.code, message: err.message } };
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return { status, body: { error: 'payload-too-large', message: 'request body too large' } };
  if (status === 415) return { status, body: { error: 'unsupported-media-type', message: 'send application/json' } };
  if (status >= 400 && status < 500) {
    return { status: status === 404 ? 404 : 400, body: { error: status === 404 ? 'not-found' : 'bad-request', message: e.message ?? 'bad request' } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}

export async function startBackOffice(options: BackOfficeOptions): Promise<BackOfficeServer> {
  const { clock, kiosks } = options;
  const store = openStore(options.dbPath, clock, options.timeZone);
  const app = Fastify({
    ...(options.tls ? { https: options.tls } : {}),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Card numbers travel in bodies only, never in URLs, so access logs hold none.
    logger: options.logger ?? false,
  });

  app.decorateRequest('rawBody', '');
  app.decorateRequest('kioskId', '');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, 'bad-request', 'malformed JSON body'), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = errorReply(err);
    if (status >= 500) req.log.error({ err }, 'back office internal error');
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get('/health', async () => ({ ok: true }));
  // Every answer to an authenticated kiosk is signed with its response key (contract/request-signing.ts).
  app.addHook('onSend', async (req, reply, payload) => {
    const sig = req.headers[HEADER_SIGNATURE];
    if (req.kioskId && typeof sig === 'string' && typeof payload === 'string')
      reply.header(HEADER_RESPONSE_SIGNATURE, signResponse({ secret: kiosks[req.kioskId]!, requestSignature: sig, status: reply.statusCode, body: payload }));
    return payload;
  });

  app.addHook('preHandler', async (req: FastifyRequest) => {
    if (!req.url.startsWith(`${API_PREFIX}/`)) return;
    const kioskId = req.headers[HEADER_KIOSK];
    const secret = typeof kioskId === 'string' && Object.hasOwn(kiosks, kioskId) ? kiosks[kioskId] : undefined;
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    if (secret === undefined) throw new HttpError(401, 'unauthorized', 'unknown kiosk or bad signature');
    const check = verifyRequestSignature({
      secret,
      method: req.method,
      pathWithQuery: req.url,
      body: req.rawBody,
      time: header(HEADER_TIME),
      signature: header(HEADER_SIGNATURE),
      now: clock.now(),
      ...(options.maxSkewMs !== undefined ? { maxSkewMs: options.maxSkewMs } : {}),
    });
    if (!check.ok) {
      if (check.reason === 'stale') throw new HttpError(401, 'stale-request', 'request time too far from the back office clock');
      throw new HttpError(401, 'unauthorized', 'unknown kiosk or bad signature');
    }
    req.kioskId = kioskId as string;
  });

  app.post(`${API_PREFIX}/orders/query`, async (req) => {
    const { cardNumber } = parse(OrdersQueryRequest, req.body, 'body');
    return { orders: store.pendingOrders(cardNumber) };
  });

  app.post(`${API_PREFIX}/orders/:orderId/collect`, async (req, reply: FastifyReply) => {
    const { orderId } = parse(CollectParams, req.params, 'path');
    const { cardNumber, operationId } = parse(CollectRequest, req.body, 'body');
    const r = store.collect(orderId, cardNumber, req.kioskId, operationId);
    if (!r.ok) {
      const status = r.error === 'unknown-order' ? 404 : 409;
      return reply.code(status).send({ error: r.error, message: r.message });
    }
    return { orderId, collected: true, alreadyCollected: r.alreadyCollected };
  });

  app.get(`${API_PREFIX}/blocked`, async (req): Promise<BlockedResponseDto> => {
    const query = parse(BlockedQuery, req.query, 'query');
    const secret = kiosks[req.kioskId]!;
    // A kiosk ahead of this back office (its cache came from another database) starts over.
    const reset = query.since > store.blockedVersion();
    const since = reset ? 0 : query.since;
    const rows = store.blockedChanges(since, query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      version: page.length > 0 ? page[page.length - 1]!.version : since,
      changes: page.map((c) => ({ version: c.version, cardHash: cardRef(c.cardNumber, secret).hash, blocked: c.blocked })),
      more: rows.length > query.limit,
      reset,
    };
  });

  app.post(`${API_PREFIX}/journal`, async (req) => {
    const { records } = parse(IntakeRequest, req.body, 'body');
    return store.intake(req.kioskId, kiosks[req.kioskId]!, records as JournalRecord[]);
  });

  app.get(`${API_PREFIX}/journal/status`, async (req) => store.intakeStatus(req.kioskId));

  try {
    await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  } catch (e) {
    store.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    store,
    app,
    async close() {
      await app.close();
      store.close();
    },
  };
}
