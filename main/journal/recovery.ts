/**
 * Start-up recovery: every operation the journal lists as unfinished is finished or undone before
 * the kiosk serves anyone. Run it once at start, after opening the journal and the payment terminal
 * and before the uploader's first pass. It never throws for one bad operation: each outcome is in the
 * report, and an operation that could not be settled now (terminal offline) stays unfinished and is
 * tried again at the next start.
 *
 * The rules, by operation kind and last record (amount and card ref are carried onto every record
 * recovery writes; `recovered: true` marks them):
 *
 * Payment (top-up; operationId = paymentId)
 * - `payment.intent`, or `payment.failed` with uncertain=true (the terminal may or may not have
 *   approved): ask the terminal (`resolve`, where the driver has it). Open or committed -> undo
 *   (rollback path below). Terminal holds nothing / already reversed -> `payment.failed`
 *   {reason: 'interrupted'}. Unreachable, 'unknown', or the query threw -> left open, asked again
 *   by the settler (never "failed" on a guess: the terminal may hold the money). A driver without
 *   `resolve` -> rollback path (a rollback of a payment that never existed undoes nothing).
 * - `payment.approved`: the card was never credited -> rollback path.
 * - `card.write-intent` (the card write's result is unknown): ask `checkCardWrite` (the card is
 *   on the reader, bounded wait, and carries the operation's ref?). 'written' -> `card.written`, then
 *   commit. 'not-written' (the card was read and lacks the ref) -> `card.write-failed` and the
 *   rollback path. 'unknown' (no card, unreadable, another card) -> `card.write-failed` {uncertain}
 *   and the KEEP path (issue 12): never reverse blindly, a credited card would keep an unpaid credit.
 * - Keep path (settlement.keep): `payment.credit-pending` {ref} (once), `terminal.commit` ->
 *   `payment.committed` {creditPending}; the back office loads the credit at the next tap at any
 *   kiosk unless the card holds the ref. Terminal holds nothing -> `payment.reversed`
 *   {creditPending}. No answer -> left open.
 * - `payment.credit-pending` (crash after the keep decision): keep path.
 * - `card.written` (this is also the durable commit decision: the top-up journals
 *   `payment.committed` only after the terminal acknowledged the commit): the card has the money ->
 *   `terminal.commit` with the journal's hints (receipt number of `payment.approved`; commit is
 *   idempotent, and a ZVT driver asks the terminal (repeat receipt) whether an earlier commit
 *   landed) -> `payment.committed`. If the terminal already reversed it (commit window passed) ->
 *   `payment.reversed` {cardCredited: true} so the back office sees a credit that was not paid.
 * - `card.write-failed` {uncertain: true} (e.g. a plain Error thrown after the blocks landed): ask
 *   `checkCardWrite` first; 'written' -> `card.written` {confirmedBy: 'card-check'}, then commit;
 *   'not-written' -> rollback path; 'unknown' -> keep path. A certain failure -> rollback path.
 * - `payment.rollback-intent`: rollback path.
 * - Rollback path: `payment.rollback-intent` (once), `terminal.rollback`; undone -> `payment.reversed`;
 *   not undone -> ask the terminal (`resolve`): the payment stands -> `payment.refund-owed` (the back
 *   office and the technician see it); nothing stands -> `payment.reversed`; no answer -> left open.
 *   A terminal that cannot be reached leaves the operation unfinished for the next start (a refund
 *   owed for money that was never taken would pay it out twice).
 *
 * Order collection (operationId = the collection; data.orderId names the order)
 * - `order.collect-intent`: nothing was written -> `order.collect-failed` {reason: 'interrupted'};
 *   the order stays pending in the back office.
 * - `card.write-intent`: `checkCardWrite`; 'written' -> as `card.written`. Otherwise ->
 *   `card.write-failed` and `order.collect-failed` {reason: 'card-write-unknown'}: the order stays
 *   pending, and loading it again is idempotent on the card (the product/credit carries the order's ref).
 * - `card.written` / `order.loaded`: the card has it -> `order.loaded` (if missing) and
 *   `order.collected` {confirmedBy: 'journal-upload'}: the back office marks the order collected when
 *   these records arrive (backoffice/store.ts intake), so no online call is needed now.
 * - `card.write-failed`: -> `order.collect-failed`.
 *
 * Card-only write (e.g. a free station passage): `card.write-intent` -> `checkCardWrite`; 'written' ->
 * `card.written`, otherwise `card.write-failed` {uncertain}.
 *
 * The steps are the shared money path (main/money): the commit and rollback paths are
 * settlement.ts (the same `not-open` / `unknown-payment` handling as the top-up), closing an
 * interrupted write is card-write.ts `closeInterruptedWrite`. This module holds only the table.
 */
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { closeInterruptedWrite, type CardWriteCheck, type CardWriteTarget } from '../money/card-write.js';
import { errorText } from '../money/errors.js';
import { paymentRef } from '../money/ids.js';
import { createSettlement, type PaymentOp } from '../money/settlement.js';
import type { Journal, JournalEntryInput, JournalRecord } from './journal.js';
import { operationKind } from './operation-rules.js';

