/**
 * For the money tests: an in-memory journal and the emulated payment terminal whose decision hook
 * is the journal's own (as main/composition.ts wires it), closed after each test.
 */
import { afterEach } from 'vitest';
import { createPaymentHardware, type PaymentHardware, type PaymentHardwareConfig } from '../../../hardware/payment/index.js';
import { fixedClock, type Clock } from '../../../contract/time.js';
import { openJournal, type SqliteJournal } from '../../journal/sqlite-journal.js';
import { createDecisionHook } from '../decision-hook.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret';

const open: { journal: SqliteJournal; payment: PaymentHardware }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.payment.stop();
    o.journal.close();
  }
});

/** `payment`: emulated-terminal settings on top of the defaults (e.g. `terminalProfile: { flow: 'reservation' }`). */
export async function openMoneyRig(payment_: Partial<PaymentHardwareConfig> = {}): Promise<{ clock: Clock; journal: SqliteJournal; payment: PaymentHardware }> {
  const clock = fixedClock('2026-11-23T10:00:00Z');
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: TEST_SECRET, clock });
  const payment = await createPaymentHardware({ mode: 'emulated', promptDelayMs: 0, ...payment_ } as PaymentHardwareConfig, { clock, onDecision: createDecisionHook(journal) });
  open.push({ journal, payment });
  return { clock, journal, payment };
}
