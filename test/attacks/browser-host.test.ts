/**
 * Attacks on the browser host (issue 11 finding 6): DNS rebinding, cross-site requests, a second
 * bridge client, a bridge client without the per-boot token, tester routes with the tester off,
 * a non-loopback bind with the tester on. Each is refused and nothing changes in the kiosk.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createKiosk, type Kiosk } from '../../main/composition.js';
import { parseConfig } from '../../main/config.js';
import { BOOT_COOKIE, startBrowserHost, type BrowserHost } from '../../main/host/browser-host.js';

const silent = pino({ level: 'silent' });
let dir: string;
let rendererDir: string;
let kiosk: Kiosk;
let host: BrowserHost;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-attack-host-'));
  rendererDir = path.join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>kiosk</title>');
  kiosk = await createKiosk(parseConfig({ dataDir: path.join(dir, 'data'), logLevel: 'silent', backOffice: { engine: 'sqlite' }, hardware: { payment: { promptDelayMs: 5 } } }), { logger: silent });
  await kiosk.start();
  host = await startBrowserHost({ kiosk, port: 0, rendererDir, log: silent });
});
afterAll(async () => {
  await host.close();
  await kiosk.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  upgraded: boolean;
  socket?: import('node:net').Socket;
}

/** A request with exactly these headers (fetch would not let us forge Host). */
function raw(method: string, p: string, headers: Record<string, string>, body?: string, base = host): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: base.port, method, path: p, headers, setHost: false });
    req.on('response', (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b, upgraded: false }));
    });
    req.on('upgrade', (res, socket) => resolve({ status: res.statusCode!, headers: res.headers, body: '', upgraded: true, socket }));
    req.on('error', reject);
    req.end(body);
  });
}

const own = () => `127.0.0.1:${host.port}`;
async function cookie(): Promise<string> {
  const r = await raw('GET', '/', { host: own() });
  const c = String(r.headers['set-cookie'] ?? '').split(';')[0]!;
  expect(c.startsWith(`${BOOT_COOKIE}=`)).toBe(true);
  return c;
}
const upgradeHeaders = (extra: Record<string, string>) => ({
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
  ...extra,
});

describe('attack: DNS rebinding (a page on attacker.example resolving to 127.0.0.1)', () => {
  it('a page request naming another host is refused with 421 before any route runs', async () => {
    const r = await raw('GET', '/tester/state', { host: `attacker.example:${host.port}` });
    expect(r.status).toBe(421);
    expect(r.body).toContain('host-not-allowed');
    expect(r.body).not.toContain('snapshot');
  });

  it('a bridge upgrade whose Origin matches its rebinding Host is refused', async () => {
    const evil = `attacker.example:${host.port}`;
    const r = await raw('GET', '/bridge', upgradeHeaders({ host: evil, origin: `http://${evil}`, cookie: await cookie() }));
    expect(r.upgraded).toBe(false);
    expect(r.status).toBe(421);
  });

  it('the kiosk browser own names still work (127.0.0.1, localhost)', async () => {
    expect((await raw('GET', '/health', { host: own() })).status).toBe(200);
    expect((await raw('GET', '/health', { host: `localhost:${host.port}` })).status).toBe(200);
  });
});

