/**
 * The order journeys end to end on the real composition (emulated card reader with the fixture
 * cards, the in-process back office, the SQLite journal): collect orders of every kind, the
 * refusals, several orders in one visit, the back office down, the free station passage, card
 * states, and the privacy rule (no birth date in any snapshot, journal record or log line).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixtureCardId } from '../../contract/fixture-cards.js';
import { FIXTURE_CARD_MODELS } from '../../hardware/card/fixtures.js';
import { createKiosk, type Kiosk } from '../composition.js';
import { testKioskConfig } from '../../test/support/kiosk-config.js';
import type { ScreenId } from '../../contract/bridge.js';
import type { AnySnapshot } from '../../test/support/snapshot-fields.js';
import { openJournal } from '../journal/sqlite-journal.js';

const dirs: string[] = [];
const kiosks: Kiosk[] = [];

afterEach(async () => {
  for (const k of kiosks.splice(0)) await k.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function makeKiosk(overrides: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-orders-'));
  dirs.push(dataDir);
  const config = testKioskConfig(dataDir, 'info', overrides);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const kiosk = await createKiosk(config, { logger: pino({ level: 'debug' }, sink) });
  kiosks.push(kiosk);
  const snaps: AnySnapshot[] = [];
  kiosk.bridge.subscribe((s) => snaps.push(s));
  await kiosk.start();
  const last = () => snaps[snaps.length - 1]!;
  const until = async (pred: (s: AnySnapshot) => boolean, what: string, ms = 8000) => {
    const t0 = Date.now();
    while (!pred(last())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; screen is ${last().screen}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return last();
  };
  const screen = (id: ScreenId) => until((s) => s.screen === id && !s.busy, `screen ${id}`);
  const send = (e: unknown) => kiosk.bridge.send(e);
  const journal = () => {
    const j = openJournal({
      path: path.join(dataDir, 'journal.sqlite'),
      kioskId: config.kioskId,
      hmacKey: readFileSync(path.join(dataDir, 'kiosk-secret'), 'utf8').trim(),
      clock: { now: () => new Date() },
    });
    const records = j.records();
    j.close();
    return records;
  };
  /** Start, present a fixture card, wait for the menu. */
  const toMenu = async (fixture: FixtureCardId) => {
    send({ type: 'START' });
    await screen('present-card');
    await kiosk.tester!.card!.present(fixture);
    return screen('menu');
  };
  return { kiosk, config, snaps, last, until, screen, send, journal, toMenu, logLines, dataDir };
}

