/**
 * The browser host: the same kiosk core served over HTTP + WebSocket, for Chromium in kiosk mode
 * and for end-to-end tests. A thin adapter, like the Electron shell:
 * - GET /            the built renderer (dist/renderer, vite build output), with a CSP header;
 * - WS  /bridge      the bridge contract: server -> client {type:'snapshot', snapshot};
 *                    client -> server {type:'event', id, event}; server -> client {type:'result', id, result}.
 *                    Every inbound message is validated; bad JSON or a wrong shape gets a typed
 *                    error result (id null when none could be read), never a crash;
 * - /tester/*        the tester API for emulated hardware (absent on real hardware):
 *                    GET state, POST card/present {fixtureId}, POST card/remove,
 *                    POST terminal/behaviour {behaviour}, POST backoffice {reachable}, POST reset,
 *                    GET ledger.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { FIXTURE_CARD_IDS, type FixtureCardId } from '../../contract/fixture-cards.js';
import { terminalBehaviourSchema } from '../../hardware/payment/config.js';
import type { Kiosk } from '../composition.js';
import type { KioskSnapshot, SendResult } from '../../contract/bridge.js';
import { KIOSK_CSP } from '../core/csp.js';
import { KIOSK_VERSION, type KioskVersion } from '../version.js';


export interface BrowserHostOptions {
  kiosk: Pick<Kiosk, 'bridge' | 'tester'>;
  /** Default 127.0.0.1 (the kiosk's own browser is the only client). */
  host?: string;
  /** Default 8765; 0 picks a free port. */
  port?: number;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  log: Logger;
  /** Shown on /health; default the running kiosk's (main/version.ts). */
  version?: KioskVersion;
}

export interface BrowserHost {
  /** e.g. http://127.0.0.1:8765 */
  url: string;
  port: number;
  close(): Promise<void>;
}

const inboundSchema = z.object({
  type: z.literal('event'),
  id: z.union([z.number().int(), z.string().min(1).max(64)]),
  event: z.unknown(),
});

const presentSchema = z.object({ fixtureId: z.enum(FIXTURE_CARD_IDS as [FixtureCardId, ...FixtureCardId[]]) });
const behaviourSchema = z.object({ behaviour: terminalBehaviourSchema });
const backOfficeSchema = z.object({ reachable: z.boolean() });

class BadRequest extends Error {
  readonly statusCode = 400;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new BadRequest(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function registerTesterApi(app: FastifyInstance, kiosk: BrowserHostOptions['kiosk'], latest: () => KioskSnapshot): void {
  const tester = kiosk.tester;
  const unavailable = { error: 'tester-unavailable', message: 'the tester API exists only on emulated or wire hardware' };
  const card = () => {
    if (!tester?.card) throw Object.assign(new Error(unavailable.message), { statusCode: 404, code: unavailable.error });
    return tester.card;
  };
  const terminal = () => {
    if (!tester?.terminal) throw Object.assign(new Error(unavailable.message), { statusCode: 404, code: unavailable.error });
    return tester.terminal;
  };

  app.get('/tester/state', async () => ({
    snapshot: latest(),
    card: tester?.card ? { fixtures: tester.card.fixtures(), presented: tester.card.presented() ?? null } : null,
    terminal: tester?.terminal ? { behaviour: tester.terminal.behaviour(), behaviours: tester.terminal.behaviours() } : null,
    backOffice: tester ? { reachable: tester.backOffice.reachable() } : null,
  }));
  app.post('/tester/backoffice', async (req) => {
    const { reachable } = parseBody(backOfficeSchema, req.body);
    if (!tester) throw Object.assign(new Error(unavailable.message), { statusCode: 404, code: unavailable.error });
    tester.backOffice.setReachable(reachable);
    return { ok: true, reachable };
  });
  app.post('/tester/card/present', async (req) => {
    const { fixtureId } = parseBody(presentSchema, req.body);
    await card().present(fixtureId);
    return { ok: true, presented: fixtureId };
  });
  app.post('/tester/card/remove', async () => {
    await card().remove();
    return { ok: true };
  });
  app.post('/tester/terminal/behaviour', async (req) => {
    const { behaviour } = parseBody(behaviourSchema, req.body);
    terminal().setBehaviour(behaviour);
    return { ok: true, behaviour };
  });
  app.post('/tester/reset', async () => {
    if (!tester) throw Object.assign(new Error(unavailable.message), { statusCode: 404, code: unavailable.error });
    await tester.reset();
    return { ok: true };
  });
  app.get('/tester/ledger', async () => ({ ledger: terminal().ledger() }));
}

function attachBridge(app: FastifyInstance, kiosk: BrowserHostOptions['kiosk'], log: Logger): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname !== '/bridge') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // Only pages this host served may drive the kiosk (no cross-site WebSocket hijacking).
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let sameOrigin = false;
      try {
        sameOrigin = new URL(origin).host === req.headers.host;
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin) {
        log.warn({ origin }, 'bridge connection from another origin refused');
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  // Heartbeat: a screen whose connection died without a goodbye (cable, sleep) is dropped, so its
  // snapshot subscription does not linger.
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, 30_000);
  heartbeat.unref();
  wss.on('close', () => clearInterval(heartbeat));

