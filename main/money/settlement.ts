/**
 * The one payment settlement, used by the top-up service and start-up recovery: the steps that
 * face the terminal once the kiosk has decided, each with its journal records.
 *
 *   commit:   terminal.commit -> payment.committed (only after the terminal acknowledged; the
 *             durable commit decision is `card.written`). The terminal holds no open payment
 *             (`not-open` / `unknown-payment`: commit window passed, already reversed) ->
 *             payment.reversed {cardCredited: true}: a credit that was not paid. No answer ->
 *             nothing journaled, the payment stays at card.written and recovery commits it.
 *   rollback: payment.rollback-intent (once) -> terminal.rollback; undone -> payment.reversed.
 *             The terminal holds no open payment (`not-open` / `unknown-payment`) -> payment.reversed.
 *             Not undone, or another error but `offline` -> ask the terminal what stands (resolve):
 *             committed -> payment.refund-owed; reversed -> payment.reversed; open/unknown (or
 *             offline) -> left open (the intent is the last record; recovery asks again). A refund
 *             owed is journaled only for a payment that stands: one for money never taken would
 *             pay it out twice. A terminal without `resolve` is assumed to hold the money when it
 *             says "not undone" (refund owed), never when it did not answer.
 *   keep:     the credit's landing is unknown: payment.credit-pending {ref} (once) -> terminal.commit
 *             -> payment.committed {creditPending}; nothing open -> payment.reversed {creditPending};
 *             no answer -> left open (the credit-pending record is the last: the settler and
 *             recovery commit it again).
 *   ask:      what the terminal says stands of a payment, with the journal's hints.
 */
