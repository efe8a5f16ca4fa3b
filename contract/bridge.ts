/**
 * The bridge contract between the kiosk core (main/) and any shell (Electron preload/IPC, browser
 * host WebSocket) and the renderer. Defined once here; events are validated with zod where they
 * enter the core. Snapshots are plain data: nothing in them holds an actor reference.
 */
import type { KioskEvent } from './bridge-events.js';
import type { CardKind } from './card.js';
import type { NotOfferedReason } from './health.js';
import type { ActionResult, CredentialRefusal, DashboardFacts, MaintenanceAction } from './maintenance.js';
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
  'credit-pending', // issue 12: the card write's result is unknown: payment kept, credit loaded at the next tap
  'orders', // list of pending orders
  'order-confirm', // what will happen; "Akkoord"
  'order-refused', // why an order cannot be loaded now
  'order-done', // result + next step
  'balance', // balance, products, last transactions and top-ups
  'service-unavailable', // back office or device unavailable for this function
  'goodbye', // take your card, thank you (brief, then start)
  'out-of-service', // issue 13: the machine is out of order; where to go instead
  'maintenance-verifying', // issue 13: a technician card's credential is checked
  'maintenance-refused', // forged, expired, revoked, unknown technician, locked out: see `refusal`
  'maintenance-pin', // the technician's PIN (keypad; never echoed)
  'maintenance-dashboard', // every subsystem, live, and the technician's actions
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
  /** Rights the chip holds (e.g. automatic top-up). Optional so older snapshots still parse. */
  rights?: CardRight[];
}

export type CardRight = 'auto-top-up';

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
  /** NS Extra: the last day it can be loaded (one year after the e-mail), shown before it passes. */
  lastLoadableDay?: string;
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

/** Which journey a screen belongs to: the renderer never infers it from which fields are present. */
export type JourneyKind = 'none' | 'top-up' | 'collect-orders' | 'station-passage' | 'maintenance';

/** The configured limits a screen's texts quote (never a hard-coded rule in the renderer). */
export interface LimitsView {
  /** The configured maximum balance of a card, cents (at most EUR 150 by the card rules). */
  maxBalanceCents: number;
}

/** What every snapshot carries, whatever the screen. */
export interface SnapshotBase {
  /** Increases with every snapshot; shells drop stale ones. */
  rev: number;
  locale: Locale;
  largeText: boolean;
  /** Something is in progress: show progress, disable inputs that would interfere. */
  busy: boolean;
  /** Inactivity warning ("do you need more time?") and seconds until the kiosk resets. */
  inactivity: { warning: boolean; secondsLeft: number };
  /** The card read in this visit, if there is one (as it is now, after any load). */
  card?: CardView;
}

// ---- The session (kiosk machine): no journey ----

export interface SessionView extends SnapshotBase {
  screen: 'start' | 'present-card' | 'reading-card' | 'goodbye';
  /** Optional only because the runtime's placeholder before the first session snapshot omits it. */
  journey?: 'none';
}

export interface CardProblemView extends SnapshotBase {
  screen: 'card-problem';
  journey: 'none';
  problem: CardProblem;
  /** What this card may still do (an expired card may see its balance); empty when nothing. */
  menu: MenuOption[];
}

export interface MenuView extends SnapshotBase {
  screen: 'menu';
  journey: 'none';
  card: CardView;
  /** Menu options this card may use (never a dead end). */
  menu: MenuOption[];
  /** Options this card would get that the kiosk cannot offer now, and why (the menu says so): issue 13's
   * health model (no terminal, no back office) and issue 12's journal guard (no money taken while the
   * journal cannot be written). */
  notOffered?: { option: MenuOption; reason: NotOfferedReason }[];
}

/** Issue 13: the kiosk is out of service (a part failed, or a technician took it out). */
export interface OutOfServiceView extends SnapshotBase {
  screen: 'out-of-service';
  journey: 'none';
}

/** Issue 13: the technician's maintenance journey. Never a PIN, never a full card number. */
export interface MaintenanceView extends SnapshotBase {
  screen: 'maintenance-verifying' | 'maintenance-refused' | 'maintenance-pin' | 'maintenance-dashboard';
  journey: 'maintenance';
  maintenance: {
    technicianId?: string;
    refusal?: CredentialRefusal;
    /** Locked out (ISO time the lockout ends). */
    lockedUntil?: string;
    /** PIN attempts left before this card is locked out here. */
    attemptsLeft?: number;
    /** The last PIN was wrong. */
    wrongPin: boolean;
    /** The action running now (progress shows), if any. */
    running?: MaintenanceAction;
    /** Results of this session's actions, newest first. */
    results: ActionResult[];
    /** Dashboard only: every subsystem as it is now (the runtime adds it, refreshed while shown). */
    facts?: DashboardFacts;
  };
}

