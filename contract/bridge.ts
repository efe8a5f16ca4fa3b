/**
 * The bridge contract between the kiosk core (main/) and any shell (Electron preload/IPC, browser
 * host WebSocket) and the renderer. Defined once here; events are validated with zod where they
 * enter the core. Snapshots are plain data: nothing in them holds an actor reference.
 */
import type { KioskEvent } from './bridge-events.js';
import type { CardKind } from './card.js';
import type { PaymentFailureReason, PaymentPrompt } from './payment.js';

import { DEFAULT_LOCALE, LOCALES, type Locale } from './locales.js';

export { DEFAULT_LOCALE, LOCALES, type Locale };

/** Every screen the renderer can show. One React component per id. */
export const SCREENS = [
  'start', // welcome + language choice + "start"
  'present-card', // hold your card to the reader
  'reading-card', // progress while the card is read
  'card-problem', // unreadable/defective, blocked, expired, not allowed: see `problem`
  'menu', // what this card may do
  'topup-amount', // pick an amount (refused above the EUR 150 limit)
  'payment', // pay at the terminal: progress + the terminal's prompt
  'payment-failed', // declined / aborted / timeout: see `payment.failure`
  'present-again', // hold the same card again to load it
  'writing-card', // progress while the card is written: keep the card still
  'write-problem', // card removed mid-write or another card held: see `writeProblem`
  'topup-done', // new balance
  'payment-undone', // gave up: the payment was reversed, nothing charged
  'refund-owed', // could not credit nor reverse: what to do, with a reference
  'orders', // list of pending orders (issue 6)
  'order-confirm', // what will happen; "Akkoord"
  'order-refused', // why an order cannot be loaded now
  'order-done', // result + next step
  'balance', // balance, products, last transactions and top-ups
  'service-unavailable', // back office or device unavailable for this function
  'goodbye', // take your card, thank you (brief, then start)
] as const;
export type ScreenId = (typeof SCREENS)[number];

export type MenuOption = 'topup' | 'collect-orders' | 'balance' | 'station-passage';

export type CardProblem = 'defective' | 'blocked' | 'expired' | 'not-allowed' | 'reader-unavailable';

export type WriteProblem = 'card-removed' | 'wrong-card' | 'write-failed';

export interface CardView {
  /** Card number masked except the last four digits. Never the full number. */
  maskedNumber: string;
  last4: string;
  kind: CardKind;
  balanceCents: number;
  expiryDate: string;
  expired: boolean;
  products: { code: string; validFrom: string; validUntil: string; travelClass?: 1 | 2 }[];
  transactions: { at: string; kind: string; station: string; amountCents: number }[];
  topUps: { at: string; amountCents: number; location: string }[];
}

export interface OrderView {
  orderId: string;
  kind: 'kaartservicecode' | 'ns-extra' | 'product';
  announcedOn: string;
  amountCents?: number;
  productCode?: string;
  validFrom?: string;
  validUntil?: string;
  /** Why it cannot be loaded now, if so. */
  refusal?: OrderRefusalDetail;
}

/** Why an order cannot be loaded now, with what the traveller needs to know (domain/order-rules.ts decides). */
export interface OrderRefusalDetail {
  reason: 'not-personal' | 'ns-extra-expired' | 'over-limit' | 'card-expired' | 'conflicting-product';
  /** ns-extra-expired: last loadable day (YYYY-MM-DD). */
  lastDay?: string;
  /** over-limit: how much room there is, in cents. */
  roomCents?: number;
  /** conflicting-product: the product on the card that conflicts. */
  conflictingCode?: string;
}

export interface KioskSnapshot {
  /** Increases with every snapshot; shells drop stale ones. */
  rev: number;
  screen: ScreenId;
  locale: Locale;
  largeText: boolean;
  /** Something is in progress: show progress, disable inputs that would interfere. */
  busy: boolean;
  /** Inactivity warning ("do you need more time?") and seconds until the kiosk resets. */
  inactivity: { warning: boolean; secondsLeft: number };
  /** Menu options this card may use (never a dead end). */
  menu?: MenuOption[];
  card?: CardView;
  problem?: CardProblem;
  topUp?: {
    /** Amounts offered, cents. */
    amounts: number[];
    /** The most that can be added without passing EUR 150, cents. */
    maxCents: number;
    selectedCents?: number;
    /** Set when a chosen amount was refused. */
    refusal?: { reason: 'over-limit'; roomCents: number };
    newBalanceCents?: number;
  };
  payment?: {
    amountCents: number;
    prompt?: PaymentPrompt;
    failure?: PaymentFailureReason;
    /** A short reference the traveller can quote (no card data). */
    reference?: string;
  };
  writeProblem?: WriteProblem;
  orders?: OrderView[];
  selectedOrder?: OrderView;
  /** order-done: which kind was collected (drives the "next step" text). */
  collected?: OrderView;
  /** service-unavailable: which service. */
  unavailable?: 'backoffice' | 'card-reader' | 'payment-terminal';
  /**
   * The free station passage journey (issue 6), shown on the order screens (order-confirm,
   * present-again, writing-card, write-problem, order-done) as product STATION-PASSAGE: which
   * station, how long, and once loaded until when (ISO timestamp).
   */
  stationPassage?: { station: string; minutes: number; validUntil?: string };
}

export type { KioskEvent };

export type SendResult = { ok: true } | { ok: false; error: 'invalid-event' | 'not-allowed-now'; detail: string };

/** What a shell gets from the core: exactly these two things. */
export interface KioskBridge {
  subscribe(listener: (snapshot: KioskSnapshot) => void): () => void;
  send(event: unknown): SendResult;
}

/** The API the preload exposes on `window.kiosk` and the browser host's client mirrors. */
export interface KioskWindowApi {
  onSnapshot(listener: (snapshot: KioskSnapshot) => void): () => void;
  send(event: KioskEvent): Promise<SendResult>;
}
