/**
 * The back-office HTTP API, defined once: the server validates every request with these schemas and
 * the kiosk client (main/backoffice-client/http-client.ts) validates every response with them.
 */
import { z } from 'zod';
import { Hex64, OperationId, journalRecordSchema, looksLikeCardNumber } from './journal-record.js';

export { Hex64, OperationId };

/** A journal record as it arrives: the record schema, except that an unknown type is reported per
 * record by the intake (`unknown-type`) instead of failing the whole batch. */
export const JournalRecordSchema = journalRecordSchema.extend({ type: z.string().min(1).max(64) });

export const API_PREFIX = '/v1';

export const CardNumber = z.string().regex(/^\d{16}$/, 'a card number has 16 digits');
export const IsoDate = z.iso.date();
/** The kiosk journals the order id of every collection, and the journal refuses 13 digits in a row
 *  (a possible card number): such an id could be offered but never collected, so it is no order id. */
export const OrderId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'an order id is 1-64 letters, digits, . _ -')
  .refine((s) => !looksLikeCardNumber(s), 'an order id may not hold 13 or more digits in a row (it would look like a card number in the journal)');

/** A credit ref as cards carry it (8 lower-case hex characters, main/money/ids.ts). */
export const CreditRef = z.string().regex(/^[0-9a-f]{8}$/, 'a credit ref is 8 lower-case hex characters');

const OrderBase = { orderId: OrderId, announcedOn: IsoDate };
export const PendingOrderSchema = z.discriminatedUnion('kind', [
  z.object({ ...OrderBase, kind: z.literal('kaartservicecode') }),
  z.object({
    ...OrderBase,
    kind: z.literal('ns-extra'),
    amountCents: z.int().positive(),
    /** Issue 12: a pending credit (a kiosk kept a payment whose card credit it could not confirm):
     *  loaded under the payment's own card ref, so a card that already holds it is never credited
     *  again. Paid for at a kiosk, so the NS Extra personal-card and one-year rules do not apply. */
    creditRef: CreditRef.optional(),
  }),
  z.object({
    ...OrderBase,
    kind: z.literal('product'),
    product: z.object({
      code: z.string().min(1).max(64),
      validFrom: IsoDate,
      validUntil: z.string().min(10).max(40),
      travelClass: z.union([z.literal(1), z.literal(2)]).optional(),
    }),
  }),
]);

// POST /v1/orders/query
export const OrdersQueryRequest = z.strictObject({ cardNumber: CardNumber });
export const OrdersQueryResponse = z.object({ orders: z.array(PendingOrderSchema) });

// POST /v1/orders/:orderId/collect
export const CollectParams = z.strictObject({ orderId: OrderId });
export const CollectRequest = z.strictObject({ cardNumber: CardNumber, operationId: OperationId });
export const CollectResponse = z.object({ orderId: OrderId, collected: z.literal(true), alreadyCollected: z.boolean() });

// GET /v1/blocked?since=N&limit=M — the blocked list as changes since a version; cards appear as
// keyed hashes under the asking kiosk's secret (cardRef), so the kiosk's cache holds no card numbers.
export const BlockedQuery = z.object({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(5000),
});
export const BlockedChange = z.object({ version: z.int().positive(), cardHash: Hex64, blocked: z.boolean() });
export const BlockedResponse = z.object({
  /** The version the kiosk has after applying `changes`. */
  version: z.int().min(0),
  changes: z.array(BlockedChange),
  /** More changes follow: ask again with since=version. */
  more: z.boolean(),
  /** The kiosk's version was unknown here: drop the cache, then apply `changes` (from version 0). */
  reset: z.boolean(),
});

// POST /v1/journal — transaction intake
export const MAX_INTAKE_BATCH = 1000;
export const IntakeRequest = z.strictObject({ records: z.array(JournalRecordSchema).min(1).max(MAX_INTAKE_BATCH) });
export const IntakeStatus = z.enum(['accepted', 'duplicate', 'rejected']);
export const IntakeRejectReason = z.enum([
  'wrong-kiosk',
  'unknown-type',
  'hash-mismatch',
  'bad-hmac',
  /** Key rotation: the record names a key this kiosk does not have, or a retired key after its end. */
  'unknown-key',
  'chain-broken',
  'conflict',
  /** An amount beyond what a card may hold, or a seq far past what arrived. */
  'out-of-range',
]);
export const IntakeResult = z.object({
  seq: z.int().positive(),
  /** The record's idempotency key (record-crypto.ts idempotencyKey). */
  key: z.string(),
  status: IntakeStatus,
  reason: IntakeRejectReason.optional(),
});
export const SeqGap = z.object({ from: z.int().positive(), to: z.int().positive() });
export const IntakeResponse = z.object({
  results: z.array(IntakeResult),
  /** Highest seq up to which every record of this kiosk has arrived. */
  contiguousSeq: z.int().min(0),
  /** Missing ranges above contiguousSeq (at most 100 listed). */
  gaps: z.array(SeqGap),
});

