/**
 * Start-up recovery's question for an interrupted card write (recovery.ts `checkCardWrite`): did
 * the write land? Answerable only while the operation's card lies on the reader: it is read, must
 * be the journaled card (keyed hash), and the write landed iff the card carries the operation's ref
 * (`card.write-intent` data.ref): in its credit-ref log, or on a top-up record or product
 * (domain/credit-refs.ts; the log keeps the last 16 credits, the top-up history only two).
 *
 * Note: top-up records live in the card's 'purse' area, not in 'history' (travel transactions);
 * reading only 'history' always answers 'not-written' and makes recovery undo a payment whose
 * credit is on the card.
 */
import { creditRefsOnCard } from '../../contract/card.js';
import { cardHoldsCredit } from '../../domain/credit-refs.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import type { JournalRecord } from './journal.js';
import type { CardWriteCheck } from '../money/card-write.js';
import type { Time } from '../../contract/time.js';

export interface CardWriteCheckDeps {
  reader: Pick<CardReader, 'currentCard' | 'read'>;
  /** The journal's keyed hash of a card number (record-crypto cardRef(...).hash). */
  cardHash: (cardNumber: string) => string;
  /** Told what was found (diagnostics). */
  onChecked?: (result: CardWriteCheck, why: string) => void;
  /**
   * Wait (bounded) for a card to be reported on the reader before answering 'unknown' (issue 12,
   * window 3): at start-up the reader reports a card lying on it only after its first poll.
   */
  waitForCard?: { ms: number; time: Pick<Time, 'setTimeout'> };
}

async function cardAppears(reader: Pick<CardReader, 'currentCard'>, w: CardWriteCheckDeps['waitForCard']): Promise<boolean> {
  if (reader.currentCard()) return true;
  if (!w) return false;
  for (let waited = 0; waited < w.ms; waited += 50) {
    await new Promise<void>((r) => w.time.setTimeout(r, 50));
    if (reader.currentCard()) return true;
  }
  return false;
}

export function createCardWriteCheck(deps: CardWriteCheckDeps): (op: { records: readonly Pick<JournalRecord, 'type' | 'card' | 'data'>[] }) => Promise<CardWriteCheck> {
  const answer = (result: CardWriteCheck, why: string): CardWriteCheck => {
    deps.onChecked?.(result, why);
    return result;
  };
  return async (op) => {
    const intent = [...op.records].reverse().find((r) => r.type === 'card.write-intent');
    const ref = intent?.data?.['ref'];
    if (typeof ref !== 'string' || !intent?.card) return answer('unknown', 'the write intent names no ref or card');
    if (!(await cardAppears(deps.reader, deps.waitForCard))) return answer('unknown', 'no card on the reader');
    let onReader;
    try {
      onReader = await deps.reader.read(['identity', 'purse', 'products']);
    } catch (e) {
      return answer('unknown', `the card could not be read: ${(e as Error).message}`);
    }
    if (deps.cardHash(onReader.cardNumber) !== intent.card.hash) return answer('unknown', 'another card is on the reader');
    const refs = creditRefsOnCard(onReader);
    return cardHoldsCredit(onReader, ref) ? answer('written', `the card carries ${ref}`) : answer('not-written', `the card does not carry ${ref} (has: ${refs.join(',') || 'none'})`);
  };
}
