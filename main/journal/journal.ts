/**
 * The transaction journal contract (implementation: ./sqlite-journal.ts on better-sqlite3).
 * Append-only. `append` returns only once the record is durable (synchronous=FULL), so callers
 * write an intent before each irreversible step and its outcome after it.
 *
 * Privacy: a card appears only as { hash, last4 } (keyed hash of the card number); never a name or
 * birth date. Money in integer cents.
 */
export type JournalEntryType =
  // top-up payment lifecycle (operationId = paymentId)
  | 'payment.intent'
  | 'payment.approved'
  | 'payment.failed'
  | 'payment.committed'
  | 'payment.rollback-intent'
  | 'payment.reversed'
  | 'payment.refund-owed'
  // card writes (operationId = the operation the write belongs to)
  | 'card.write-intent'
  | 'card.written'
  | 'card.write-failed'
  // order collection (operationId = order id + card)
  | 'order.collect-intent'
  | 'order.loaded'
  | 'order.collected'
  | 'order.collect-failed'
  // anything a technician should see
  | 'kiosk.note';

export interface JournalCardRef {
  /** HMAC-SHA256 of the card number under the kiosk's key, hex. */
  hash: string;
  last4: string;
}

export interface JournalEntryInput {
  type: JournalEntryType;
  /** Ties intent and outcome records of one operation together. */
  operationId: string;
  amountCents?: number;
  card?: JournalCardRef;
  /** Small, privacy-safe details (receipt number, order id, error code...). */
  data?: Record<string, string | number | boolean | null>;
}

export interface JournalRecord extends JournalEntryInput {
  /** Per-kiosk sequence number, no gaps, from 1. */
  seq: number;
  kioskId: string;
  /** ISO timestamp from the injected clock. */
  at: string;
  prevHash: string;
  hash: string;
  hmac: string;
}

export interface Journal {
  append(entry: JournalEntryInput): JournalRecord;
  /** All records of one operation, in order. */
  operation(operationId: string): JournalRecord[];
  /** Operations whose last record is an intent or an approved-but-not-finished payment. */
  unfinishedOperations(): { operationId: string; records: JournalRecord[] }[];
  close(): void;
}
