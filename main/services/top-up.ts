/**
 * The money flow of a top-up, as the top-up machine's actors call it. Every step that moves money
 * or changes a card is journaled first (intent) and after (outcome); whatever the kiosk decides
 * about a payment is journaled BEFORE it is sent to the terminal.
 *
 *   authorize: payment.intent -> terminal.authorize -> payment.approved | payment.failed
 *   credit:    read the card on the reader; must be the card that was paid for
 *              -> already carries this payment's ref? (a torn write that landed) -> card.written
 *              -> else card.write-intent -> reader.write(expected, idempotent credit) -> card.written
 *              -> terminal.commit -> payment.committed (only once the terminal acknowledged: the
 *              durable commit decision is `card.written` itself, and recovery re-commits from it)
 *              (card gone mid-write -> card.write-failed {uncertain}; the next tap re-reads and the
 *              ref tells whether the credit landed)
 *              (commit refused because the terminal already reversed -> payment.reversed {cardCredited};
 *              no answer -> the payment stays at card.written and start-up recovery settles it)
 *   rollback:  payment.rollback-intent -> terminal.rollback -> payment.reversed | payment.refund-owed
 *              EXCEPT when the last card write may have landed (uncertain, issue 12): the payment is
 *              kept -> payment.credit-pending {ref} -> terminal.commit -> payment.committed; the back
 *              office loads the credit at the next tap unless the card holds the ref
 *
 * The credit is idempotent: the card's top-up record carries `ref` = the first 8 hex characters of
 * the payment id, and the update leaves a card that already has it unchanged.
 *
 * This service orchestrates; the steps are the shared money path of main/money: the journaled card
 * write (card-write.ts), the settlement with the terminal (settlement.ts), the error mapping
 * (errors.ts), the ids and refs (ids.ts) and the driver's decision hook (decision-hook.ts).
 */
import type { Logger } from 'pino';
import { MAX_TOP_UPS, type CardIdentity, type CardModel } from '../../contract/card.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import type {
  AuthorizationOutcome,
  PaymentDecisionHook,
  PaymentFailureReason,
  PaymentPrompt,
  PaymentTerminal,
} from '../../hardware/payment/payment-terminal.js';
import type {
  CreditCardInput,
  CreditCardOutput,
  RollbackPaymentInput,
  RollbackPaymentOutput,
} from '../../state-machines/types.js';
import type { Clock } from '../../contract/time.js';
import type { Random } from '../../contract/random.js';
import type { Journal, JournalCardRef, JournalEntryInput, JournalRecord } from '../journal/journal.js';
import { CardUpdateRefused, carries, journaledCardWrite, journalLanded, readExpected } from '../money/card-write.js';
import { createDecisionHook } from '../money/decision-hook.js';
import { errorCode, errorText } from '../money/errors.js';
import { newPaymentId, noteId, paymentRef } from '../money/ids.js';
import { createSettlement } from '../money/settlement.js';
import type { JournalHealth } from '../money/journal-guard.js';

export { newPaymentId, paymentRef } from '../money/ids.js';

export interface TopUpServiceDeps {
  reader: CardReader;
  /** The payment terminal, built before this service (its decision hook needs only the journal). */
  terminal: PaymentTerminal;
  journal: Journal;
  clock: Clock;
  random: Random;
  kioskId: string;
  maxBalanceCents: number;
  /** Keyed hash + last four digits of a card number (journal privacy). */
  cardRef: (cardNumber: string) => JournalCardRef;
  log: Logger;
  /** A payment this service could not settle with the terminal now (no answer): the settler retries it. */
  onLeftOpen?: (paymentId: string) => void;
  /** May money be taken (journal-guard.ts)? Absent: always. A closed journal refuses before any payment starts. */
  journalHealth?: () => JournalHealth;
}

/**
 * Did the payment's last card write perhaps land? True when its last `card.write-failed` says
 * uncertain (a later tap that re-read the card and wrote again leaves its own, newer outcome) or a
 * write intent has no outcome. A write that certainly did not land (never touched, refused) is false.
 */
export function writeMayHaveLanded(records: readonly Pick<JournalRecord, 'type' | 'data'>[]): boolean {
  const writes = records.filter((r) => r.type === 'card.write-intent' || r.type === 'card.write-failed' || r.type === 'card.written');
  const last = writes.at(-1);
  if (!last) return false;
  if (last.type === 'card.write-intent') return true;
  return last.type === 'card.write-failed' && last.data?.['uncertain'] === true;
}

export type AuthorizeResult =
  | { result: 'approved'; paymentId: string; reference: string }
  | { result: 'failed'; paymentId: string; reference: string; reason: PaymentFailureReason };