import type { PaymentHints, PaymentResolution, PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import type { Journal, JournalCardRef, JournalEntryType } from '../journal/journal.js';
import type { JournalData } from './card-write.js';
import { errorCode, errorText } from './errors.js';

/** The terminal holds no open payment by this id (never approved, or already undone). */
function nothingOpen(code: string | undefined): boolean {
  return code === 'not-open' || code === 'unknown-payment';
}

/** What the terminal needs to find a payment again (a ZVT terminal knows it by receipt number). */
function paymentHints(journal: Pick<Journal, 'operation'>, paymentId: string): PaymentHints {
  const records = journal.operation(paymentId);
  const approved = records.find((r) => r.type === 'payment.approved');
  const amountCents = approved?.amountCents ?? records.find((r) => r.amountCents !== undefined)?.amountCents;
  const receiptNumber = approved?.data?.['receiptNumber'];
  const trace = approved?.data?.['trace'];
  const aid = approved?.data?.['aid'];
  return {
    ...(amountCents !== undefined ? { amountCents } : {}),
    ...(typeof receiptNumber === 'string' ? { receiptNumber } : {}),
    ...(typeof trace === 'string' ? { trace } : {}),
    ...(typeof aid === 'string' ? { aid } : {}),
  };
}

/** One payment as settlement journals it. */
export interface PaymentOp {
  paymentId: string;
  amountCents?: number;
  card?: JournalCardRef;
  /** Put on every record settlement writes (e.g. `recovered: true`). */
  data?: JournalData;
}

export type CommitResult =
  | { result: 'committed' }
  | { result: 'reversed'; code: string; detail: string }
  | { result: 'left-open'; code: string | null; detail: string };

export type RollbackResult = { result: 'reversed'; detail?: string } | { result: 'refund-owed'; detail?: string } | { result: 'left-open'; detail: string };

export interface Asked {
  state: PaymentResolution['state'];
  detail?: string;
  /** The terminal could not be reached at all. */
  offline?: boolean;
  /** False when the terminal has no way to be asked (no resolve). */
  asked: boolean;
}

export interface Settlement {
  ask(paymentId: string): Promise<Asked>;
  commit(op: PaymentOp): Promise<CommitResult>;
  rollback(op: PaymentOp, reason: string): Promise<RollbackResult>;
  /**
   * The kiosk cannot know whether the paid credit landed (issue 12): keep the payment. Journals
   * `payment.credit-pending` {ref} once (the durable "keep" decision, like `card.written` for a
   * commit), then commits at the terminal. The back office turns it into a pending credit that the
   * next tap at any kiosk loads exactly once unless the card already holds the ref.
   */
  keep(op: PaymentOp, ref: string, reason: string): Promise<CommitResult>;
}

export function createSettlement(deps: { journal: Journal; terminal: PaymentTerminal }): Settlement {
  const { journal, terminal } = deps;
  const rec = (op: PaymentOp, type: JournalEntryType, data: JournalData = {}) =>
    journal.append({
      type,
      operationId: op.paymentId,
      ...(op.amountCents !== undefined ? { amountCents: op.amountCents } : {}),
      ...(op.card ? { card: op.card } : {}),
      data: { ...data, ...op.data },
    });

  async function ask(paymentId: string): Promise<Asked> {
    if (!terminal.resolve) return { state: 'unknown', asked: false };
    try {
      const r = await terminal.resolve(paymentId, paymentHints(journal, paymentId));
      return { state: r.state, asked: true, ...(r.detail ? { detail: r.detail } : {}) };
    } catch (e) {
      return { state: 'unknown', asked: true, detail: errorText(e), ...(errorCode(e) === 'offline' ? { offline: true } : {}) };
    }
  }

  /** After a rollback that did not undo: journal what the terminal says stands. */
  async function afterNotUndone(op: PaymentOp, reason: string, detail: string | undefined, assumeStands: boolean): Promise<RollbackResult> {
    const a = await ask(op.paymentId);
    const state = a.asked ? a.state : assumeStands ? 'committed' : 'unknown';
    if (state === 'reversed') {
      rec(op, 'payment.reversed', { reason, detail: errorText(detail ?? a.detail ?? 'nothing stands at the terminal') });
      return { result: 'reversed', ...(detail ? { detail } : {}) };
    }
    if (state === 'committed') {
      rec(op, 'payment.refund-owed', { reason, ...(detail ? { detail: errorText(detail) } : {}) });
      return { result: 'refund-owed', ...(detail ? { detail } : {}) };
    }
    return { result: 'left-open', detail: `rollback unclear: ${detail ?? a.detail ?? state}` };
  }

  return {
    ask,

    async commit(op) {
      try {
        await terminal.commit(op.paymentId, paymentHints(journal, op.paymentId));
        rec(op, 'payment.committed');
        return { result: 'committed' };
      } catch (e) {
        const code = errorCode(e);
        if (nothingOpen(code)) {
          // The terminal let the payment go (commit window passed) while the card holds the credit.
          rec(op, 'payment.reversed', { cardCredited: true, detail: errorText(e) });
          return { result: 'reversed', code: code!, detail: errorText(e) };
        }
        return { result: 'left-open', code: code ?? null, detail: errorText(e) };
      }
    },

    async keep(op, ref, reason) {
      if (!journal.operation(op.paymentId).some((r) => r.type === 'payment.credit-pending')) rec(op, 'payment.credit-pending', { ref, reason });
      try {
        await terminal.commit(op.paymentId, paymentHints(journal, op.paymentId));
        rec(op, 'payment.committed', { creditPending: true });
        return { result: 'committed' };
      } catch (e) {
        const code = errorCode(e);
        if (nothingOpen(code)) {
          // The terminal let the payment go: nothing was paid, so no credit is owed (the back office
          // cancels the pending credit; a credit that did land is its "credited, not paid" case).
          rec(op, 'payment.reversed', { creditPending: true, cardCredited: null, detail: errorText(e) });
          return { result: 'reversed', code: code!, detail: errorText(e) };
        }
        return { result: 'left-open', code: code ?? null, detail: errorText(e) };
      }
    },

    async rollback(op, reason) {
      if (journal.operation(op.paymentId).at(-1)?.type !== 'payment.rollback-intent') rec(op, 'payment.rollback-intent', { reason });
      let r: { undone: boolean; detail?: string };
      try {
        r = await terminal.rollback(op.paymentId, paymentHints(journal, op.paymentId));
      } catch (e) {
        const code = errorCode(e);
        if (nothingOpen(code)) {
          rec(op, 'payment.reversed', { reason, detail: errorText(e) });
          return { result: 'reversed', detail: errorText(e) };
        }
        if (code === 'offline') return { result: 'left-open', detail: `rollback failed: ${errorText(e)}` };
        return afterNotUndone(op, reason, `rollback failed: ${errorText(e)}`, false);
      }
      if (r.undone) {
        rec(op, 'payment.reversed', { reason, ...(r.detail ? { detail: errorText(r.detail) } : {}) });
        return { result: 'reversed', ...(r.detail ? { detail: r.detail } : {}) };
      }
      return afterNotUndone(op, reason, r.detail, true);
    },
  };
}
