/**
 * The browser host's first moment (issue 15: `npm start` to the start screen): a node:http server
 * that listens as soon as the kiosk process has its configuration, and serves the built start page
 * (index.html and the hashed files under assets/) while the rest of the host (fastify, ws, the
 * tester routes: main/host/browser-host.ts) and the core are still loading. Every other request
 * and every WebSocket upgrade waits here, in order, and is handed to the full host once it is
 * ready (`handOver`); from then on the full host answers everything.
 *
 * Only node built-ins are imported here: loading fastify, ws and zod before listening cost ~700 ms
 * CPU per start (KIOSK_STARTUP_TRACE, `node --cpu-prof`). It is hand-written rather than a static
 * files library for the same reason, and is kept to what the start page needs: an exact lookup
 * in a list of the renderer's files made at start (no path from the request reaches the file
 * system, so no traversal), GET/HEAD only, this host's names only (the Host allowlist, decided
 * once the port is known), with the same headers and per-boot cookie as the full host's responses.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { KIOSK_CSP } from '../core/csp.js';

/** The cookie that carries the per-boot token from the served page to the bridge upgrade. */
export const BOOT_COOKIE = 'kiosk_boot';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Who may reach this host: decided once the port is known. */
export interface Gate {
  hostAllowed(host: string | undefined): boolean;
  originAllowed(origin: string | undefined): boolean;
}

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface EarlyHostOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8765; 0 picks a free port. */
  port?: number;
  /** The built renderer (index.html and assets/). */
  rendererDir: string;
  /** Whether the tester API may exist: loopback binds only, and the tester console may frame the screen. */
  mayHaveTester: boolean;
  /** Default: 32 random bytes. Injected by tests. */
  bootToken?: string;
}

export interface EarlyHost {
  server: Server;
  /** e.g. http://127.0.0.1:8765: the address really bound. */
  url: string;
  port: number;
  bootToken: string;
  mayHaveTester: boolean;
  gate: Gate;
  /** The headers every response of this host carries (and, for a 200 HTML page, the boot cookie). */
  headers(html: boolean): Record<string, string>;
  /** From now on `request` and `upgrade` answer everything; what waited is handed over in order. */
  handOver(request: RequestListener, upgrade: UpgradeListener): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/** URL path -> file for what the start page needs: index.html and assets/ (one level, known types). */
function startPageFiles(rendererDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const index = path.join(rendererDir, 'index.html');
  if (!existsSync(index)) return files; // the full host says what is missing
  files.set('/', index);
  files.set('/index.html', index);
  const assets = path.join(rendererDir, 'assets');
  if (existsSync(assets))
    for (const e of readdirSync(assets, { withFileTypes: true }))
      if (e.isFile() && /^[\w.-]+$/.test(e.name) && CONTENT_TYPES[path.extname(e.name)]) files.set(`/assets/${e.name}`, path.join(assets, e.name));
  return files;
}

export async function listenEarly(options: EarlyHostOptions): Promise<EarlyHost> {
  const bindHost = options.host ?? '127.0.0.1';
  const { mayHaveTester } = options;
  if (mayHaveTester && !isLoopbackBind(bindHost))
    throw new Error(`the browser host will not bind to ${bindHost} with the tester API on: loopback only (127.0.0.1, ::1, localhost)`);
  const bootToken = options.bootToken ?? randomBytes(32).toString('base64url');
  const files = startPageFiles(path.resolve(options.rendererDir));

  // Filled in once the port is known (listen below); no request is read before that.
  let allowedHosts = new Set<string>();
  const gate: Gate = {
    hostAllowed: (host) => host !== undefined && allowedHosts.has(host.toLowerCase()),
    originAllowed: (origin) => {
      if (origin === undefined) return false;
      try {
        const u = new URL(origin);
        return u.protocol === 'http:' && u.origin === origin && allowedHosts.has(u.host);
      } catch {
        return false;
      }
    },
  };
  // With the tester API (emulated hardware, loopback only) the tester console (/tester.html) shows
  // the kiosk's own screen in a frame beside its controls: same origin may frame it. Without the
  // tester nothing may frame the kiosk.
  const csp = mayHaveTester ? KIOSK_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'") : KIOSK_CSP;
  const headers = (html: boolean): Record<string, string> => ({
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': mayHaveTester ? 'SAMEORIGIN' : 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
    // Pages this host serves carry the per-boot token to the bridge upgrade.
    ...(html ? { 'Set-Cookie': `${BOOT_COOKIE}=${bootToken}; HttpOnly; SameSite=Strict; Path=/` } : {}),
  });

  type Waiting = { req: IncomingMessage; res: ServerResponse } | { req: IncomingMessage; socket: Duplex; head: Buffer };
  const waiting: Waiting[] = [];
  let full: { request: RequestListener; upgrade: UpgradeListener } | undefined;
  const toFullHost = (req: IncomingMessage, res: ServerResponse) => (full ? full.request(req, res) : void waiting.push({ req, res }));

  const server = createServer((req, res) => {
    if (full) return full.request(req, res);
    // Anything but a start-page file for this host's own name waits for the full host, which
    // answers it (a wrong Host is refused there, 421, with the same words as ever).
    const file = (req.method === 'GET' || req.method === 'HEAD') && gate.hostAllowed(req.headers.host) ? files.get(new URL(req.url ?? '/', 'http://host').pathname) : undefined;
    if (!file) return toFullHost(req, res);
    readFile(file).then(
      (body) => {
        const html = file.endsWith('.html');
        res.writeHead(200, { ...headers(html), 'Content-Type': CONTENT_TYPES[path.extname(file)]!, 'Content-Length': String(body.length) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => toFullHost(req, res), // gone meanwhile (a rebuild): the full host says what it has
    );
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => (full ? full.upgrade(req, socket, head) : void waiting.push({ req, socket, head })));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bindHost, port: options.port ?? 8765 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the browser host has no address after listen');
  const port = address.port;
  // The address really bound. A wildcard bind (0.0.0.0, ::) is reached from this machine through
  // loopback; the URL says so instead of naming an address the host may not have.
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const shownHost = wildcard ? (address.family === 'IPv6' ? '[::1]' : '127.0.0.1') : isIP(address.address) === 6 ? `[${address.address}]` : address.address;
  const names = new Set(LOOPBACK_NAMES.map((n) => `${n}:${port}`));
  names.add(`${shownHost}:${port}`);
  if (!wildcard && bindHost !== address.address) names.add(`${bindHost.toLowerCase()}:${port}`);
  allowedHosts = names;

  return {
    server,
    url: `http://${shownHost}:${port}`,
    port,
    bootToken,
    mayHaveTester,
    gate,
    headers,
    handOver(request, upgrade) {
      if (full) throw new Error('the browser host was handed over already');
      full = { request, upgrade };
      for (const w of waiting.splice(0)) 'res' in w ? request(w.req, w.res) : upgrade(w.req, w.socket, w.head);
    },
    async close() {
      for (const w of waiting.splice(0)) ('res' in w ? w.res : w.socket).destroy();
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
