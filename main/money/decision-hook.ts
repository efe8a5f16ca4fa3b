/**
 * The payment driver's decision hook, built from the journal alone (no service, no terminal): a
 * driver calls it with the decision it is about to send, and it is durable before it goes out.
 *
 * - commit: allowed only when the journal holds a durable `card.written` for the payment (the
 *   commit decision) or `payment.credit-pending` (kept: the credit is owed); otherwise it throws and the driver must not commit (never for an uncredited card).
 * - rollback: journals `payment.rollback-intent` {decidedBy: 'terminal-driver'} unless the payment
 *   is already being rolled back or has ended reversed / refund owed.
 * - a payment this journal does not know (a tester's): nothing to record.
 *
 * Because it needs only the journal, the composition builds the payment hardware with it first and
 * hands the terminal to the top-up service directly.
 */
import type { PaymentDecisionHook } from '../../hardware/payment/payment-terminal.js';
import type { Journal } from '../journal/journal.js';

export function createDecisionHook(journal: Pick<Journal, 'operation' | 'append'>): PaymentDecisionHook {
  return async (paymentId, decision) => {
    const records = journal.operation(paymentId);
    if (records.length === 0) return;
    if (decision === 'commit') {
      // card.written: the card has the credit; payment.credit-pending: the kiosk keeps the payment
      // and the back office owes the card the credit (issue 12). Nothing else may commit.
      if (!records.some((r) => r.type === 'card.written' || r.type === 'payment.credit-pending'))
        throw new Error(`refusing to commit payment ${paymentId}: the journal has no card.written (nor payment.credit-pending) for it`);
      return;
    }
    if (records.at(-1)!.type === 'payment.rollback-intent') return;
    if (records.some((r) => r.type === 'payment.reversed' || r.type === 'payment.refund-owed')) return;
    const first = records[0]!;
    journal.append({
      type: 'payment.rollback-intent',
      operationId: paymentId,
      ...(first.amountCents !== undefined ? { amountCents: first.amountCents } : {}),
      ...(first.card ? { card: first.card } : {}),
      data: { decidedBy: 'terminal-driver' },
    });
  };
}
