/**
 * The order service's edges, each pinned by a test that fails when the code it guards is changed
 * (issue 12 item 6: cases mutation testing found unguarded by order-service.test.ts and the money
 * proofs): a pending credit loads under its payment's own ref, what each journal record carries,
 * the rules re-checked inside the card update, the back office told exactly once, and the station
 * passage's one-a-day rule through the card's ref log.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { CardError, type CardReader } from '../../hardware/card/card-reader.js';
import { FIXTURE_CARDS, type FixtureCardId } from '../../contract/fixture-cards.js';
import { MAX_TOP_UPS, type CardModel } from '../../contract/card.js';
import type { OrderInfo } from '../../domain/order-rules.js';
import { BackOfficeRejectedError, BackOfficeUnavailableError, type PendingOrder } from '../backoffice-client/types.js';
import { fixedClock } from '../../contract/time.js';
import { sequentialRandom } from '../../contract/random.js';
import { cardRef, openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { stationPassageRef } from '../money/ids.js';
import { createOrderService, orderRef } from './order-service.js';

const SECRET = 'order-edges-secret-order-edges-secret';
const NOW = '2026-11-23T10:00:00.000Z';
const TODAY = '2026-11-23';
const id = (f: FixtureCardId) => ({ uid: FIXTURE_CARDS[f].uid, cardNumber: FIXTURE_CARDS[f].cardNumber });
const NSX: OrderInfo = { orderId: 'NSX-9', kind: 'ns-extra', announcedOn: '2026-10-01', amountCents: 1250 };
const KSC: OrderInfo = { orderId: 'KSC-9', kind: 'kaartservicecode', announcedOn: '2026-11-20' };
const PRD: OrderInfo = { orderId: 'PRD-9', kind: 'product', announcedOn: '2026-11-22', product: { code: 'WEEKEND-VRIJ', validFrom: TODAY, validUntil: '2026-12-22' } };
const PASSAGE = { enabled: true, stationCode: 'UT', minutes: 45, belowBalanceCents: 2000, cardKinds: ['personal' as const, 'anonymous' as const] };

const journals: SqliteJournal[] = [];
afterEach(() => {
  for (const j of journals.splice(0)) j.close();
});

/** The emulated reader; `beforeUpdate` changes the card inside the write, as if it changed between the check and the write. */
function changingReader(inner: EmulatedCardReader, beforeUpdate: { fn?: (c: CardModel) => CardModel }): CardReader {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'write')
        return (expected: Parameters<CardReader['write']>[0], update: Parameters<CardReader['write']>[1]) =>
          target.write(expected, (c) => update(beforeUpdate.fn ? beforeUpdate.fn(c) : c));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as CardReader;
}

async function setup(opts: { rejects?: boolean; pendingThrows?: Error } = {}) {
  const clock = fixedClock(NOW);
  const inner = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await inner.start();
  const change: { fn?: (c: CardModel) => CardModel } = {};
  const reader = changingReader(inner, change);
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
  journals.push(journal);
  const marked: [string, string, string][] = [];
  /** What the service logs (the technician's view), parsed. */
  const logged: Record<string, unknown>[] = [];
  const service = createOrderService({
    reader,
    backOffice: {
      async pendingOrders(): Promise<PendingOrder[]> {
        if (opts.pendingThrows) throw opts.pendingThrows;
        return [NSX as PendingOrder];
      },
      async markCollected(orderId: string, cardNumber: string, operationId: string) {
        if (opts.rejects) throw new BackOfficeRejectedError(409, 'not-loadable', 'order withdrawn');
        marked.push([orderId, cardNumber, operationId]);
      },
    },
    journal,
    clock,
    random: sequentialRandom(),
    timeZone: 'Europe/Amsterdam',
    maxBalanceCents: 15_000,
    exclusiveProductGroups: [['DAL-VOORDEEL', 'TRAJECT-VRIJ', 'WEEKEND-VRIJ']],
    stationPassage: PASSAGE,
    cardRef: (n) => cardRef(n, SECRET),
    log: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }),
  });
  /** The log lines at `level` (pino: 30 info, 40 warn, 50 error). */
  const logs = (level: number) => logged.filter((l) => l['level'] === level);
  return { inner, reader, change, journal, service, marked, logs, cref: (f: FixtureCardId) => cardRef(FIXTURE_CARDS[f].cardNumber, SECRET) };
}