describe('attack: cross-site POST from any web page (no CORS preflight)', () => {
  it.each([
    ['a body-less POST with a foreign Origin', { origin: 'http://evil.example' }, undefined, 403],
    ['a text/plain POST with a foreign Origin', { origin: 'http://evil.example', 'content-type': 'text/plain' }, '{}', 403],
    ['a body-less POST without Origin (old browser, or a form)', {}, undefined, 415],
    ['a form POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', 415],
    ['a JSON POST the browser marks cross-site', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, '{}', 403],
  ])('%s to /tester/card/remove is refused and the card stays', async (_what, headers, body, status) => {
    await kiosk.tester!.card!.present('anonymous');
    const r = await raw('POST', '/tester/card/remove', { host: own(), ...headers }, body);
    expect(r.status).toBe(status);
    expect(kiosk.tester!.card!.presented()).toBe('anonymous');
    await kiosk.tester!.card!.remove();
  });

  it('a cross-site POST to /tester/reset changes nothing either', async () => {
    kiosk.tester!.backOffice.setReachable(false);
    const r = await raw('POST', '/tester/reset', { host: own(), origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect(kiosk.tester!.backOffice.reachable()).toBe(false);
    kiosk.tester!.backOffice.setReachable(true);
  });
});

describe('attack: bridge clients', () => {
  const wsUrl = () => `ws://127.0.0.1:${host.port}/bridge`;
  const open = (headers: Record<string, string>) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(), { headers: { origin: `http://${own()}`, ...headers } });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  it('a client without the per-boot token is refused', async () => {
    await expect(open({})).rejects.toThrow(/403/);
    await expect(open({ cookie: `${BOOT_COOKIE}=guessed` })).rejects.toThrow(/403/);
  });

  it('a client without an Origin (not a page this host served) is refused', async () => {
    const r = await raw('GET', '/bridge', upgradeHeaders({ host: own(), cookie: await cookie() }));
    expect(r.status).toBe(403);
  });

  it('never two bridge clients: a second one (with the token) replaces the first, which is closed and hears nothing more', async () => {
    const c = await cookie();
    const first = await open({ cookie: c });
    const firstMessages: string[] = [];
    first.on('message', (d) => firstMessages.push(String(d)));
    const firstClosed = new Promise<number>((resolve) => first.once('close', (code) => resolve(code)));
    const second = await open({ cookie: c });
    expect([4000, 1006]).toContain(await firstClosed); // closed (or terminated) by the host
    const heard = firstMessages.length;
    const secondGot = new Promise<string>((resolve) => second.once('message', (d) => resolve(String(d))));
    second.send(JSON.stringify({ type: 'event', id: 1, event: { type: 'SET_LOCALE', locale: 'de' } }));
    expect(await secondGot).toContain('"type"');
    await new Promise((r) => setTimeout(r, 50));
    expect(firstMessages.length).toBe(heard);
    second.send(JSON.stringify({ type: 'event', id: 2, event: { type: 'SET_LOCALE', locale: 'nl' } }));
    await new Promise<void>((resolve) => {
      second.once('close', () => resolve());
      second.close();
    });
  });
});

describe('attack: tester routes and binds with the tester off or on', () => {
  it('with the tester off the tester routes do not exist (404, no snapshot)', async () => {
    const noTester = await startBrowserHost({ kiosk: { bridge: kiosk.bridge }, port: 0, rendererDir, log: silent });
    try {
      const h = { host: `127.0.0.1:${noTester.port}` };
      for (const p of ['/tester/state', '/tester/ledger']) {
        const r = await raw('GET', p, h, undefined, noTester);
        expect(r.status).toBe(404);
        expect(r.body).not.toContain('snapshot');
      }
      const r = await raw('POST', '/tester/card/remove', { ...h, 'content-type': 'application/json' }, '{}', noTester);
      expect(r.status).toBe(404);
    } finally {
      await noTester.close();
    }
  });

  it('a non-loopback bind with the tester on is refused', async () => {
    await expect(startBrowserHost({ kiosk, host: '0.0.0.0', port: 0, rendererDir, log: silent })).rejects.toThrow(/will not bind to 0\.0\.0\.0 with the tester API on/);
  });

  it('a wildcard bind (tester off) prints an address that answers, and still checks Host', async () => {
    const wide = await startBrowserHost({ kiosk: { bridge: kiosk.bridge }, host: '0.0.0.0', port: 0, rendererDir, log: silent });
    try {
      expect(wide.url).toBe(`http://127.0.0.1:${wide.port}`);
      expect((await fetch(`${wide.url}/health`)).status).toBe(200);
      expect((await raw('GET', '/health', { host: `attacker.example:${wide.port}` }, undefined, wide)).status).toBe(421);
    } finally {
      await wide.close();
    }
  });
});
