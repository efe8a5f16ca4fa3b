import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackOffice } from '../../backoffice/server.js';
import { fixedClock, simulatedTime } from '../../contract/time.js';
import { blockedPollLeadMs, createHttpBackOfficeClient } from './http-client.js';

/** A pass-through proxy in front of the real back office that notes every path asked (the client's
 * answers stay signed by the back office, so the client's response check is exercised too). */
async function countingProxy(upstream: string): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, asked, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('blocked-card list refresh on the time port', () => {
  it('asks at once, then every interval less its 2 s lead on the port timers, so a card blocked just after a poll is known within the interval; not at all after stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blocked-refresh-'));
    dirs.push(dir);
    const time = simulatedTime('2026-11-30T10:00:00Z');
    const secret = 's'.repeat(32);
    const backOffice = await startBackOffice({ port: 0, dbPath: ':memory:', clock: fixedClock('2026-11-30T10:00:00Z'), kiosks: { 'kiosk-1': secret } });
    const proxy = await countingProxy(backOffice.url);
    const asked = proxy.asked;
    const client = createHttpBackOfficeClient({
      baseUrl: proxy.url,
      kioskId: 'kiosk-1',
      secret,
      clock: time,
      time,
      blockedCachePath: join(dir, 'blocked.json'),
    });
    const errors: unknown[] = [];
    // Each request really crosses loopback: wait until it has been answered before the next step.
    const settle = async () => {
      for (let i = 0; i < 40; i++) await new Promise((r) => setTimeout(r, 5));
    };
    expect(blockedPollLeadMs(60_000)).toBe(2000);
    const stop = client.startBlockedListRefresh(60_000, (e) => errors.push(e));
    await settle();
    expect(asked).toHaveLength(1);
    // Blocked centrally just after that poll read the list: known before the interval is over.
    const stolen = '3528019999990011';
    backOffice.store.setBlocked(stolen, true);
    time.advance(57_999);
    await settle();
    expect(asked).toHaveLength(1);
    expect(client.isBlocked(stolen)).toBe(false);
    time.advance(1);
    await settle();
    expect(asked).toHaveLength(2);
    expect(asked[1]).toContain('/blocked?since=');
    expect(client.isBlocked(stolen)).toBe(true); // 58 s after the poll that missed it, not 60 s + its request
    // Two periods at once: the second tick finds the first request still running and skips.
    time.advance(2 * 58_000);
    await settle();
    expect(asked).toHaveLength(3);
    time.advance(58_000);
    await settle();
    expect(asked).toHaveLength(4);
    stop();
    expect(time.pending()).toBe(0);
    time.advance(10 * 60_000);
    await settle();
    expect(asked).toHaveLength(4);
    expect(errors).toEqual([]);
    await client.close();
    await proxy.close();
    await backOffice.close();
  });
});

describe('blocked-card list cache file', () => {
  it('is written when the list changed and left alone (no write, no fsync) by a poll that brings nothing new', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blocked-cache-'));
    dirs.push(dir);
    const secret = 's'.repeat(32);
    const backOffice = await startBackOffice({ port: 0, dbPath: ':memory:', clock: fixedClock('2026-11-30T10:00:00Z'), kiosks: { 'kiosk-1': secret } });
    const cachePath = join(dir, 'blocked.json');
    const client = createHttpBackOfficeClient({ baseUrl: backOffice.url, kioskId: 'kiosk-1', secret, clock: fixedClock('2026-11-30T10:00:00Z'), blockedCachePath: cachePath });
    const newCard = '3528019999990007';
    backOffice.store.setBlocked(newCard, true);
    const first = await client.refreshBlockedList();
    expect(existsSync(cachePath)).toBe(true);
    expect(client.isBlocked(newCard)).toBe(true);
    // The file is removed behind the client's back: a poll with nothing new must not rewrite it.
    rmSync(cachePath);
    const again = await client.refreshBlockedList();
    expect(again).toEqual({ version: first.version, applied: 0 });
    expect(existsSync(cachePath)).toBe(false);
    expect(client.isBlocked(newCard)).toBe(true);
    // A change is written, and a new client (a restarted kiosk) reads it from the file.
    backOffice.store.setBlocked(newCard, false);
    const third = await client.refreshBlockedList();
    expect(third.version).toBe(first.version + 1);
    expect(JSON.parse(readFileSync(cachePath, 'utf8'))).toMatchObject({ version: third.version });
    expect(client.isBlocked(newCard)).toBe(false);
    const restarted = createHttpBackOfficeClient({ baseUrl: backOffice.url, kioskId: 'kiosk-1', secret, clock: fixedClock('2026-11-30T10:00:00Z'), blockedCachePath: cachePath });
    expect(restarted.blockedListVersion()).toBe(third.version);
    await client.close();
    await restarted.close();
    await backOffice.close();
  });
});

