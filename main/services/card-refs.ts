/**
 * The credit refs a card holds, newest first, as the back office's reconciliation reads them from
 * `card.refs-seen` (backoffice/reconciliation.ts). The one place that knows where a card keeps its
 * refs: today the top-up history (newest first) and the products (appended, so newest last). When
 * the card gets its own credit-ref log (issue 12 item 1), read that log here instead.
 */
import type { CardModel } from '../../contract/card.js';

const REF = /^[0-9a-f]{8}$/;

export function cardCreditRefs(card: Pick<CardModel, 'topUps' | 'products'>): string[] {
  const refs = [...card.topUps.map((t) => t.ref), ...[...card.products].reverse().map((p) => p.ref)];
  return [...new Set(refs.filter((r): r is string => r !== undefined && REF.test(r)))];
}
