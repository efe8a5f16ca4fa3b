/**
 * Card kinds and what each may do (docs/domain.md table), in one place. What the seeds fix is a
 * constant here; what is an assumption is configuration, passed in as settings:
 * - NS Extra: personal OV-chipkaarten only (seed 004) — fixed;
 * - top up: `topUp.cardKinds` (default personal + anonymous: NS-Business Cards travel on account,
 *   an assumption);
 * - collect orders: `orders.cardKinds` (default every kind: anonymous cards may hold what needs no
 *   person, business cards what the employer authorised; what a card may not load is listed with
 *   the reason, see order-rules.ts);
 * - the station passage: see station-passage.ts.
 * An expired card is no valid ticket: it may only see its balance.
 */
import type { MenuOption } from '../contract/bridge.js';
import type { CardKind } from '../contract/card.js';
import type { Availability, NotOfferedReason } from '../contract/health.js';
import { stationPassageApplies, type StationPassageSettings } from './station-passage.js';

export const CARD_KINDS: readonly CardKind[] = ['personal', 'anonymous', 'business'];

/** Only personal OV-chipkaarten receive NS Extra (not anonymous, not NS-Business Card). */
export const NS_EXTRA_CARD_KINDS: readonly CardKind[] = ['personal'];

export interface TopUpSettings {
  /** Amounts offered, cents. */
  amountsCents: number[];
  /** The highest balance a card may hold after a top-up, cents. */
  maxBalanceCents: number;
  /** Card kinds that may top up (docs/domain.md: business cards do not, an assumption kept in config). */
  cardKinds: CardKind[];
}

export interface OrderSettings {
  /** Card kinds offered "collect orders" (docs/domain.md: every kind; anonymous cards get only what needs no person). */
  cardKinds: CardKind[];
  /** Products of which a card holds one at a time (assumption, see order-rules.ts). */
  exclusiveProductGroups: string[][];
}

export interface MenuSettings {
  topUp: Pick<TopUpSettings, 'cardKinds'>;
  /** Menu options offered besides the journeys a card qualifies for (e.g. 'balance'). */
  menuOptions: MenuOption[];
  /** Collecting pending orders. Absent: not offered. */
  orders?: Pick<OrderSettings, 'cardKinds'>;
  /** The free station passage. Absent: not offered. */
  stationPassage?: StationPassageSettings;
}

export interface CardForMenu {
  kind: CardKind;
  expiryDate: string;
  balanceCents: number;
  products: readonly { code: string; validFrom: string }[];
}

/** Is the card past its last valid day? (Valid through its expiry date, in the kiosk's time zone.) */
export function cardExpired(card: { expiryDate: string }, today: string): boolean {
  return card.expiryDate < today;
}

/**
 * Which menu options this card may use: only what it may do, so the menu never leads to a dead
 * end. An expired card gets none of the journeys (see `expiredMenu`).
 */
export function menuFor(card: CardForMenu, today: string, settings: MenuSettings, availability?: Pick<Availability, 'topUp' | 'collectOrders'>): MenuOption[] {
  const options: MenuOption[] = [];
  const expired = cardExpired(card, today);
  if (!expired && settings.topUp.cardKinds.includes(card.kind) && !availability?.topUp) options.push('topup');
  if (!expired && settings.orders?.cardKinds.includes(card.kind) && !availability?.collectOrders) options.push('collect-orders');
  if (stationPassageApplies(card, today, settings.stationPassage)) options.push('station-passage');
  for (const o of settings.menuOptions) if (!options.includes(o)) options.push(o);
  return options;
}

/** An expired card may only see its balance (and is told it expired). */
export function expiredMenu(settings: Pick<MenuSettings, 'menuOptions'>): MenuOption[] {
  return settings.menuOptions.includes('balance') ? ['balance'] : [];
}

/**
 * Issue 13: the journeys this card would get that the kiosk cannot offer now (a part is missing),
 * with the reason, so the menu says why instead of silently leaving them out.
 */
export function notOfferedFor(
  card: CardForMenu,
  today: string,
  settings: MenuSettings,
  availability: Pick<Availability, 'topUp' | 'collectOrders'>,
): { option: MenuOption; reason: NotOfferedReason }[] {
  const out: { option: MenuOption; reason: NotOfferedReason }[] = [];
  if (cardExpired(card, today)) return out;
  if (availability.topUp && settings.topUp.cardKinds.includes(card.kind)) out.push({ option: 'topup', reason: availability.topUp });
  if (availability.collectOrders && settings.orders?.cardKinds.includes(card.kind)) out.push({ option: 'collect-orders', reason: availability.collectOrders });
  return out;
}
