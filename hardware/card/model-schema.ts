/**
 * zod schemas for the card model: where a CardModel enters the card layer (an update's result, a
 * fixture, a tester's JSON) it is checked against the limits the card format can hold.
 */
import { z } from 'zod';
import { MAX_CREDIT_REFS, MAX_TOP_UPS, MAX_TRAVEL_TRANSACTIONS } from '../../contract/card.js';

/** Printable ASCII only: the card stores strings as length-prefixed ASCII. */
const ascii = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[\x20-\x7e]*$/, 'printable ASCII only');

function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** YYYY-MM-DD between 1900-01-01 and 2079-06-06 (what a 16-bit day count from 1900 holds). */
export const cardDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD')
  .refine(isRealDate, 'not a calendar date')
  .refine((s) => s >= '1900-01-01' && s <= '2079-06-06', 'date outside 1900-01-01..2079-06-06');

/** ISO timestamp between 1970 and 2106 (a 32-bit second count); stored to the second. */
export const cardTimestampSchema = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const t = Date.parse(s);
    return t >= 0 && t / 1000 < 2 ** 32;
  }, 'timestamp outside 1970..2106');

export const STRING_LIMITS = { productCode: 24, station: 16, location: 32, ref: 16 } as const;

export const cardProductSchema = z.object({
  code: ascii(STRING_LIMITS.productCode).min(1),
  validFrom: cardDateSchema,
  validUntil: z.union([cardDateSchema, cardTimestampSchema]),
  travelClass: z.union([z.literal(1), z.literal(2)]).optional(),
  station: ascii(STRING_LIMITS.station).optional(),
  ref: ascii(STRING_LIMITS.ref).optional(),
});

export const travelTransactionSchema = z.object({
  at: cardTimestampSchema,
  kind: z.enum(['check-in', 'check-out', 'transfer', 'cancel']),
  station: ascii(STRING_LIMITS.station),
  amountCents: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
});

export const topUpRecordSchema = z.object({
  at: cardTimestampSchema,
  amountCents: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  location: ascii(STRING_LIMITS.location),
  ref: ascii(STRING_LIMITS.ref),
});

export const cardModelSchema = z
  .object({
    uid: z.string().regex(/^(?:[0-9A-F]{8}|[0-9A-F]{14})$/, 'UID is 4 or 7 bytes, upper-case hex'),
    cardNumber: z.string().regex(/^\d{16}$/, 'card number is 16 digits'),
    kind: z.enum(['personal', 'anonymous', 'business']),
    expiryDate: cardDateSchema,
    birthDate: cardDateSchema.optional(),
    balanceCents: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
    products: z.array(cardProductSchema),
    transactions: z.array(travelTransactionSchema).max(MAX_TRAVEL_TRANSACTIONS),
    topUps: z.array(topUpRecordSchema).max(MAX_TOP_UPS),
    creditRefs: z
      .array(ascii(STRING_LIMITS.ref).min(1))
      .max(MAX_CREDIT_REFS)
      .refine((refs) => new Set(refs).size === refs.length, 'a credit ref is logged once'),
    autoTopUp: z.boolean(),
    blocked: z.boolean(),
  })
  .refine((m) => m.kind === 'personal' || m.birthDate === undefined, {
    message: 'only personal cards carry a birth date',
    path: ['birthDate'],
  });
