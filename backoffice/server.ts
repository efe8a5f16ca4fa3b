/**
 * The reference back office: a Fastify HTTP service on PostgreSQL (startPgBackOffice: a server or
 * the embedded PGlite, db/) or, for the kiosk's in-process development back office, on its SQLite
 * file (startBackOffice, store.ts). Both serve the same routes over the same async store interface.
 * Every /v1 request is authenticated per kiosk (contract/request-signing.ts) and validated with
 * the zod schemas of contract/backoffice-api.ts; bad input is answered with a 4xx and a JSON error body
 * `{ error, message }`, never a 500.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock } from '../contract/time.js';
import { cardRef } from '../contract/record-crypto.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { DEFAULT_MAX_SKEW_MS, HEADER_KIOSK, HEADER_RESPONSE_SIGNATURE, HEADER_SIGNATURE, HEADER_TIME, signResponse, verifyRequestSignature } from '../contract/request-signing.js';
import {
  API_PREFIX,
  BlockedQuery,
  CollectParams,
  CollectRequest,
  OrdersQueryRequest,
  type BlockedResponseDto,
} from '../contract/backoffice-api.js';
import { openStore, type BackOfficeStore } from './store.js';
import { HttpError, errorReply, parse } from './http-errors.js';
import { DEFAULT_INTAKE_QUEUE, IntakeGate, RetrySchedule, type IntakeGateOptions } from './intake-gate.js';
import { pollSheddingSettings, registerPollShedding, type PollLoad, type PollSheddingOptions } from './poll-shedding.js';
import { openDatabase, type Db } from './db/engine.js';
import { openPgStore, type AsyncBackOfficeStore, type PgStore } from './db/pg-store.js';
import { candidateKeys, intakeKeysOf, type KioskKey } from './kiosk-keys.js';
import { registerEnrollmentRoutes } from './enrollment-routes.js';
import { checkOperatorRequest, checkOperators, registerOperatorRoutes } from './operator-routes.js';
import { storedRecordOf, type ReconSettings } from './reconciliation.js';
import { registerFleetRoutes } from './fleet-routes.js';
import { seedFixtureTechnicians, type TechnicianSigning } from './technicians.js';
import type { FleetSettings } from './fleet.js';
import { parseIntakeRequest } from './intake-validation.js';

export type { IntakeGateOptions, PollLoad, PollSheddingOptions };

export interface BackOfficeOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  /** SQLite file, or ':memory:'. */
  dbPath: string;
  clock: Clock;
  /** Where "today" is for the order rules; default Europe/Amsterdam. */
  timeZone?: string;
  /** kiosk id -> that kiosk's secret (the same secret the kiosk journal signs with). Configured
   * kiosks; enrolled ones (kiosk-keys.ts) are in the store. */
  kiosks: Record<string, string>;
  /** Largest request body accepted (bytes); default 1 MiB. */
  bodyLimit?: number;
  /** Allowed clock difference for signed requests; default 5 minutes. */
  maxSkewMs?: number;
  /** Fastify/pino logger options, or false (default). */
  logger?: boolean | Record<string, unknown>;
  /** Serve https with this key and certificate (PEM); the kiosk pins the CA that issued it. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Operator id -> token (>= 32 characters) for the operator routes (operator-routes.ts); none: they answer 401. */
  operators?: Record<string, string>;
  /** Reconciliation (reconciliation.ts); `sweepEveryMs` runs its sweep periodically (default 60 s; 0 = never). */
  reconciliation?: ReconSettings & { sweepEveryMs?: number };
  /** Issue 13: the operator's Ed25519 key: issuing a technician with a card UID also answers their signed credential. */
  technicianSigning?: TechnicianSigning;
  /** Issue 13: when a kiosk counts as silent or behind on the fleet page (fleet.ts). */
  fleet?: FleetSettings;
  /** Issue 13: put the fixture technicians (contract/fixture-technicians.ts) on an empty list —
   * the embedded back office of emulated/wire kiosks only, never a real one. Default false. */
  seedTechnicians?: boolean;
  /** Issue 10: early 503 + Retry-After on the periodic kiosk routes when saturated (poll-shedding.ts).
   * The PostgreSQL back office always sheds (these settings or their defaults); the SQLite one only
   * when given (the kiosk's in-process development back office shares the kiosk's event loop). */
  pollShedding?: PollSheddingOptions;
}

