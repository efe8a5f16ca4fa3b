/**
 * The transaction journal contract (implementation: ./sqlite-journal.ts on better-sqlite3).
 * Append-only. `append` returns only once the record is durable (synchronous=FULL), so callers
 * write an intent before each irreversible step and its outcome after it.
 *
 * Privacy: a card appears only as { hash, last4 } (keyed hash of the card number); never a name or
 * birth date. Money in integer cents.
 */
import type { JournalEntryInput, JournalRecord } from '../../contract/journal-record.js';

export { JOURNAL_ENTRY_TYPES } from '../../contract/journal-record.js';
export type { JournalCardRef, JournalEntryInput, JournalEntryType, JournalRecord } from '../../contract/journal-record.js';

export interface Journal {
  append(entry: JournalEntryInput): JournalRecord;
  /** All records of one operation, in order. */
  operation(operationId: string): JournalRecord[];
  /**
   * Operations that have no final record yet, oldest first, each with all its records. An
   * operation's kind is set by its first record (which must be an intent, see operation-rules.ts):
   * - payment (first `payment.intent`): final = `payment.committed` | `payment.reversed` |
   *   `payment.refund-owed` | `payment.failed` (unless its data says `uncertain: true`);
   * - order collection (first `order.collect-intent`): final = `order.collected` | `order.collect-failed`;
   * - card-only write (first `card.write-intent`): final = `card.written` | `card.write-failed`;
   * - `kiosk.note`: always final.
   * So an approved payment whose card was written but not yet committed, or whose card write failed
   * and was not yet rolled back, is unfinished. Start-up recovery (recovery.ts) finishes or undoes each.
   */
  unfinishedOperations(): { operationId: string; records: JournalRecord[] }[];
  close(): void;
}

/** Why the journal refused an append (the entry is invalid; nothing was written). */
export type JournalErrorCode = 'invalid-entry' | 'privacy' | 'operation-finished' | 'not-an-intent' | 'closed';

export class JournalError extends Error {
  readonly code: JournalErrorCode;
  constructor(code: JournalErrorCode, message: string) {
    super(message);
    this.name = 'JournalError';
    this.code = code;
  }
}

export interface RejectedRecord {
  record: JournalRecord;
  reason: string;
  rejectedAt: string;
}

/**
 * The journal as the uploader sees it: which records still need delivering. A record leaves the
 * queue only when the back office acknowledged it (delivered) or refused it (rejected: set aside for
 * a technician, never retried automatically). Only delivered records are ever deleted (purge).
 */
export interface UploadQueue {
  /** Records neither delivered nor rejected, by seq ascending, at most `limit`. */
  undelivered(limit: number): JournalRecord[];
  markDelivered(seqs: readonly number[]): void;
  markRejected(seq: number, reason: string): void;
  /** Records the back office refused, for technicians. */
  rejected(): RejectedRecord[];
  /** Technician action: put a rejected record back in the queue. */
  requeue(seq: number): void;
  /** Delete delivered records delivered before `deliveredBefore` whose operation is finished. */
  purgeDelivered(deliveredBefore: Date): number;
  counts(): { pending: number; delivered: number; rejected: number; lastSeq: number };
}
