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
 *
 * The credit is idempotent: the card's top-up record carries `ref` = the first 8 hex characters of
 * the payment id, and the update leaves a card that already has it unchanged.
 */
import type { Logger } from 'pino';
import { MAX_TOP_UPS, type CardIdentity, type CardModel } from '../../contract/card.js';
import { isCardError, type CardErrorCode, type CardReader } from '../../hardware/card/card-reader.js';
import type {
  AuthorizationOutcome,
  PaymentDecisionHook,
  PaymentFailureReason,
  PaymentHints,
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
import type { Journal, JournalCardRef, JournalEntryInput } from '../journal/journal.js';

export interface TopUpServiceDeps {
  reader: CardReader;
  /** Resolved lazily: the terminal is built after this service (its decision hook lives here). */
  terminal: () => PaymentTerminal;
  journal: Journal;
  clock: Clock;
  random: Random;
  kioskId: string;
  maxBalanceCents: number;
  /** Keyed hash + last four digits of a card number (journal privacy). */
  cardRef: (cardNumber: string) => JournalCardRef;
  log: Logger;
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
  /** For the payment driver: journals a decision it is about to send, unless already journaled. */
  onDecision: PaymentDecisionHook;
}

/**
 * A new payment id: 128 random bits as four dash-separated groups of 8 hex characters. The
 * groups keep any run of digits short, so an id can never look like a card number to the
 * journal's privacy check (which refuses 13+ digits in a row; a plain 32-hex id would hit that
 * about once in 25 payments).
 */
export function newPaymentId(random: Random): string {
  return (random.id(16).match(/.{1,8}/g) ?? []).join('-');
}

/** The short reference a traveller can quote, and the card top-up record's ref. */
export function paymentRef(paymentId: string): string {
  return paymentId.slice(0, 8).toLowerCase();
}

class OverLimitError extends Error {
  constructor(readonly balanceCents: number) {
    super('the credit would take the card over its maximum balance');
  }
}

function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** An error's message for the journal: short, and with any long digit run (a card or bank card
 * number a driver might quote) blanked, so the journal's privacy check never refuses the record. */
function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\d{13,}/g, '[number]').slice(0, 200);
}