export interface BackOfficeServer {
  url: string;
  close(): Promise<void>;
  /** Direct access for testers and tests: add orders and cards, block cards, inspect intake. */
  store: BackOfficeStore;
  app: FastifyInstance;
  /** Poll shedding's figures (undefined when it is off). */
  pollLoad(): PollLoad | undefined;
}

export interface PgBackOfficeOptions extends Omit<BackOfficeOptions, 'dbPath'> {
  /** `postgres://…`, `pglite:memory`, `pglite:PATH` (engine.ts openDatabase), or an open Db. */
  database: string | Db;
  /** Pool size per process (server only); default 10. */
  poolSize?: number;
  /** Seed the fixture cards and orders (default true). */
  seedFixtures?: boolean;
  /** Backpressure, see IntakeGate. */
  intake?: IntakeGateOptions;
}

export interface PgBackOfficeServer {
  url: string;
  /** Stop taking requests, let in-flight ones finish (at most `drainMs`), then close the database. */
  close(drainMs?: number): Promise<void>;
  store: PgStore;
  app: FastifyInstance;
  /** Intake requests running / waiting now, and how many were turned away (503) so far. */
  load(): { running: number; waiting: number; shed: number };
  /** Poll requests in flight and how many were shed (poll-shedding.ts). */
  pollLoad(): PollLoad;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call a route. Decided on the route the router matched (whatever spelling of its
     * path reached it), never on the raw URL; a route that does not say is kiosk-only. */
    auth?: 'kiosk' | 'public' | 'operator';
  }
  interface FastifyRequest {
    rawBody: string;
    kioskId: string;
    /** The key the request verified under (its secret signs the answer, checks the records). */
    kioskKey: KioskKey;
  }
}

/** The legacy in-process back office on a SQLite file (the kiosk's `npm start` and its tests). */
export async function startBackOffice(options: BackOfficeOptions): Promise<BackOfficeServer> {
  checkOperators(options.operators);
  const store = openStore(options.dbPath, options.clock, options.timeZone, { secretOf: secretsOf(options.kiosks), ...options.reconciliation, ...(options.fleet ? { fleet: options.fleet } : {}) });
  const asyncStore = asAsync(store);
  try {
    if (options.seedTechnicians) await seedFixtureTechnicians(store.technicians);
  } catch (e) {
    store.close();
    throw e;
  }
  const gate = new IntakeGate(Number.POSITIVE_INFINITY, 0, Number.POSITIVE_INFINITY);
  let app: FastifyInstance;
  const poll: { load?: () => PollLoad } = {};
  try {
    const shedding = options.pollShedding ? pollSheddingSettings(options.pollShedding) : undefined;
    app = await listen(buildApp(asyncStore, { ...options, ...(shedding ? { shedding } : {}) }, gate, poll), options);
  } catch (e) {
    store.close();
    throw e;
  }
  const stopSweep = startSweep(asyncStore, options);
  return {
    url: urlOf(app, options),
    store,
    app,
    pollLoad: () => poll.load?.(),
    async close() {
      stopSweep();
      await app.close();
      store.close();
    },
  };
}

