/**
 * The free one-off station passage (beyond the seeds, what a real NS machine also offers; every
 * number here is an assumption kept in configuration `stationPassage`): a card whose balance is too
 * low to check in gets a product valid for `minutes` at this kiosk's station, once a card per day.
 */
import type { CardKind } from '../contract/card.js';
import { dayOf } from './dates.js';

export const STATION_PASSAGE_CODE = 'STATION-PASSAGE';

export interface StationPassageSettings {
  /** Offer the free one-off station passage at all (needs `stationCode`). */
  enabled: boolean;
  /** This kiosk's station (the passage is valid at this station only). */
  stationCode: string;
  /** How long the passage is valid from the moment it is loaded. */
  minutes: number;
  /** Offered to a card whose balance is below this (the minimum to check in; assumption, config). */
  belowBalanceCents: number;
  /** Card kinds that may get it (NS-Business Cards travel on account: not by default). */
  cardKinds: CardKind[];
}

/** Does the free station passage apply to this card today? */
export function stationPassageApplies(
  card: { kind: CardKind; expiryDate: string; balanceCents: number; products: readonly { code: string; validFrom: string }[] },
  today: string,
  settings: StationPassageSettings | undefined,
): boolean {
  if (!settings?.enabled || !settings.stationCode) return false;
  if (card.expiryDate < today) return false;
  if (!settings.cardKinds.includes(card.kind)) return false;
  if (card.balanceCents >= settings.belowBalanceCents) return false;
  // One-off: not when the card already got one today.
  return !card.products.some((p) => p.code === STATION_PASSAGE_CODE && dayOf(p.validFrom) === today);
}
