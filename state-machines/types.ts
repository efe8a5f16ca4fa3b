/**
 * What the kiosk's machines exchange with the runtime. The machines are pure: every side effect
 * (card reader, payment terminal, journal, clock, back office) reaches them as an actor the runtime
 * provides with `machine.provide({ actors })`. This file fixes the input and output of each such
 * actor, so a test can supply them (or their done/error events) and walk every path.
 */
import type { CardIdentity, CardKind } from '../contract/card.js';
import type { PaymentFailureReason, PaymentPrompt } from '../contract/payment.js';
import type { CardProblem, Locale, MenuOption, WriteProblem } from '../contract/bridge.js';
import type { OrderInfo, OrderRefusalDetail } from '../domain/order-rules.js';
import type { MaintenanceTiming } from './maintenance/maintenance-types.js';

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
  /** Rights the chip holds that the traveller may see (automatic top-up). Optional: older callers omit it. */
  autoTopUp?: boolean;
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
      /** Issue 12: the kiosk takes no money now (its journal cannot be written): no top-up offered. */
      moneyUnavailable?: 'journal-unavailable';
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
export type RollbackPaymentOutput =
  | { result: 'reversed' }
  | { result: 'refund-owed'; reference: string }
  /** Issue 12: the card write's result is unknown; the payment is kept and the credit is loaded at the next tap. */
  | { result: 'credit-pending'; reference: string };

// ---- actor: fetchOrders (fromPromise) -------------------------------------------------------
export interface FetchOrdersInput {
  cardNumber: string;
}
/** The back office's pending orders for the card, or that it could not be asked. */
export type FetchOrdersOutput = { ok: true; orders: OrderInfo[] } | { ok: false; reason: 'backoffice' };

/** What the card holds after a load: the session keeps its card view up to date with it. */
export interface CardAfterLoad {
  balanceCents: number;
  products: CardInfo['products'];
  topUps: CardInfo['topUps'];
}

// ---- actor: collectOrder (fromPromise) ------------------------------------------------------
export interface CollectOrderInput {
  order: OrderInfo;
  /** The card that was read: only this card may be written. */
  card: CardIdentity;
  /** Today in the kiosk's time zone (the rules are checked again with the card as it is now). */
  today: string;
}
export type CollectOrderOutput =
  | { result: 'loaded'; card: CardAfterLoad }
  /** The card as it is now may not take the order (e.g. its balance changed): nothing was written. */
  | { result: 'refused'; refusal: OrderRefusalDetail }
  | { result: WriteProblem };

// ---- actor: grantStationPassage (fromPromise) -----------------------------------------------
export interface StationPassageInput {
  card: CardIdentity;
}
export type StationPassageOutput =
  | { result: 'granted'; product: { code: string; validFrom: string; validUntil: string; station?: string }; card: CardAfterLoad }
  /** The card as it is now does not qualify (balance, expiry, already has one today): nothing written. */
  | { result: 'refused' }
  | { result: WriteProblem };

import type { OrderSettings, TopUpSettings } from '../domain/card-kinds.js';
import type { StationPassageSettings } from '../domain/station-passage.js';

export type { OrderSettings, StationPassageSettings, TopUpSettings };

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

export interface KioskMachineInput {
  timing: KioskTiming;
  topUp: TopUpSettings;
  /** Menu options offered besides the journeys a card qualifies for (e.g. 'balance'). */
  menuOptions: MenuOption[];
  /** Collecting pending orders. Absent: not offered. */
  orders?: OrderSettings;
  /** The free station passage. Absent: not offered. */
  stationPassage?: StationPassageSettings;
  /** Issue 13: technician cards open the maintenance journey (from the start and out-of-service
   * screens). Absent: no card is asked what it is, and a technician card reads as unreadable. */
  maintenance?: MaintenanceTiming;
}

// ---- actor: identifyCard (fromPromise) -------------------------------------------------------
/** Issue 13: which format the card just held carries. Only `technician` opens maintenance; the
 * credential is checked by the maintenance journey, never here. */
export type IdentifyCardOutput = { format: 'traveller' } | { format: 'technician'; uid: string; credential: string };

export type { CardProblem, Locale, MenuOption, OrderInfo, OrderRefusalDetail, WriteProblem };