describe('fetchOrders', () => {
  it('any back office failure, not only unavailability, is "no orders now"', async () => {
    const t = await setup({ pendingThrows: new Error('bad json') });
    expect(await t.service.fetchOrders({ cardNumber: id('anonymous').cardNumber })).toEqual({ ok: false, reason: 'backoffice' });
  });
});

describe('collect: what the journal records carry', () => {
  it('NS Extra: every record carries the amount, the order id; the intent its kind and ref; collected once, by the back office, under the journal operation', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    const r = await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    const recs = t.journal.records();
    const op = recs[0]!.operationId;
    expect(recs.every((x) => x.operationId === op && x.amountCents === 1250 && x.data?.['orderId'] === 'NSX-9')).toBe(true);
    expect(recs.every((x) => JSON.stringify(x.card) === JSON.stringify(t.cref('personal-ns-extra')))).toBe(true);
    expect(recs[0]).toMatchObject({ type: 'order.collect-intent', data: { orderId: 'NSX-9', kind: 'ns-extra', ref: orderRef('NSX-9') } });
    expect(recs.at(-1)).toMatchObject({ type: 'order.collected', data: { orderId: 'NSX-9', confirmedBy: 'backoffice' } });
    expect(t.marked).toEqual([['NSX-9', id('personal-ns-extra').cardNumber, op]]);
    // the card after the load, as the machines see it
    expect(r).toEqual({
      result: 'loaded',
      card: {
        balanceCents: 830 + 1250,
        products: [],
        topUps: [
          { at: NOW, amountCents: 1250, location: 'ns-extra' },
          { at: '2026-09-12T12:00:00.000Z', amountCents: 1000, location: 'online' },
        ],
      },
    });
  });

  it('NS Extra on a card with a full top-up history keeps MAX_TOP_UPS records, newest first, and the ref in the credit log', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    const card = await t.inner.read();
    expect(card.topUps).toHaveLength(MAX_TOP_UPS);
    expect(card.topUps[0]).toEqual({ at: NOW, amountCents: 1250, location: 'ns-extra', ref: orderRef('NSX-9') });
    expect(card.creditRefs?.[0]).toBe(orderRef('NSX-9'));
  });

  it('a product: no amount on any record; added without a travel class when the order has none', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    const r = await t.service.collect({ order: PRD, card: id('personal-ns-extra'), today: TODAY });
    expect(r).toMatchObject({ result: 'loaded', card: { products: [{ code: 'WEEKEND-VRIJ', validFrom: TODAY, validUntil: '2026-12-22' }] } });
    expect(t.journal.records().every((x) => x.amountCents === undefined)).toBe(true);
    const p = (await t.inner.read()).products.find((x) => x.code === 'WEEKEND-VRIJ')!;
    expect(p).toEqual({ code: 'WEEKEND-VRIJ', validFrom: TODAY, validUntil: '2026-12-22', ref: orderRef('PRD-9') });
    expect('travelClass' in p).toBe(false);
  });

  it('the back office refuses after the load: a note with the order, its code and why; collected by the journal upload, the code kept', async () => {
    const t = await setup({ rejects: true });
    await t.inner.present('personal-ns-extra');
    expect((await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY })).result).toBe('loaded');
    const note = t.journal.records().find((x) => x.type === 'kiosk.note')!;
    expect(note).toMatchObject({ amountCents: 1250, data: { event: 'collect-refused-after-load', orderId: 'NSX-9', code: 'not-loadable', detail: 'order withdrawn' } });
    expect(t.journal.records().at(-1)).toMatchObject({ type: 'order.collected', data: { confirmedBy: 'journal-upload', backOfficeRefused: 'not-loadable' } });
  });

  it('a card not there: order.collect-failed says why (the reader code)', async () => {
    const t = await setup();
    expect(await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY })).toEqual({ result: 'card-removed' });
    expect(t.journal.records().at(-1)).toMatchObject({ type: 'order.collect-failed', data: { reason: 'no-card', orderId: 'NSX-9' } });
  });

  it('a torn write: order.collect-failed carries the same uncertainty as card.write-failed', async () => {
    const seen = new Set<boolean>();
    for (let n = 1; n < 200; n++) {
      const t = await setup();
      await t.inner.present('personal-ns-extra');
      t.inner.tearAfterOperations(n);
      const r = await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
      t.inner.tearAfterOperations(undefined);
      if (r.result === 'loaded') break;
      const failed = t.journal.records().find((x) => x.type === 'card.write-failed');
      if (!failed) continue;
      const uncertain = failed.data?.['uncertain'] === true;
      seen.add(uncertain);
      expect(t.journal.records().at(-1)).toMatchObject({ type: 'order.collect-failed', data: { reason: 'card-write-failed', uncertain } });
    }
    expect(seen.has(true)).toBe(true);
  });

  it('a write that certainly did not land (card gone before the write): collect-failed says not uncertain', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    t.change.fn = () => {
      throw new CardError('no-card', 'card left before the write');
    };
    expect(await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY })).toEqual({ result: 'card-removed' });
    expect(t.journal.records().find((x) => x.type === 'card.write-failed')?.data?.['uncertain']).toBe(false);
    expect(t.journal.records().at(-1)).toMatchObject({ type: 'order.collect-failed', data: { reason: 'card-write-failed', uncertain: false } });
  });
});

