import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_CARDS } from '../contract/fixture-cards.js';
import { createHttpBackOfficeClient } from '../main/backoffice-client/http-client.js';
import { signRequest } from '../contract/request-signing.js';
import { BackOfficeRejectedError, BackOfficeUnavailableError } from '../main/backoffice-client/types.js';
import { fixedClock } from '../contract/time.js';
import { cardRef, sealRecord } from '../contract/record-crypto.js';
import { openJournal } from '../main/journal/sqlite-journal.js';
import { startBackOffice, type BackOfficeServer } from './server.js';

const KIOSK = 'kiosk-7';
const SECRET = 'kiosk-7-secret-abcdefghijkl';
const card = (id: keyof typeof FIXTURE_CARDS) => FIXTURE_CARDS[id].cardNumber;

let dir: string;
let server: BackOfficeServer;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bo-'));
  clock = fixedClock('2026-11-23T09:00:00Z');
  server = await startBackOffice({ port: 0, dbPath: join(dir, 'bo.sqlite'), clock, kiosks: { [KIOSK]: SECRET, other: 'other-secret-abcdefghijkl' }, bodyLimit: 256 * 1024 });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(opts: Partial<Parameters<typeof createHttpBackOfficeClient>[0]> = {}) {
  return createHttpBackOfficeClient({ baseUrl: server.url, kioskId: KIOSK, secret: SECRET, clock, blockedCachePath: join(dir, 'blocked.json'), ...opts });
}

