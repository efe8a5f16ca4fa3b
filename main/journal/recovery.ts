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
 *   {reason: 'interrupted'}. No answer -> rollback path (a rollback of a payment that never existed
 *   undoes nothing and harms nothing).
 * - `payment.approved`: the card was never credited -> rollback path.
 * - `card.write-intent` (the card write's result is unknown): ask `checkCardWrite` (e.g. the card is
 *   still on the reader and carries the operation's ref). 'written' -> `card.written`, then commit.
 *   Otherwise -> `card.write-failed` {uncertain: true when unknown} and the rollback path. Rationale:
 *   the traveller must never pay for a credit they did not get. If the card did get it, the reversal
 *   and the uncertain write are both in the journal for the back office to reconcile with the card's
 *   top-up record (its ref is the operation id's first 8 hex characters).
 * - `card.written` (this is also the durable commit decision: the top-up journals
 *   `payment.committed` only after the terminal acknowledged the commit): the card has the money ->
 *   `terminal.commit` with the journal's hints (receipt number of `payment.approved`; commit is
 *   idempotent, and a ZVT driver asks the terminal (repeat receipt) whether an earlier commit
 *   landed) -> `payment.committed`. If the terminal already reversed it (commit window passed) ->
 *   `payment.reversed` {cardCredited: true} so the back office sees a credit that was not paid.
 * - `card.write-failed`, `payment.rollback-intent`: rollback path.
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
 */
import type { PaymentHints, PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import type { Journal, JournalEntryInput, JournalRecord } from './journal.js';
import { operationKind } from './operation-rules.js';

export type CardWriteCheck = 'written' | 'not-written' | 'unknown';

export type RecoveryLog = (msg: string, extra?: Record<string, unknown>) => void;

export interface RecoveryOptions {
  journal: Journal;
  terminal: PaymentTerminal;
  log: RecoveryLog;
  /** Was this operation's card write applied? Default: 'unknown' (the card is long gone at start-up). */
  checkCardWrite?: (op: { operationId: string; records: JournalRecord[] }) => Promise<CardWriteCheck>;
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

function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function recoverUnfinished(options: RecoveryOptions): Promise<RecoveryReport> {
  const { journal, terminal, log } = options;
  const report: RecoveredOperation[] = [];

  for (const op of journal.unfinishedOperations()) {
    const first = op.records[0]!;
    const last = op.records[op.records.length - 1]!;
    const kind = operationKind(first.type) ?? 'note';
    const amountCents = op.records.find((r) => r.amountCents !== undefined)?.amountCents;
    const card = [...op.records].reverse().find((r) => r.card !== undefined)?.card;
    const orderId = op.records.map((r) => r.data?.['orderId']).find((v) => typeof v === 'string');
    // A ZVT terminal knows a payment only by its receipt number: pass what the journal saw.
    const approved = op.records.find((r) => r.type === 'payment.approved');
    const receiptNumber = approved?.data?.['receiptNumber'];
    const trace = approved?.data?.['trace'];
    const hints: PaymentHints = {
      ...(amountCents !== undefined ? { amountCents } : {}),
      ...(typeof receiptNumber === 'string' ? { receiptNumber } : {}),
      ...(typeof trace === 'string' ? { trace } : {}),
    };
    const write = (type: JournalEntryInput['type'], data: Record<string, string | number | boolean | null> = {}) =>
      journal.append({
        type,
        operationId: op.operationId,
        ...(amountCents !== undefined ? { amountCents } : {}),
        ...(card !== undefined ? { card } : {}),
        data: { ...(orderId !== undefined ? { orderId } : {}), ...data, recovered: true },
      });
    const done = (action: RecoveryAction, detail?: string) => {
      report.push({ operationId: op.operationId, kind, stoppedAt: last.type, action, ...(detail ? { detail } : {}) });
      log(`recovery: ${op.operationId} (${kind}, stopped at ${last.type}) -> ${action}`, detail ? { detail } : undefined);
    };
    const cardCheck = async (): Promise<CardWriteCheck> => {
      if (!options.checkCardWrite) return 'unknown';
      try {
        return await options.checkCardWrite(op);
      } catch (e) {
        log('recovery: card check failed', { operationId: op.operationId, error: message(e) });
        return 'unknown';
      }
    };

    const rollbackPath = async (reason: string): Promise<void> => {
      if (last.type !== 'payment.rollback-intent') write('payment.rollback-intent', { reason });
      let r: { undone: boolean; detail?: string };
      try {
        r = await terminal.rollback(op.operationId, hints);
      } catch (e) {
        const code = errorCode(e);
        if (code === 'unknown-payment') {
          write('payment.reversed', { detail: 'the terminal holds no such payment' });
          return done('reversed', 'terminal holds no such payment');
        }
        if (code === 'offline' || code === 'busy' || code === undefined) return done('left-open', `rollback failed: ${message(e)}`);
        write('payment.refund-owed', { reason, detail: message(e).slice(0, 200) });
        return done('refund-owed', message(e));
      }
      if (r.undone) {
        write('payment.reversed', { reason, ...(r.detail ? { detail: r.detail.slice(0, 200) } : {}) });
        return done('reversed', r.detail);
      }
      // Not undone may only mean "the terminal could not be asked": a refund is owed only for a
      // payment that stands; unknown -> left open for the next start.
      let state: string = 'committed';
      if (terminal.resolve) {
        try {
          state = (await terminal.resolve(op.operationId, hints)).state;
        } catch {
          state = 'unknown';
        }
      }
      if (state === 'reversed') {
        write('payment.reversed', { reason, detail: (r.detail ?? 'nothing stands at the terminal').slice(0, 200) });
        return done('reversed', r.detail);
      }
      if (state !== 'committed') return done('left-open', `rollback unclear: ${r.detail ?? state}`);
      write('payment.refund-owed', { reason, ...(r.detail ? { detail: r.detail.slice(0, 200) } : {}) });
      return done('refund-owed', r.detail);
    };

    const commitPath = async (): Promise<void> => {
      try {
        await terminal.commit(op.operationId, hints);
        write('payment.committed');
        return done('committed');
      } catch (e) {
        const code = errorCode(e);
        if (code === 'not-open' || code === 'unknown-payment') {
          // The terminal let the payment go (commit window passed) while the card holds the credit.
          write('payment.reversed', { cardCredited: true, detail: message(e).slice(0, 200) });
          return done('reversed', `card credited but payment not booked: ${message(e)}`);
        }
        return done('left-open', `commit failed: ${message(e)}`);
      }
    };

    try {
      if (kind === 'payment') {
        switch (last.type) {
          case 'payment.intent':
          case 'payment.failed': {
            let state: string = 'unknown';
            let detail: string | undefined;
            if (terminal.resolve) {
              try {
                const res = await terminal.resolve(op.operationId, hints);
                state = res.state;
                detail = res.detail;
              } catch (e) {
                if (errorCode(e) === 'offline') {
                  done('left-open', `terminal unreachable: ${message(e)}`);
                  break;
                }
              }
            }
            if (state === 'reversed') {
              write('payment.failed', { reason: 'interrupted', ...(detail ? { detail: detail.slice(0, 200) } : {}) });
              done('payment-failed', detail);
            } else {
              await rollbackPath('interrupted before the card was written');
            }
            break;
          }
          case 'payment.approved':
            await rollbackPath('card never credited');
            break;
          case 'card.write-intent': {
            const c = await cardCheck();
            if (c === 'written') {
              write('card.written', { confirmedBy: 'card-check' });
              await commitPath();
            } else {
              write('card.write-failed', { reason: 'interrupted', uncertain: c === 'unknown' });
              await rollbackPath(c === 'unknown' ? 'card write result unknown' : 'card not written');
            }
            break;
          }
          case 'card.written':
            await commitPath();
            break;
          case 'card.write-failed':
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
            const c = await cardCheck();
            if (c === 'written') {
              write('card.written', { confirmedBy: 'card-check' });
              loaded('card-check');
            } else {
              write('card.write-failed', { reason: 'interrupted', uncertain: c === 'unknown' });
              write('order.collect-failed', { reason: c === 'unknown' ? 'card-write-unknown' : 'card-not-written' });
              done('order-failed', `card write ${c}`);
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
        const c = await cardCheck();
        if (c === 'written') {
          write('card.written', { confirmedBy: 'card-check' });
          done('card-written');
        } else {
          write('card.write-failed', { reason: 'interrupted', uncertain: c === 'unknown' });
          done('card-write-failed', `card write ${c}`);
        }
      } else {
        done('left-open', `unknown operation kind for ${first.type}`);
      }
    } catch (e) {
      // A journal error here is a bug or a full disk: report it, go on with the next operation.
      done('left-open', `recovery error: ${message(e)}`);
    }
  }
  return { operations: report, leftOpen: report.filter((r) => r.action === 'left-open').length };
}