describe('a back office that never answers', () => {
  it('is given up after the request timeout as unreachable (the kiosk goes on offline)', async () => {
    const held: import('node:http').ServerResponse[] = [];
    const silent: Server = createServer((_req, res) => held.push(res)); // reads the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { port } = silent.address() as AddressInfo;
    try {
      const client = createHttpBackOfficeClient({ baseUrl: `http://127.0.0.1:${port}`, kioskId: 'kiosk-1', secret: 's'.repeat(32), clock: fixedClock('2026-11-30T10:00:00Z'), timeoutMs: 150, blockedCachePath: join(tmpdir(), 'never-written-blocked.json') });
      const t0 = performance.now();
      await expect(client.pendingOrders('3528010000000017')).rejects.toThrow(/back office not reachable/);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    } finally {
      for (const res of held) res.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('a back office that answers its headers and then stalls the body', () => {
  it('is given up at the request timeout all the same: the timeout covers reading the answer, not just its headers', async () => {
    const held: import('node:http').ServerResponse[] = [];
    const stalling: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"orders":['); // and never more
      held.push(res);
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', () => r()));
    const { port } = stalling.address() as AddressInfo;
    try {
      const client = createHttpBackOfficeClient({ baseUrl: `http://127.0.0.1:${port}`, kioskId: 'kiosk-1', secret: 's'.repeat(32), clock: fixedClock('2026-11-30T10:00:00Z'), timeoutMs: 150, blockedCachePath: join(tmpdir(), 'never-written-blocked.json') });
      const t0 = performance.now();
      await expect(client.pendingOrders('3528010000000017')).rejects.toThrow(/back office not reachable: .*timeout/i);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    } finally {
      for (const res of held) res.destroy();
      await new Promise<void>((r) => stalling.close(() => r()));
    }
  });
});

describe('a back office that sheds the blocked-list poll (503 + Retry-After)', () => {
  it.each([
    [0, 4000],
    [0.5, 6000],
    [0.99, 7960],
  ])('with random() = %s: keeps the cached list, reports no error, asks nothing before %s ms (Retry-After 4 s, jittered up to 2x), then retries and gets the list', async (random, wait) => {
    const dir = mkdtempSync(join(tmpdir(), 'blocked-busy-'));
    dirs.push(dir);
    const time = simulatedTime('2026-12-01T10:00:00Z');
    const secret = 's'.repeat(32);
    const backOffice = await startBackOffice({ port: 0, dbPath: ':memory:', clock: fixedClock('2026-12-01T10:00:00Z'), kiosks: { 'kiosk-1': secret } });
    // In front of the real back office: while `busy`, answer polls as a saturated back office does
    // (backoffice/poll-shedding.ts: 503 overloaded, Retry-After, unsigned); else pass through.
    let busy = false;
    const asked: string[] = [];
    const target = new URL(backOffice.url);
    const front: Server = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (busy) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '4' });
        res.end(JSON.stringify({ error: 'overloaded', message: 'saturated' }));
        req.resume();
        return;
      }
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    const client = createHttpBackOfficeClient({
      baseUrl: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
      kioskId: 'kiosk-1',
      secret,
      clock: time,
      time,
      random: () => random,
      blockedCachePath: join(dir, 'blocked.json'),
    });
    const settle = async () => {
      for (let i = 0; i < 40; i++) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      const stolen = '3528019999990011';
      backOffice.store.setBlocked(stolen, true);
      const first = await client.refreshBlockedList();
      expect(client.isBlocked(stolen)).toBe(true);

      busy = true;
      const errors: unknown[] = [];
      const busies: number[] = [];
      const stop = client.startBlockedListRefresh(60_000, (e) => errors.push(e), (e) => busies.push(e.retryAfterMs));
      await settle();
      expect(asked).toHaveLength(2);
      expect(busies).toEqual([wait]);
      expect(errors).toEqual([]); // not a failure: nobody is alarmed
      // The cached list stays in use, unchanged.
      expect(client.isBlocked(stolen)).toBe(true);
      expect(client.blockedListVersion()).toBe(first.version);
      // Anyone else asking for the list before the wait is over (the health check) is told "busy"
      // at once, and nothing is sent.
      time.advance(wait - 1);
      await settle();
      await expect(client.refreshBlockedList()).rejects.toMatchObject({ name: 'BackOfficeBusyError', retryAfterMs: 1 });
      expect(asked).toHaveLength(2);

      busy = false;
      backOffice.store.setBlocked(stolen, false);
      time.advance(1); // the wait is over: the refresh tries again, not an interval (60 s) later
      await settle();
      expect(asked).toHaveLength(3);
      expect(client.isBlocked(stolen)).toBe(false);
      expect(errors).toEqual([]);
      stop();
      expect(time.pending()).toBe(0);
    } finally {
      await client.close();
      await new Promise<void>((r) => front.close(() => r()));
      await backOffice.close();
    }
  });
});

describe('what the client does with an answer that is not the back office speaking', () => {
  it('a redirect is not followed: the card number is never sent on, and the kiosk is told the back office did not answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redirect-'));
    dirs.push(dir);
    const elsewhere: string[] = [];
    const other: Server = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"orders":[]}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const front: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `${otherUrl}${req.url ?? '/'}` }).end();
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    const client = createHttpBackOfficeClient({
      baseUrl: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
      kioskId: 'kiosk-1',
      secret: 's'.repeat(32),
      clock: fixedClock('2026-11-30T10:00:00Z'),
      blockedCachePath: join(dir, 'blocked.json'),
    });
    try {
      await expect(client.pendingOrders('3528019999990011')).rejects.toMatchObject({ name: 'BackOfficeUnavailableError' });
      expect(elsewhere).toEqual([]);
    } finally {
      await client.close();
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