async function raw(method: string, path: string, body: string | undefined, opts: { secret?: string; kioskId?: string; contentType?: string; at?: Date } = {}) {
  const headers: Record<string, string> = signRequest({ kioskId: opts.kioskId ?? KIOSK, secret: opts.secret ?? SECRET, method, pathWithQuery: path, body: body ?? '', at: opts.at ?? clock.now() });
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('pending orders match the fixture cards', () => {
  it('serves a kaartservicecode, loadable NS Extra (not the expired one), products, and the business card product', async () => {
    const c = client();
    // Two loadable orders on one card (oldest first), so one visit can collect both.
    expect((await c.pendingOrders(card('personal-kaartservicecode'))).map((o) => [o.orderId, o.kind])).toEqual([
      ['FX-NSX-0017', 'ns-extra'],
      ['FX-KSC-0017', 'kaartservicecode'],
    ]);
    const nsx = await c.pendingOrders(card('personal-ns-extra'));
    // The expired one is served too (the kiosk shows why it cannot be loaded); collecting it is refused.
    expect(nsx).toEqual([
      { orderId: 'FX-NSX-0025-OLD', kind: 'ns-extra', announcedOn: '2025-10-19', amountCents: 500 },
      { orderId: 'FX-NSX-0025', kind: 'ns-extra', announcedOn: '2026-09-24', amountCents: 1250 },
    ]);
    const prod = await c.pendingOrders(card('personal-products'));
    expect(prod[0]).toMatchObject({ kind: 'product', product: { code: 'DAL-VOORDEEL', travelClass: 2, validFrom: '2026-11-23', validUntil: '2027-11-22' } });
    expect((await c.pendingOrders(card('business')))[0]).toMatchObject({ kind: 'product', product: { code: 'TRAJECT-VRIJ', travelClass: 1 } });
  });

  it('lists NS Extra for an anonymous card but refuses to collect it, and serves nothing to a blocked card', async () => {
    const c = client();
    expect((await c.pendingOrders(card('anonymous'))).map((o) => o.orderId)).toEqual(['FX-NSX-0014']);
    expect(await c.pendingOrders(card('blocked'))).toEqual([]);
    await expect(c.markCollected('FX-NSX-0014', card('anonymous'), 'op-a')).rejects.toMatchObject({ status: 409, code: 'not-loadable' });
    await expect(c.markCollected('FX-NSX-0025-OLD', card('personal-ns-extra'), 'op-b')).rejects.toMatchObject({ code: 'not-loadable' });
  });

  it('refuses to store an order a kiosk could offer but never collect (13 digits in a row in its id, a card number not of 16 digits): nothing stored', () => {
    const cardNumber = card('personal-kaartservicecode');
    expect(() => server.store.addOrder({ orderId: '1234567890123', cardNumber, kind: 'kaartservicecode', announcedOn: '2026-11-01' })).toThrow(/13 or more digits/);
    expect(() => server.store.addOrder({ orderId: 'NS-OK-1', cardNumber: '12345', kind: 'kaartservicecode', announcedOn: '2026-11-01' })).toThrow(/16 digits/);
    expect(server.store.order('1234567890123')).toBeUndefined();
    expect(server.store.order('NS-OK-1')).toBeUndefined();
    server.store.addOrder({ orderId: '123456789012', cardNumber, kind: 'kaartservicecode', announcedOn: '2026-11-01' });
    expect(server.store.order('123456789012')).toMatchObject({ collected: false });
  });

  it('NS Extra is collectable through the same date one year after the announcement, not a day later', async () => {
    const c = client();
    clock.set('2027-09-25T12:00:00Z');
    await expect(c.markCollected('FX-NSX-0025', card('personal-ns-extra'), 'op-late')).rejects.toMatchObject({ code: 'not-loadable' });
    clock.set('2027-09-24T12:00:00Z');
    await c.markCollected('FX-NSX-0025', card('personal-ns-extra'), 'op-last-day');
    expect(server.store.order('FX-NSX-0025')).toEqual({ collected: true, collectedOperation: 'op-last-day' });
  });

  it('NS Extra follows a lost card to the card the back office says replaced it', async () => {
    const c = client();
    server.store.addCard(card('personal-ns-extra'), 'personal', '3528019999999990');
    server.store.addCard('3528019999999990', 'personal');
    expect((await c.pendingOrders('3528019999999990')).map((o) => o.orderId)).toEqual(['FX-NSX-0025-OLD', 'FX-NSX-0025']);
    await c.markCollected('FX-NSX-0025', '3528019999999990', 'op-repl');
    expect(server.store.order('FX-NSX-0025')).toEqual({ collected: true, collectedOperation: 'op-repl' });
  });

  it('marking collected is idempotent per operation and refuses a second operation', async () => {
    const c = client();
    await c.markCollected('FX-KSC-0017', card('personal-kaartservicecode'), 'op-1');
    await c.markCollected('FX-KSC-0017', card('personal-kaartservicecode'), 'op-1');
    // (the card's NS Extra still waits)
    expect((await c.pendingOrders(card('personal-kaartservicecode'))).map((o) => o.orderId)).toEqual(['FX-NSX-0017']);
    await expect(c.markCollected('FX-KSC-0017', card('personal-kaartservicecode'), 'op-2')).rejects.toMatchObject({ code: 'already-collected' });
    await expect(c.markCollected('FX-PRD-0033', card('personal-kaartservicecode'), 'op-3')).rejects.toMatchObject({ code: 'wrong-card' });
    await expect(c.markCollected('NOPE', card('personal-kaartservicecode'), 'op-3')).rejects.toMatchObject({ status: 404, code: 'unknown-order' });
  });
});

describe('blocked-card list', () => {
  it('arrives as deltas since a version, is cached on disk, and answers offline after a restart', async () => {
    const c = client();
    expect(c.isBlocked(card('blocked'))).toBe(false);
    expect(await c.refreshBlockedList()).toEqual({ version: 1, applied: 1 });
    expect(c.isBlocked(card('blocked'))).toBe(true);
    server.store.setBlocked(card('personal-products'), true);
    server.store.setBlocked(card('blocked'), false);
    expect(await c.refreshBlockedList()).toEqual({ version: 3, applied: 2 });
    expect(c.isBlocked(card('blocked'))).toBe(false);
    expect(c.isBlocked(card('personal-products'))).toBe(true);
    await server.close();
    const offline = client();
    expect(offline.isBlocked(card('personal-products'))).toBe(true);
    expect(offline.blockedListVersion()).toBe(3);
    await expect(offline.refreshBlockedList()).rejects.toBeInstanceOf(BackOfficeUnavailableError);
    expect(offline.isBlocked(card('personal-products'))).toBe(true);
    server = await startBackOffice({ port: 0, dbPath: join(dir, 'bo2.sqlite'), clock, kiosks: { [KIOSK]: SECRET } }); // afterEach closes it
  });

  it('the cache holds keyed hashes, never card numbers', async () => {
    const c = client();
    await c.refreshBlockedList();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'blocked.json'), 'utf8')).not.toContain(card('blocked'));
  });
});