describe('collect: a pending credit (issue 12) loads under its payment ref', () => {
  const pending: OrderInfo = { orderId: 'PC-1', kind: 'ns-extra', announcedOn: '2026-11-23', amountCents: 700, creditRef: 'abcdef12' };

  it('written with the payment ref, not the order ref', async () => {
    const t = await setup();
    await t.inner.present('anonymous');
    expect(await t.service.collect({ order: pending, card: id('anonymous'), today: TODAY })).toMatchObject({ result: 'loaded', card: { balanceCents: 2035 + 700 } });
    const card = await t.inner.read();
    expect(card.topUps[0]!.ref).toBe('abcdef12');
    expect(card.creditRefs).toContain('abcdef12');
    expect(card.creditRefs).not.toContain(orderRef('PC-1'));
    expect(t.journal.records()[0]!.data).toMatchObject({ ref: 'abcdef12' });
  });

  it('the card already holds the payment ref (the write had landed): nothing is written, the order is collected', async () => {
    const t = await setup();
    await t.inner.present('anonymous');
    await t.inner.write(id('anonymous'), (c) => ({ ...c, balanceCents: c.balanceCents + 700, creditRefs: ['abcdef12', ...(c.creditRefs ?? [])] }));
    const r = await t.service.collect({ order: pending, card: id('anonymous'), today: TODAY });
    expect(r).toMatchObject({ result: 'loaded', card: { balanceCents: 2035 + 700 } });
    expect((await t.inner.read()).balanceCents).toBe(2035 + 700);
    expect(t.journal.records().map((x) => x.type)).toEqual(['order.collect-intent', 'card.written', 'order.loaded', 'order.collected']);
    expect(t.marked.map((m) => m[0])).toEqual(['PC-1']);
  });
});

