/**
 * The kiosk's contract with a card payment terminal (ZVT in production). Designed around the
 * vending commit point: an approved authorization stays open until the kiosk commits it (goods
 * issued: the card was credited) or rolls it back (the terminal reverses it). Amounts in cents.
 */

import type { PaymentFailureReason, PaymentPrompt } from '../../contract/payment.js';

export type { PaymentFailureReason, PaymentPrompt };

export interface PaymentReceipt {
  /** ZVT result code (0 = ok). */
  resultCode: number;
  trace?: string;
  receiptNumber?: string;
  maskedPan?: string;
  cardName?: string;
  terminalId?: string;
  /** The authorisation attribute (ZVT BMP 3B) of a pre-authorisation: booking it names it again. */
  aid?: string;
  /** ISO timestamp as reported by the terminal. */
  at?: string;
  amountCents: number;
}

export interface AuthorizationRequest {
  amountCents: number;
  /** The kiosk's own id for this payment (journal key); unique per kiosk. */
  paymentId: string;
}

export type AuthorizationOutcome =
  | { result: 'approved'; paymentId: string; amountCents: number; receipt: PaymentReceipt }
  | {
      result: 'failed';
      paymentId: string;
      reason: PaymentFailureReason;
      /** The terminal's result code where it gave one. */
      code?: number;
      /** True when the ending is unclear (e.g. silence): the kiosk must resolve before trusting it. */
      uncertain?: boolean;
    };

export type TerminalState = 'ready' | 'busy' | 'not-registered' | 'out-of-order' | 'offline';

export interface PaymentStatusListener {
  (prompt: PaymentPrompt): void;
}

/**
 * What the terminal says became of a payment this kiosk started (after a crash or an unclear end):
 * - committed: the payment stands (money taken);
 * - reversed: it was undone, or never completed (nothing taken);
 * - open: approved and still waiting for the kiosk's commit/rollback (this process holds it);
 * - unknown: the terminal could not be asked (offline) or gave no usable answer: ask again later.
 */
export interface PaymentResolution {
  paymentId: string;
  state: 'committed' | 'reversed' | 'open' | 'unknown';
  receipt?: PaymentReceipt;
  detail?: string;
}

/** What the kiosk knows of a payment from its journal, to help resolve it after a restart. */
export interface PaymentHints {
  amountCents?: number;
  /** The terminal's receipt number from the approved outcome, where the kiosk saw one. */
  receiptNumber?: string;
  trace?: string;
  /** The pre-authorisation's AID (reservation profile: book total 06 24 sends it back). */
  aid?: string;
}

/**
 * Called by a driver with the kiosk's decision on an approved payment BEFORE that decision goes to
 * the terminal (awaited; a throw stops the decision from being sent). Lets the kiosk journal what
 * it decided even where the driver itself decides (e.g. rollback after a lost commit window).
 */
export type PaymentDecisionHook = (paymentId: string, decision: 'commit' | 'rollback') => void | Promise<void>;

export interface PaymentTerminal {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Take a payment. Resolves when the terminal has decided; an approved payment is held open
   * (not yet booked) until commit() or rollback(). `onPrompt` receives what the terminal shows.
   */
  authorize(request: AuthorizationRequest, onPrompt?: PaymentStatusListener): Promise<AuthorizationOutcome>;
  /**
   * The kiosk starts issuing the goods (writing the card) for this approved payment. A driver that
   * holds the terminal's question (ZVT: its answer to 04 0F) answers "please wait" now and resolves
   * once that is on the wire, so no crash during the write depends on how long it would have held
   * (issue 12, window 1). Optional: a driver without a held question has nothing to do.
   */
  issuing?(paymentId: string): Promise<void>;
  /**
   * The goods were issued (card credited): the payment stands. After a restart pass the journal's
   * hints (receiptNumber from the approved outcome): a ZVT terminal knows payments only by receipt.
   */
  commit(paymentId: string, hints?: PaymentHints): Promise<void>;
  /** The goods were not issued: undo the payment (negative commit answer or reversal). */
  rollback(paymentId: string, hints?: PaymentHints): Promise<{ undone: boolean; detail?: string }>;
  /** Abort an authorization in progress (ECR abort). */
  abort(): Promise<void>;
  status(): Promise<TerminalState>;
  /**
   * Ask the terminal what became of `paymentId` (repeat receipt / status enquiry on ZVT). Every
   * driver in hardware/payment implements it; a freshly restarted driver can resolve a payment
   * its previous process left open, given the hints the kiosk journaled.
   */
  resolve?(paymentId: string, hints?: PaymentHints): Promise<PaymentResolution>;
}
