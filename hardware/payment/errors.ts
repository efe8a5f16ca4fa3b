/**
 * Typed failures of the payment drivers (thrown, never a crash). Declines and aborts are not
 * errors: authorize() reports them as a 'failed' outcome.
 * - invalid-request: bad amount or payment id (caller bug or bad input);
 * - busy: an authorization is already running;
 * - unknown-payment: commit/rollback for a payment this terminal never approved;
 * - not-open: commit for a payment that is no longer open (reversed, e.g. the commit window passed);
 * - offline: the terminal cannot be reached (link down, no answer, transmission error);
 * - protocol: the terminal answered something the driver cannot make sense of;
 * - config: the configuration is unusable (missing serial path, no socat, ...).
 */
export type PaymentTerminalErrorCode =
  | 'invalid-request'
  | 'busy'
  | 'unknown-payment'
  | 'not-open'
  | 'offline'
  | 'protocol'
  | 'config';

export class PaymentTerminalError extends Error {
  readonly code: PaymentTerminalErrorCode;
  constructor(code: PaymentTerminalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaymentTerminalError';
    this.code = code;
  }
}

export function isPaymentTerminalError(e: unknown): e is PaymentTerminalError {
  return e instanceof PaymentTerminalError;
}

/** Largest amount BMP 04 can carry (6 bytes BCD = 12 digits, cents). */
export const MAX_AMOUNT_CENTS = 999_999_999_999;

export function checkAuthorizationRequest(req: { amountCents: unknown; paymentId: unknown }): void {
  if (typeof req.paymentId !== 'string' || req.paymentId.length === 0 || req.paymentId.length > 64)
    throw new PaymentTerminalError('invalid-request', 'paymentId must be a non-empty string (at most 64 characters)');
  const a = req.amountCents;
  if (typeof a !== 'number' || !Number.isSafeInteger(a) || a <= 0 || a > MAX_AMOUNT_CENTS)
    throw new PaymentTerminalError('invalid-request', `amountCents must be a positive integer of cents, got ${String(a)}`);
}