describe('collect: the rules again inside the card update', () => {
  it('a card that changed between the check and the write (now over the limit): refused, nothing written, the refusal journaled', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    t.change.fn = (c) => ({ ...c, balanceCents: 14_000 });
    const r = await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(r).toEqual({ result: 'refused', refusal: { reason: 'over-limit', roomCents: 1000 } });
    expect((await t.inner.read()).balanceCents).toBe(830);
    expect(t.journal.records().at(-1)).toMatchObject({ type: 'order.collect-failed', data: { reason: 'over-limit' } });
    expect(t.marked).toEqual([]);
  });

  it('a kaartservicecode for an expired card is refused, journaled, and the back office is not told', async () => {
    const t = await setup();
    await t.inner.present('personal-kaartservicecode');
    const r = await t.service.collect({ order: KSC, card: id('personal-kaartservicecode'), today: '2099-01-01' });
    expect(r).toEqual({ result: 'refused', refusal: { reason: 'card-expired' } });
    expect(t.journal.records().map((x) => x.type)).toEqual(['order.collect-intent', 'order.collect-failed']);
    expect(t.marked).toEqual([]);
  });
});

describe('the station passage: one a day, by the ref log', () => {
  it('granted with the validity from the configured minutes and the station, the ref in the credit log', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    const r = await t.service.grantStationPassage({ card: id('personal-ns-extra') });
    expect(r).toMatchObject({ result: 'granted', product: { code: 'STATION-PASSAGE', validFrom: TODAY, validUntil: '2026-11-23T10:45:00.000Z', station: 'UT' } });
    const ref = stationPassageRef(t.cref('personal-ns-extra').hash, TODAY);
    expect((await t.inner.read()).creditRefs?.[0]).toBe(ref);
    expect(t.journal.records()[0]).toMatchObject({ type: 'card.write-intent', data: { purpose: 'station-passage', station: 'UT', ref } });
  });

  it('asked again: the passage on the card is the answer, with its station', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    await t.service.grantStationPassage({ card: id('personal-ns-extra') });
    expect(await t.service.grantStationPassage({ card: id('personal-ns-extra') })).toMatchObject({ result: 'granted', product: { station: 'UT', validUntil: '2026-11-23T10:45:00.000Z' }, card: { balanceCents: 830 } });
  });

  it('granted today and the product since gone from the card: its ref in the log refuses a second one', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    await t.service.grantStationPassage({ card: id('personal-ns-extra') });
    await t.inner.write(id('personal-ns-extra'), (c) => ({ ...c, products: [] }));
    expect(await t.service.grantStationPassage({ card: id('personal-ns-extra') })).toEqual({ result: 'refused' });
    expect((await t.inner.read()).products).toEqual([]);
  });

  it("an earlier day's spent passage is cleared to make room; one still valid today is kept", async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    const spent = { code: 'STATION-PASSAGE', validFrom: '2026-11-20', validUntil: '2026-11-20T11:00:00.000Z', station: 'UT', ref: '0badf00d' };
    const other = { code: 'SAMENREISKORTING', validFrom: '2026-03-01', validUntil: '2027-02-28', ref: '0badf00e' };
    await t.inner.write(id('personal-ns-extra'), (c) => ({ ...c, products: [spent, other] }));
    expect((await t.service.grantStationPassage({ card: id('personal-ns-extra') })).result).toBe('granted');
    const codes = (await t.inner.read()).products.map((p) => `${p.code}@${p.validFrom}`);
    expect(codes).toEqual(['SAMENREISKORTING@2026-03-01', `STATION-PASSAGE@${TODAY}`]);
  });

  it('a card that no longer qualifies at the write (balance topped up meanwhile): refused, nothing written', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    t.change.fn = (c) => ({ ...c, balanceCents: 5000 });
    expect(await t.service.grantStationPassage({ card: id('personal-ns-extra') })).toEqual({ result: 'refused' });
    expect((await t.inner.read()).products).toEqual([]);
  });
});

