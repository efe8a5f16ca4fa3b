/**
 * The credit refs a card holds, newest first, as the back office's reconciliation reads them from
 * `card.refs-seen` (backoffice/reconciliation.ts): the card's own credit-ref log (the last 16
 * credits, newest first; docs/card-format.md), then refs still on top-up records and products
 * (contract/card.ts creditRefsOnCard), once each, well-formed only (a ref is 8 hex characters).
 */
import { creditRefsOnCard, type CardModel } from '../../contract/card.js';

const REF = /^[0-9a-f]{8}$/;

export function cardCreditRefs(card: Pick<CardModel, 'creditRefs' | 'topUps' | 'products'>): string[] {
  return creditRefsOnCard(card).filter((r) => REF.test(r));
}
