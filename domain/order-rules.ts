/**
 * Which pending orders a card may load now, and why not. Pure and shared: the collect-orders
 * machine decides with the card it actually read, the collect service checks again just before
 * the write (the card may have changed), and the reference back office refuses to collect what is
 * not loadable, with these same functions.
 *
 * Rules (docs/domain.md, seeds 002 and 004):
 * - nothing is loaded onto an expired card (an expired card is no valid ticket);
 * - NS Extra: personal cards only (never anonymous, never NS-Business Card); loadable through the
 *   same date one year after the announcement e-mail; the new balance may not pass the maximum
 *   (EUR 150), and the refusal says how much room there is;
 * - a travel product is refused when the card already holds a conflicting one: the same product
 *   with overlapping validity, or a product of the same exclusive group (e.g. two NS
 *   subscriptions) with overlapping validity. The groups are configuration (an assumption: no
 *   seed lists them), see KioskMachineInput.orders.exclusiveProductGroups.
 * - a kaartservicecode needs nothing of the card but that it is this card and valid.
 * - a pending credit (issue 12: NS Extra with `creditRef`, a kiosk payment whose credit was not
 *   confirmed) was paid for: any card kind, no one-year limit; still never over the maximum.
 */

import type { PendingOrder } from '../contract/backoffice-api.js';
import type { OrderRefusalDetail } from '../contract/bridge.js';
import type { CardKind } from '../contract/card.js';
import { balanceRoom, exceedsMaximum } from './balance.js';
import { NS_EXTRA_CARD_KINDS } from './card-kinds.js';
import { dayOf } from './dates.js';

/** A pending order as the back office serves it (derived from the API schema). */
export type OrderInfo = PendingOrder;
export type OrderKind = OrderInfo['kind'];
export type { OrderRefusalDetail };

/** What the rules need to know about the card. */
export interface CardForOrders {
  kind: CardKind;
  expiryDate?: string;
  balanceCents?: number;
  products?: readonly { code: string; validFrom: string; validUntil: string }[];
}

export interface OrderRuleSettings {
  /** The highest balance a card may hold (EUR 150). */
  maxBalanceCents: number;
  /** Product codes of which a card holds at most one at a time (per overlapping period). */
  exclusiveProductGroups: readonly (readonly string[])[];
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


function overlaps(a: { validFrom: string; validUntil: string }, b: { validFrom: string; validUntil: string }): boolean {
  return dayOf(a.validFrom) <= dayOf(b.validUntil) && dayOf(b.validFrom) <= dayOf(a.validUntil);
}

/** The product on the card that conflicts with `wanted`, if any. Expired products never conflict. */
export function conflictingProduct(
  wanted: { code: string; validFrom: string; validUntil: string },
  onCard: readonly { code: string; validFrom: string; validUntil: string }[],
  groups: readonly (readonly string[])[],
  today: string,
): string | undefined {
  const group = groups.find((g) => g.includes(wanted.code));
  for (const p of onCard) {
    if (dayOf(p.validUntil) < today) continue;
    const sameKind = p.code === wanted.code || (group?.includes(p.code) ?? false);
    if (sameKind && overlaps(p, wanted)) return p.code;
  }
  return undefined;
}

/** Why this card cannot load this order today, or undefined when it can. */
export function orderRefusalFor(order: OrderInfo, card: CardForOrders, today: string, settings: OrderRuleSettings): OrderRefusalDetail | undefined {
  if (card.expiryDate !== undefined && card.expiryDate < today) return { reason: 'card-expired' };
  switch (order.kind) {
    case 'kaartservicecode':
      return undefined;
    case 'ns-extra': {
      // A pending credit (creditRef) was paid for at a kiosk: any card kind, no one-year limit.
      if (order.creditRef === undefined) {
        if (!NS_EXTRA_CARD_KINDS.includes(card.kind)) return { reason: 'not-personal' };
        const lastDay = nsExtraLastDay(order.announcedOn);
        if (today > lastDay) return { reason: 'ns-extra-expired', lastDay };
      }
      const balance = card.balanceCents ?? 0;
      if (exceedsMaximum(balance, order.amountCents, settings.maxBalanceCents))
        return { reason: 'over-limit', roomCents: balanceRoom(balance, settings.maxBalanceCents) };
      return undefined;
    }
    case 'product': {
      const code = conflictingProduct(order.product, card.products ?? [], settings.exclusiveProductGroups, today);
      return code ? { reason: 'conflicting-product', conflictingCode: code } : undefined;
    }
  }
}

/** Default exclusive groups: an NS subscription at a time (Dal/Altijd Voordeel/Vrij, Weekend Vrij,
 * Traject Vrij); an add-on such as Samenreiskorting conflicts only with itself. Assumption. */
export const DEFAULT_EXCLUSIVE_PRODUCT_GROUPS: readonly (readonly string[])[] = [
  ['DAL-VOORDEEL', 'DAL-VRIJ', 'ALTIJD-VOORDEEL', 'ALTIJD-VRIJ', 'WEEKEND-VOORDEEL', 'WEEKEND-VRIJ', 'TRAJECT-VRIJ'],
];
