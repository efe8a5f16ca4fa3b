import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseConfig } from '../config.js';
import { createKiosk, type Kiosk } from '../composition.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';
import { KIOSK_VERSION } from '../version.js';

let dir: string;
let kiosk: Kiosk;
let host: BrowserHost;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-host-'));
  const rendererDir = path.join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>kiosk</title>');
  const config = parseConfig({ dataDir: path.join(dir, 'data'), logLevel: 'silent', backOffice: { engine: 'sqlite' }, hardware: { payment: { promptDelayMs: 5 } } });
  kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
  await kiosk.start();
  host = await startBrowserHost({ kiosk, port: 0, rendererDir, log: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await host.close();
  await kiosk.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Msg = { type: string; id?: unknown; result?: unknown; snapshot?: { screen: string; rev: number } };

/** The per-boot cookie, as the kiosk's browser gets it with the page. */
async function bootCookie(): Promise<string> {
  const res = await fetch(host.url + '/');
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

/** Close and wait until the host has seen it (one bridge client at a time). */
async function closed(ws: WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return;
  await new Promise<void>((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
  await new Promise((r) => setTimeout(r, 20));
}

async function connect(headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: Msg[]; next(pred: (m: Msg) => boolean): Promise<Msg> }> {
  const url = host.url.replace('http', 'ws') + '/bridge';
  const ws = new WebSocket(url, { headers: { origin: host.url, cookie: await bootCookie(), ...headers } });
  const messages: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as Msg;
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  });
  const next = (pred: (m: Msg) => boolean) =>
    new Promise<Msg>((resolve) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      waiters.push({ pred, resolve });
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, next }));
    ws.once('error', reject);
  });
}

describe('browser host', () => {
  it('serves the renderer with a CSP header; with the tester API only its own origin may frame it (the tester console)', async () => {
    const res = await fetch(host.url + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('without the tester API nothing may frame the kiosk', async () => {
    const plain = await startBrowserHost({ kiosk: { bridge: kiosk.bridge }, port: 0, rendererDir: path.join(dir, 'renderer'), log: pino({ level: 'silent' }) });
    try {
      const res = await fetch(plain.url + '/');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await plain.close();
    }
  });

  it('sends the current snapshot on connect and answers events with their id', async () => {
    const c = await connect();
    const first = await c.next((m) => m.type === 'snapshot');
    expect(first.snapshot?.screen).toBe('start');
    c.ws.send(JSON.stringify({ type: 'event', id: 7, event: { type: 'SET_LOCALE', locale: 'en' } }));
    expect(await c.next((m) => m.type === 'result')).toEqual({ type: 'result', id: 7, result: { ok: true } });
    await closed(c.ws);
  });

  it('answers bad JSON, a wrong shape and an unknown event with typed errors and stays up', async () => {
    const c = await connect();
    c.ws.send('{not json');
    expect(await c.next((m) => m.type === 'result')).toMatchObject({ id: null, result: { ok: false, error: 'invalid-event' } });
    c.ws.send(JSON.stringify({ type: 'hello', id: 'a1' }));
    expect(await c.next((m) => m.type === 'result' && m.id === 'a1')).toMatchObject({ result: { ok: false, error: 'invalid-event' } });
    c.ws.send(JSON.stringify({ type: 'event', id: 'a2', event: { type: 'EXPLODE' } }));
    expect(await c.next((m) => m.type === 'result' && m.id === 'a2')).toMatchObject({ result: { ok: false, error: 'invalid-event' } });
    c.ws.send(JSON.stringify({ type: 'event', id: 'a3', event: { type: 'FINISH' } }));
    expect(await c.next((m) => m.type === 'result' && m.id === 'a3')).toMatchObject({ result: { ok: false, error: 'not-allowed-now' } });
    expect((await fetch(host.url + '/health')).status).toBe(200);
    await closed(c.ws);
  });

  it('says on /health which version and build of the kiosk is running', async () => {
    const health = (await (await fetch(host.url + '/health')).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, version: KIOSK_VERSION.version, build: KIOSK_VERSION.build });
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(health.build).toMatch(/^([0-9a-f]{12}(-dirty)?|dev|unknown)$/);
  });

  it('issue 13: /health carries the health model; a tester fault turns ok false until it ends; an unknown fault is refused', async () => {
    const post = (p: string, body: unknown) =>
      fetch(host.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const health = async () => (await (await fetch(host.url + '/health')).json()) as { ok: boolean; health: { availability: { outOfService: string[] } } };
    expect((await health()).health.availability.outOfService).toEqual([]);
    expect((await post('/tester/fault', { fault: 'flood', on: true })).status).toBe(400);
    expect((await post('/tester/fault', { fault: 'disk-full' })).status).toBe(400);
    expect((await post('/tester/fault', { fault: 'disk-full', on: true })).status).toBe(200);
    expect(await health()).toMatchObject({ ok: false, health: { availability: { outOfService: ['journal-unwritable'] } } });
    expect((await post('/tester/fault', { fault: 'disk-full', on: false })).status).toBe(200);
    expect((await health()).ok).toBe(true);
  });

  it('refuses a bridge connection from another origin', async () => {
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('drives the emulated hardware through the tester API', async () => {
    const c = await connect();
    const post = (p: string, body: unknown) =>
      fetch(host.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    c.ws.send(JSON.stringify({ type: 'event', id: 1, event: { type: 'START' } }));
    expect((await post('/tester/card/present', { fixtureId: 'anonymous' })).status).toBe(200);
    await c.next((m) => m.type === 'snapshot' && m.snapshot?.screen === 'menu');
    const state = (await (await fetch(host.url + '/tester/state')).json()) as { card: { presented: string }; terminal: { behaviour: string } };
    expect(state.card.presented).toBe('anonymous');
    expect((await post('/tester/terminal/behaviour', { behaviour: 'decline' })).status).toBe(200);
    expect((await post('/tester/terminal/behaviour', { behaviour: 'explode' })).status).toBe(400);
    expect((await post('/tester/card/present', { fixtureId: 'nope' })).status).toBe(400);
    expect((await post('/tester/card/remove', {})).status).toBe(200);
    expect(await (await post('/tester/backoffice', { reachable: false })).json()).toEqual({ ok: true, reachable: false });
    expect((await post('/tester/backoffice', { reachable: 'no' })).status).toBe(400);
    expect(((await (await fetch(host.url + '/tester/state')).json()) as { backOffice: unknown }).backOffice).toEqual({ reachable: false });
    expect(await (await fetch(host.url + '/tester/ledger')).json()).toEqual({ ledger: [] });
    expect((await post('/tester/reset', {})).status).toBe(200);
    await c.next((m) => m.type === 'snapshot' && m.snapshot?.screen === 'start' && m.snapshot.rev > 1);
    const after = (await (await fetch(host.url + '/tester/state')).json()) as { card: { presented: unknown }; terminal: { behaviour: string } };
    expect(after.card.presented).toBeNull();
    expect(after.terminal.behaviour).toBe('approve');
    expect((after as unknown as { backOffice: unknown }).backOffice).toEqual({ reachable: true });
    await closed(c.ws);
  });
});
