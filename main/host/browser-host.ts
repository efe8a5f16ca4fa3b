/**
 * The browser host: the same kiosk core served over HTTP + WebSocket, for Chromium in kiosk mode
 * and for end-to-end tests. A thin adapter, like the Electron shell:
 * - GET /            the built renderer (dist/renderer, vite build output), with a CSP header;
 * - WS  /bridge      the bridge contract: server -> client {type:'snapshot', snapshot};
 *                    client -> server {type:'event', id, event}; server -> client {type:'result', id, result}.
 *                    Every inbound message is validated; bad JSON or a wrong shape gets a typed
 *                    error result (id null when none could be read), never a crash;
 * - /tester/*        the tester API for emulated hardware, registered only when the kiosk has (or,
 *                    with a promised core, may have: `mayHaveTester`) a
 *                    tester (otherwise the routes do not exist: 404 like any unknown path):
 *                    GET state, POST card/present {fixtureId}, POST card/remove,
 *                    POST terminal/behaviour {behaviour}, POST backoffice {reachable}, POST reset,
 *                    GET ledger.
 *
 * Who may talk to it (issue 11 finding 6; docs/security.md):
 * - Host allowlist: every request and upgrade must name this host as the kiosk's browser does
 *   (127.0.0.1 / localhost / [::1] with the port, or the configured bind address). A page on a
 *   rebinding DNS name carries its own name in Host and is refused (421) before any route runs.
 * - Per-boot token: pages this host serves set an HttpOnly, SameSite=Strict cookie with a token
 *   made at start; the bridge upgrade must carry it. Another site cannot read or send it.
 * - One bridge client: a newer screen (with the token) replaces the previous one, which is closed at
 *   once; never do two clients drive the session or receive its snapshots.
 * - State-changing requests (every non-GET) must be `application/json` (a cross-site form or a
 *   body-less POST cannot be, without a CORS preflight this host never answers) and, when the
 *   browser names an Origin or Sec-Fetch-Site, be same-origin.
 * - With a tester the host binds to loopback only; the printed URL is the address really bound.
 *
 * Listening, the gate and the start page's first files are early-listener.ts's (it listens before
 * this module and its packages are loaded: main/start.ts); this module answers everything once
 * it is ready, on the same server.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, Server } from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { PRESENTABLE_CARD_IDS, type PresentableCardId } from '../../contract/fixture-technicians.js';
import { terminalBehaviourSchema } from '../../hardware/payment/config.js';
import { TESTER_FAULTS, type Kiosk, type TesterFaultName } from '../composition.js';
import type { KioskSnapshot, SendResult } from '../../contract/bridge.js';
import { KIOSK_VERSION, type KioskVersion } from '../version.js';
import { BOOT_COOKIE, listenEarly, type EarlyHost, type Gate, type UpgradeListener } from './early-listener.js';

export { BOOT_COOKIE } from './early-listener.js';


/** What the host needs of the kiosk core. */
export type HostKiosk = Pick<Kiosk, 'bridge' | 'tester'> & Partial<Pick<Kiosk, 'health'>>;

