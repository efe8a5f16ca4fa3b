import type { PaymentFailureReason, PaymentPrompt } from '../payment-terminal.js';

/** ZVT result codes (BMP 27, 84 xx, 06 1E) the kiosk treats specially (PA00P015, error codes). */
export const RESULT = {
  OK: 0x00,
  DECLINED: 0x05,
  /** Host answer "incorrect PIN" (ISO 8583 response 55) as a terminal reports it. */
  WRONG_PIN: 0x37,
  CARD_NOT_READABLE: 0x64,
  NO_CARD_DATA: 0x65,
  NOT_REGISTERED: 0x6b,
  ABORTED: 0x6c,
  WRONG_CURRENCY: 0x6f,
  CARD_EXPIRED: 0x78,
  CARD_UNKNOWN: 0x7a,
  COMMUNICATION_ERROR: 0x7d,
  FUNCTION_NOT_POSSIBLE: 0x83,
  PROTOCOL_ERROR: 0x9a,
  PLEASE_WAIT: 0x9c,
  RECEIVER_NOT_READY: 0xa0,
  ALREADY_REVERSED: 0xb4,
  REVERSAL_NOT_POSSIBLE: 0xb5,
  DIAGNOSIS_REQUIRED: 0xc2,
  MAX_AMOUNT_EXCEEDED: 0xc3,
  OPEN_END_OF_DAY: 0xf0,
  SYSTEM_ERROR: 0xff,
} as const;

/** A terminal result code in traveller terms. */
export function reasonForResult(code: number): PaymentFailureReason {
  if (code === RESULT.WRONG_PIN) return 'wrong-pin';
  if (code >= 0x01 && code <= 0x63) return 'declined';
  switch (code) {
    case RESULT.CARD_NOT_READABLE:
    case RESULT.NO_CARD_DATA:
    case RESULT.CARD_UNKNOWN:
      return 'card-not-readable';
    case RESULT.CARD_EXPIRED:
      return 'card-expired';
    case RESULT.ABORTED:
      return 'customer-abort';
    case RESULT.COMMUNICATION_ERROR:
      return 'timeout';
    case RESULT.NOT_REGISTERED:
    case RESULT.DIAGNOSIS_REQUIRED:
    case RESULT.OPEN_END_OF_DAY:
    case RESULT.RECEIVER_NOT_READY:
    case RESULT.FUNCTION_NOT_POSSIBLE:
    case RESULT.SYSTEM_ERROR:
      return 'terminal-not-ready';
    case RESULT.PROTOCOL_ERROR:
      return 'communication';
    default:
      return 'unknown';
  }
}

/** Intermediate status codes (04 FF, first byte) -> what the kiosk shows. */
export function promptForIntermediateStatus(code: number): PaymentPrompt | undefined {
  switch (code) {
    case 0x00:
      return 'confirm-amount';
    case 0x01: // watch PIN pad
    case 0x02:
      return 'enter-pin';
    case 0x04: // waiting for the host (FEP)
      return 'waiting-for-host';
    case 0x05: // sending auto-reversal
    case 0x06: // sending post-bookings
    case 0x0f: // automatic end-of-day
      return 'please-wait';
    case 0x0a:
      return 'insert-card';
    case 0x0b:
      return 'remove-card';
    case 0x0c:
    case 0x19: // card data incorrect
      return 'card-not-readable';
    case 0x0e:
    case 0x17:
      return 'please-wait';
    case 0x15:
    case 0x18: // PIN try limit exceeded
      return 'wrong-pin';
    case 0x1b: // approved, please fill up
    case 0x1c: // approved, please take goods
      return 'approved';
    case 0x1d:
      return 'declined';
    default:
      return undefined;
  }
}

/** The intermediate status code a terminal sends for a prompt (simulator side). */
export const INTERMEDIATE_STATUS: Record<PaymentPrompt, number> = {
  'confirm-amount': 0x00,
  'enter-pin': 0x01,
  'waiting-for-host': 0x04,
  'insert-card': 0x0a,
  'remove-card': 0x0b,
  'card-not-readable': 0x0c,
  'please-wait': 0x0e,
  'wrong-pin': 0x15,
  approved: 0x1c,
  declined: 0x1d,
};