/** The technician reads the log: every card change and every failure is logged with the operation and order it is about. */
describe('the technician’s log', () => {
  const line = (fields: Record<string, unknown>) => expect.objectContaining({ ...fields, msg: expect.stringMatching(/\w{3}/) });
  const ERROR = 50;
  const WARN = 40;
  const INFO = 30;
  const N = FIXTURE_CARDS['personal-ns-extra'].cardNumber;

  it('fetching: the orders found at info, the back office down at warn (offline or not), with the last four digits only', async () => {
    const ok = await setup();
    await ok.service.fetchOrders({ cardNumber: N });
    expect(ok.logs(INFO)).toEqual([line({ card: N.slice(-4), orders: 1 })]);
    const down = await setup({ pendingThrows: new BackOfficeUnavailableError('down') });
    await down.service.fetchOrders({ cardNumber: N });
    expect(down.logs(WARN)).toEqual([line({ card: N.slice(-4), offline: true, err: 'down' })]);
    const odd = await setup({ pendingThrows: new Error('bad json') });
    await odd.service.fetchOrders({ cardNumber: N });
    expect(odd.logs(WARN)).toEqual([line({ offline: false, err: 'bad json' })]);
  });

  it('collecting: a card not there and a load at info; a refusal after the load at error; a failed write at warn', async () => {
    const t = await setup();
    await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(t.logs(INFO)).toEqual([line({ orderId: 'NSX-9', code: 'no-card', operationId: expect.any(String) })]);
    await t.inner.present('personal-ns-extra');
    await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(t.logs(INFO).slice(1)).toEqual([line({ orderId: 'NSX-9', kind: 'ns-extra', operationId: expect.any(String) })]);
    await t.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(t.logs(INFO).slice(2)).toEqual([line({ orderId: 'NSX-9', operationId: expect.any(String), msg: expect.stringContaining('already') })]);

    const r = await setup({ rejects: true });
    await r.inner.present('personal-ns-extra');
    await r.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(r.logs(ERROR)).toEqual([line({ orderId: 'NSX-9', code: 'not-loadable', operationId: expect.any(String) })]);

    const f = await setup();
    await f.inner.present('personal-ns-extra');
    f.change.fn = () => {
      throw new CardError('no-card', 'gone');
    };
    await f.service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(f.logs(WARN)).toEqual([line({ orderId: 'NSX-9', uncertain: false, reason: expect.any(String), operationId: expect.any(String) })]);
  });

  it('the back office not reached after the load: at warn, saying the journal upload confirms it', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    const service = createOrderService({
      reader: t.reader,
      backOffice: {
        pendingOrders: async () => [],
        markCollected: async () => {
          throw new BackOfficeUnavailableError('offline');
        },
      },
      journal: t.journal,
      clock: fixedClock(NOW),
      random: sequentialRandom(),
      timeZone: 'Europe/Amsterdam',
      maxBalanceCents: 15_000,
      exclusiveProductGroups: [],
      cardRef: (n) => cardRef(n, SECRET),
      log: pino({ level: 'debug' }, { write: (l: string) => void seen.push(JSON.parse(l) as Record<string, unknown>) }),
    });
    const seen: Record<string, unknown>[] = [];
    await service.collect({ order: NSX, card: id('personal-ns-extra'), today: TODAY });
    expect(seen.filter((l) => l['level'] === WARN)).toEqual([line({ orderId: 'NSX-9', err: 'offline', operationId: expect.any(String) })]);
  });

  it('the station passage: granted at info with the station, a failed write at warn', async () => {
    const t = await setup();
    await t.inner.present('personal-ns-extra');
    await t.service.grantStationPassage({ card: id('personal-ns-extra') });
    expect(t.logs(INFO)).toEqual([line({ station: 'UT', operationId: expect.any(String) })]);
    const f = await setup();
    await f.inner.present('personal-ns-extra');
    f.change.fn = () => {
      throw new CardError('no-card', 'gone');
    };
    expect(await f.service.grantStationPassage({ card: id('personal-ns-extra') })).toEqual({ result: 'card-removed' });
    expect(f.logs(WARN)).toEqual([line({ uncertain: false, reason: expect.any(String), operationId: expect.any(String) })]);
  });
});
