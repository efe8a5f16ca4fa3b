/**
 * The "already loaded?" rule every credit path shares (top-up, NS Extra, product, station passage,
 * recovery's card check): a credit whose ref the card holds is on the card, and is never written
 * again. The card holds a ref in its credit-ref log (the last MAX_CREDIT_REFS credits, written in
 * the same atomic update as each credit: docs/card-format.md) or on a product or top-up record
 * still on it. Looking only at the two-entry top-up history forgot a ref after two more top-ups
 * (issue 12, windows 2 and 5).
 */
import { type CardModel, creditRefsOnCard } from '../contract/card.js';

export function cardHoldsCredit(card: Pick<CardModel, 'creditRefs' | 'topUps' | 'products'>, ref: string): boolean {
  return creditRefsOnCard(card).includes(ref);
}