  wss.on('connection', (ws: WebSocket) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    const sendJson = (msg: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const unsubscribe = kiosk.bridge.subscribe((snapshot) => sendJson({ type: 'snapshot', snapshot }));
    ws.on('message', (data, isBinary) => {
      let id: number | string | null = null;
      let result: SendResult;
      try {
        if (isBinary) throw new Error('binary frames are not part of the bridge');
        let parsedJson: unknown;
        try {
          parsedJson = JSON.parse(data.toString());
        } catch {
          throw new Error('message is not valid JSON');
        }
        const msg = inboundSchema.safeParse(parsedJson);
        if (!msg.success) {
          const rawId = (parsedJson as { id?: unknown } | null)?.id;
          if (typeof rawId === 'number' || (typeof rawId === 'string' && rawId.length <= 64)) id = rawId;
          throw new Error(`message must be {type:'event', id, event}: ${msg.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`);
        }
        id = msg.data.id;
        result = kiosk.bridge.send(msg.data.event);
      } catch (e) {
        result = { ok: false, error: 'invalid-event', detail: (e as Error).message };
      }
      sendJson({ type: 'result', id, result });
    });
    ws.on('close', unsubscribe);
    ws.on('error', (e) => {
      log.warn({ err: e.message }, 'bridge socket error');
      unsubscribe();
    });
  });
  return wss;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { kiosk, log } = options;
  const app = Fastify({
    // Request logs at warn: a kiosk's own screen loading is not news.
    loggerInstance: log.child({ component: 'browser-host' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 16 * 1024,
  });

  let latest: KioskSnapshot | undefined;
  const unsubscribeLatest = kiosk.bridge.subscribe((s) => (latest = s));

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Content-Security-Policy', KIOSK_CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
    return payload;
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) log.error({ err: err.message }, 'browser host error');
    void reply.code(status).send({ error: status === 404 ? (err.code ?? 'not-found') : status < 500 ? 'bad-request' : 'internal', message: err.message });
  });

  const rendererDir = path.resolve(options.rendererDir);
  const indexFile = path.join(rendererDir, 'index.html');
  if (existsSync(indexFile)) {
    await app.register(fastifyStatic, { root: rendererDir, index: ['index.html'], wildcard: true });
  } else {
    log.warn({ rendererDir }, 'renderer not built: run `npm run build:renderer`');
    app.get('/', async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(`The kiosk screen is not built. Run: npm run build:renderer (expected ${indexFile})\n`),
    );
  }
  registerTesterApi(app, kiosk, () => latest!);
  const version = options.version ?? KIOSK_VERSION;
  app.get('/health', async () => ({ ok: true, screen: latest?.screen ?? null, version: version.version, build: version.build, builtAt: version.builtAt }));

  const wss = attachBridge(app, kiosk, log);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8765 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8765);
  const shownHost = (options.host ?? '127.0.0.1') === '0.0.0.0' ? '127.0.0.1' : (options.host ?? '127.0.0.1');
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  log.info({ url }, 'browser host listening');

  return {
    url,
    port,
    async close() {
      unsubscribeLatest();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await app.close();
    },
  };
}
