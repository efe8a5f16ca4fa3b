/**
 * Fixture data matching the emulated cards (hardware/card/fixture-ids.ts), so a tester's personal
 * card really has a kaartservicecode waiting. Dates are relative to the day the database is seeded
 * (the injected clock), so the fixtures stay meaningful whenever they run:
 * - personal-kaartservicecode: a kaartservicecode and NS Extra announced 20 days ago (EUR 5.00):
 *   two orders that can both be collected in one visit;
 * - personal-ns-extra: NS Extra announced 60 days ago (EUR 12.50, loadable) and one announced 400
 *   days ago (EUR 5.00, past its year: listed, with the kiosk saying why, never collectable);
 * - personal-products: a 2nd-class Dal Voordeel season product bought online (the card already holds
 *   one for part of that period: refused as a conflicting product), and NS Extra of EUR 110 that
 *   would take the balance past EUR 150 (refused as over-limit, with the room);
 * - business: a 1st-class Traject Vrij product the employer authorised;
 * - anonymous: an NS Extra order that must be refused (anonymous cards never get NS Extra: listed
 *   with the reason, never collectable);
 * - blocked: on the blocked-card list (and a kaartservicecode that must not be served to it).
 */
import type { PendingOrder } from '../contract/backoffice-api.js';
import { FIXTURE_CARDS } from '../contract/fixture-cards.js';

export type FixtureOrder =
  | { orderId: string; cardNumber: string; kind: 'kaartservicecode'; announcedDaysAgo: number }
  | { orderId: string; cardNumber: string; kind: 'ns-extra'; announcedDaysAgo: number; amountCents: number }
  | {
      orderId: string;
      cardNumber: string;
      kind: 'product';
      announcedDaysAgo: number;
      product: { code: string; validFromInDays: number; validDays: number; travelClass?: 1 | 2 };
    };

export const FIXTURE_CARD_KINDS: { cardNumber: string; kind: 'personal' | 'anonymous' | 'business' }[] = Object.values(
  FIXTURE_CARDS,
).map((c) => ({ cardNumber: c.cardNumber, kind: c.kind }));

export const FIXTURE_ORDERS: FixtureOrder[] = [
  { orderId: 'FX-KSC-0017', cardNumber: FIXTURE_CARDS['personal-kaartservicecode'].cardNumber, kind: 'kaartservicecode', announcedDaysAgo: 2 },
  // Next to the code, so one visit collects two orders (EUR 12.50 + 5.00 stays far below EUR 150).
  { orderId: 'FX-NSX-0017', cardNumber: FIXTURE_CARDS['personal-kaartservicecode'].cardNumber, kind: 'ns-extra', announcedDaysAgo: 20, amountCents: 500 },
  { orderId: 'FX-NSX-0025', cardNumber: FIXTURE_CARDS['personal-ns-extra'].cardNumber, kind: 'ns-extra', announcedDaysAgo: 60, amountCents: 1250 },
  { orderId: 'FX-NSX-0025-OLD', cardNumber: FIXTURE_CARDS['personal-ns-extra'].cardNumber, kind: 'ns-extra', announcedDaysAgo: 400, amountCents: 500 },
  {
    orderId: 'FX-PRD-0033',
    cardNumber: FIXTURE_CARDS['personal-products'].cardNumber,
    kind: 'product',
    announcedDaysAgo: 1,
    product: { code: 'DAL-VOORDEEL', validFromInDays: 0, validDays: 365, travelClass: 2 },
  },
  // EUR 110 on a card holding EUR 45.20 would pass EUR 150: listed as over-limit, with the room.
  { orderId: 'FX-NSX-0033', cardNumber: FIXTURE_CARDS['personal-products'].cardNumber, kind: 'ns-extra', announcedDaysAgo: 0, amountCents: 11_000 },
  {
    orderId: 'FX-BUS-0011',
    cardNumber: FIXTURE_CARDS.business.cardNumber,
    kind: 'product',
    announcedDaysAgo: 3,
    product: { code: 'TRAJECT-VRIJ', validFromInDays: 0, validDays: 30, travelClass: 1 },
  },
  { orderId: 'FX-NSX-0014', cardNumber: FIXTURE_CARDS.anonymous.cardNumber, kind: 'ns-extra', announcedDaysAgo: 10, amountCents: 750 },
  { orderId: 'FX-KSC-0041', cardNumber: FIXTURE_CARDS.blocked.cardNumber, kind: 'kaartservicecode', announcedDaysAgo: 5 },
];

export const FIXTURE_BLOCKED: string[] = [FIXTURE_CARDS.blocked.cardNumber];

/** `day` (YYYY-MM-DD) moved by `n` days. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The fixture orders as they stand on `day` (dates relative to it), ready for a store's addOrder. */
export function fixtureOrdersOn(day: string): (PendingOrder & { cardNumber: string })[] {
  return FIXTURE_ORDERS.map((f) => {
    const announcedOn = addDays(day, -f.announcedDaysAgo);
    if (f.kind === 'product') {
      const validFrom = addDays(day, f.product.validFromInDays);
      return {
        orderId: f.orderId,
        cardNumber: f.cardNumber,
        kind: 'product',
        announcedOn,
        product: {
          code: f.product.code,
          validFrom,
          validUntil: addDays(validFrom, f.product.validDays - 1),
          ...(f.product.travelClass ? { travelClass: f.product.travelClass } : {}),
        },
      };
    }
    if (f.kind === 'ns-extra') return { orderId: f.orderId, cardNumber: f.cardNumber, kind: 'ns-extra', announcedOn, amountCents: f.amountCents };
    return { orderId: f.orderId, cardNumber: f.cardNumber, kind: 'kaartservicecode', announcedOn };
  });
}
