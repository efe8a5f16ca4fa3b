// The browser host started before its core (main/start.ts, issue 15 start-up): it serves the
// screen at once, and the bridge and the tester routes wait for the core instead of failing.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseConfig } from '../config.js';
import { createKiosk, type Kiosk } from '../composition.js';
import { startBrowserHost, type BrowserHost, type HostKiosk } from './browser-host.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(mayHaveTester: boolean) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-host-early-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const rendererDir = path.join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>kiosk</title>');
  let release!: (k: HostKiosk) => void;
  const core = new Promise<HostKiosk>((resolve) => (release = resolve));
  const host: BrowserHost = await startBrowserHost({ kiosk: core, mayHaveTester, port: 0, rendererDir, log: pino({ level: 'silent' }) });
  cleanups.push(() => host.close());
  const config = parseConfig({ dataDir: path.join(dir, 'data'), logLevel: 'silent', backOffice: { engine: 'sqlite' }, hardware: { payment: { promptDelayMs: 5 } } });
  const build = async (): Promise<Kiosk> => {
    const kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
    cleanups.push(() => kiosk.stop());
    await kiosk.start();
    return kiosk;
  };
  return { host, release, build };
}

it('serves the screen before the core exists; the bridge connection waits and then gets the start snapshot and answers events', { timeout: 60_000 }, async () => {
  const { host, release, build } = await setUp(true);
  const page = await fetch(host.url + '/');
  expect(page.status).toBe(200);
  expect((await fetch(host.url + '/health').then((r) => r.json())) as { screen: unknown }).toMatchObject({ ok: true, screen: null });

  const ws = new WebSocket(host.url.replace('http', 'ws') + '/bridge', { headers: { origin: host.url, cookie: (page.headers.get('set-cookie') ?? '').split(';')[0]! } });
  const messages: { type: string; id?: unknown; snapshot?: { screen: string } }[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  ws.send(JSON.stringify({ type: 'event', id: 'early', event: { type: 'START' } })); // sent before the core is there
  // A tester call made now waits for the core too.
  const state = fetch(host.url + '/tester/state').then(async (r) => ({ status: r.status, body: (await r.json()) as { snapshot?: { screen: string } } }));
  await new Promise((r) => setTimeout(r, 300));
  expect(messages).toEqual([]); // nothing to say without a core, and no error either

  release(await build());
  await expect.poll(() => messages.find((m) => m.type === 'result' && m.id === 'early'), { timeout: 10_000 }).toMatchObject({ result: { ok: true } });
  expect(messages[0]).toMatchObject({ type: 'snapshot', snapshot: { screen: 'start' } }); // subscribed before the early event ran
  await expect.poll(() => messages.some((m) => m.type === 'snapshot' && m.snapshot?.screen !== 'start')).toBe(true);
  expect((await state).status).toBe(200);
  ws.close();
});

it('a promised core that turns out to have no tester answers the tester routes 404; without mayHaveTester they do not exist', { timeout: 60_000 }, async () => {
  const a = await setUp(true);
  const kiosk = await a.build();
  a.release({ bridge: kiosk.bridge }); // a core without a tester
  const r = await fetch(a.host.url + '/tester/state');
  expect(r.status).toBe(404);
  expect(((await r.json()) as { error: string }).error).toBe('not-found');

  const b = await setUp(false);
  const r2 = await fetch(b.host.url + '/tester/card/present', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fixtureId":"anonymous"}' });
  expect(r2.status).toBe(404);
  b.release(await b.build());
});