describe('authentication and bad input', () => {
  it('refuses a wrong secret, an unknown kiosk, a missing signature and a stale request with 401', async () => {
    const body = JSON.stringify({ cardNumber: card('personal-kaartservicecode') });
    expect((await raw('POST', '/v1/orders/query', body, { secret: 'wrong-secret-abcdefghijkl' })).status).toBe(401);
    expect((await raw('POST', '/v1/orders/query', body, { kioskId: 'nobody' })).status).toBe(401);
    const res = await fetch(`${server.url}/v1/orders/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(401);
    const stale = await raw('POST', '/v1/orders/query', body, { at: new Date(clock.now().getTime() - 10 * 60_000) });
    expect(stale).toEqual({ status: 401, json: { error: 'stale-request', message: expect.any(String) } });
    // The 401 is not signed with this kiosk's key (the back office cannot know it): the kiosk does not act on it.
    await expect(client({ secret: 'wrong-secret-abcdefghijkl' }).pendingOrders(card('business'))).rejects.toThrow(/not signed for this kiosk/);
  });

  it('answers malformed JSON, wrong shapes, wrong content type, unknown routes and huge bodies with a clear 4xx', async () => {
    expect(await raw('POST', '/v1/orders/query', '{"cardNumber":')).toEqual({ status: 400, json: { error: 'bad-request', message: 'malformed JSON body' } });
    const shape = await raw('POST', '/v1/orders/query', JSON.stringify({ cardNumber: '12' }));
    expect(shape.status).toBe(400);
    expect(shape.json.message).toMatch(/16 digits/);
    expect((await raw('POST', '/v1/orders/query', JSON.stringify({ cardNumber: card('business'), extra: 1 }))).status).toBe(400);
    expect((await raw('POST', '/v1/orders/query', '')).status).toBe(400);
    expect((await raw('POST', '/v1/orders/query', 'cardNumber=1', { contentType: 'text/plain' })).status).toBe(415);
    expect((await raw('GET', '/v1/nothing', undefined)).status).toBe(404);
    expect((await raw('GET', '/v1/blocked?since=-1', undefined)).status).toBe(400);
    expect((await raw('POST', '/v1/orders/bad%20id!/collect', JSON.stringify({ cardNumber: card('business'), operationId: 'x' }))).status).toBe(400);
    const huge = JSON.stringify({ records: [], pad: 'x'.repeat(300 * 1024) });
    expect(await raw('POST', '/v1/journal', huge)).toEqual({ status: 413, json: { error: 'payload-too-large', message: expect.any(String) } });
    expect((await raw('POST', '/v1/journal', JSON.stringify({ records: [{ seq: 1 }] }))).status).toBe(400);
    expect((await raw('POST', '/v1/journal', 'null')).status).toBe(400);
    expect((await raw('POST', '/v1/journal', '[1,2]')).status).toBe(400);
  });
});

describe('transaction intake', () => {
  function kioskJournal(kioskId = KIOSK, secret = SECRET) {
    return openJournal({ path: ':memory:', kioskId, hmacKey: secret, clock });
  }

  it('accepts a chain once, answers a replay as duplicate (no double effect), and reports no gaps', async () => {
    const j = kioskJournal();
    for (let i = 0; i < 5; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    const c = client();
    const first = await c.submitRecords(j.undelivered(10));
    expect(first.results.map((r) => r.status)).toEqual(Array(5).fill('accepted'));
    expect(first).toMatchObject({ contiguousSeq: 5, gaps: [] });
    const replay = await c.submitRecords(j.undelivered(10));
    expect(replay.results.map((r) => r.status)).toEqual(Array(5).fill('duplicate'));
    expect(server.store.journalRecords(KIOSK)).toHaveLength(5);
  });

  it('rejects a tampered record (hash or HMAC), a forged record for the same seq, and a record of another kiosk', async () => {
    const j = kioskJournal();
    j.append({ type: 'payment.intent', operationId: 'p', amountCents: 1000 });
    const [rec] = j.undelivered(1);
    const c = client();
    const tampered = { ...rec!, amountCents: 1 };
    const resealedWithWrongKey = sealRecord({ ...tampered, hash: undefined, hmac: undefined } as never, 'attacker-secret-abcdefghijkl');
    const other = kioskJournal('other', 'other-secret-abcdefghijkl');
    other.append({ type: 'kiosk.note', operationId: 'x' });
    const r = await c.submitRecords([tampered, resealedWithWrongKey, other.undelivered(1)[0]!]);
    expect(r.results.map((x) => x.reason)).toEqual(['hash-mismatch', 'bad-hmac', 'wrong-kiosk']);
    await c.submitRecords([rec!]);
    // A different record (validly signed, e.g. from a journal that was reset) claiming seq 1: conflict.
    const reset = kioskJournal();
    reset.append({ type: 'kiosk.note', operationId: 'again' });
    expect((await c.submitRecords(reset.undelivered(1))).results[0]).toMatchObject({ status: 'rejected', reason: 'conflict' });
  });

  it('reports a sequence gap until the missing records arrive, and verifies the chain across it', async () => {
    const j = kioskJournal();
    for (let i = 0; i < 6; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    const recs = j.undelivered(10);
    const c = client();
    const r1 = await c.submitRecords([recs[0]!, recs[3]!, recs[5]!]);
    expect(r1).toMatchObject({ contiguousSeq: 1, gaps: [{ from: 2, to: 3 }, { from: 5, to: 5 }] });
    // A record whose successor is already here must link to it.
    const forged2 = sealRecord({ ...recs[2]!, operationId: 'forged', hash: undefined, hmac: undefined } as never, SECRET);
    expect((await c.submitRecords([forged2])).results[0]).toMatchObject({ status: 'rejected', reason: 'chain-broken' });
    const r2 = await c.submitRecords([recs[1]!, recs[2]!, recs[4]!]);
    expect(r2).toMatchObject({ contiguousSeq: 6, gaps: [] });
  });

  it('backward chain check: a validly signed record that arrives after its successor (same batch or later) must be the one the successor names', async () => {
    // Records from two copies of one kiosk's journal (same key, e.g. a restored backup): each is
    // signed and linked forward correctly, so only the successor's prevHash tells them apart.
    const j = kioskJournal();
    for (let i = 0; i < 3; i++) j.append({ type: 'kiosk.note', operationId: `n${i}`, amountCents: 100 });
    const recs = j.undelivered(10);
    const fork2 = sealRecord({ ...recs[1]!, amountCents: 1, hash: undefined, hmac: undefined } as never, SECRET);
    expect(fork2.prevHash).toBe(recs[0]!.hash); // its forward link is fine
    const c = client();
    const r = await c.submitRecords([recs[0]!, recs[2]!, fork2]);
    expect(r.results.map((x) => x.reason ?? x.status)).toEqual(['accepted', 'accepted', 'chain-broken']);
    expect((await c.submitRecords([fork2])).results[0]).toMatchObject({ status: 'rejected', reason: 'chain-broken' });
    expect(await c.submitRecords([recs[1]!])).toMatchObject({ contiguousSeq: 3, gaps: [] });
    expect(server.store.journalRecords(KIOSK).map((x) => x.amountCents)).toEqual([100, 100, 100]);
  });

  it('an order.loaded record confirms the collection of its order (kiosk was offline when loading)', async () => {
    const j = kioskJournal();
    const onCard = cardRef(FIXTURE_CARDS['personal-products'].cardNumber, SECRET); // the order's own card
    j.append({ type: 'order.collect-intent', operationId: 'op-x', card: onCard, data: { orderId: 'FX-PRD-0033' } });
    j.append({ type: 'order.loaded', operationId: 'op-x', card: onCard, data: { orderId: 'FX-PRD-0033' } });
    await client().submitRecords(j.undelivered(10));
    expect(server.store.order('FX-PRD-0033')).toEqual({ collected: true, collectedOperation: 'op-x' });
  });
});
