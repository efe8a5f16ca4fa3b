/**
 * Issue 12, window 5 / proof "NS Extra credited again after an uncertain write and two top-ups":
 * an NS Extra load lands but its answer is lost (uncertain), so the order stays pending; two
 * top-ups later the card's two-entry top-up history no longer holds the order's ref, and collecting
 * the order again must STILL find it on the card (the card's credit-ref log of >= 16 entries, built
 * on branch `card`) and load nothing twice.
 *
 * Without the log the only place a ref lived was that two-entry history, and the second collection
 * credited the NS Extra again (4530 instead of 3280 cents): this test failed then.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import type { OrderInfo } from '../../domain/order-rules.js';
import { sequentialRandom } from '../../contract/random.js';
import { cardRef } from '../journal/sqlite-journal.js';
import { createOrderService } from '../services/order-service.js';
import { createTopUpService } from '../services/top-up.js';
import { orderRef } from './ids.js';
import { openMoneyRig, TEST_SECRET } from './testing/rig.js';

const TODAY = '2026-11-23';
const CARD = { uid: FIXTURE_CARDS['personal-ns-extra'].uid, cardNumber: FIXTURE_CARDS['personal-ns-extra'].cardNumber };

async function setup() {
  const { clock, journal, payment } = await openMoneyRig();
  const emulated = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await emulated.start();
  let throwAfterWrite = false;
  // The emulated reader, except that a write, once on the card, may throw (its answer is lost).
  const reader = new Proxy(emulated, {
    get(t, p) {
      if (p === 'write')
        return async (...a: Parameters<CardReader['write']>) => {
          const written = await t.write(...a);
          if (throwAfterWrite) {
            throwAfterWrite = false;
            throw new Error('the blocks are written, the answer is lost');
          }
          return written;
        };
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
    },
  }) as EmulatedCardReader;
  const common = { reader, journal, clock, random: sequentialRandom(), maxBalanceCents: 15_000, cardRef: (n: string) => cardRef(n, TEST_SECRET), log: pino({ level: 'silent' }) };
  const topUp = createTopUpService({ ...common, terminal: payment.terminal, kioskId: 'K1' });
  const orders = createOrderService({
    ...common,
    backOffice: { pendingOrders: async () => [], markCollected: async () => undefined },
    timeZone: 'Europe/Amsterdam',
    exclusiveProductGroups: [],
  });
  return { reader, topUp, orders, armThrowAfterWrite: () => (throwAfterWrite = true) };
}

describe('NS Extra after an uncertain load and two top-ups (the ref must outlive the two-entry history)', () => {
  it('collecting the still-pending order again after two top-ups loads nothing twice (the ref is in the card\'s credit-ref log)', async () => {
    const t = await setup();
    await t.reader.present('personal-ns-extra');
    const start = (await t.reader.read()).balanceCents;
    const nsx: OrderInfo = { orderId: 'NSX-REFLOG-1', kind: 'ns-extra', announcedOn: '2026-10-01', amountCents: 1250 };
    // 1. the load lands, its answer is lost: the order stays pending
    t.armThrowAfterWrite();
    expect(await t.orders.collect({ order: nsx, card: CARD, today: TODAY })).toEqual({ result: 'write-failed' });
    expect((await t.reader.read()).balanceCents).toBe(start + 1250);
    // 2. two top-ups push the order's ref out of the two-entry top-up history
    for (const amountCents of [500, 700]) {
      const auth = await t.topUp.authorize({ amountCents, card: CARD });
      expect(auth.result).toBe('approved');
      expect((await t.topUp.credit({ paymentId: auth.paymentId, amountCents, card: CARD })).result).toBe('credited');
    }
    expect((await t.reader.read()).topUps.map((u) => u.ref)).not.toContain(orderRef(nsx.orderId));
    // 3. the traveller collects the (still pending) order again: the card already has it
    await t.orders.collect({ order: nsx, card: CARD, today: TODAY });
    expect((await t.reader.read()).balanceCents, 'NS Extra loaded once, never twice').toBe(start + 1250 + 500 + 700);
  });
});
