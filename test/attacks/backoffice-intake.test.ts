/**
 * Attacks on the back office's journal intake (issue 11 finding 2): a record signed with one kiosk's
 * key is that kiosk's word, not a licence. Intake used to mark any order collected on an
 * `order.loaded` naming its id, accept any amount, and accept a seq far ahead (a gap forever).
 * Now (backoffice/intake-rules.ts, both stores): an order changes only for a record naming the
 * order's own card and only when the rules let that card load it; amounts beyond a card's maximum
 * and seqs far ahead are rejected as `out-of-range`, and nothing else changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBackOffice, type BackOfficeServer } from '../../backoffice/server.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { cardRef, sealRecord } from '../../contract/record-crypto.js';
import { fixedClock } from '../../contract/time.js';
import { createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';

const KIOSK = 'NS-UT-ATTACK-03';
const SECRET = 'attack-test-kiosk-secret-intake-0123456789';
const clock = fixedClock('2026-11-23T10:00:00Z');
const KSC_CARD = FIXTURE_CARDS['personal-kaartservicecode'].cardNumber;
const OTHER_CARD = FIXTURE_CARDS.anonymous.cardNumber;

let dir: string;
let bo: BackOfficeServer;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-attack-intake-'));
  bo = await startBackOffice({ port: 0, dbPath: path.join(dir, 'bo.sqlite'), clock, kiosks: { [KIOSK]: SECRET } });
});
afterEach(async () => {
  await bo.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = () => createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: KIOSK, secret: SECRET, clock, blockedCachePath: path.join(dir, 'blocked.json') });
const journal = () => openJournal({ path: ':memory:', kioskId: KIOSK, hmacKey: SECRET, clock });

describe('journal intake changes orders only as the rules allow', () => {
  it("an order.loaded naming another card (or no card) is stored but leaves the other traveller's order pending", async () => {
    const j = journal();
    j.append({ type: 'order.collect-intent', operationId: 'op-a', card: cardRef(OTHER_CARD, SECRET), data: { orderId: 'FX-KSC-0017' } });
    j.append({ type: 'order.loaded', operationId: 'op-a', card: cardRef(OTHER_CARD, SECRET), data: { orderId: 'FX-KSC-0017' } });
    j.append({ type: 'order.collect-intent', operationId: 'op-b', data: { orderId: 'FX-NSX-0017' } });
    j.append({ type: 'order.collected', operationId: 'op-b', data: { orderId: 'FX-NSX-0017' } });
    const c = client();
    const r = await c.submitRecords(j.undelivered(10));
    expect(r.results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    expect(bo.store.order('FX-KSC-0017')).toEqual({ collected: false, collectedOperation: null });
    expect(bo.store.order('FX-NSX-0017')).toEqual({ collected: false, collectedOperation: null });
    expect((await c.pendingOrders(KSC_CARD)).map((o) => o.orderId).sort()).toEqual(['FX-KSC-0017', 'FX-NSX-0017']);
    await c.close();
  });

  it('NS Extra confirmed on a business card (not its card, and a kind that may not hold NS Extra) stays pending', async () => {
    const j = journal();
    j.append({ type: 'order.collect-intent', operationId: 'op-c', card: cardRef(FIXTURE_CARDS.business.cardNumber, SECRET), data: { orderId: 'FX-NSX-0017' } });
    j.append({ type: 'order.loaded', operationId: 'op-c', card: cardRef(FIXTURE_CARDS.business.cardNumber, SECRET), data: { orderId: 'FX-NSX-0017' } });
    await client().submitRecords(j.undelivered(10));
    expect(bo.store.order('FX-NSX-0017')).toEqual({ collected: false, collectedOperation: null });
  });

  it("the order's own card confirms its collection (the kiosk that was offline when loading)", async () => {
    const j = journal();
    j.append({ type: 'order.collect-intent', operationId: 'op-d', card: cardRef(KSC_CARD, SECRET), data: { orderId: 'FX-KSC-0017' } });
    j.append({ type: 'order.loaded', operationId: 'op-d', card: cardRef(KSC_CARD, SECRET), data: { orderId: 'FX-KSC-0017' } });
    await client().submitRecords(j.undelivered(10));
    expect(bo.store.order('FX-KSC-0017')).toEqual({ collected: true, collectedOperation: 'op-d' });
  });

  it('an amount beyond what a card may hold is rejected out-of-range; EUR 150 itself is accepted', async () => {
    const j = journal();
    j.append({ type: 'payment.intent', operationId: 'pay-1', amountCents: 15_000 });
    j.append({ type: 'payment.intent', operationId: 'pay-2', amountCents: 99_999_999 });
    const r = await client().submitRecords(j.undelivered(10));
    expect(r.results.map((x) => [x.status, x.reason])).toEqual([
      ['accepted', undefined],
      ['rejected', 'out-of-range'],
    ]);
    expect(bo.store.journalRecords(KIOSK).map((x) => x.amountCents)).toEqual([15_000]);
  });

  it('a validly signed record far ahead of the chain is rejected out-of-range and leaves no gap behind', async () => {
    const j = journal();
    j.append({ type: 'kiosk.note', operationId: 'n1' });
    const [first] = j.undelivered(10);
    const far = sealRecord({ ...first!, seq: 50_000, operationId: 'far', hash: undefined, hmac: undefined } as never, SECRET);
    const r = await client().submitRecords([first!, far]);
    expect(r.results.map((x) => [x.status, x.reason])).toEqual([
      ['accepted', undefined],
      ['rejected', 'out-of-range'],
    ]);
    expect(r).toMatchObject({ contiguousSeq: 1, gaps: [] });
  });
});
