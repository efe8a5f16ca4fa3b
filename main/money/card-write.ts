/**
 * The one journaled card write, used by the top-up, order collection (NS Extra, products), the
 * station passage and start-up recovery:
 *
 *   card.write-intent {ref} -> reader.write(expected card, idempotent update) ->
 *   card.written {balanceCents} | card.write-failed {reason, uncertain}
 *
 * Every record carries the caller's `data` (e.g. orderId, purpose) and the operation's amount and
 * card ref. The update is made idempotent here: a card that already carries `ref` is left as it is,
 * so a retry after a tear (same visit or a later one) never credits or loads twice. An update may
 * refuse by throwing `CardUpdateRefused` (nothing was written: certain). Any other failure is
 * mapped by errors.ts `writeFailure`: uncertain unless the card was provably never touched.
 */
import { ALL_SECTIONS, type CardIdentity, type CardModel, type CardSection, withCreditRef } from '../../contract/card.js';
import { cardHoldsCredit } from '../../domain/credit-refs.js';
import { isCardError, type CardReader } from '../../hardware/card/card-reader.js';
import type { Journal, JournalCardRef, JournalEntryType } from '../journal/journal.js';
import { writeFailure, writeProblem, type WriteFailure, type WriteProblem } from './errors.js';

export type JournalData = Record<string, string | number | boolean | null>;

/** Recovery's answer to "did this interrupted write land?" (card-write-check.ts). */
export type CardWriteCheck = 'written' | 'not-written' | 'unknown';

/** Thrown by an update when the card as it is now does not allow it: nothing is written. */
export class CardUpdateRefused<T = undefined> extends Error {
  constructor(
    readonly reason: string,
    readonly refusal: T,
    message = `card update refused: ${reason}`,
  ) {
    super(message);
  }
}

/** Is the credit the ref names already on the card? Its credit-ref log (the last 16 credits) or a
 * top-up record or product still on it says so (domain/credit-refs.ts). */
export function carries(card: CardModel, ref: string): boolean {
  return cardHoldsCredit(card, ref);
}

/** Read the card on the reader; it must be `expected` (same chip, same number). */
export async function readExpected(
  reader: Pick<CardReader, 'read'>,
  expected: CardIdentity,
  sections: readonly CardSection[] = ALL_SECTIONS,
): Promise<{ card: CardModel } | { problem: WriteProblem; code: string }> {
  try {
    const card = await reader.read(sections);
    if (card.uid !== expected.uid || card.cardNumber !== expected.cardNumber) return { problem: 'wrong-card', code: 'wrong-card' };
    return { card };
  } catch (e) {
    const code = isCardError(e) ? e.code : 'unexpected';
    return { problem: writeProblem(code), code };
  }
}

/** Who the records of one card write are about. */
export interface CardWriteTarget {
  journal: Pick<Journal, 'append'>;
  operationId: string;
  card?: JournalCardRef;
  amountCents?: number;
  /** Put on every record (orderId, purpose, recovered...). */
  data?: JournalData;
}

function appender(t: CardWriteTarget) {
  return (type: JournalEntryType, data: JournalData) =>
    t.journal.append({
      type,
      operationId: t.operationId,
      ...(t.amountCents !== undefined ? { amountCents: t.amountCents } : {}),
      ...(t.card ? { card: t.card } : {}),
      data: { ...t.data, ...data },
    });
}

export interface CardWriteRequest extends CardWriteTarget {
  card: JournalCardRef;
  reader: Pick<CardReader, 'write'>;
  expected: CardIdentity;
  ref: string;
  /** The change (pure); called on the card as it is at write time, never for a card that carries `ref`. */
  update: (card: CardModel) => CardModel;
}

export type CardWriteResult =
  | { outcome: 'written'; card: CardModel }
  | { outcome: 'refused'; refused: CardUpdateRefused<unknown> }
  | { outcome: 'failed'; failure: WriteFailure };

export async function journaledCardWrite(req: CardWriteRequest): Promise<CardWriteResult> {
  const rec = appender(req);
  rec('card.write-intent', { ref: req.ref });
  let written: CardModel;
  try {
    // The credit and its ref in the card's credit-ref log: one update, one atomic index flip.
    written = await req.reader.write(req.expected, (c) => (carries(c, req.ref) ? c : withCreditRef(req.update(c), req.ref)));
  } catch (e) {
    if (e instanceof CardUpdateRefused) {
      rec('card.write-failed', { reason: e.reason, uncertain: false });
      return { outcome: 'refused', refused: e };
    }
    const failure = writeFailure(e);
    rec('card.write-failed', { reason: failure.reason, uncertain: failure.uncertain, detail: failure.detail });
    return { outcome: 'failed', failure };
  }
  rec('card.written', { balanceCents: written.balanceCents });
  return { outcome: 'written', card: written };
}

/** The card read before a write already carries the ref: an earlier (torn) write landed. */
export function journalLanded(t: CardWriteTarget, card: CardModel): void {
  appender(t)('card.written', { balanceCents: card.balanceCents, confirmedBy: 'card-ref' });
}

/** Recovery: close a write the crash interrupted with what the card check found. True if written. */
export function closeInterruptedWrite(t: CardWriteTarget, check: CardWriteCheck): boolean {
  const rec = appender(t);
  if (check === 'written') {
    rec('card.written', { confirmedBy: 'card-check' });
    return true;
  }
  rec('card.write-failed', { reason: 'interrupted', uncertain: check === 'unknown' });
  return false;
}
