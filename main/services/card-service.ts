/**
 * Card reading for the session: wait for a card, read it, and hand the machines a CardInfo with
 * nothing personal in it (no birth date), plus whether the back office lists it as blocked and
 * what "today" is in the kiosk's time zone. Every reader failure becomes a typed result the
 * session machine routes to its own screen.
 */
import { localDate } from '../../domain/dates.js';
import { ALL_SECTIONS, type CardModel } from '../../contract/card.js';
import { isCardError, type CardReader } from '../../hardware/card/card-reader.js';
import type { CardInfo, ReadCardOutput, WaitForCardOutput } from '../../state-machines/types.js';
import type { BackOfficeClient } from '../backoffice-client/types.js';
import type { Clock } from '../../contract/time.js';
import type { Random } from '../../contract/random.js';
import { newOperationId, noteId } from '../money/ids.js';
import type { JournalHealth } from '../money/journal-guard.js';
import type { Logger } from 'pino';
import type { Journal, JournalCardRef } from '../journal/journal.js';
import { cardCreditRefs } from './card-refs.js';

export interface CardServiceDeps {
  reader: CardReader;
  backOffice: Pick<BackOfficeClient, 'isBlocked'>;
  clock: Clock;
  timeZone: string;
  log: Logger;
  /** Reconciliation (issue 12): every card read journals `card.refs-seen` with the refs the card
   * holds (no personal data: the keyed card hash, last four digits, the refs). */
  refsSeen?: { journal: Pick<Journal, 'append'>; cardRef: (cardNumber: string) => JournalCardRef };
  /** A card's seal failed (CardError 'tampered': edited or cloned card): report it (journal kiosk.note). */
  onTampered?: (detail: string) => void;
  /** Issue 12 window 6: can money be taken now (main/money/journal-guard.ts)? Absent: always. */
  journalHealth?: () => JournalHealth;
}


/** The card as the machines may see it: the holder's birth date never leaves this function. */
export function toCardInfo(card: CardModel): CardInfo {
  return {
    uid: card.uid,
    cardNumber: card.cardNumber,
    kind: card.kind,
    expiryDate: card.expiryDate,
    balanceCents: card.balanceCents,
    blocked: card.blocked,
    products: card.products.map((p) => ({
      code: p.code,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
      ...(p.travelClass !== undefined ? { travelClass: p.travelClass } : {}),
      ...(p.station !== undefined ? { station: p.station } : {}),
    })),
    transactions: card.transactions.map((t) => ({ at: t.at, kind: t.kind, station: t.station, amountCents: t.amountCents })),
    topUps: card.topUps.map((t) => ({ at: t.at, amountCents: t.amountCents, location: t.location })),
    autoTopUp: card.autoTopUp,
  };
}

/**
 * The report of a tampered card (its seal failed: edited or cloned): a `kiosk.note` the technician
 * sees and the back office receives. Nothing about the card but the reason (no UID, no number: the
 * card data is not trusted, and the note must pass the journal's privacy check).
 */
export function journalTamperedCard(journal: Pick<Journal, 'append'>, random: Random): (detail: string) => void {
  return (detail) => {
    journal.append({ type: 'kiosk.note', operationId: noteId(newOperationId(random)), data: { event: 'card-tampered', detail } });
  };
}

export interface CardService {
  /** Resolves with the card in the field: at once if one lies there (unless `fresh`), else at the
   * next presentation. Rejects when `signal` aborts. */
  waitForCard(fresh: boolean, signal?: AbortSignal): Promise<WaitForCardOutput>;
  read(): Promise<ReadCardOutput>;
}

export function createCardService(deps: CardServiceDeps): CardService {
  const { reader, backOffice, clock, timeZone, log } = deps;
  let reads = 0;
  /** Evidence, not money: a journal that refuses it must not stop the traveller's read. */
  function journalRefsSeen(card: CardModel): void {
    if (!deps.refsSeen) return;
    try {
      deps.refsSeen.journal.append({
        type: 'card.refs-seen',
        operationId: `refs-seen:${clock.now().toISOString()}:${++reads}`,
        card: deps.refsSeen.cardRef(card.cardNumber),
        data: { refs: cardCreditRefs(card).join(',') },
      });
    } catch (e) {
      log.error({ err: String(e) }, 'card.refs-seen not journaled');
    }
  }
  return {
    waitForCard(fresh, signal) {
      return new Promise<WaitForCardOutput>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const here = reader.currentCard();
        if (!fresh && here) return resolve({ uid: here });
        const unsubscribe = reader.subscribe((e) => {
          if (e.type !== 'card-presented') return;
          cleanup();
          resolve({ uid: e.uid });
        });
        const onAbort = () => {
          cleanup();
          reject(signal?.reason ?? new Error('aborted'));
        };
        const cleanup = () => {
          unsubscribe();
          signal?.removeEventListener('abort', onAbort);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },

    async read() {
      let card: CardModel;
      try {
        card = await reader.read(ALL_SECTIONS);
      } catch (e) {
        const code = isCardError(e) ? e.code : 'io';
        log.warn({ code, err: isCardError(e) ? e.message : String(e) }, 'card read failed');
        switch (code) {
          case 'card-gone':
          case 'no-card':
          case 'io':
            return { ok: false, problem: 'card-gone' };
          case 'reader-unavailable':
            return { ok: false, problem: 'reader-unavailable' };
          case 'tampered':
            // Refused like any unreadable card (the traveller goes to the service desk), and reported.
            deps.onTampered?.(isCardError(e) ? e.message : String(e));
            return { ok: false, problem: 'defective' };
          case 'corrupt':
          case 'wrong-key':
          case 'wrong-card':
            return { ok: false, problem: 'defective' };
        }
      }
      journalRefsSeen(card);
      let blockedListed = false;
      try {
        blockedListed = backOffice.isBlocked(card.cardNumber);
      } catch (e) {
        // The list is a local cache; if even that fails, the card's own block flag still counts.
        log.error({ err: String(e) }, 'blocked-card list check failed');
      }
      const health = deps.journalHealth?.();
      return {
        ok: true,
        card: toCardInfo(card),
        blockedListed,
        today: localDate(clock.now(), timeZone),
        ...(health && !health.ok ? { moneyUnavailable: health.reason } : {}),
      };
    },
  };
}