describe('collect orders on the real composition', () => {
  it('collects a kaartservicecode: nothing written to the card, the back office told, the next step shown', async () => {
    const k = await makeKiosk();
    const menu = await k.toMenu('personal-kaartservicecode');
    expect(menu.menu).toContain('collect-orders');
    expect(k.send({ type: 'CHOOSE', option: 'collect-orders' })).toEqual({ ok: true });
    const list = await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    expect(list.orders).toEqual([
      expect.objectContaining({ orderId: 'FX-NSX-0017', kind: 'ns-extra' }),
      expect.objectContaining({ orderId: 'FX-KSC-0017', kind: 'kaartservicecode' }),
    ]);
    expect(list.orders!.map((o) => o.refusal)).toEqual([undefined, undefined]);
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-KSC-0017' });
    const confirm = await k.screen('order-confirm');
    expect(confirm.selectedOrder?.orderId).toBe('FX-KSC-0017');
    k.send({ type: 'CONFIRM' });
    const done = await k.screen('order-done');
    expect(done.collected).toMatchObject({ orderId: 'FX-KSC-0017', kind: 'kaartservicecode' });
    expect(done.orders?.map((o) => o.orderId)).toEqual(['FX-NSX-0017']);
    expect(done.card?.last4).toBe('0017');
    const types = k.journal().filter((r) => (r.type.startsWith('order.') || r.type.startsWith('card.')) && r.type !== 'card.refs-seen').map((r) => r.type);
    expect(types).toEqual(['order.collect-intent', 'order.loaded', 'order.collected']);
    // Collected: the list no longer shows it (the card's NS Extra still waits).
    k.send({ type: 'BACK' });
    const again = await k.until((s) => s.screen === 'orders' && !!s.orders, 'list again');
    expect(again.orders?.map((o) => o.orderId)).toEqual(['FX-NSX-0017']);
    // A tester reset restores the fixture cards and so their orders.
    await k.kiosk.tester!.reset();
    await k.toMenu('personal-kaartservicecode');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    const restored = await k.until((s) => s.screen === 'orders' && !!s.orders, 'restored list');
    expect(restored.orders?.map((o) => o.orderId)).toEqual(['FX-NSX-0017', 'FX-KSC-0017']);
  });

  it('collects two orders in one visit: the code, then NS Extra from the updated list; the back office serves neither again', async () => {
    const k = await makeKiosk();
    const menu = await k.toMenu('personal-kaartservicecode');
    const before = menu.card!.balanceCents;
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    await k.until((s) => s.screen === 'orders' && s.orders?.length === 2, 'two orders');
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-KSC-0017' });
    await k.screen('order-confirm');
    k.send({ type: 'CONFIRM' });
    expect((await k.screen('order-done')).collected).toMatchObject({ orderId: 'FX-KSC-0017' });
    k.send({ type: 'BACK' });
    const rest = await k.until((s) => s.screen === 'orders' && s.orders?.length === 1, 'the other order');
    expect(rest.orders![0]).toMatchObject({ orderId: 'FX-NSX-0017', amountCents: 500 });
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-NSX-0017' });
    await k.screen('order-confirm');
    k.send({ type: 'CONFIRM' });
    const done = await k.screen('order-done');
    expect(done.collected).toMatchObject({ orderId: 'FX-NSX-0017', kind: 'ns-extra', amountCents: 500 });
    expect(done.card?.balanceCents).toBe(before + 500);
    expect(done.orders).toEqual([]);
    const collected = k.journal().filter((r) => r.type === 'order.collected').map((r) => r.data?.['orderId']);
    expect(collected).toEqual(['FX-KSC-0017', 'FX-NSX-0017']);
    // the next visit finds nothing waiting
    k.send({ type: 'FINISH' });
    await k.screen('goodbye');
    await k.kiosk.tester!.card!.remove();
    await k.screen('start');
    await k.toMenu('personal-kaartservicecode');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    expect((await k.until((s) => s.screen === 'orders' && !!s.orders, 'empty list')).orders).toEqual([]);
  });

  it('loads NS Extra onto a personal card, shows the expired one with its last day, and updates the balance', async () => {
    const k = await makeKiosk();
    const menu = await k.toMenu('personal-ns-extra');
    const before = menu.card!.balanceCents;
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    const list = await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    const old = list.orders!.find((o) => o.orderId === 'FX-NSX-0025-OLD')!;
    expect(old.refusal).toMatchObject({ reason: 'ns-extra-expired', lastDay: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-NSX-0025-OLD' });
    const refused = await k.screen('order-refused');
    expect(refused.selectedOrder?.refusal?.reason).toBe('ns-extra-expired');
    k.send({ type: 'BACK' });
    await k.screen('orders');
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-NSX-0025' });
    await k.screen('order-confirm');
    k.send({ type: 'CONFIRM' });
    const done = await k.screen('order-done');
    expect(done.collected).toMatchObject({ kind: 'ns-extra', amountCents: 1250 });
    expect(done.card?.balanceCents).toBe(before + 1250);
    expect(done.card?.topUps[0]).toMatchObject({ amountCents: 1250, location: 'ns-extra' });
    const records = k.journal();
    const op = records.find((r) => r.type === 'order.collect-intent' && r.data?.['orderId'] === 'FX-NSX-0025')!.operationId;
    expect(records.filter((r) => r.operationId === op).map((r) => r.type)).toEqual([
      'order.collect-intent',
      'card.write-intent',
      'card.written',
      'order.loaded',
      'order.collected',
    ]);
    expect(records.find((r) => r.operationId === op && r.type === 'order.collected')?.data?.['confirmedBy']).toBe('backoffice');
    k.send({ type: 'FINISH' });
    await k.screen('goodbye');
  });

  it('refuses NS Extra to an anonymous card (not personal) and a conflicting product, saying which', async () => {
    const k = await makeKiosk();
    await k.toMenu('anonymous');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    const list = await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    expect(list.orders).toEqual([expect.objectContaining({ orderId: 'FX-NSX-0014', refusal: { reason: 'not-personal' } })]);
    // CONFIRM is impossible for a refused order: it only shows why.
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-NSX-0014' });
    await k.screen('order-refused');
    expect(k.send({ type: 'CONFIRM' })).toMatchObject({ ok: false, error: 'not-allowed-now' });
    k.send({ type: 'FINISH' });
    await k.screen('goodbye');
    await k.kiosk.tester!.card!.remove();
    await k.screen('start');

    await k.toMenu('personal-products');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    const prod = await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    const byId = Object.fromEntries(prod.orders!.map((o) => [o.orderId, o]));
    expect(byId['FX-PRD-0033']).toMatchObject({ refusal: { reason: 'conflicting-product', conflictingCode: 'DAL-VOORDEEL' } });
    // EUR 110 on EUR 45.20 would pass EUR 150: the room is shown.
    expect(byId['FX-NSX-0033']).toMatchObject({ refusal: { reason: 'over-limit', roomCents: 15_000 - 4520 } });
  });

  it('goes back to Dutch when the visit ends, whatever language the traveller chose', async () => {
    const k = await makeKiosk();
    k.send({ type: 'START' });
    k.send({ type: 'SET_LOCALE', locale: 'fr' });
    await k.screen('present-card');
    await k.kiosk.tester!.card!.present('personal-kaartservicecode');
    const menu = await k.screen('menu');
    expect(menu.locale).toBe('fr');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    k.send({ type: 'FINISH' });
    await k.screen('goodbye');
    const start = await k.screen('start');
    expect(start.locale).toBe('nl');
    await k.kiosk.tester!.reset();
    expect(k.last().locale).toBe('nl');
  });

  it('loads a product onto a business card (the employer authorised it) and keeps it on the card', async () => {
    const k = await makeKiosk();
    const menu = await k.toMenu('business');
    expect(menu.menu).not.toContain('topup');
    expect(menu.menu).toContain('collect-orders');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-BUS-0011' });
    await k.screen('order-confirm');
    k.send({ type: 'CONFIRM' });
    const done = await k.screen('order-done');
    expect(done.card?.products.map((p) => p.code)).toContain('TRAJECT-VRIJ');
    // A torn write retried would find the ref: loading it again is refused by the back office list anyway.
    k.send({ type: 'BACK' });
    const list = await k.until((s) => s.screen === 'orders' && !!s.orders, 'list');
    expect(list.orders).toEqual([]);
    k.send({ type: 'BACK' });
    const back = await k.screen('menu');
    expect(back.card?.products.map((p) => p.code)).toContain('TRAJECT-VRIJ');
  });

  it('shows service-unavailable (back office) when the back office cannot be reached, and top-up still works', async () => {
    // A remote back office that does not exist: orders cannot be fetched; the menu still works.
    const k = await makeKiosk({ backOffice: { mode: 'remote', url: 'http://127.0.0.1:9/' }, tester: true });
    await k.toMenu('anonymous');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    const down = await k.screen('service-unavailable');
    expect(down.unavailable).toBe('backoffice');
    k.send({ type: 'RETRY' });
    await k.screen('service-unavailable');
    k.send({ type: 'BACK' });
    const menu = await k.screen('menu');
    expect(menu.menu).toContain('topup');
    k.send({ type: 'CHOOSE', option: 'topup' });
    await k.screen('topup-amount');
  });
});

describe('a tester takes the back office away', () => {
  it('orders say service-unavailable until it is back; a reset brings it back', async () => {
    const k = await makeKiosk();
    await k.toMenu('personal-kaartservicecode');
    k.kiosk.tester!.backOffice.setReachable(false);
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    expect((await k.screen('service-unavailable')).unavailable).toBe('backoffice');
    k.kiosk.tester!.backOffice.setReachable(true);
    k.send({ type: 'RETRY' });
    const list = await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    expect(list.orders).toHaveLength(2);
    k.kiosk.tester!.backOffice.setReachable(false);
    await k.kiosk.tester!.reset();
    expect(k.kiosk.tester!.backOffice.reachable()).toBe(true);
  });
});

describe('station passage, card states and privacy on the real composition', () => {
  it('grants the free station passage to a card below the minimum, once, journaled as a card write', async () => {
    const k = await makeKiosk({ stationPassage: { stationCode: 'ASD', belowBalanceCents: 2000, minutes: 60 } });
    const menu = await k.toMenu('personal-ns-extra'); // EUR 8.30
    expect(menu.menu).toContain('station-passage');
    k.send({ type: 'CHOOSE', option: 'station-passage' });
    const confirm = await k.screen('order-confirm');
    expect(confirm.stationPassage).toEqual({ station: 'ASD', minutes: 60 });
    // Its own view member: a station-passage journey, no order pretending to be one.
    expect(confirm.journey).toBe('station-passage');
    expect(confirm.selectedOrder).toBeUndefined();
    k.send({ type: 'CONFIRM' });
    const done = await k.screen('order-done');
    expect(done.stationPassage?.validUntil).toMatch(/T/);
    expect(done.card?.products.find((p) => p.code === 'STATION-PASSAGE')).toBeDefined();
    // Every card read also journals the refs the card holds (reconciliation, issue 12): evidence, no personal data.
    const seen = k.journal().filter((r) => r.type === 'card.refs-seen');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.card?.last4).toBe(done.card?.last4);
    expect(String(seen[0]!.data?.['refs'])).toMatch(/^([0-9a-f]{8}(,[0-9a-f]{8})*)?$/);
    const types = k.journal().filter((r) => r.type !== 'card.refs-seen').map((r) => r.type);
    expect(types).toEqual(['card.write-intent', 'card.written']);
    k.send({ type: 'BACK' });
    const after = await k.screen('menu');
    expect(after.menu).not.toContain('station-passage');
  });

  it('does not offer the station passage above the minimum, on a business card, or when switched off', async () => {
    const k = await makeKiosk({ stationPassage: { enabled: false } });
    expect((await k.toMenu('personal-ns-extra')).menu).not.toContain('station-passage');
    const k2 = await makeKiosk();
    expect((await k2.toMenu('near-limit')).menu).not.toContain('station-passage');
    const k3 = await makeKiosk();
    expect((await k3.toMenu('business')).menu).toEqual(['collect-orders', 'balance']);
  });

  it('an expired card may only see its balance, and is told it expired', async () => {
    const k = await makeKiosk();
    k.send({ type: 'START' });
    await k.screen('present-card');
    await k.kiosk.tester!.card!.present('expired');
    const problem = await k.screen('card-problem');
    expect(problem.problem).toBe('expired');
    expect(problem.menu).toEqual(['balance']);
    expect(k.send({ type: 'CHOOSE', option: 'topup' })).toMatchObject({ ok: false });
    k.send({ type: 'CHOOSE', option: 'balance' });
    const bal = await k.screen('balance');
    expect(bal.card?.expired).toBe(true);
    k.send({ type: 'BACK' });
    await k.screen('card-problem');
  });

  it('never shows, logs or journals a birth date or a full card number through a whole visit', async () => {
    const k = await makeKiosk();
    await k.toMenu('personal-ns-extra');
    k.send({ type: 'CHOOSE', option: 'collect-orders' });
    await k.until((s) => s.screen === 'orders' && !!s.orders, 'order list');
    k.send({ type: 'SELECT_ORDER', orderId: 'FX-NSX-0025' });
    await k.screen('order-confirm');
    k.send({ type: 'CONFIRM' });
    await k.screen('order-done');
    k.send({ type: 'BACK' });
    await k.screen('orders');
    k.send({ type: 'BACK' });
    await k.screen('menu');
    k.send({ type: 'CHOOSE', option: 'balance' });
    await k.screen('balance');
    k.send({ type: 'CHOOSE', option: 'topup' });
    k.send({ type: 'BACK' });
    await k.screen('menu');
    k.send({ type: 'CHOOSE', option: 'topup' });
    await k.screen('topup-amount');
    k.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    k.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    await k.screen('topup-done');
    const birth = FIXTURE_CARD_MODELS['personal-ns-extra'].birthDate!;
    const number = FIXTURE_CARD_MODELS['personal-ns-extra'].cardNumber;
    const variants = [birth, birth.replaceAll('-', ''), birth.split('-').reverse().join('-'), birth.split('-').reverse().join('/')];
    const texts = {
      snapshots: JSON.stringify(k.snaps),
      journal: JSON.stringify(k.journal()),
      log: k.logLines.join(''),
    };
    expect(k.snaps.length).toBeGreaterThan(10);
    expect(k.logLines.length).toBeGreaterThan(5);
    for (const [where, text] of Object.entries(texts)) {
      for (const v of variants) expect(text.includes(v), `${where} holds the birth date as ${v}`).toBe(false);
      expect(text.includes(number), `${where} holds the full card number`).toBe(false);
      expect(/birth/i.test(text), `${where} mentions a birth field`).toBe(false);
    }
  });
});