// GET /v1/journal/status
export const IntakeStatusResponse = z.object({ contiguousSeq: z.int().min(0), maxSeq: z.int().min(0), gaps: z.array(SeqGap) });

// GET /v1/technicians — the technician list (issue 13): every technician the operator issued, with
// the argon2id hash of their PIN and whether they are revoked (a revoked one stays listed, marked),
// and the list's version, which only grows. The same shape as main/maintenance/technician-access.ts
// technicianListSchema (the kiosk validates with both). Answered whole: the list is small.
export const TechnicianId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a technician id is 1-40 letters, digits, _ -');
export const TechnicianListEntry = z.strictObject({
  technicianId: TechnicianId,
  /** argon2id PHC string. */
  pinHash: z.string().startsWith('$argon2id$').max(200),
  revoked: z.boolean(),
});
export const MAX_TECHNICIANS = 10_000;
export const TechnicianListResponse = z.strictObject({ version: z.int().min(0), technicians: z.array(TechnicianListEntry).max(MAX_TECHNICIANS) });

// POST /v1/heartbeat — the kiosk's health, backlog and versions (issue 13, fleet view). Bounded:
// the route refuses bodies over MAX_HEARTBEAT_BYTES (413) and anything not in this shape (400).
export const MAX_HEARTBEAT_BYTES = 16 * 1024;
const IsoDateTime = z.iso.datetime();
const ShortText = z.string().max(200);
/** contract/health.ts OutOfServiceReason / NotOfferedReason, as the wire validates them. */
export const OutOfServiceReasonSchema = z.enum(['card-reader', 'journal-unwritable', 'journal-chain', 'blocked-list-stale', 'technician']);
export const NotOfferedReasonSchema = z.enum(['payment-terminal', 'backoffice', 'journal-unavailable']);
const PartSchema = z.strictObject({ ok: z.boolean(), detail: ShortText.optional() });
export const HeartbeatRequest = z.strictObject({
  /** The kiosk's clock when it sent this (the back office dates it by its own clock too). */
  at: IsoDateTime,
  availability: z.strictObject({
    outOfService: z.array(OutOfServiceReasonSchema).max(OutOfServiceReasonSchema.options.length),
    topUp: NotOfferedReasonSchema.nullable(),
    collectOrders: NotOfferedReasonSchema.nullable(),
  }),
  parts: z.strictObject({
    cardReader: PartSchema.optional(),
    paymentTerminal: PartSchema.optional(),
    journal: PartSchema.optional(),
    backOffice: PartSchema.optional(),
    blockedList: PartSchema.optional(),
  }),
  backlog: z.strictObject({
    /** Journal records not yet delivered. */
    pending: z.int().min(0),
    /** When the oldest of them was written (null: none waiting). */
    oldestPendingAt: IsoDateTime.nullable(),
    lastSeq: z.int().min(0),
    lastDeliveryAt: IsoDateTime.nullable(),
  }),
  versions: z.strictObject({
    software: z.string().min(1).max(40),
    build: z.string().min(1).max(40),
    blockedList: z.int().min(0).nullable(),
    technicianList: z.int().min(0).nullable(),
    /** Age of the technician list the kiosk holds (ms since its last successful sync), null: none. */
    technicianListAgeMs: z.int().min(0).nullable(),
  }),
  uptimeMs: z.int().min(0),
});
export const HeartbeatResponse = z.strictObject({ received: z.literal(true) });

export const ErrorCode = z.enum([
  'bad-request',
  'unauthorized',
  'stale-request',
  'not-found',
  'payload-too-large',
  'unsupported-media-type',
  'unknown-order',
  'wrong-card',
  'not-loadable',
  'already-collected',
  'card-blocked',
  /** Operator routes (issue 12): a reconciliation case that is no longer open cannot move again. */
  'case-not-open',
  /** 429/503 with a Retry-After header: the back office is saturated; try again after that long. */
  'overloaded',
  /** 503 with Retry-After: its database is unreachable; nothing of the request was stored. */
  'unavailable',
  'internal',
  /** Enrollment/rotation (contract/enrollment.ts): the kiosk's key lives in the back office's configuration. */
  'configured-kiosk',
  /** Technicians (issue 13): no such technician. */
  'unknown-technician',
]);
export const ErrorResponse = z.object({ error: ErrorCode, message: z.string() });

export type PendingOrder = z.infer<typeof PendingOrderSchema>;
export type IntakeResponseDto = z.infer<typeof IntakeResponse>;
export type IntakeResultDto = z.infer<typeof IntakeResult>;
export type BlockedResponseDto = z.infer<typeof BlockedResponse>;
export type ErrorCodeDto = z.infer<typeof ErrorCode>;
export type TechnicianListDto = z.infer<typeof TechnicianListResponse>;
export type HeartbeatDto = z.infer<typeof HeartbeatRequest>;
