/**
 * Which pending orders a card may load, decided the same way by the back office (which refuses to
 * serve or collect what is not loadable) and by the kiosk (which checks again with the card it
 * actually read). Domain note: NS Extra only for personal cards, loadable for one year after the
 * announcement; nothing for an expired card.
 */
import type { PendingOrder } from './types.js';

export type CardKindForOrders = 'personal' | 'anonymous' | 'business';

export type OrderRefusal = 'ns-extra-not-personal' | 'ns-extra-expired' | 'card-expired';

/** The calendar date (YYYY-MM-DD) in the Netherlands at instant `at`. */
export function dutchDate(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The last day NS Extra announced on `announcedOn` can be loaded: the same date one year later
 * (29 February -> 28 February). */
export function nsExtraLastDay(announcedOn: string): string {
  const [y, m, d] = announcedOn.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y + 1, m - 1, 1));
  const daysInMonth = new Date(Date.UTC(y + 1, m, 0)).getUTCDate();
  last.setUTCDate(Math.min(d, daysInMonth));
  return last.toISOString().slice(0, 10);
}

export function orderRefusal(
  order: Pick<PendingOrder, 'kind' | 'announcedOn'>,
  card: { kind: CardKindForOrders; expiryDate?: string },
  today: string,
): OrderRefusal | undefined {
  if (card.expiryDate !== undefined && card.expiryDate < today) return 'card-expired';
  if (order.kind === 'ns-extra') {
    if (card.kind !== 'personal') return 'ns-extra-not-personal';
    if (today > nsExtraLastDay(order.announcedOn)) return 'ns-extra-expired';
  }
  return undefined;
}

/** The orders of `orders` this card may load today. */
export function loadableOrders<T extends PendingOrder>(
  orders: readonly T[],
  card: { kind: CardKindForOrders; expiryDate?: string },
  today: string,
): T[] {
  return orders.filter((o) => orderRefusal(o, card, today) === undefined);
}
