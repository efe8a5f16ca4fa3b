import { MAX_BALANCE_CENTS } from '../../domain/balance.js';
import type { KioskSnapshot } from './bridge/contract.js';

/** The highest balance a card may hold, for texts. The core's limit is configuration (at most
 * EUR 150); where the snapshot shows it (balance + room) that value is used, else the card rule. */
export function maxBalanceCents(s: KioskSnapshot): number {
  if (s.card && s.topUp && s.topUp.maxCents > 0) return s.card.balanceCents + s.topUp.maxCents;
  return MAX_BALANCE_CENTS;
}
