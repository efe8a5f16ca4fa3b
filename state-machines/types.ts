/**
 * What the kiosk's machines exchange with the runtime. The machines are pure: every side effect
 * (card reader, payment terminal, journal, clock, back office) reaches them as an actor the runtime
 * provides with `machine.provide({ actors })`. This file fixes the input and output of each such
 * actor, so a test can supply them (or their done/error events) and walk every path.
 */
import type { CardIdentity, CardKind } from '../hardware/card/card-model.js';
import type { PaymentFailureReason, PaymentPrompt } from '../hardware/payment/payment-terminal.js';
import type { CardProblem, Locale, MenuOption, WriteProblem } from '../main/core/contract.js';

/**
 * The card as the machines know it: what the screens and the checks need. Deliberately without
 * birth date or any holder data: the read actor strips those before the card reaches a machine.
 */
export interface CardInfo extends CardIdentity {
  kind: CardKind;
  expiryDate: string;
  balanceCents: number;
  blocked: boolean;
  products: { code: string; validFrom: string; validUntil: string; travelClass?: 1 | 2; station?: string }[];
  transactions: { at: string; kind: string; station: string; amountCents: number }[];
  topUps: { at: string; amountCents: number; location: string }[];
}

// ---- actor: waitForCard (fromPromise) -------------------------------------------------------
export interface WaitForCardInput {
  /** false: a card already lying on the reader counts; true: wait for a new presentation. */
  fresh: boolean;
}
export interface WaitForCardOutput {
  uid: string;
}

// ---- actor: readCard (fromPromise) ----------------------------------------------------------
export type ReadCardOutput =
  | {
      ok: true;
      card: CardInfo;
      /** The back office's blocked-card list has this card. */
      blockedListed: boolean;
      /** Today in the kiosk's time zone (YYYY-MM-DD), from the injected clock. */
      today: string;
    }
  | {
      ok: false;
      /** defective: unreadable or failed its checks; card-gone: taken away too early. */
      problem: 'defective' | 'card-gone' | 'reader-unavailable';
    };

// ---- actor: authorizePayment (fromCallback) -------------------------------------------------
export interface AuthorizePaymentInput {
  amountCents: number;
  card: CardIdentity;
}
/** Events the payment actor sends back to the top-up machine. */
export type PaymentActorEvent =
  | { type: 'PAYMENT.PROMPT'; prompt: PaymentPrompt }
  | { type: 'PAYMENT.APPROVED'; paymentId: string; reference: string }
  | { type: 'PAYMENT.FAILED'; reason: PaymentFailureReason; paymentId?: string; reference?: string };
/** Events the top-up machine sends to the payment actor. */
export type PaymentActorCommand = { type: 'PAYMENT.ABORT' };

// ---- actor: creditCard (fromPromise) --------------------------------------------------------
export interface CreditCardInput {
  paymentId: string;
  amountCents: number;
  /** The card that was read and paid for: only this card may be written. */
  card: CardIdentity;
}
export type CreditCardOutput =
  | { result: 'credited'; balanceCents: number }
  | { result: WriteProblem };

// ---- actor: rollbackPayment (fromPromise) ---------------------------------------------------
export interface RollbackPaymentInput {
  paymentId: string;
  amountCents: number;
  card: CardIdentity;
}
export type RollbackPaymentOutput = { result: 'reversed' } | { result: 'refund-owed'; reference: string };

// ---- configuration the machines take as input ----------------------------------------------
export interface KioskTiming {
  /** No touch for this long on an interactive screen: ask "do you need more time?". */
  inactivityMs: number;
  /** How long the question stays before the kiosk returns to the start screen. */
  inactivityWarningMs: number;
  /** Approved but not yet credited: wait this long for the card, then undo the payment. */
  creditWaitMs: number;
  /** Confirmation screens (top-up done, payment undone) move on after this. */
  doneMs: number;
  /** The "take your card, thank you" screen. */
  goodbyeMs: number;
}

export interface TopUpSettings {
  /** Amounts offered, cents. */
  amountsCents: number[];
  /** The highest balance a card may hold after a top-up, cents. */
  maxBalanceCents: number;
  /** Card kinds that may top up (domain.md: business cards do not, an assumption kept in config). */
  cardKinds: CardKind[];
}

export interface KioskMachineInput {
  timing: KioskTiming;
  topUp: TopUpSettings;
  /** Menu options offered besides the journeys a card qualifies for (e.g. 'balance'). */
  menuOptions: MenuOption[];
}

export type { CardProblem, Locale, MenuOption, WriteProblem };