/** The back office on PostgreSQL (a server, or PGlite embedded). Stateless: run several. */
export async function startPgBackOffice(options: PgBackOfficeOptions): Promise<PgBackOfficeServer> {
  checkOperators(options.operators);
  const shedding = pollSheddingSettings(options.pollShedding); // refused before anything is opened
  const db = typeof options.database === 'string' ? await openDatabase(options.database, { ...(options.poolSize ? { max: options.poolSize } : {}) }) : options.database;
  let store: PgStore;
  try {
    store = await openPgStore({ db, clock: options.clock, ...(options.timeZone ? { timeZone: options.timeZone } : {}), seedFixtures: options.seedFixtures ?? true, secretOf: secretsOf(options.kiosks), ...(options.reconciliation ? { reconciliation: options.reconciliation } : {}), ...(options.fleet ? { fleet: options.fleet } : {}) });
    if (options.seedTechnicians) await seedFixtureTechnicians(store.technicians);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  const g = options.intake ?? {};
  const gate = new IntakeGate(g.concurrency ?? 8, g.maxWaiting ?? DEFAULT_INTAKE_QUEUE, g.maxWaitMs ?? 3000);
  const retry = new RetrySchedule({ minS: g.retryAfterS ?? 2, maxS: g.maxRetryAfterS ?? 120, minRatePerS: g.minRetryRate ?? 100 }, () => performance.now());
  let app: FastifyInstance;
  const poll: { load?: () => PollLoad } = {};
  try {
    app = await listen(buildApp(store, { ...options, retryAfterS: g.retryAfterS ?? 2, shedding }, gate, poll, retry), options);
  } catch (e) {
    await store.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const stopSweep = startSweep(store, options);
  return {
    url: urlOf(app, options),
    store,
    app,
    load: () => ({ running: gate.running, waiting: gate.queued, shed: gate.shed }),
    pollLoad: () => poll.load!(),
    close(drainMs = 10_000) {
      closing ??= (async () => {
        stopSweep();
        gate.close();
        // app.close() stops accepting, answers new requests on open connections with 503 and waits
        // for the in-flight ones; past drainMs the remaining connections are cut (their
        // transactions roll back: the kiosk resends, nothing half-stored).
        const timer = setTimeout(() => app.server.closeAllConnections(), drainMs);
        try {
          await app.close();
        } finally {
          clearTimeout(timer);
        }
        await store.close();
      })();
      return closing;
    },
  };
}

function secretsOf(kiosks: Record<string, string>) {
  return (kioskId: string) => (Object.hasOwn(kiosks, kioskId) ? kiosks[kioskId] : undefined);
}

/** Reconciliation's periodic sweep (cases only time reveals); failures wait for the next round. */
function startSweep(store: AsyncBackOfficeStore, options: { reconciliation?: { sweepEveryMs?: number } }): () => void {
  const every = options.reconciliation?.sweepEveryMs ?? 60_000;
  if (every <= 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    store.recon
      .sweep()
      .catch((e) => console.error(`reconciliation sweep failed: ${String(e)}`))
      .finally(() => (running = false));
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

function asAsync(s: BackOfficeStore): AsyncBackOfficeStore {
  return {
    recon: s.recon,
    // Pending credits of this card become orders now that its number is known (reconciliation.ts).
    pendingOrders: async (c) => {
      if (!s.isBlocked(c)) await s.recon.bindCredits(c);
      return s.pendingOrders(c);
    },
    collect: async (o, c, k, op) => s.collect(o, c, k, op),
    blockedChanges: async (since, limit) => s.blockedChanges(since, limit),
    blockedVersion: async () => s.blockedVersion(),
    isBlocked: async (c) => s.isBlocked(c),
    setBlocked: async (c, b) => s.setBlocked(c, b),
    addCard: async (c, k, r) => s.addCard(c, k, r),
    addOrder: async (o) => s.addOrder(o),
    intake: async (k, sec, r) => {
      const res = s.intake(k, sec, r);
      // Derived state with its own cursor: a failure here leaves the records stored; the next intake or sweep resumes.
      const stored = new Set(res.results.filter((x) => x.status === 'accepted').map((x) => x.seq));
      await s.recon.reconcileKiosk(k, res.contiguousSeq, r.filter((x) => stored.has(x.seq)).map(storedRecordOf)).catch((e) => console.error(`reconciliation of ${k} deferred: ${String(e)}`));
      return res;
    },
    intakeStatus: async (k) => s.intakeStatus(k),
    journalRecords: async (k) => s.journalRecords(k),
    order: async (o) => s.order(o),
    restoreFixtureOrders: async () => s.restoreFixtureOrders(),
    keys: s.keys,
    technicians: s.technicians,
    fleet: s.fleet,
    close: async () => s.close(),
  };
}

async function listen(app: FastifyInstance, options: { port: number; host?: string }): Promise<FastifyInstance> {
  await app.listen({ port: options.port, host: options.host ?? '127.0.0.1', backlog: 4096 });
  return app;
}

function urlOf(app: FastifyInstance, options: { port: number; host?: string; tls?: unknown }): string {
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  const host = options.host ?? '127.0.0.1';
  return `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function buildApp(
  store: AsyncBackOfficeStore,
  options: Omit<BackOfficeOptions, 'dbPath'> & { retryAfterS?: number; shedding?: ReturnType<typeof pollSheddingSettings> },
  gate: IntakeGate,
  poll: { load?: () => PollLoad },
  retry?: RetrySchedule,
): FastifyInstance {
  const { clock, kiosks } = options;
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const app = Fastify({
    ...(options.tls ? { https: options.tls } : {}),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Card numbers travel in bodies only, never in URLs, so access logs hold none.
    logger: options.logger ?? false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // First of all hooks: a saturated process turns polls away before any other work (poll-shedding.ts).
  if (options.shedding) poll.load = registerPollShedding(app, options.shedding);
  app.decorateRequest('rawBody', '');
  app.decorateRequest('kioskId', '');
  app.decorateRequest('kioskKey', undefined as unknown as KioskKey);
  app.decorateRequest('operatorId', '');
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
    if (status === 503) void reply.header('retry-after', String(options.retryAfterS ?? 2));
    if (status === 500) req.log.error({ err }, 'back office internal error');
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get('/health', { config: { auth: 'public' } }, async () => ({ ok: true }));
  // Every answer to an authenticated kiosk is signed with its response key (contract/request-signing.ts).
  app.addHook('onSend', async (req, reply, payload) => {
    const sig = req.headers[HEADER_SIGNATURE];
    if (req.kioskId && typeof sig === 'string' && typeof payload === 'string')
      reply.header(HEADER_RESPONSE_SIGNATURE, signResponse({ secret: req.kioskKey.secret, requestSignature: sig, status: reply.statusCode, body: payload }));
    return payload;
  });

  // Authentication is decided on the matched route: every route is signed-kiosk-only unless it was
  // registered `auth: 'public'` (/health, and /v1/enroll whose token proof is its authentication) or
  // `auth: 'operator'` (HTTP Basic operator id + token, operator-routes.ts: one check for every operator route). The raw URL is never consulted, so a percent-encoded,
  // doubled-slash or otherwise odd spelling of a route gets the same check as its plain spelling.
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = req.routeOptions.config?.auth;
    if (auth === 'public') return;
    if (auth === 'operator') return checkOperatorRequest(req, reply, options.operators ?? {});
    const kioskId = req.headers[HEADER_KIOSK];
    // Configured (key id 0) or enrolled keys: the active one, and a pending one after a rotation.
    const keys = typeof kioskId === 'string' ? await candidateKeys(store.keys, kiosks, kioskId) : [];
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    let stale = false;
    const key = keys.find((k) => {
      const check = verifyRequestSignature({
        secret: k.secret,
        method: req.method,
        pathWithQuery: req.url,
        body: req.rawBody,
        time: header(HEADER_TIME),
        signature: header(HEADER_SIGNATURE),
        now: clock.now(),
        ...(options.maxSkewMs !== undefined ? { maxSkewMs: options.maxSkewMs } : {}),
      });
      if (!check.ok && check.reason === 'stale') stale = true;
      return check.ok;
    });
    if (!key) {
      if (stale) throw new HttpError(401, 'stale-request', 'request time too far from the back office clock');
      throw new HttpError(401, 'unauthorized', 'unknown kiosk or bad signature');
    }
    // The first request under a rotated (pending) key confirms it: from now on the old key is refused.
    if (key.state === 'pending' && !(await store.keys.confirmKey(kioskId as string, key.keyId, clock.now()))) {
      const now = await store.keys.kioskKeys(kioskId as string);
      if (!now.some((k) => k.keyId === key.keyId && k.state === 'active')) throw new HttpError(401, 'unauthorized', 'unknown kiosk or bad signature');
    }
    req.kioskId = kioskId as string;
    req.kioskKey = key;
  });

  registerEnrollmentRoutes(app, store, { clock, kiosks });

  app.post(`${API_PREFIX}/orders/query`, async (req) => {
    const { cardNumber } = parse(OrdersQueryRequest, req.body, 'body');
    return { orders: await store.pendingOrders(cardNumber) };
  });

  app.post(`${API_PREFIX}/orders/:orderId/collect`, async (req, reply: FastifyReply) => {
    const { orderId } = parse(CollectParams, req.params, 'path');
    const { cardNumber, operationId } = parse(CollectRequest, req.body, 'body');
    const r = await store.collect(orderId, cardNumber, req.kioskId, operationId);
    if (!r.ok) {
      const status = r.error === 'unknown-order' ? 404 : 409;
      return reply.code(status).send({ error: r.error, message: r.message });
    }
    return { orderId, collected: true, alreadyCollected: r.alreadyCollected };
  });

  app.get(`${API_PREFIX}/blocked`, async (req): Promise<BlockedResponseDto> => {
    const query = parse(BlockedQuery, req.query, 'query');
    // Card hashes are keyed with the kiosk's original key, never the rotated request key (kiosk-keys.ts).
    const secret = (await intakeKeysOf(store.keys, kiosks, req.kioskId, maxSkewMs))?.card ?? req.kioskKey.secret;
    // A kiosk ahead of this back office (its cache came from another database) starts over.
    const reset = query.since > (await store.blockedVersion());
    const since = reset ? 0 : query.since;
    const rows = await store.blockedChanges(since, query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      version: page.length > 0 ? page[page.length - 1]!.version : since,
      changes: page.map((c) => ({ version: c.version, cardHash: cardRef(c.cardNumber, secret).hash, blocked: c.blocked })),
      more: rows.length > query.limit,
      reset,
    };
  });

  // Backpressure before the body is even read: parsing, validating and checking the records of a
  // batch is most of its cost, so a saturated process turns it away first (503 + Retry-After).
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' || req.routeOptions.url !== `${API_PREFIX}/journal`) return;
    if (!(await gate.enter())) {
      return reply
        .code(503)
        .header('retry-after', String(retry ? retry.retryAfterS() : (options.retryAfterS ?? 2)))
        .send({ error: 'overloaded', message: 'the back office is saturated: send this batch again after Retry-After seconds' });
    }
    // The slot is given back exactly once, when the response is done or its connection closed
    // (a kiosk that timed out and went away must not keep a slot).
    let held = true;
    const giveBack = () => {
      if (held) {
        held = false;
        gate.leave();
      }
    };
    // A kiosk that gave up while its batch waited for a slot: its connection is already closed,
    // and 'close' will not come again.
    if (req.raw.destroyed || reply.raw.closed || req.raw.socket?.destroyed) {
      giveBack();
      return reply.code(503).header('retry-after', String(options.retryAfterS ?? 2)).send({ error: 'overloaded', message: 'gone while waiting' });
    }
    reply.raw.once('close', () => {
      retry?.completed();
      giveBack();
    });
  });

  app.post(`${API_PREFIX}/journal`, async (req) => {
    // Compiled from IntakeRequest; zod decides whatever the compiled check refuses (intake-validation.ts).
    const { records } = await parseIntakeRequest(req.body);
    // Each record under the key it names (key rotation), looked up by (kiosk, keyId): kiosk-keys.ts.
    const keys = await intakeKeysOf(store.keys, kiosks, req.kioskId, maxSkewMs);
    if (!keys) throw new HttpError(401, 'unauthorized', 'unknown kiosk or bad signature');
    return store.intake(req.kioskId, keys, records as JournalRecord[]);
  });

  app.get(`${API_PREFIX}/journal/status`, async (req) => store.intakeStatus(req.kioskId));

  registerOperatorRoutes(app, store.recon, options.operators ?? {});
  registerFleetRoutes(app, store, { clock, kiosks, ...(options.technicianSigning ? { technicianSigning: options.technicianSigning } : {}) });

  return app;
}