export interface BalanceView extends SnapshotBase {
  screen: 'balance';
  journey: 'none';
  card: CardView;
}

export interface ServiceUnavailableView extends SnapshotBase {
  screen: 'service-unavailable';
  /** 'none': the session (card reader); 'collect-orders': the back office for the order list. */
  journey: 'none' | 'collect-orders';
  unavailable: 'backoffice' | 'card-reader' | 'payment-terminal';
}

// ---- Top-up (top-up machine) ----

export interface TopUpAmounts {
  /** Amounts offered, cents. */
  amounts: number[];
  /** The most that can be added without passing the configured maximum balance, cents. */
  maxCents: number;
  selectedCents?: number;
  /** Set when a chosen amount was refused. */
  refusal?: { reason: 'over-limit'; roomCents: number };
  newBalanceCents?: number;
}

export interface PaymentView {
  amountCents: number;
  prompt?: PaymentPrompt;
  failure?: PaymentFailureReason;
  /** A short reference the traveller can quote (no card data). */
  reference?: string;
  /** Present again after payment: seconds the kiosk waits for the card before it undoes the payment. */
  undoAfterSeconds?: number;
}

interface TopUpBase extends SnapshotBase {
  journey: 'top-up';
  card: CardView;
  topUp: TopUpAmounts;
  limits: LimitsView;
}

export interface TopUpAmountView extends TopUpBase {
  screen: 'topup-amount';
}

/** Paying, and every screen after the amount was chosen: the payment is always there. */
export interface TopUpPaidView extends TopUpBase {
  screen: 'payment' | 'payment-failed' | 'payment-undone' | 'refund-owed' | 'credit-pending' | 'present-again' | 'writing-card' | 'topup-done';
  payment: PaymentView;
}

export interface TopUpWriteProblemView extends TopUpBase {
  screen: 'write-problem';
  payment: PaymentView;
  writeProblem: WriteProblem;
}

// ---- Collecting orders (collect-orders machine) ----

interface OrdersBase extends SnapshotBase {
  journey: 'collect-orders';
  card: CardView;
  limits: LimitsView;
}

export interface OrdersListView extends OrdersBase {
  screen: 'orders';
  /** Undefined while the back office is asked (the screen shows progress). */
  orders?: OrderView[];
}

export interface OrderSelectedView extends OrdersBase {
  screen: 'order-confirm' | 'order-refused' | 'present-again' | 'writing-card';
  selectedOrder: OrderView;
}

export interface OrderWriteProblemView extends OrdersBase {
  screen: 'write-problem';
  selectedOrder: OrderView;
  writeProblem: WriteProblem;
}

export interface OrderDoneView extends OrdersBase {
  screen: 'order-done';
  /** Which order was collected (drives the "next step" text). */
  collected: OrderView;
  /** The orders still waiting (also refused ones). */
  orders: OrderView[];
}

// ---- The free station passage (station-passage machine) ----

export interface StationPassageDetail {
  /** Station code. */
  station: string;
  minutes: number;
  /** Once loaded: until when it is valid (ISO timestamp). */
  validUntil?: string;
}

interface PassageBase extends SnapshotBase {
  journey: 'station-passage';
  card: CardView;
  stationPassage: StationPassageDetail;
}

export interface StationPassageView extends PassageBase {
  screen: 'order-confirm' | 'present-again' | 'writing-card' | 'order-done';
}

export interface StationPassageWriteProblemView extends PassageBase {
  screen: 'write-problem';
  writeProblem: WriteProblem;
}

/**
 * What a shell renders: one member per screen (and, where screens are shared, per journey),
 * discriminated on `screen` and `journey`. Each carries exactly what its screen needs, including
 * the configured limits, so the renderer never guesses.
 */
export type KioskSnapshot =
  | SessionView
  | CardProblemView
  | MenuView
  | BalanceView
  | ServiceUnavailableView
  | OutOfServiceView
  | MaintenanceView
  | TopUpAmountView
  | TopUpPaidView
  | TopUpWriteProblemView
  | OrdersListView
  | OrderSelectedView
  | OrderWriteProblemView
  | OrderDoneView
  | StationPassageView
  | StationPassageWriteProblemView;

type MemberFor<M, S extends ScreenId> = M extends { screen: infer X } ? (S extends X ? M & { screen: S } : never) : never;
/** The snapshot member(s) for one screen (one per journey where screens are shared). */
export type SnapshotFor<S extends ScreenId> = MemberFor<KioskSnapshot, S>;

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
