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
  autoTopUp: boolean;
  blocked: boolean;
}

/** Which parts of the card a screen needs; a driver reads only those sectors. */
export type CardSection = 'identity' | 'purse' | 'products' | 'history';
export const ALL_SECTIONS: readonly CardSection[] = ['identity', 'purse', 'products', 'history'];

/** Caps the card format keeps. */
export const MAX_TRAVEL_TRANSACTIONS = 10;
export const MAX_TOP_UPS = 2;

export function maskCardNumber(cardNumber: string): string {
  const last4 = cardNumber.slice(-4);
  return `•••• •••• •••• ${last4}`;
}
