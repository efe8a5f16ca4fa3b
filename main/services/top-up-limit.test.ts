/**
 * The EUR 150 limit at its edge, through the top-up service on the emulated reader and terminal:
 * a credit that takes the card to exactly EUR 150 is allowed (the limit is "not above", not
 * "below"); one cent more is refused and the payment is undone by the caller. Fails if the
 * service's check turns into `>=` (refusing exactly EUR 150) or disappears.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { createPaymentHardware, type PaymentHardware } from '../../hardware/payment/index.js';
import { fixedClock } from '../../contract/time.js';
import { openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { testTopUpService } from '../../test/support/top-up-service.js';
import { createDecisionHook } from '../money/decision-hook.js';

const SECRET = 'test-secret-test-secret-test-secret';
const NEAR = { uid: FIXTURE_CARDS['near-limit'].uid, cardNumber: FIXTURE_CARDS['near-limit'].cardNumber };

const open: { journal: SqliteJournal; payment: PaymentHardware }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.payment.stop();
    o.journal.close();
  }
});

async function nearLimitCard() {
  const clock = fixedClock('2026-11-23T10:00:00Z');
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
  const payment = await createPaymentHardware({ mode: 'emulated', promptDelayMs: 0 }, { clock, onDecision: createDecisionHook(journal) });
  open.push({ journal, payment });
  const service = testTopUpService({ reader, terminal: payment.terminal, journal, clock, secret: SECRET });
  await reader.present('near-limit');
  const balance = async () => (await reader.read(['identity', 'purse'])).balanceCents;
  return { service, journal, balance, ledger: () => payment.control!.ledger() };
}

describe('top-up service at the EUR 150 limit', () => {
  it('credits an amount that takes the card to exactly EUR 150 and commits the payment', async () => {
    const t = await nearLimitCard();
    const room = 15_000 - (await t.balance());
    expect(room).toBeGreaterThan(0);
    const auth = await t.service.authorize({ amountCents: room, card: NEAR });
    expect(auth).toMatchObject({ result: 'approved' });
    expect(await t.service.credit({ paymentId: auth.paymentId, amountCents: room, card: NEAR })).toMatchObject({ result: 'credited', balanceCents: 15_000 });
    expect(await t.balance()).toBe(15_000);
    expect(t.journal.operation(auth.paymentId).map((r) => r.type)).toEqual([
      'payment.intent',
      'payment.approved',
      'card.write-intent',
      'card.written',
      'payment.committed',
    ]);
  });

  it('refuses to credit one cent more than the room: the card keeps its balance', async () => {
    const t = await nearLimitCard();
    const before = await t.balance();
    const room = 15_000 - before;
    const auth = await t.service.authorize({ amountCents: room + 1, card: NEAR });
    expect(await t.service.credit({ paymentId: auth.paymentId, amountCents: room + 1, card: NEAR })).toEqual({ result: 'write-failed' });
    expect(await t.balance()).toBe(before);
  });
});