export type { CardWriteCheck } from '../money/card-write.js';

export type RecoveryLog = (msg: string, extra?: Record<string, unknown>) => void;

export interface RecoveryOptions {
  journal: Journal;
  terminal: PaymentTerminal;
  log: RecoveryLog;
  /** Was this operation's card write applied? Default: 'unknown' (the card is long gone at start-up). */
  checkCardWrite?: (op: { operationId: string; records: JournalRecord[] }) => Promise<CardWriteCheck>;
  /** Only these operations (the settler's: those the live flow left open). Default: every unfinished one. */
  only?: (operationId: string) => boolean;
}

export type RecoveryAction =
  | 'committed'
  | 'reversed'
  | 'refund-owed'
  | 'payment-failed'
  | 'order-collected'
  | 'order-failed'
  | 'card-written'
  | 'card-write-failed'
  | 'credit-pending'
  | 'left-open';

export interface RecoveredOperation {
  operationId: string;
  kind: string;
  /** The record type the operation stopped at. */
  stoppedAt: string;
  action: RecoveryAction;
  detail?: string;
}

export interface RecoveryReport {
  operations: RecoveredOperation[];
  /** Operations still unfinished (terminal unreachable...): tried again at the next start. */
  leftOpen: number;
}

export async function recoverUnfinished(options: RecoveryOptions): Promise<RecoveryReport> {
  const { journal, log } = options;
  const settlement = createSettlement({ journal, terminal: options.terminal });
  const report: RecoveredOperation[] = [];

  for (const op of journal.unfinishedOperations()) {
    if (options.only && !options.only(op.operationId)) continue;
    const first = op.records[0]!;
    const last = op.records[op.records.length - 1]!;
    const kind = operationKind(first.type) ?? 'note';
    const amountCents = op.records.find((r) => r.amountCents !== undefined)?.amountCents;
    const card = [...op.records].reverse().find((r) => r.card !== undefined)?.card;
    const orderId = op.records.map((r) => r.data?.['orderId']).find((v) => typeof v === 'string');
    // Every record recovery writes carries the amount, the card ref, the order and `recovered`.
    const data = { ...(orderId !== undefined ? { orderId } : {}), recovered: true };
    const payment: PaymentOp = { paymentId: op.operationId, ...(amountCents !== undefined ? { amountCents } : {}), ...(card ? { card } : {}), data };
    const target: CardWriteTarget = { journal, operationId: op.operationId, ...(card ? { card } : {}), ...(amountCents !== undefined ? { amountCents } : {}), data };
    const write = (type: JournalEntryInput['type'], extra: Record<string, string | number | boolean | null> = {}) =>
      journal.append({
        type,
        operationId: op.operationId,
        ...(amountCents !== undefined ? { amountCents } : {}),
        ...(card !== undefined ? { card } : {}),
        data: { ...extra, ...data },
      });
    const done = (action: RecoveryAction, detail?: string) => {
      report.push({ operationId: op.operationId, kind, stoppedAt: last.type, action, ...(detail ? { detail } : {}) });
      log(`recovery: ${op.operationId} (${kind}, stopped at ${last.type}) -> ${action}`, detail ? { detail } : undefined);
    };
    /** Ask whether the interrupted write landed, and journal the answer. True when it did. */
    const cardCheck = async (): Promise<CardWriteCheck> => {
      if (!options.checkCardWrite) return 'unknown';
      try {
        return await options.checkCardWrite(op);
      } catch (e) {
        log('recovery: card check failed', { operationId: op.operationId, error: errorText(e) });
        return 'unknown';
      }
    };
    /** Ask whether the interrupted write landed, and journal the answer. */
    const closeWrite = async (): Promise<{ written: boolean; check: CardWriteCheck }> => {
      const check = await cardCheck();
      return { written: closeInterruptedWrite(target, check), check };
    };

    const rollbackPath = async (reason: string): Promise<void> => {
      const r = await settlement.rollback(payment, reason);
      if (r.result === 'left-open') return done('left-open', r.detail);
      return done(r.result, r.detail);
    };
    /** The credit's landing cannot be known (card gone, unreadable): keep the payment, the credit is owed (issue 12). */
    const keepPath = async (why: string): Promise<void> => {
      const intentRef = [...op.records].reverse().find((r) => r.type === 'card.write-intent')?.data?.['ref'];
      const pendingRef = op.records.find((r) => r.type === 'payment.credit-pending')?.data?.['ref'];
      const ref = typeof pendingRef === 'string' ? pendingRef : typeof intentRef === 'string' ? intentRef : paymentRef(op.operationId);
      const r = await settlement.keep(payment, ref, why);
      if (r.result === 'committed') return done('credit-pending', `${why}: payment kept, credit ${ref} owed to the card`);
      if (r.result === 'reversed') return done('reversed', `credit pending but the terminal reversed the payment: ${r.detail}`);
      return done('left-open', `credit pending, commit failed: ${r.detail}`);
    };
    const commitPath = async (): Promise<void> => {
      const r = await settlement.commit(payment);
      if (r.result === 'committed') return done('committed');
      if (r.result === 'reversed') return done('reversed', `card credited but payment not booked: ${r.detail}`);
      return done('left-open', `commit failed: ${r.detail}`);
    };

    try {
      if (kind === 'payment') {
        switch (last.type) {
          case 'payment.intent':
          case 'payment.failed': {
            const asked = await settlement.ask(op.operationId);
            if (asked.offline || (asked.asked && asked.state === 'unknown')) {
              // Window 8: the terminal cannot tell (unreachable, unclear, the query threw): it may
              // hold the money. Never "failed" on a guess: left open, the settler asks again.
              done('left-open', `terminal state unknown: ${asked.detail ?? asked.state}`);
            } else if (asked.state === 'reversed') {
              write('payment.failed', { reason: 'interrupted', ...(asked.detail ? { detail: errorText(asked.detail) } : {}) });
              done('payment-failed', asked.detail);
            } else {
              await rollbackPath('interrupted before the card was written');
            }
            break;
          }
          case 'payment.approved':
            await rollbackPath('card never credited');
            break;
          case 'card.write-intent': {
            const c = await closeWrite();
            if (c.written) await commitPath();
            else if (c.check === 'unknown') await keepPath('card write result unknown (card not readable at recovery)');
            else await rollbackPath('card not written');
            break;
          }
          case 'card.written':
            await commitPath();
            break;
          case 'card.write-failed': {
            if (last.data?.['uncertain'] !== true) {
              await rollbackPath('card not credited');
              break;
            }
            // An uncertain failure may have landed: while that card is on the reader, ask it first.
            const check = await cardCheck();
            if (check === 'written') {
              closeInterruptedWrite(target, check);
              await commitPath();
            } else if (check === 'not-written') await rollbackPath('card not credited (card check)');
            else await keepPath('card write result unknown');
            break;
          }
          case 'payment.credit-pending':
            await keepPath('credit pending');
            break;
          case 'payment.rollback-intent':
            await rollbackPath('card not credited');
            break;
          default:
            done('left-open', `no recovery rule for a payment stopped at ${last.type}`);
        }
      } else if (kind === 'order') {
        const loaded = (how: string) => {
          if (!op.records.some((r) => r.type === 'order.loaded')) write('order.loaded', { confirmedBy: how });
          write('order.collected', { confirmedBy: 'journal-upload' });
          done('order-collected');
        };
        switch (last.type) {
          case 'order.collect-intent':
            write('order.collect-failed', { reason: 'interrupted' });
            done('order-failed', 'interrupted before the card was written');
            break;
          case 'card.write-intent': {
            const c = await closeWrite();
            if (c.written) {
              loaded('card-check');
            } else {
              write('order.collect-failed', { reason: c.check === 'unknown' ? 'card-write-unknown' : 'card-not-written' });
              done('order-failed', `card write ${c.check}`);
            }
            break;
          }
          case 'card.written':
          case 'order.loaded':
            loaded('card-written');
            break;
          case 'card.write-failed':
            write('order.collect-failed', { reason: 'card-not-written' });
            done('order-failed');
            break;
          default:
            done('left-open', `no recovery rule for an order stopped at ${last.type}`);
        }
      } else if (kind === 'card') {
        const c = await closeWrite();
        if (c.written) done('card-written');
        else done('card-write-failed', `card write ${c.check}`);
      } else {
        done('left-open', `unknown operation kind for ${first.type}`);
      }
    } catch (e) {
      // A journal error here is a bug or a full disk: report it, go on with the next operation.
      done('left-open', `recovery error: ${errorText(e)}`);
    }
  }
  return { operations: report, leftOpen: report.filter((r) => r.action === 'left-open').length };
}
