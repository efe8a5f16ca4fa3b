/**
 * The journal's gate for an entry: the schema (contract/journal-record.ts) and the privacy check —
 * no personal data keys, nothing that looks like a full card number.
 */
import { z } from 'zod';
import { journalEntrySchema, looksLikeCardNumber } from '../../contract/journal-record.js';
import { JournalError, type JournalEntryInput } from './journal.js';

/** Personal data the kiosk must never store (domain note, privacy). */
const FORBIDDEN_DATA_KEYS = /^(name|firstname|lastname|fullname|birthdate|dateofbirth|dob|cardnumber|pan|email)$/i;

export function validateEntry(entry: JournalEntryInput): JournalEntryInput {
  const parsed = journalEntrySchema.safeParse(entry);
  if (!parsed.success) {
    throw new JournalError('invalid-entry', `invalid journal entry: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data as JournalEntryInput;
  for (const [k, v] of Object.entries(e.data ?? {})) {
    if (FORBIDDEN_DATA_KEYS.test(k.replace(/[-_ ]/g, ''))) {
      throw new JournalError('privacy', `journal data may not hold personal data (key '${k}')`);
    }
    if (typeof v === 'string' && looksLikeCardNumber(v)) {
      throw new JournalError('privacy', `journal data '${k}' looks like a full card number; use cardRef()`);
    }
  }
  if (looksLikeCardNumber(e.operationId)) {
    throw new JournalError('privacy', 'an operation id may not contain a card number');
  }
  return e;
}
