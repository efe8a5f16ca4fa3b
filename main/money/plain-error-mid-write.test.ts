/**
 * The one rule of errors.ts `writeFailure`, proved on every path that writes a card: a plain Error
 * (not a CardError) thrown by the reader AFTER the blocks landed is an UNCERTAIN failure. The next
 * tap re-reads the card and the ref decides, so the money is neither doubled nor reversed unseen.
 *
 * The reader is the emulated reader (the real codec and tear-safe write over a simulated chip); a
 * wrapper lets its write complete and then throws, as a driver bug after the last block would.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import { FIXTURE_CARDS, type FixtureCardId } from '../../contract/fixture-cards.js';
import type { OrderInfo } from '../../domain/order-rules.js';
import { sequentialRandom } from '../../contract/random.js';
import { createCardWriteCheck } from '../journal/card-write-check.js';
import { recoverUnfinished } from '../journal/recovery.js';
import { cardRef } from '../journal/sqlite-journal.js';
import { createOrderService } from '../services/order-service.js';
import { createTopUpService } from '../services/top-up.js';
import { orderRef, paymentRef } from './ids.js';
import { openMoneyRig, TEST_SECRET } from './testing/rig.js';

const SECRET = TEST_SECRET;
const TODAY = '2026-11-23';
const log = pino({ level: 'silent' });
const id = (f: FixtureCardId) => ({ uid: FIXTURE_CARDS[f].uid, cardNumber: FIXTURE_CARDS[f].cardNumber });

async function setup() {
  const { clock, journal, payment } = await openMoneyRig();
  const emulated = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await emulated.start();
  let throwAfterWrite = false;
  // Everything as the emulated reader does it, except that a write, once on the card, may throw a plain Error.
  const reader = new Proxy(emulated, {
    get(t, p) {
      if (p === 'write')
        return async (...a: Parameters<CardReader['write']>) => {
          const written = await t.write(...a);
          if (throwAfterWrite) {
            throwAfterWrite = false;
            throw new Error('driver bug: the blocks are written, then this');
          }
          return written;
        };
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
    },
  }) as EmulatedCardReader;
  const common = { reader, journal, clock, random: sequentialRandom(), maxBalanceCents: 15_000, cardRef: (n: string) => cardRef(n, SECRET), log };
  const topUp = createTopUpService({ ...common, terminal: payment.terminal, kioskId: 'K1' });
  const orders = createOrderService({
    ...common,
    backOffice: { pendingOrders: async () => [], markCollected: async () => undefined },
    timeZone: 'Europe/Amsterdam',
    exclusiveProductGroups: [],
    stationPassage: { enabled: true, stationCode: 'UT', minutes: 60, belowBalanceCents: 2000, cardKinds: ['personal', 'anonymous'] },
  });
  const failedWrites = () => journal.recordsOfType(['card.write-failed']).map((r) => r.data);
  return { reader, journal, payment, topUp, orders, failedWrites, armThrowAfterWrite: () => (throwAfterWrite = true) };
}

describe('a plain Error thrown by the reader after the card write landed is uncertain, on every path', () => {
  it('top-up: journaled uncertain; the next tap finds the ref and commits; balance credited once, never reversed', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    const before = (await t.reader.read()).balanceCents;
    const auth = await t.topUp.authorize({ amountCents: 1000, card: id('anonymous') });
    if (auth.result !== 'approved') throw new Error('payment not approved');
    t.armThrowAfterWrite();
    expect(await t.topUp.credit({ paymentId: auth.paymentId, amountCents: 1000, card: id('anonymous') })).toEqual({ result: 'write-failed' });
    expect(t.failedWrites()).toEqual([expect.objectContaining({ reason: 'unexpected', uncertain: true })]);
    expect((await t.reader.read()).balanceCents).toBe(before + 1000);

    expect(await t.topUp.credit({ paymentId: auth.paymentId, amountCents: 1000, card: id('anonymous') })).toEqual({ result: 'credited', balanceCents: before + 1000 });
    const card = await t.reader.read();
    expect(card.balanceCents).toBe(before + 1000);
    expect(card.topUps.filter((u) => u.ref === paymentRef(auth.paymentId))).toHaveLength(1);
    expect(t.journal.operation(auth.paymentId).map((r) => r.type).slice(-2)).toEqual(['card.written', 'payment.committed']);
    expect(t.payment.control!.ledger()[0]?.state).toBe('committed');
  });

  it('top-up, traveller gone: start-up recovery checks the card, finds the credit and commits instead of reversing it', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    const auth = await t.topUp.authorize({ amountCents: 500, card: id('anonymous') });
    if (auth.result !== 'approved') throw new Error('payment not approved');
    t.armThrowAfterWrite();
    await t.topUp.credit({ paymentId: auth.paymentId, amountCents: 500, card: id('anonymous') });
    const checkCardWrite = createCardWriteCheck({ reader: t.reader, cardHash: (n) => cardRef(n, SECRET).hash });
    const report = await recoverUnfinished({ journal: t.journal, terminal: t.payment.terminal, log: () => undefined, checkCardWrite });
    expect(report.operations.map((o) => o.action)).toEqual(['committed']);
    expect(t.journal.recordsOfType(['payment.reversed', 'payment.refund-owed'])).toEqual([]);
    expect(t.payment.control!.ledger()[0]?.state).toBe('committed');
  });

  it('NS Extra: collection fails uncertain, the order stays pending, collecting again loads nothing twice', async () => {
    const t = await setup();
    await t.reader.present('personal-ns-extra');
    const before = (await t.reader.read()).balanceCents;
    const nsx: OrderInfo = { orderId: 'NSX-1', kind: 'ns-extra', announcedOn: '2026-10-01', amountCents: 1250 };
    t.armThrowAfterWrite();
    expect(await t.orders.collect({ order: nsx, card: id('personal-ns-extra'), today: TODAY })).toEqual({ result: 'write-failed' });
    expect(t.failedWrites()).toEqual([expect.objectContaining({ orderId: 'NSX-1', reason: 'unexpected', uncertain: true })]);
    expect(t.journal.recordsOfType(['order.collect-failed']).map((r) => r.data?.['uncertain'])).toEqual([true]);
    const again = await t.orders.collect({ order: nsx, card: id('personal-ns-extra'), today: TODAY });
    expect(again).toMatchObject({ result: 'loaded', card: { balanceCents: before + 1250 } });
    const card = await t.reader.read();
    expect(card.balanceCents).toBe(before + 1250);
    expect(card.topUps.filter((u) => u.ref === orderRef('NSX-1'))).toHaveLength(1);
    expect(t.journal.recordsOfType(['card.written']).at(-1)?.data).toMatchObject({ confirmedBy: 'card-ref' });
  });

  it('product: collection fails uncertain, collecting again finds the product by its ref and adds no second one', async () => {
    const t = await setup();
    await t.reader.present('business');
    const prd: OrderInfo = { orderId: 'PRD-1', kind: 'product', announcedOn: '2026-11-22', product: { code: 'TRAJECT-VRIJ', validFrom: TODAY, validUntil: '2026-12-22', travelClass: 1 } };
    t.armThrowAfterWrite();
    expect(await t.orders.collect({ order: prd, card: id('business'), today: TODAY })).toEqual({ result: 'write-failed' });
    expect(t.failedWrites()).toEqual([expect.objectContaining({ orderId: 'PRD-1', uncertain: true })]);
    expect(await t.orders.collect({ order: prd, card: id('business'), today: TODAY })).toMatchObject({ result: 'loaded' });
    expect((await t.reader.read()).products.filter((p) => p.ref === orderRef('PRD-1'))).toHaveLength(1);
  });

  it('station passage: the write fails uncertain, asking again grants the passage already on the card, no second one', async () => {
    const t = await setup();
    await t.reader.present('personal-ns-extra');
    t.armThrowAfterWrite();
    expect(await t.orders.grantStationPassage({ card: id('personal-ns-extra') })).toEqual({ result: 'write-failed' });
    expect(t.failedWrites()).toEqual([expect.objectContaining({ purpose: 'station-passage', reason: 'unexpected', uncertain: true })]);
    expect(await t.orders.grantStationPassage({ card: id('personal-ns-extra') })).toMatchObject({ result: 'granted', product: { code: 'STATION-PASSAGE' } });
    expect((await t.reader.read()).products.filter((p) => p.code === 'STATION-PASSAGE')).toHaveLength(1);
  });
});
