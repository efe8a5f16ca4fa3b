/**
 * The commit decision is durable before it is sent, but it is never mistaken for the outcome:
 * `payment.committed` is journaled only once the terminal acknowledged the commit. A kiosk that
 * dies between its decision and the terminal's answer leaves the payment unfinished, and start-up
 * recovery commits it (or records what the terminal really did).
 *
 * In-process hardware (emulated card reader and terminal): the wire-level version of the same
 * crash is in topup-crash.wire.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { createPaymentHardware, type PaymentHardware } from '../../hardware/payment/index.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { fixedClock } from '../../contract/time.js';
import { recoverUnfinished } from '../../main/journal/recovery.js';
import { cardRef, openJournal, type SqliteJournal } from '../../main/journal/sqlite-journal.js';
import { type TopUpService } from '../../main/services/top-up.js';
import { testTopUpService } from '../support/top-up-service.js';
import { createDecisionHook } from '../../main/money/decision-hook.js';

const SECRET = 'commit-order-secret-commit-order-secret';
const ANON = { uid: FIXTURE_CARDS.anonymous.uid, cardNumber: FIXTURE_CARDS.anonymous.cardNumber };

const open: { journal: SqliteJournal; payment: PaymentHardware }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.payment.stop();
    o.journal.close();
  }
});

/** A kiosk whose process "dies" the moment it would send the commit to the terminal. */
async function kioskDyingAtCommit() {
  const clock = fixedClock('2026-11-23T10:00:00Z');
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  await reader.present('anonymous');
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
  const payment = await createPaymentHardware({ mode: 'emulated', promptDelayMs: 0 }, { clock, onDecision: createDecisionHook(journal) });
  open.push({ journal, payment });
  const journalAtCommit: string[][] = [];
  const dying: PaymentTerminal = {
    ...payment.terminal,
    authorize: (r, p) => payment.terminal.authorize(r, p),
    // the process is gone before a byte of the commit reaches the terminal
    commit: (id) => {
      journalAtCommit.push(journal.operation(id).map((r) => r.type));
      return new Promise<void>(() => undefined);
    },
  };
  const service: TopUpService = testTopUpService({ reader, terminal: dying, journal, clock, secret: SECRET });
  return { reader, journal, service, payment, journalAtCommit };
}

describe('the commit decision versus its outcome', () => {
  it('payment.committed is not journaled before the terminal acknowledged the commit; recovery then commits the payment', async () => {
    const k = await kioskDyingAtCommit();
    const auth = await k.service.authorize({ amountCents: 700, card: ANON });
    expect(auth.result).toBe('approved');
    // credit() never returns: the "process" died inside terminal.commit()
    void k.service.credit({ paymentId: auth.paymentId, amountCents: 700, card: ANON });
    await new Promise((r) => setTimeout(r, 50));
    expect(k.journalAtCommit).toEqual([['payment.intent', 'payment.approved', 'card.write-intent', 'card.written']]);
    // what the restarted kiosk finds: the payment is unfinished, the terminal still holds it
    expect(k.journal.unfinishedOperations().map((o) => o.operationId)).toContain(auth.paymentId);
    expect(k.payment.control!.ledger()[0]).toMatchObject({ paymentId: auth.paymentId, state: 'authorized' });
    const report = await recoverUnfinished({ journal: k.journal, terminal: k.payment.terminal, log: () => undefined });
    expect(report.operations).toMatchObject([{ operationId: auth.paymentId, stoppedAt: 'card.written', action: 'committed' }]);
    expect(k.payment.control!.ledger()[0]).toMatchObject({ paymentId: auth.paymentId, state: 'committed' });
    const types = k.journal.operation(auth.paymentId).map((r) => r.type);
    expect(types.at(-1)).toBe('payment.committed');
    expect(types.filter((t) => t === 'payment.committed')).toHaveLength(1);
    expect(k.journal.unfinishedOperations()).toHaveLength(0);
  });
});
