/**
 * The payment vocabulary every side shares: what the terminal asks of the traveller and why a
 * payment did not go through, as screen text keys. The terminal contract itself is
 * hardware/payment/payment-terminal.ts.
 */
/** What the terminal asks of the customer, mapped to a screen text key (locales: payment.prompt.*). */
export type PaymentPrompt =
  | 'confirm-amount'
  | 'insert-card'
  | 'remove-card'
  | 'enter-pin'
  | 'wrong-pin'
  | 'please-wait'
  | 'waiting-for-host'
  | 'card-not-readable'
  | 'approved'
  | 'declined';

/** Why a payment did not go through, in traveller terms (locales: payment.reason.*). */
export type PaymentFailureReason =
  | 'declined'
  | 'wrong-pin'
  | 'card-not-readable'
  | 'card-expired'
  | 'customer-abort'
  | 'timeout'
  | 'terminal-not-ready'
  | 'communication'
  | 'unknown';

