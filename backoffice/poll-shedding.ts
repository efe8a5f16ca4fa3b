/**
 * Early load shedding on the routes every kiosk calls periodically (issue 10 item 6): the
 * blocked-list poll (GET /v1/blocked), the technician list (GET /v1/technicians) and the heartbeat
 * (POST /v1/heartbeat). Measured: 5,000 kiosks polling one starved process got their answers after
 * their 10 s timeout, so every poll the process still answered was wasted work and it collapsed
 * (backoffice/README.md "Fleet figures", 387 of 5,000 informed). Now a saturated process answers
 * 503 `overloaded` + Retry-After at once, in `onRequest` — before the body is read, before the
 * signature check (its key lookup is a database query) and before any database work.
 *
 * Saturated means either
 * - more than `maxInFlight` poll requests already at work in this process (counted with the journal's
 *   IntakeGate with no queue: a slot or a 503, never a wait), or
 * - the event loop running late by more than `maxEventLoopDelayMs` (the mean delay over the last
 *   sample): the process is not getting the CPU to answer in time, whatever it has in flight. This
 *   is measured by `@fastify/under-pressure` (a well-kept Fastify plugin: monitorEventLoopDelay
 *   sampling), with a `pressureHandler` that sheds the poll routes only: the journal has its own
 *   gate, and order queries and collections (a traveller waiting) are never shed here.
 *
 * A shed answer is not signed (the kiosk is not even known yet); the kiosk's client accepts an
 * unsigned 503 only as "wait" (main/backoffice-client/http-client.ts), never as data.
 */
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_PREFIX } from '../contract/backoffice-api.js';
import { IntakeGate } from './intake-gate.js';

/** The periodic kiosk routes shed under load, as `METHOD url` of the matched route. */
export const POLL_ROUTES: ReadonlySet<string> = new Set([`GET ${API_PREFIX}/blocked`, `GET ${API_PREFIX}/technicians`, `POST ${API_PREFIX}/heartbeat`]);

/**
 * The limits, validated at start (unsafe values refused, never silently clamped):
 * - maxInFlight 1..10,000 (0 would shed every poll: no kiosk would ever get its blocked list);
 * - maxEventLoopDelayMs 20..9,000: below 20 ms ordinary GC pauses would shed; at or past the
 *   kiosk's 10 s request timeout the answer comes too late to be of use, which is what shedding prevents;
 * - retryAfterS 1..300 (the kiosk caps Retry-After at 5 minutes);
 * - sampleIntervalMs 10..5,000: how often the event-loop delay is sampled.
 */
export const PollSheddingSettings = z.strictObject({
  maxInFlight: z.number().int().min(1).max(10_000).default(64),
  maxEventLoopDelayMs: z.number().int().min(20).max(9_000).default(2_000),
  retryAfterS: z.number().int().min(1).max(300).default(5),
  sampleIntervalMs: z.number().int().min(10).max(5_000).default(500),
});
export type PollSheddingOptions = z.input<typeof PollSheddingSettings>;
export type PollShedding = z.output<typeof PollSheddingSettings>;

/** Validated settings or an error naming what is wrong (fail closed: the back office does not start). */
export function pollSheddingSettings(o: PollSheddingOptions = {}): PollShedding {
  const r = PollSheddingSettings.safeParse(o);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`poll shedding: ${i.path.join('.') || 'settings'}: ${i.message}`);
  }
  return r.data;
}

export interface PollLoad {
  /** Poll requests at work now. */
  inFlight: number;
  /** Turned away so far because too many were in flight / because the event loop ran late. */
  shedInFlight: number;
  shedEventLoop: number;
  /** The event-loop delay (ms) as last sampled. */
  eventLoopDelayMs: number;
}

function isPoll(req: FastifyRequest): boolean {
  return POLL_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ''}`);
}

const OVERLOADED = { error: 'overloaded', message: 'the back office is saturated: poll again after Retry-After seconds (the cached list stays in use)' } as const;

/** Register the shedding on `app` (before it is ready); returns the live figures. */
export function registerPollShedding(app: FastifyInstance, settings: PollShedding): () => PollLoad {
  const gate = new IntakeGate(settings.maxInFlight, 0, 0);
  let shedEventLoop = 0;
  const retryAfter = String(settings.retryAfterS);

  void app.register(underPressure, {
    maxEventLoopDelay: settings.maxEventLoopDelayMs,
    sampleInterval: settings.sampleIntervalMs,
    // Only the poll routes are turned away; any other route goes on (undefined: the plugin calls
    // next()). A value returned is what the plugin sends as the answer and the request stops there
    // (index.js handlePressure: `reply.send(result)`, no next()); its typings say void only, hence
    // the cast. Sending here ourselves instead would let next() run the route anyway while the
    // async onSend hook is still signing.
    pressureHandler: ((req: FastifyRequest, reply: FastifyReply) => {
      if (!isPoll(req)) return undefined;
      shedEventLoop++;
      void reply.code(503).header('retry-after', retryAfter);
      return OVERLOADED;
    }) as unknown as (req: FastifyRequest, reply: FastifyReply) => void,
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!isPoll(req)) return;
    if (!(await gate.enter())) return reply.code(503).header('retry-after', retryAfter).send(OVERLOADED);
    // The slot is given back once ('close' comes once per response), when the answer is done or
    // the connection closed (a kiosk that timed out and went away does not keep a slot).
    reply.raw.once('close', () => gate.leave());
  });

  return () => ({
    inFlight: gate.running,
    shedInFlight: gate.shed,
    shedEventLoop,
    eventLoopDelayMs: app.hasDecorator('memoryUsage') ? (app as unknown as { memoryUsage(): { eventLoopDelay: number } }).memoryUsage().eventLoopDelay : 0,
  });
}
