/**
 * Attacks on the back office's authentication (issue 11 finding 1): it used to decide on the raw URL
 * (`req.url.startsWith('/v1/')`) while the router matched a decoded path, so an unsigned request to a
 * percent-encoded spelling of a /v1 route reached it. Now every route is kiosk-only unless it was
 * registered public, decided on the matched route. Every odd spelling, unsigned, must get 401 or
 * 404 and change nothing: the fixture card's orders stay pending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackOffice, type BackOfficeServer } from '../../backoffice/server.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { systemClock } from '../../contract/time.js';
import { createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';

const KIOSK = 'NS-UT-ATTACK-02';
const SECRET = 'attack-test-kiosk-secret-abcdef0123456789';
const CARD = FIXTURE_CARDS['personal-kaartservicecode'].cardNumber;

let dir: string;
let bo: BackOfficeServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-attack-auth-'));
  bo = await startBackOffice({ port: 0, dbPath: path.join(dir, 'bo.sqlite'), clock: systemClock, kiosks: { [KIOSK]: SECRET }, operators: { ops: 'operator-token-for-the-auth-attacks-0123456789' } });
});
afterAll(async () => {
  await bo.close();
  rmSync(dir, { recursive: true, force: true });
});

const pending = async () => {
  const client = createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: KIOSK, secret: SECRET, clock: systemClock, blockedCachePath: path.join(dir, 'blocked.json') });
  try {
    return (await client.pendingOrders(CARD)).map((o) => o.orderId).sort();
  } finally {
    await client.close();
  }
};

const enc = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');

/** Spellings of one route path: plain, encoded segments, encoded slash-free letters, doubled slashes, case, trailing slash. */
function spellings(p: string): string[] {
  const segs = p.split('/').filter(Boolean);
  return [
    p,
    '/' + segs.map((s, i) => (i === 0 ? enc(s) : s)).join('/'),
    '/' + segs.map((s) => enc(s)).join('/'),
    '/' + segs.map((s) => s.replace(/[a-z]/, (c) => enc(c))).join('/'),
    '/' + segs.join('//'),
    '/' + p,
    p.toUpperCase(),
    p + '/',
    p + '?x=1',
    p + '%3Fx=1',
  ];
}

describe('back-office authentication is decided on the matched route', () => {
  it('answers /health without a signature (the one public route)', async () => {
    const r = await fetch(`${bo.url}/health`);
    expect(r.status).toBe(200);
  });

  it('unsigned requests to every spelling of every /v1 route are refused and change nothing', async () => {
    const before = await pending();
    expect(before).toContain('FX-KSC-0017');
    const orderId = 'FX-KSC-0017';
    const cases: { method: string; path: string; body?: unknown }[] = [
      ...spellings('/v1/orders/query').map((p) => ({ method: 'POST', path: p, body: { cardNumber: CARD } })),
      ...spellings(`/v1/orders/${orderId}/collect`).map((p) => ({ method: 'POST', path: p, body: { cardNumber: CARD, operationId: 'attack-op' } })),
      ...spellings('/v1/blocked').flatMap((p) => [
        { method: 'GET', path: p },
        { method: 'HEAD', path: p },
      ]),
      ...spellings('/v1/journal/status').map((p) => ({ method: 'GET', path: p })),
      ...spellings('/v1/journal').map((p) => ({ method: 'POST', path: p, body: { records: [] } })),
      ...spellings('/v1/keys/rotate').map((p) => ({ method: 'POST', path: p, body: { kioskPublicKey: 'A'.repeat(43) } })),
      // Issue 13: the technician list and the heartbeat (kiosk-signed).
      ...spellings('/v1/technicians').flatMap((p) => [
        { method: 'GET', path: p },
        { method: 'HEAD', path: p },
      ]),
      ...spellings('/v1/heartbeat').map((p) => ({ method: 'POST', path: p, body: { at: new Date().toISOString() } })),
      // Operator routes: operator credentials only, whatever the spelling.
      ...spellings('/operator/api/technicians').flatMap((p) => [
        { method: 'GET', path: p },
        { method: 'POST', path: p, body: { technicianId: 'T-ATTACK', roles: ['service'], pin: '1234' } },
      ]),
      ...spellings('/operator/api/technicians/T-0001/revoke').map((p) => ({ method: 'POST', path: p })),
      ...spellings('/operator/fleet').map((p) => ({ method: 'GET', path: p })),
      ...spellings('/operator/api/fleet').map((p) => ({ method: 'GET', path: p })),
      ...spellings('/operator/kiosks/NS-ATTACK-9/enrollment-token').map((p) => ({ method: 'POST', path: p })),
      ...spellings(`/operator/kiosks/${KIOSK}/revoke`).map((p) => ({ method: 'POST', path: p })),
    ];
    const answers: string[] = [];
    for (const c of cases) {
      const r = await fetch(`${bo.url}${c.path}`, {
        method: c.method,
        ...(c.body !== undefined ? { body: JSON.stringify(c.body), headers: { 'content-type': 'application/json' } } : {}),
      });
      const body = c.method === 'HEAD' ? '' : await r.text();
      answers.push(`${c.method} ${c.path} -> ${r.status}`);
      expect([401, 404], `${c.method} ${c.path} -> ${r.status} ${body.slice(0, 120)}`).toContain(r.status);
    }
    // The encoded spellings reach a route (and are refused there), they are not just unknown paths.
    expect(answers.filter((a) => a.endsWith('-> 401')).length).toBeGreaterThan(cases.length / 3);
    expect(await pending()).toEqual(before);
    expect(await bo.store.keys.openEnrollmentTokens('NS-ATTACK-9', new Date())).toEqual([]);
    expect(await bo.store.technicians.technicians()).toEqual([]);
    expect((await bo.store.fleet.view([])).kiosks).toEqual([]);
  });

  it('a signed kiosk request to the same routes still gets its answer', async () => {
    const client = createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: KIOSK, secret: SECRET, clock: systemClock, blockedCachePath: path.join(dir, 'blocked2.json') });
    try {
      expect((await client.pendingOrders(CARD)).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
