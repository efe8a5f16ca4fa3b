import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../contract/request-signing.js';
import { fixedClock } from '../contract/time.js';
import { openJournal } from '../main/journal/sqlite-journal.js';
import { startBackOffice, type BackOfficeServer } from './server.js';

const KIOSK = 'kiosk-fuzz';
const SECRET = 'fuzz-secret-abcdefghijklmnop';
let dir: string;
let server: BackOfficeServer;
const clock = fixedClock('2026-11-23T09:00:00Z');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bo-fuzz-'));
  server = await startBackOffice({ port: 0, dbPath: join(dir, 'bo.sqlite'), clock, kiosks: { [KIOSK]: SECRET } });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}) {
  const signed = signRequest({ kioskId: KIOSK, secret: SECRET, method, pathWithQuery: path, body: body ?? '', at: clock.now() });
  const res = await fetch(server.url + path, {
    method,
    headers: { ...signed, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('back office under hostile input', () => {
  it('answers nasty bodies with a JSON 4xx, never a 500', async () => {
    const nasty = [
      '{"cardNumber":"3528010000000017","__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '['.repeat(5000) + ']'.repeat(5000),
      '{"cardNumber":' + '9'.repeat(400) + '}',
      '"just a string"',
      '\u0000\u0001',
      '{"cardNumber":"３５２８０１００００００００１７"}',
      '{"cardNumber":null}',
    ];
    for (const b of nasty) {
      const r = await send('POST', '/v1/orders/query', b);
      expect(r.status, b.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(r.status, b.slice(0, 40)).toBeLessThan(500);
      expect(JSON.parse(r.text)).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    // Issue 13: the heartbeat takes the same bodies the same way.
    for (const b of nasty) {
      const r = await send('POST', '/v1/heartbeat', b);
      expect(r.status, `heartbeat ${b.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `heartbeat ${b.slice(0, 40)}`).toBeLessThan(500);
      expect(JSON.parse(r.text)).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    const weirdPaths = ['/v1/blocked?since=abc', '/v1/blocked?since=1e400', '/v1/blocked?since=1&since=2', `/v1/orders/${'x'.repeat(5000)}/collect`, '/v1/%E0%A4%A', '/v1/journal/status?x=%00'];
    for (const p of weirdPaths) {
      const r = await send(p.includes('collect') ? 'POST' : 'GET', p, p.includes('collect') ? '{}' : undefined);
      expect(r.status, p.slice(0, 40)).toBeLessThan(500);
    }
    const proto = await send('GET', '/v1/blocked', undefined, { 'x-kiosk-id': '__proto__' });
    expect(proto.status).toBe(401);
  });

  it('survives 300 random mutations of a valid intake batch with 4xx or a per-record verdict, never a 500', async () => {
    const j = openJournal({ path: ':memory:', kioskId: KIOSK, hmacKey: SECRET, clock });
    for (let i = 0; i < 5; i++) j.append({ type: 'payment.intent', operationId: `p${i}`, amountCents: 100 * i, data: { receipt: `r${i}` } });
    const valid = JSON.stringify({ records: j.undelivered(10) });
    const rnd = prng(42);
    const junk = ['"', '{', '}', '[', ']', ',', ':', '-1', '1e999', 'null', 'true', '"x"', '\\u0000', '9007199254740993'];
    for (let i = 0; i < 300; i++) {
      const chars = valid.split('');
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * chars.length);
        const op = rnd();
        if (op < 0.4) chars.splice(at, 1);
        else if (op < 0.8) chars.splice(at, 0, junk[Math.floor(rnd() * junk.length)]!);
        else chars[at] = String.fromCharCode(32 + Math.floor(rnd() * 90));
      }
      const r = await send('POST', '/v1/journal', chars.join(''));
      expect(r.status, `mutation ${i}`).not.toBeGreaterThanOrEqual(500);
    }
    j.close();
  }, 60_000);
});