export interface BrowserHostOptions {
  /**
   * The core, or a promise of it (main/start.ts: the host listens, and the kiosk's browser loads
   * the screen, while the core is still being built; the bridge and the tester routes wait for it).
   */
  kiosk: HostKiosk | Promise<HostKiosk>;
  /**
   * With a promised core: whether it may have a tester (config.tester and no real hardware). The
   * tester routes exist only then (they are registered before listening) and answer 404 if the
   * core turns out to have none. Ignored for a core given as it is (its `tester` decides).
   */
  mayHaveTester?: boolean;
  /** Default 127.0.0.1 (the kiosk's own browser is the only client). */
  host?: string;
  /** Default 8765; 0 picks a free port. */
  port?: number;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  log: Logger;
  /** The per-boot bridge token (default: 32 random bytes). Injected by tests. */
  bootToken?: string;
  /** Shown on /health; default the running kiosk's (main/version.ts). */
  version?: KioskVersion;
  /**
   * Already listening (main/start.ts: listenEarly before this module is even loaded): its server,
   * address, token and tester setting are used, and `host`, `port`, `bootToken` and `mayHaveTester`
   * are ignored. Without it the host listens itself, the same way.
   */
  early?: EarlyHost;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

const presentSchema = z.object({ fixtureId: z.enum(PRESENTABLE_CARD_IDS as [PresentableCardId, ...PresentableCardId[]]) });
const behaviourSchema = z.object({ behaviour: terminalBehaviourSchema });
const backOfficeSchema = z.object({ reachable: z.boolean() });
const faultSchema = z.object({ fault: z.enum(TESTER_FAULTS as unknown as [TesterFaultName, ...TesterFaultName[]]), on: z.boolean() });

class BadRequest extends Error {
  readonly statusCode = 400;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new BadRequest(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

type KioskTester = NonNullable<HostKiosk['tester']>;

function registerTesterApi(app: FastifyInstance, testerOf: () => Promise<KioskTester>, latest: () => KioskSnapshot): void {
  const unavailable = { error: 'tester-unavailable', message: 'this device is not emulated here' };
  // Every route waits for the core (already there unless it was promised: main/start.ts).
  const card = async () => {
    const tester = await testerOf();
    if (!tester.card) throw Object.assign(new Error(unavailable.message), { statusCode: 404, code: unavailable.error });
    return tester.card;
  };
  const terminal = async () => {
    const tester = await testerOf();
    if (!tester.terminal) throw Object.assign(new Error(unavailable.message), { statusCode: 404, code: unavailable.error });
    return tester.terminal;
  };

  app.get('/tester/state', async () => {
    const tester = await testerOf();
    return {
      snapshot: latest(),
      card: tester.card ? { fixtures: tester.card.fixtures(), presented: tester.card.presented() ?? null } : null,
      terminal: tester.terminal ? { behaviour: tester.terminal.behaviour(), behaviours: tester.terminal.behaviours() } : null,
      backOffice: { reachable: tester.backOffice.reachable() },
    };
  });
  app.post('/tester/backoffice', async (req) => {
    const { reachable } = parseBody(backOfficeSchema, req.body);
    (await testerOf()).backOffice.setReachable(reachable);
    return { ok: true, reachable };
  });
  app.post('/tester/card/present', async (req) => {
    const { fixtureId } = parseBody(presentSchema, req.body);
    await (await card()).present(fixtureId);
    return { ok: true, presented: fixtureId };
  });
  app.post('/tester/card/remove', async () => {
    await (await card()).remove();
    return { ok: true };
  });
  app.post('/tester/terminal/behaviour', async (req) => {
    const { behaviour } = parseBody(behaviourSchema, req.body);
    (await terminal()).setBehaviour(behaviour);
    return { ok: true, behaviour };
  });
  // Issue 13: cause a fault (or end it); answers with the health report after a fresh check.
  app.post('/tester/fault', async (req) => {
    const { fault, on } = parseBody(faultSchema, req.body);
    return { ok: true, fault, on, health: await (await testerOf()).setFault(fault, on) };
  });
  app.post('/tester/reset', async () => {
    await (await testerOf()).reset();
    return { ok: true };
  });
  app.get('/tester/ledger', async () => ({ ledger: (await terminal()).ledger() }));
}

/**
 * The core as the host reaches it: at once when it is there, else once it is (in order). A core
 * that fails to start leaves what waits for it waiting: main/start.ts then exits.
 */
interface CoreAccess {
  with(fn: (kiosk: HostKiosk) => void): void;
  promise: Promise<HostKiosk>;
  /** The core if it is there yet. */
  now(): HostKiosk | undefined;
}

function coreAccess(kiosk: BrowserHostOptions['kiosk']): CoreAccess {
  if (!(kiosk instanceof Promise)) return { with: (fn) => fn(kiosk), promise: Promise.resolve(kiosk), now: () => kiosk };
  let current: HostKiosk | undefined;
  const promise = kiosk.then((k) => (current = k));
  promise.catch(() => {}); // the owner of the promise reports the failure
  return { with: (fn) => (current ? fn(current) : void promise.then(fn, () => {})), promise, now: () => current };
}

function attachBridge(core: CoreAccess, log: Logger, gate: Gate, bootToken: string): { wss: WebSocketServer; upgrade: UpgradeListener } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string, why: string, extra?: object) => {
      log.warn({ ...extra, why }, 'bridge connection refused');
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${why}\n`);
    };
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname !== '/bridge') return refuse('404 Not Found', 'no such path');
    // DNS rebinding: the page's own name arrives in Host (its Origin then matches it, so an
    // Origin check alone passes). Only this host's own names are served.
    if (!gate.hostAllowed(req.headers.host)) return refuse('421 Misdirected Request', 'host not allowed', { host: req.headers.host });
    // Only pages this host served may drive the kiosk (no cross-site WebSocket hijacking).
    if (!gate.originAllowed(req.headers.origin)) return refuse('403 Forbidden', 'origin not allowed', { origin: req.headers.origin });
    if (!sameSecret(cookieValue(req.headers.cookie, BOOT_COOKIE), bootToken)) return refuse('403 Forbidden', 'missing or wrong boot token');
    // Exactly one screen drives the session and sees balances and trips. The newest one (it holds
    // this boot's token, so it is a page this host served to the kiosk's own browser) takes over:
    // a reloaded page must not be locked out by its predecessor's half-closed socket.
    wss.handleUpgrade(req, socket, head, (ws) => {
      for (const old of wss.clients) {
        if (old === ws) continue;
        log.warn('bridge: a newer screen connected, the previous one is closed');
        old.close(4000, 'replaced by a newer screen');
        old.terminate();
      }
      wss.emit('connection', ws, req);
    });
  };

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
    let closed = false;
    let unsubscribeCore = () => {};
    core.with((kiosk) => {
      if (!closed) unsubscribeCore = kiosk.bridge.subscribe((snapshot) => sendJson({ type: 'snapshot', snapshot }));
    });
    const unsubscribe = () => {
      closed = true;
      unsubscribeCore();
    };
    ws.on('message', (data, isBinary) => core.with((kiosk) => {
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
    }));
    ws.on('close', unsubscribe);
    ws.on('error', (e) => {
      log.warn({ err: e.message }, 'bridge socket error');
      unsubscribe();
    });
  });
  return { wss, upgrade };
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { log } = options;
  const core = coreAccess(options.kiosk);
  const early =
    options.early ??
    (await listenEarly({
      host: options.host,
      port: options.port,
      rendererDir: options.rendererDir,
      mayHaveTester: options.kiosk instanceof Promise ? options.mayHaveTester === true : options.kiosk.tester !== undefined,
      bootToken: options.bootToken,
    }));
  const { gate, mayHaveTester, bootToken } = early;
  // Fastify answers on the server that already listens (early-listener.ts): it never listens
  // itself; its request handler is handed the requests once it is ready (below).
  let fastifyHandler!: (req: IncomingMessage, res: import('node:http').ServerResponse) => void;
  const app = Fastify({
    // Request logs at warn: a kiosk's own screen loading is not news.
    loggerInstance: log.child({ component: 'browser-host' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 16 * 1024,
    serverFactory: (handler) => {
      fastifyHandler = handler;
      return early.server as Server;
    },
  });

  let latest: KioskSnapshot | undefined;
  let unsubscribeLatest = () => {};
  let closing = false;
  core.with((kiosk) => {
    if (!closing) unsubscribeLatest = kiosk.bridge.subscribe((s) => (latest = s));
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!gate.hostAllowed(req.headers.host)) {
      log.warn({ host: req.headers.host, url: req.url }, 'request for another host refused');
      return reply.code(421).send({ error: 'host-not-allowed', message: 'this kiosk answers to its own address only' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = req.headers.origin;
      const site = req.headers['sec-fetch-site'];
      if ((origin !== undefined && !gate.originAllowed(origin)) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
        log.warn({ origin, site, url: req.url }, 'cross-site request refused');
        return reply.code(403).send({ error: 'cross-site', message: 'requests from other sites are refused' });
      }
      if (!/^application\/json(;|$)/i.test(req.headers['content-type'] ?? '')) {
        return reply.code(415).send({ error: 'json-only', message: 'state-changing requests must be application/json' });
      }
    }
    return undefined;
  });
  // The same headers as the start page's first responses (early-listener.ts); pages carry the boot cookie.
  app.addHook('onSend', async (req, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    reply.headers(early.headers(req.method === 'GET' && reply.statusCode === 200 && type.startsWith('text/html')));
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
  if (mayHaveTester) {
    const testerOf = async () => {
      const tester = (await core.promise).tester;
      if (!tester) throw Object.assign(new Error('this kiosk has no tester'), { statusCode: 404, code: 'not-found' });
      return tester;
    };
    registerTesterApi(app, testerOf, () => latest!);
  }
  const version = options.version ?? KIOSK_VERSION;
  app.get('/health', async () => {
    // Issue 13: `ok` is whether the kiosk serves travellers now; `health` says what it offers and why.
    const health = core.now()?.health?.();
    return {
      ok: health ? health.availability.outOfService.length === 0 : true,
      screen: latest?.screen ?? null,
      version: version.version,
      build: version.build,
      builtAt: version.builtAt,
      ...(health ? { health } : {}),
    };
  });

  const { wss, upgrade } = attachBridge(core, log, gate, bootToken);
  await app.ready();
  early.handOver(fastifyHandler, upgrade);
  const url = early.url;
  const address = early.server.address();
  const bound = typeof address === 'object' && address ? address : undefined;
  const wildcard = bound?.address === '0.0.0.0' || bound?.address === '::';
  log.info({ url, bound: bound ? `${bound.address}:${bound.port}` : undefined, ...(wildcard ? { warning: 'listening on every interface' } : {}) }, 'browser host listening');

  return {
    url,
    port: early.port,
    async close() {
      closing = true;
      unsubscribeLatest();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await app.close();
      await early.close();
    },
  };
}
