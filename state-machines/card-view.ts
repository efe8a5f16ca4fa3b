/**
 * The card as a screen shows it: masked number (last four digits only), nothing personal. Pure;
 * shared by the session's and the journeys' view functions.
 */
import type { CardView, SnapshotBase } from '../contract/bridge.js';
import { maskCardNumber } from '../contract/card.js';
import type { CardAfterLoad, CardInfo } from './types.js';

export function cardView(card: CardInfo, today: string | undefined, balanceCents = card.balanceCents): CardView {
  return {
    maskedNumber: maskCardNumber(card.cardNumber),
    last4: card.cardNumber.slice(-4),
    kind: card.kind,
    balanceCents,
    expiryDate: card.expiryDate,
    expired: today !== undefined && card.expiryDate < today,
    products: card.products.map((p) => ({
      code: p.code,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
      ...(p.travelClass !== undefined ? { travelClass: p.travelClass } : {}),
    })),
    transactions: card.transactions.map((t) => ({ at: t.at, kind: t.kind, station: t.station, amountCents: t.amountCents })),
    topUps: card.topUps.map((t) => ({ at: t.at, amountCents: t.amountCents, location: t.location })),
    // Rights the chip holds, shown on the balance screen (issue 14).
    rights: card.autoTopUp ? ['auto-top-up'] : [],
  };
}

/** The card after a journey loaded something onto it (balance, products, top-ups). */
export function cardWithLoad(card: CardInfo, after: CardAfterLoad | undefined): CardInfo {
  return after ? { ...card, balanceCents: after.balanceCents, products: after.products, topUps: after.topUps } : card;
}

/** What the session hands a journey's view function: the common fields and the card it read. */
export interface JourneyViewInput {
  /** rev, locale, largeText, busy, inactivity (the card is the journey's to show). */
  base: Omit<SnapshotBase, 'card'>;
  /** The card as the session read it (before this journey loaded anything). */
  card: CardInfo;
  /** Today in the kiosk's time zone (YYYY-MM-DD), for the card's expiry. */
  today: string | undefined;
}