export function createTopUpService(deps: TopUpServiceDeps): TopUpService {
  const { reader, journal, clock, random, kioskId, log } = deps;

  const append = (entry: JournalEntryInput) => journal.append(entry);
  /** What the terminal needs to find a payment again (a ZVT terminal knows it by receipt number). */
  const approvalHints = (paymentId: string): PaymentHints => {
    const approved = journal.operation(paymentId).find((r) => r.type === 'payment.approved');
    const receiptNumber = approved?.data?.['receiptNumber'];
    const trace = approved?.data?.['trace'];
    return {
      ...(approved?.amountCents !== undefined ? { amountCents: approved.amountCents } : {}),
      ...(typeof receiptNumber === 'string' ? { receiptNumber } : {}),
      ...(typeof trace === 'string' ? { trace } : {}),
    };
  };
  const noteId = (paymentId: string) => `${paymentId}:note`;

  /** What the terminal says stands of a payment ('unknown' when it cannot say or cannot be asked). */
  async function resolvedState(paymentId: string): Promise<'committed' | 'reversed' | 'open' | 'unknown'> {
    const t = deps.terminal();
    if (!t.resolve) return 'committed'; // a terminal that cannot be asked: assume the worst (refund owed)
    try {
      return (await t.resolve(paymentId, approvalHints(paymentId))).state;
    } catch {
      return 'unknown';
    }
  }

  /** Undo an approved (or possibly approved) payment. Journal first, then the terminal. */
  async function undo(paymentId: string, amountCents: number, card: JournalCardRef, reason: string): Promise<RollbackPaymentOutput> {
    const reference = paymentRef(paymentId).toUpperCase();
    const records = journal.operation(paymentId);
    if (records.at(-1)?.type !== 'payment.rollback-intent')
      append({ type: 'payment.rollback-intent', operationId: paymentId, amountCents, card, data: { reason } });
    try {
      const r = await deps.terminal().rollback(paymentId, approvalHints(paymentId));
      if (r.undone) {
        append({ type: 'payment.reversed', operationId: paymentId, amountCents, card, data: { reason, ...(r.detail ? { detail: errorText(r.detail) } : {}) } });
        return { result: 'reversed' };
      }
      // Not undone can mean "the terminal could not be asked" (silent, line down): then nothing may
      // have been taken, and a refund owed would pay back money that never came in. Ask the terminal
      // what stands; only a payment that stands is a refund owed. Unknown: the intent stays the last
      // record and start-up recovery asks again.
      const state = await resolvedState(paymentId);
      if (state === 'reversed') {
        append({ type: 'payment.reversed', operationId: paymentId, amountCents, card, data: { reason, detail: errorText(r.detail ?? 'nothing stands at the terminal') } });
        return { result: 'reversed' };
      }
      if (state !== 'committed') {
        log.error({ paymentId, detail: r.detail }, 'rollback unclear (terminal cannot be asked); left for recovery');
        return { result: 'refund-owed', reference };
      }
      append({ type: 'payment.refund-owed', operationId: paymentId, amountCents, card, data: { reason, ...(r.detail ? { detail: errorText(r.detail) } : {}) } });
      log.error({ paymentId, detail: r.detail }, 'payment could not be undone: refund owed');
      return { result: 'refund-owed', reference };
    } catch (e) {
      const code = errorCode(e);
      if (code === 'unknown-payment' || code === 'not-open') {
        // The terminal holds nothing for it: never approved, or already undone (commit window passed).
        append({ type: 'payment.reversed', operationId: paymentId, amountCents, card, data: { reason, detail: errorText(e) } });
        return { result: 'reversed' };
      }
      // Terminal unreachable: the intent stays the last record, so start-up recovery retries; the
      // traveller gets the reference to claim the money if it does not come back by itself.
      log.error({ paymentId, err: errorText(e) }, 'rollback failed; left for recovery');
      return { result: 'refund-owed', reference };
    }
  }

  return {
    async authorize({ amountCents, card }, onPrompt) {
      const paymentId = newPaymentId(random);
      const reference = paymentRef(paymentId).toUpperCase();
      const ref = deps.cardRef(card.cardNumber);
      append({ type: 'payment.intent', operationId: paymentId, amountCents, card: ref, data: { kioskId } });
      let outcome: AuthorizationOutcome;
      try {
        outcome = await deps.terminal().authorize({ amountCents, paymentId }, onPrompt);
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
        await deps.terminal().abort();
      } catch (e) {
        log.warn({ err: errorText(e) }, 'terminal abort failed');
      }
    },

    async credit({ paymentId, amountCents, card }) {
      const ref = deps.cardRef(card.cardNumber);
      const opRef = paymentRef(paymentId);
      const failed = (reason: CardErrorCode | 'over-limit' | 'unexpected', uncertain: boolean, detail?: string) =>
        append({
          type: 'card.write-failed',
          operationId: paymentId,
          amountCents,
          card: ref,
          data: { reason, uncertain, ...(detail ? { detail } : {}) },
        });
      const toResult = (code: string | undefined): CreditCardOutput =>
        code === 'card-gone' || code === 'no-card'
          ? { result: 'card-removed' }
          : code === 'wrong-card' || code === 'wrong-key'
            ? { result: 'wrong-card' }
            : { result: 'write-failed' };

      // 1. Which card is this, and does it already carry this credit (a torn write that landed)?
      let current: CardModel;
      try {
        current = await reader.read(['identity', 'purse', 'history']);
      } catch (e) {
        const code = isCardError(e) ? e.code : undefined;
        log.info({ paymentId, code }, 'card read before credit failed');
        return toResult(code);
      }
      if (current.uid !== card.uid || current.cardNumber !== card.cardNumber) {
        log.info({ paymentId }, 'another card was held for the credit');
        return { result: 'wrong-card' };
      }
      const commit = async (balanceCents: number): Promise<CreditCardOutput> => {
        // The decision is already durable: `card.written` means "commit" (recovery re-commits from
        // it). `payment.committed` is the terminal's answer, so it is journaled only after it; a
        // crash in between leaves the payment unfinished instead of wrongly final.
        try {
          await deps.terminal().commit(paymentId, approvalHints(paymentId));
          append({ type: 'payment.committed', operationId: paymentId, amountCents, card: ref });
        } catch (e) {
          const code = errorCode(e);
          if (code === 'not-open')
            // The terminal let the payment go (commit window passed): a credit that is not paid.
            append({ type: 'payment.reversed', operationId: paymentId, amountCents, card: ref, data: { cardCredited: true, detail: errorText(e) } });
          // The card holds the credit whatever the terminal says now; tell the technician and the
          // back office (a credit that may not be paid for), and keep the traveller's result.
          append({
            type: 'kiosk.note',
            operationId: noteId(paymentId),
            amountCents,
            card: ref,
            data: { event: 'commit-failed', paymentId, code: code ?? null, detail: errorText(e), cardCredited: true },
          });
          log.error({ paymentId, code, err: errorText(e) }, 'terminal commit failed after the card was credited');
        }
        return { result: 'credited', balanceCents };
      };
      if (current.topUps.some((t) => t.ref === opRef)) {
        append({ type: 'card.written', operationId: paymentId, amountCents, card: ref, data: { balanceCents: current.balanceCents, confirmedBy: 'card-ref' } });
        log.info({ paymentId }, 'credit found on the card already (earlier write landed)');
        return commit(current.balanceCents);
      }

      // 2. Write, tear-safely and idempotently.
      append({ type: 'card.write-intent', operationId: paymentId, amountCents, card: ref, data: { ref: opRef } });
      const at = clock.now().toISOString();
      const update = (c: CardModel): CardModel => {
        if (c.topUps.some((t) => t.ref === opRef)) return c;
        const balanceCents = c.balanceCents + amountCents;
        if (balanceCents > deps.maxBalanceCents) throw new OverLimitError(c.balanceCents);
        return {
          ...c,
          balanceCents,
          topUps: [{ at, amountCents, location: kioskId, ref: opRef }, ...c.topUps].slice(0, MAX_TOP_UPS),
        };
      };
      let written: CardModel;
      try {
        written = await reader.write({ uid: card.uid, cardNumber: card.cardNumber }, update);
      } catch (e) {
        if (e instanceof OverLimitError) {
          failed('over-limit', false);
          return { result: 'write-failed' };
        }
        const code = isCardError(e) ? e.code : undefined;
        // Gone or broken mid-write: the write may have landed. A card that was never touched
        // (no card, wrong card) is certain.
        const uncertain = !(code === 'no-card' || code === 'wrong-card' || code === 'wrong-key');
        failed(code ?? 'unexpected', uncertain, errorText(e));
        log.warn({ paymentId, code, uncertain }, 'card write failed');
        return toResult(code);
      }
      append({ type: 'card.written', operationId: paymentId, amountCents, card: ref, data: { balanceCents: written.balanceCents } });
      log.info({ paymentId, amountCents }, 'card credited');
      return commit(written.balanceCents);
    },

    async rollback({ paymentId, amountCents, card }, reason = 'card not credited') {
      return undo(paymentId, amountCents, deps.cardRef(card.cardNumber), reason);
    },

    async onDecision(paymentId, decision) {
      const records = journal.operation(paymentId);
      if (records.length === 0) return; // not a payment this kiosk journaled (e.g. a tester's)
      const last = records.at(-1)!;
      const first = records[0]!;
      if (decision === 'commit') {
        // The commit decision is `card.written` (durable before any commit is sent); the outcome
        // `payment.committed` follows the terminal's answer. Never commit an uncredited card.
        if (!records.some((r) => r.type === 'card.written'))
          throw new Error(`refusing to commit payment ${paymentId}: the journal has no card.written for it`);
        return;
      }
      if (last.type === 'payment.rollback-intent') return;
      if (records.some((r) => r.type === 'payment.reversed' || r.type === 'payment.refund-owed')) return;
      append({
        type: 'payment.rollback-intent',
        operationId: paymentId,
        ...(first.amountCents !== undefined ? { amountCents: first.amountCents } : {}),
        ...(first.card ? { card: first.card } : {}),
        data: { decidedBy: 'terminal-driver' },
      });
    },
  };
}
