/**
 * What a journal record may do at intake, decided the same way by both stores (SQLite and
 * PostgreSQL). A kiosk's key proves the record came from that kiosk, not that what it says is
 * allowed (issue 11 finding 2):
 * - amounts are bounded: no payment or credit exceeds what a card may hold (EUR 150);
 * - a seq far ahead of what arrived would leave a gap no kiosk fills: refused;
 * - an `order.loaded` / `order.collected` record changes an order only when the card it names (by
 *   its keyed hash) is the order's card, or for NS Extra the card that replaced it, and the order
 *   rules allow that card to load it. Otherwise the record is stored (it is the kiosk's journal)
 *   and changes nothing.
 */
import { z } from 'zod';
import { CardNumber, PendingOrderSchema, type PendingOrder } from '../contract/backoffice-api.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { cardRef, type SecretKey } from '../contract/record-crypto.js';
import { MAX_BALANCE_CENTS } from '../domain/balance.js';

/** How far past the last contiguous record a kiosk's seq may run (a kiosk sends in order). */
export const MAX_SEQ_AHEAD = 10_000;

export function outOfRange(r: Pick<JournalRecord, 'seq' | 'amountCents'>, contiguousSeq: number): boolean {
  if (r.amountCents !== undefined && (r.amountCents < -MAX_BALANCE_CENTS || r.amountCents > MAX_BALANCE_CENTS)) return true;
  return r.seq > contiguousSeq + MAX_SEQ_AHEAD;
}

/** The order a record says was loaded or collected, if it is such a record. */
export function collectedOrderId(r: Pick<JournalRecord, 'type' | 'data'>): string | undefined {
  const orderId = r.data?.['orderId'];
  return (r.type === 'order.loaded' || r.type === 'order.collected') && typeof orderId === 'string' ? orderId : undefined;
}

/** Which of `candidates` (card numbers that may load the order) the record names, or undefined. */
export function namedCard(r: Pick<JournalRecord, 'card'>, candidates: readonly string[], secret: SecretKey): string | undefined {
  if (!r.card) return undefined;
  return candidates.find((n) => cardRef(n, secret).hash === r.card!.hash);
}

/**
 * An order as a store takes it (both stores' addOrder): the contract's order schema and card
 * number, so no store holds an order a kiosk would refuse, or could offer but never collect (an
 * order id with 13 digits in a row: contract/backoffice-api.ts OrderId). Throws with the reason.
 */
export function checkedOrder<T extends PendingOrder & { cardNumber: string }>(o: T): T {
  const order = PendingOrderSchema.safeParse(o);
  if (!order.success) throw new Error(`order refused: ${z.prettifyError(order.error)}`);
  if (!CardNumber.safeParse(o.cardNumber).success) throw new Error('order refused: a card number has 16 digits');
  return o;
}
