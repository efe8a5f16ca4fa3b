/**
 * A journal record, defined once: the kiosk's journal validates every entry it appends with
 * `journalEntrySchema`, and the back office validates every record it takes in with
 * `journalRecordSchema`. The types are derived from the schemas, never written again.
 *
 * Privacy: a card appears only as { hash, last4 } (keyed hash of the card number); never a name or
 * birth date. Money in integer cents.
 */
import { z } from 'zod';

/**
 * A run of 13 or more digits looks like a card number or a bank card number (13-19 digits): the
 * journal never takes one (main/journal/entry-validation.ts), so nothing the kiosk journals (an
 * order id among them, contract/backoffice-api.ts OrderId) may hold one, and error texts bound for
 * the journal have such runs masked. One rule for all three.
 */
const CARD_NUMBER_LIKE = /\d{13,}/;
export const looksLikeCardNumber = (s: string): boolean => CARD_NUMBER_LIKE.test(s);
/** `text` with every run that looksLikeCardNumber replaced by `mask`. */
export const maskCardNumbers = (text: string, mask: string): string => text.replace(new RegExp(CARD_NUMBER_LIKE.source, 'g'), mask);

/** Every record type, once. */
export const JOURNAL_ENTRY_TYPES = [
  // top-up payment lifecycle (operationId = paymentId)
  'payment.intent',
  'payment.approved',
  'payment.failed',
  'payment.committed',
  'payment.rollback-intent',
  'payment.reversed',
  'payment.refund-owed',
  /** Issue 12: the kiosk kept a payment whose card credit it cannot confirm; the back office holds
   *  a pending credit for that card under the payment's ref (data.ref), loaded exactly once at the
   *  next tap at any kiosk unless the card already holds the ref. */
  'payment.credit-pending',
  // card writes (operationId = the operation the write belongs to)
  'card.write-intent',
  'card.written',
  'card.write-failed',
  // order collection (operationId = order id + card)
  'order.collect-intent',
  'order.loaded',
  'order.collected',
  'order.collect-failed',
  // reconciliation (issue 12): the credit refs a card holds, read at a tap (data.refs: the refs,
  // comma-separated, newest first; no personal data)
  'card.refs-seen',
  // maintenance (issue 13): data.technicianId, data.action, data.outcome
  'maintenance.action',
  // anything a technician should see
  'kiosk.note',
] as const;
export type JournalEntryType = (typeof JOURNAL_ENTRY_TYPES)[number];

export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
export const OperationId = z.string().min(1).max(200);

const DataValue = z.union([z.string().max(500), z.number().refine(Number.isFinite), z.boolean(), z.null()]);

/** A card as the journal may hold it: the keyed hash of the card number and its last four digits. */
export const journalCardRefSchema = z.strictObject({ hash: Hex64, last4: z.string().regex(/^\d{4}$/) });

const entryShape = {
  type: z.enum(JOURNAL_ENTRY_TYPES),
  /** Ties intent and outcome records of one operation together. */
  operationId: OperationId,
  amountCents: z.int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  card: journalCardRefSchema.optional(),
  /** Small, privacy-safe details (receipt number, order id, error code...). */
  data: z.record(z.string().max(64), DataValue).optional(),
};

/** What a caller appends. */
export const journalEntrySchema = z.strictObject(entryShape);

/** A sealed record: the entry plus its place in the kiosk's chain. */
export const journalRecordSchema = z.strictObject({
  ...entryShape,
  /** Per-kiosk sequence number, no gaps, from 1. */
  seq: z.int().positive(),
  kioskId: z.string().min(1).max(64),
  /** ISO timestamp from the injected clock. */
  at: z.iso.datetime(),
  prevHash: Hex64,
  /**
   * Which of the kiosk's keys sealed the record (the back office's key id, 1, 2, … after key
   * rotation). Absent: the kiosk's original key (its enrollment or configured secret), which is
   * what every record written before rotation existed is sealed under. Covered by the hash and
   * the HMAC (record-crypto.ts canonicalRecord, format 2), so it cannot be changed unnoticed.
   */
  keyId: z.int().positive().max(2 ** 31 - 1).optional(),
  hash: Hex64,
  hmac: Hex64,
});

export type JournalCardRef = z.infer<typeof journalCardRefSchema>;
export type JournalEntryInput = z.infer<typeof journalEntrySchema>;
export type JournalRecord = z.infer<typeof journalRecordSchema>;
