/**
 * Which records open an operation and which close it. One place, used by the SQLite journal (to
 * keep the set of unfinished operations) and by start-up recovery.
 */
import type { JournalEntryInput, JournalEntryType, JournalRecord } from './journal.js';

export type OperationKind = 'payment' | 'order' | 'card' | 'note' | 'maintenance';

/** The record types that may open an operation, and the kind each opens. */
const OPENING_TYPES: Partial<Record<JournalEntryType, OperationKind>> = {
  'payment.intent': 'payment',
  'order.collect-intent': 'order',
  'card.write-intent': 'card',
  'kiosk.note': 'note',
  // What a card read showed (reconciliation, issue 12): a note of its own, final at once.
  'card.refs-seen': 'note',
  // Issue 13: a technician's action and its outcome, one record (opens and closes at once).
  'maintenance.action': 'maintenance',
};

const FINAL_TYPES: Record<OperationKind, readonly JournalEntryType[]> = {
  payment: ['payment.committed', 'payment.reversed', 'payment.refund-owed', 'payment.failed'],
  order: ['order.collected', 'order.collect-failed'],
  card: ['card.written', 'card.write-failed'],
  note: ['kiosk.note', 'card.refs-seen'],
  maintenance: ['maintenance.action'],
};

export function operationKind(firstType: JournalEntryType): OperationKind | undefined {
  return OPENING_TYPES[firstType];
}

/** Does this record close an operation of this kind? */
export function isFinal(kind: OperationKind, entry: Pick<JournalEntryInput, 'type' | 'data'>): boolean {
  if (!FINAL_TYPES[kind].includes(entry.type)) return false;
  // A payment whose ending the terminal left unclear is not final: recovery must resolve it.
  if (entry.type === 'payment.failed' && entry.data?.['uncertain'] === true) return false;
  return true;
}
