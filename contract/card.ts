/**
 * The kiosk's view of an OV-chipkaart: what the card holds, decoded. Shared by every card driver
 * and emulator (the codec in this folder turns it into MIFARE Classic 4K blocks and back).
 * Money in integer cents; dates as ISO strings (YYYY-MM-DD or full ISO timestamps).
 */
export type CardKind = 'personal' | 'anonymous' | 'business';

export interface CardIdentity {
  /** The chip's UID, upper-case hex. */
  uid: string;
  /** The engraved 16-digit card number. */
  cardNumber: string;
}

export interface CardProduct {
  /** Product code, e.g. 'DAL-VOORDEEL', 'STATION-PASSAGE', 'CLASS-CHANGE', 'SAMENREISKORTING'. */
  code: string;
  /** First day valid (YYYY-MM-DD). */
  validFrom: string;
  /** Last day valid (YYYY-MM-DD), or for short products an ISO timestamp. */
  validUntil: string;
  /** Travel class where it matters. */
  travelClass?: 1 | 2;
  /** Station code for station-bound products (station passage). */
  station?: string;
  /** Short reference of the order/operation that loaded it (idempotent loading). */
  ref?: string;
}

export type TravelTransactionKind = 'check-in' | 'check-out' | 'transfer' | 'cancel';

export interface TravelTransaction {
  at: string; // ISO timestamp
  kind: TravelTransactionKind;
  station: string;
  /** Fare charged (positive) or refunded (negative); 0 for a check-in. */
  amountCents: number;
}

export interface TopUpRecord {
  at: string; // ISO timestamp
  amountCents: number;
  /** Where: kiosk id, 'online' or 'ns-extra'. */
  location: string;
  /** Short reference of the operation that wrote it (first 8 hex chars of the payment/operation
   * id): makes a credit idempotent, so a write retried after a tear never credits twice. */
  ref: string;
}

export interface CardModel extends CardIdentity {
  kind: CardKind;
  /** Last day the card is valid (YYYY-MM-DD). */
  expiryDate: string;
  /** Personal cards only. Never shown, logged or journaled: present only so the codec round-trips. */
  birthDate?: string;
  balanceCents: number;
  products: CardProduct[];
  /** Newest first, at most ten. */
  transactions: TravelTransaction[];
  /** Newest first, at most two. */
  topUps: TopUpRecord[];
  /**
   * The card's credit-ref log: the refs of the last MAX_CREDIT_REFS credits (top-up, NS Extra,
   * product, station passage), newest first, in an area of its own (docs/card-format.md). Every
   * credit adds its ref in the same atomic card update as the credit itself, so a ref stays
   * provable on the card long after the two-entry top-up history shown to the traveller has moved
   * on. Not personal data: 8-hex-character operation refs only.
   */
  creditRefs: string[];
  autoTopUp: boolean;
  blocked: boolean;
}

/** Which parts of the card a screen needs; a driver reads only those sectors. */
export type CardSection = 'identity' | 'purse' | 'products' | 'history';
export const ALL_SECTIONS: readonly CardSection[] = ['identity', 'purse', 'products', 'history'];

/** Caps the card format keeps. */
export const MAX_TRAVEL_TRANSACTIONS = 10;
export const MAX_TOP_UPS = 2;
/** How many credit refs the card's log keeps (the issue asks for at least 16). */
export const MAX_CREDIT_REFS = 16;

/**
 * Every credit ref the card holds: its credit-ref log, and the refs still on top-up records and
 * products (a product loaded more than MAX_CREDIT_REFS credits ago is still on the card with its
 * ref). What a card read uploads for reconciliation, and what "already loaded?" looks in.
 */
export function creditRefsOnCard(card: Pick<CardModel, 'creditRefs' | 'topUps' | 'products'>): string[] {
  const out = new Set<string>(card.creditRefs);
  for (const t of card.topUps) out.add(t.ref);
  for (const p of card.products) if (p.ref !== undefined) out.add(p.ref);
  return [...out];
}

/** The card with `ref` logged as its newest credit (kept once; the log keeps the newest MAX_CREDIT_REFS). */
export function withCreditRef<T extends Pick<CardModel, 'creditRefs'>>(card: T, ref: string): T {
  return { ...card, creditRefs: [ref, ...card.creditRefs.filter((r) => r !== ref)].slice(0, MAX_CREDIT_REFS) };
}

export function maskCardNumber(cardNumber: string): string {
  const last4 = cardNumber.slice(-4);
  return `•••• •••• •••• ${last4}`;
}