export interface TopUpService {
  authorize(request: { amountCents: number; card: CardIdentity }, onPrompt?: (p: PaymentPrompt) => void): Promise<AuthorizeResult>;
  /** Ask the terminal to abort the authorization in progress (the traveller pressed cancel). */
  abort(): Promise<void>;
  credit(request: CreditCardInput): Promise<CreditCardOutput>;
  rollback(request: RollbackPaymentInput, reason?: string): Promise<RollbackPaymentOutput>;
  /** The journal's decision hook (main/money/decision-hook.ts), for callers that hold the service. */
  onDecision: PaymentDecisionHook;
}

export function createTopUpService(deps: TopUpServiceDeps): TopUpService {
  const { reader, terminal, journal, clock, random, kioskId, log } = deps;
  const append = (entry: JournalEntryInput) => journal.append(entry);
  const settlement = createSettlement({ journal, terminal });

  /** Undo an approved (or possibly approved) payment: the shared rollback, then the traveller's answer. */
  async function undo(paymentId: string, amountCents: number, card: JournalCardRef, reason: string): Promise<RollbackPaymentOutput> {
    const r = await settlement.rollback({ paymentId, amountCents, card }, reason);
    if (r.result === 'reversed') return { result: 'reversed' };
    // Refund owed, or left open for start-up recovery (terminal unreachable / unclear): the
    // traveller gets the reference to claim the money if it does not come back by itself.
    if (r.result === 'refund-owed') log.error({ paymentId, detail: r.detail }, 'payment could not be undone: refund owed');
    else {
      log.error({ paymentId, detail: r.detail }, 'rollback unclear; left for the settler');
      deps.onLeftOpen?.(paymentId);
    }
    return { result: 'refund-owed', reference: paymentRef(paymentId).toUpperCase() };
  }

  /** `card.written` is durable (the commit decision): ask the terminal to commit; the card keeps the credit whatever it says. */
  async function commit(paymentId: string, amountCents: number, card: JournalCardRef, balanceCents: number): Promise<CreditCardOutput> {
    const r = await settlement.commit({ paymentId, amountCents, card });
    if (r.result !== 'committed') {
      // A credit that may not be paid for: tell the technician and the back office.
      append({
        type: 'kiosk.note',
        operationId: noteId(paymentId),
        amountCents,
        card,
        data: { event: 'commit-failed', paymentId, code: r.code, detail: r.detail, cardCredited: true },
      });
      log.error({ paymentId, code: r.code, err: r.detail }, 'terminal commit failed after the card was credited');
      // No answer: the payment stays at card.written; the settler commits it while the kiosk runs
      // (window 4), not only at the next start.
      if (r.result === 'left-open') deps.onLeftOpen?.(paymentId);
    }
    return { result: 'credited', balanceCents };
  }

  return {
    async authorize({ amountCents, card }, onPrompt) {
      const paymentId = newPaymentId(random);
      const reference = paymentRef(paymentId).toUpperCase();
      // Window 6: no journal, no money. Nothing was asked of the terminal, nothing is owed.
      const health = deps.journalHealth?.();
      if (health && !health.ok) {
        log.error({ detail: health.detail }, 'top-up refused: the journal cannot be written');
        return { result: 'failed', paymentId, reference, reason: 'terminal-not-ready' };
      }
      const ref = deps.cardRef(card.cardNumber);
      append({ type: 'payment.intent', operationId: paymentId, amountCents, card: ref, data: { kioskId } });
      let outcome: AuthorizationOutcome;
      try {
        outcome = await terminal.authorize({ amountCents, paymentId }, onPrompt);
      } catch (e) {
        const code = errorCode(e);
        // busy / invalid-request / config: the terminal refused before taking anything.
        const certain = code === 'busy' || code === 'invalid-request' || code === 'config';
        append({
          type: 'payment.failed',
          operationId: paymentId,
          amountCents,
          card: ref,
          data: { reason: certain ? 'terminal-not-ready' : 'communication', error: errorText(e), ...(certain ? {} : { uncertain: true }) },
        });
        log.warn({ paymentId, code, err: errorText(e) }, 'authorization failed');
        if (!certain) await undo(paymentId, amountCents, ref, 'authorization ended unclear');
        return { result: 'failed', paymentId, reference, reason: certain ? 'terminal-not-ready' : 'communication' };
      }
      if (outcome.result === 'approved') {
        const r = outcome.receipt;
        append({
          type: 'payment.approved',
          operationId: paymentId,
          amountCents,
          card: ref,
          data: {
            ...(r.receiptNumber ? { receiptNumber: r.receiptNumber } : {}),
            ...(r.trace ? { trace: r.trace } : {}),
            ...(r.terminalId ? { terminalId: r.terminalId } : {}),
            // reservation profile: book total (06 24) names the pre-authorisation by its AID too
            ...(r.aid ? { aid: r.aid } : {}),
          },
        });
        log.info({ paymentId, amountCents }, 'payment approved');
        return { result: 'approved', paymentId, reference };
      }
      append({
        type: 'payment.failed',
        operationId: paymentId,
        amountCents,
        card: ref,
        data: { reason: outcome.reason, ...(outcome.code !== undefined ? { code: outcome.code } : {}), ...(outcome.uncertain ? { uncertain: true } : {}) },
      });
      log.info({ paymentId, reason: outcome.reason, uncertain: !!outcome.uncertain }, 'payment failed');
      // An unclear ending may have taken money: make sure it is undone before the traveller leaves.
      if (outcome.uncertain) await undo(paymentId, amountCents, ref, 'authorization ended unclear');
      return { result: 'failed', paymentId, reference, reason: outcome.reason };
    },

    async abort() {
      try {
        await terminal.abort();
      } catch (e) {
        log.warn({ err: errorText(e) }, 'terminal abort failed');
      }
    },

    async credit({ paymentId, amountCents, card }) {
      const ref = deps.cardRef(card.cardNumber);
      const opRef = paymentRef(paymentId);
      const target = { journal, operationId: paymentId, amountCents, card: ref };

      // 1. Which card is this, and does it already carry this credit (a torn write that landed)?
      const read = await readExpected(reader, card, ['identity', 'purse', 'history']);
      if ('problem' in read) {
        log.info({ paymentId, code: read.code }, 'card read before credit failed');
        return { result: read.problem };
      }
      if (carries(read.card, opRef)) {
        journalLanded(target, read.card);
        log.info({ paymentId }, 'credit found on the card already (earlier write landed)');
        return commit(paymentId, amountCents, ref, read.card.balanceCents);
      }

      // 2. Tell the terminal to wait (its question answered "please wait" before the write starts:
      //    a crash from here on leaves a terminal that asks again, never one waiting on a dead
      //    process's held answer), then write, tear-safely and idempotently.
      //    A terminal that is not listening (it did not acknowledge "please wait") may reverse on
      //    its own: nothing is written then (the traveller may try again, or gets the money back).
      if (terminal.issuing) {
        try {
          await terminal.issuing(paymentId);
        } catch (e) {
          log.warn({ paymentId, err: errorText(e) }, 'the terminal is not listening: the card is not written');
          return { result: 'write-failed' };
        }
      }
      const at = clock.now().toISOString();
      const w = await journaledCardWrite({
        ...target,
        reader,
        expected: { uid: card.uid, cardNumber: card.cardNumber },
        ref: opRef,
        update: (c: CardModel): CardModel => {
          const balanceCents = c.balanceCents + amountCents;
          if (balanceCents > deps.maxBalanceCents) throw new CardUpdateRefused('over-limit', c.balanceCents, 'the credit would take the card over its maximum balance');
          return { ...c, balanceCents, topUps: [{ at, amountCents, location: kioskId, ref: opRef }, ...c.topUps].slice(0, MAX_TOP_UPS) };
        },
      });
      if (w.outcome === 'refused') return { result: 'write-failed' };
      if (w.outcome === 'failed') {
        log.warn({ paymentId, reason: w.failure.reason, uncertain: w.failure.uncertain }, 'card write failed');
        return { result: w.failure.problem };
      }
      log.info({ paymentId, amountCents }, 'card credited');
      return commit(paymentId, amountCents, ref, w.card.balanceCents);
    },

    async rollback({ paymentId, amountCents, card }, reason = 'card not credited') {
      const ref = deps.cardRef(card.cardNumber);
      // The last card write of this payment may have landed (answer lost, card gone): never reverse
      // blindly (a credited card would keep an unpaid credit). Keep the payment; the back office
      // owes the card the credit under the same ref, loaded once at the next tap unless it is there.
      if (writeMayHaveLanded(journal.operation(paymentId))) {
        const r = await settlement.keep({ paymentId, amountCents, card: ref }, paymentRef(paymentId), 'card write result unknown');
        if (r.result === 'left-open') {
          log.error({ paymentId, detail: r.detail }, 'credit pending; the terminal did not confirm the payment: left for the settler');
          deps.onLeftOpen?.(paymentId);
        } else if (r.result === 'reversed') log.error({ paymentId, detail: r.detail }, 'credit pending, but the terminal reversed the payment');
        return { result: 'credit-pending', reference: paymentRef(paymentId).toUpperCase() };
      }
      return undo(paymentId, amountCents, ref, reason);
    },

    onDecision: createDecisionHook(journal),
  };
}
