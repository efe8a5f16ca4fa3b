/**
 * Reconciliation (issue 12): the back office matches what every kiosk's journal says of a payment
 * or a load against the credit refs cards were seen holding, holds pending credits, and opens a
 * case for every disagreement an operator must settle.
 *
 * Inputs (journal records, as stored by the intake of either store):
 * - payment.* (operationId = payment id; the card ref of a top-up is the payment id's first 8
 *   characters, main/money/ids.ts paymentRef — repeated here, the back office may not import main/);
 * - payment.credit-pending {ref}: the kiosk kept a payment whose credit it could not confirm. It
 *   becomes a pending credit for that card under the same ref, served to the card as an order
 *   (ns-extra with creditRef) at its next tap at ANY kiosk. The journal names the card only by its
 *   keyed hash under the sending kiosk's secret, so the card number is learnt at that tap: the
 *   card's hash under the credit kiosk's secret matches ("binding"; then an order row exists and the
 *   existing collect path loads it exactly once: the order row's collected_operation). A credit
 *   whose payment was reversed (the terminal had nothing open when the kiosk booked its kept
 *   payment: `payment.reversed {creditPending}`) or could not be undone (refund owed) is nothing
 *   owed: it is never bound, and a bound one is withdrawn (its order closed as
 *   "void:payment-reversed"), so it is never loaded — else the card would get a credit nobody paid;
 * - card.written / card.write-failed {uncertain}: whether the card got the credit;
 * - card.written {orderId} without confirmedBy: a write that loaded an order (loaded twice?);
 * - card.refs-seen {refs}: the refs a card held when read. A pending credit whose ref the card
 *   holds is settled without loading ("on card"). A ref only counts for the card it was seen on:
 *   same kiosk and same keyed hash, or, for a credit whose card number is known, that number's hash
 *   under the reading kiosk's secret. A kiosk naming another card's ref changes nothing.
 *
 * Cases (one per kind and subject, opened idempotently, each opening and transition in the audit
 * trail recon_case_events):
 * - refund-owed: the kiosk could not undo a payment (payment.refund-owed);
 * - credited-not-paid: a payment reversed while its card holds the credit (card.written,
 *   payment.reversed {cardCredited}, its ref seen on the card, or its pending credit loaded);
 * - paid-not-credited: paid (committed, credit-pending, or approved and never failed), not reversed,
 *   and no sign of the credit on the card after `unconfirmedAfterMs`; settled by the reconciliation
 *   itself ("settled-by-credit", actor `reconciliation`) when the credit shows up later;
 * - loaded-twice: an order (or pending credit) written onto a card by two operations, or a pending
 *   credit written while its payment's own write is known to have landed, or an order written onto
 *   a card after a card read had shown its ref there (below).
 * Order loads of unknown outcome (`card.write-failed {orderId, uncertain}`: the card left, or was
 * absent at recovery, after the write began) leave the order pending; the kiosk's next collection
 * finds the ref on the card and writes nothing. Not every traveller collects again, and a ref can
 * leave the card's log (16 later credits): so a card read at ANY kiosk (`card.refs-seen`) that shows
 * the order's ref on the order's card (or, for NS Extra, the card that replaced it) marks the order
 * collected ("refs-seen:<kiosk>"): it is no longer served, and cannot be loaded a second time.
 * States: open -> settled-by-credit | refunded | written-off, by an operator only (operator-routes.ts).
 *
 * Both stores run this one module over a small SQL port: the tables (migration
 * 1796057700000_reconciliation.sql, store.ts migration 2) use ISO text times and 0/1 flags so the
 * same statements run on SQLite and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { cardRef, type SecretKey } from '../contract/record-crypto.js';
import type { Clock } from '../contract/time.js';
import { CreditRef, OrderId } from '../contract/backoffice-api.js';
import { DEFAULT_TIME_ZONE, localDate } from '../domain/dates.js';

export const CASE_KINDS = ['credited-not-paid', 'paid-not-credited', 'refund-owed', 'loaded-twice'] as const;
export const CASE_STATES = ['open', 'settled-by-credit', 'refunded', 'written-off'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];
export type CaseState = (typeof CASE_STATES)[number];
/** Where an operator may take an open case. Closed cases stay closed (a new finding opens a new case kind/subject). */
export const CASE_TRANSITIONS = ['settled-by-credit', 'refunded', 'written-off'] as const;

export interface CaseDto {
  id: number;
  kind: CaseKind;
  subject: string;
  kioskId: string;
  operationId: string | null;
  orderId: string | null;
  cardLast4: string | null;
  ref: string | null;
  amountCents: number | null;
  state: CaseState;
  detail: string;
  openedAt: string;
  updatedAt: string;
}
export interface CaseEventDto {
  at: string;
  actor: string;
  fromState: string | null;
  toState: string;
  note: string;
}

export const CaseFilter = z.strictObject({
  state: z.enum(CASE_STATES).optional(),
  kind: z.enum(CASE_KINDS).optional(),
  kiosk: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  last4: z.string().regex(/^\d{4}$/).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type CaseFilterDto = z.infer<typeof CaseFilter>;

export type TransitionOutcome = { ok: true; case: CaseDto } | { ok: false; error: 'not-found' | 'not-open'; message: string };

/** A SQL connection or transaction: `?` placeholders; the PostgreSQL adapter numbers them. */
export interface SqlPort {
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** A stored journal record, as either store's intake table holds it. */
export interface StoredRecord {
  seq: number;
  type: string;
  operationId: string;
  at: string;
  amountCents: number | null;
  cardHash: string | null;
  cardLast4: string | null;
  data: Record<string, unknown> | null;
}

export interface ReconBackend {
  sql: SqlPort;
  transaction<T>(fn: (sql: SqlPort) => Promise<T>): Promise<T>;
  /** A kiosk's stored records with afterSeq < seq <= uptoSeq, ascending, at most `limit`. */
  recordsAfter(sql: SqlPort, kioskId: string, afterSeq: number, uptoSeq: number, limit: number): Promise<StoredRecord[]>;
  /** The two-argument maximum: `greatest` on PostgreSQL, `max` on SQLite. */
  greatest: string;
}

export interface ReconSettings {
  /** How long a paid payment may go without any sign of its credit before a case opens (default 24 h). */
  unconfirmedAfterMs?: number;
  timeZone?: string;
}

export interface Reconciliation {
  /** Reconcile a kiosk's stored records up to `uptoSeq` (its contiguous seq): idempotent, resumable. */
  reconcileKiosk(kioskId: string, uptoSeq: number, justStored?: readonly StoredRecord[]): Promise<void>;
  /** One step of reconcileKiosk (at most 500 records) inside the caller's transaction: the PostgreSQL
   * intake's (issue 10: two round trips and a commit fewer a batch). True when records up to
   * `uptoSeq` remain: the caller runs reconcileKiosk for them after its commit. */
  reconcileStep(sql: SqlPort, kioskId: string, uptoSeq: number, justStored?: readonly StoredRecord[]): Promise<boolean>;
  /** Catch up every kiosk and open the cases only time reveals (paid, not credited). Returns cases opened or settled. */
  sweep(): Promise<number>;
  /** Learn the card number of pending credits whose keyed hash is this card's: each becomes an order. */
  bindCredits(cardNumber: string): Promise<number>;
  listCases(filter: CaseFilterDto): Promise<CaseDto[]>;
  caseDetail(id: number): Promise<{ case: CaseDto; events: CaseEventDto[] } | undefined>;
  transition(id: number, to: (typeof CASE_TRANSITIONS)[number], actor: string, note: string): Promise<TransitionOutcome>;
  /** Pending credits (tests, the operator page): state derived from the tables. */
  credits(): Promise<{ orderId: string; kioskId: string; operationId: string; ref: string; amountCents: number; state: 'pending' | 'bound' | 'loaded' | 'on-card' | 'void' }[]>;
}

/** The card ref of a top-up: the payment id's first 8 characters (main/money/ids.ts paymentRef). */
/** A journal record as reconciliation reads it. */
export function storedRecordOf(r: { seq: number; type: string; operationId: string; at: string; amountCents?: number; card?: { hash: string; last4: string }; data?: Record<string, unknown> }): StoredRecord {
  return { seq: r.seq, type: r.type, operationId: r.operationId, at: r.at, amountCents: r.amountCents ?? null, cardHash: r.card?.hash ?? null, cardLast4: r.card?.last4 ?? null, data: r.data ?? null };
}

/** An order closed without a load: a pending credit withdrawn because its payment does not stand. */
export function isVoid(collectedOperation: string | null | undefined): boolean {
  return typeof collectedOperation === 'string' && collectedOperation.startsWith('void:');
}

export function paymentCardRef(paymentId: string): string {
  return paymentId.slice(0, 8).toLowerCase();
}

/** The card ref of an order: SHA-256("order:" + orderId), first 8 hex (main/money/ids.ts orderRef, repeated: no main/ here). */
export function orderCardRef(orderId: string): string {
  return createHash('sha256').update(`order:${orderId}`).digest('hex').slice(0, 8);
}

/**
 * The order id a pending credit is served under: one per kiosk and payment, within OrderId's
 * alphabet and length. The 24 hex digits go in groups of 8: the kiosk's journal refuses any value
 * with 13 digits in a row as a possible card number (main/journal/entry-validation.ts), and one in
 * ~45 ungrouped ids had such a run, so its credit could never be collected.
 */
export function creditOrderId(kioskId: string, operationId: string): string {
  const hex = createHash('sha256').update(`${kioskId}\u0000${operationId}`).digest('hex').slice(0, 24);
  return `PC-${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`;
}

/** At most this many refs per card.refs-seen record count (the card log holds 16; room to grow). */
export const MAX_REFS_SEEN = 64;

/** The refs of a card.refs-seen record, or undefined when malformed (then it changes nothing). */
export function parseRefs(data: Record<string, unknown> | null): string[] | undefined {
  const refs = data?.['refs'];
  if (typeof refs !== 'string') return undefined;
  if (refs === '') return [];
  const list = refs.split(',');
  if (list.length > MAX_REFS_SEEN || !list.every((r) => CreditRef.safeParse(r).success)) return undefined;
  return [...new Set(list)];
}

interface PaymentRow {
  kiosk_id: string;
  operation_id: string;
  ref: string;
  card_hash: string | null;
  card_last4: string | null;
  amount_cents: number | null;
  first_at: string;
  approved: number;
  failed: number;
  committed: number;
  reversed: number;
  reversed_credited: number;
  refund_owed: number;
  credit_pending: number;
  written: number;
  write_uncertain: number;
  /** Read by PAYMENT_ROW only: whether a pending credit / any sighting of the ref exists (true/false
   * on PostgreSQL, 1/0 on SQLite). Absent: unknown, so prefetch reads them. */
  has_credit?: unknown;
  any_seen?: unknown;
}
/** Whether PAYMENT_ROW's EXISTS column may be true (absent counts as may). */
const mayHave = (v: unknown) => v !== false && v !== 0;
/**
 * A payment row, with whether its pending credit and any sighting of its ref exist. With these,
 * prefetch asks only for the payments that have them: most batches have none, and two statements a
 * batch are saved (issue 10: round trips). Both EXISTS are index lookups (recon_credits' unique
 * (kiosk_id, operation_id), recon_refs_seen_ref).
 */
const PAYMENT_ROW = `SELECT p.*,
    EXISTS (SELECT 1 FROM recon_credits c WHERE c.kiosk_id = p.kiosk_id AND c.operation_id = p.operation_id) AS has_credit,
    EXISTS (SELECT 1 FROM recon_refs_seen s WHERE s.ref = p.ref) AS any_seen
  FROM recon_payments p`;
interface CreditRow {
  order_id: string;
  kiosk_id: string;
  operation_id: string;
  card_hash: string;
  card_last4: string;
  ref: string;
  amount_cents: number;
  created_at: string;
  card_number: string | null;
  on_card_at: string | null;
}
interface CaseRow {
  id: number;
  kind: CaseKind;
  subject: string;
  kiosk_id: string;
  operation_id: string | null;
  order_id: string | null;
  card_last4: string | null;
  ref: string | null;
  amount_cents: number | null;
  state: CaseState;
  detail: string;
  opened_at: string;
  updated_at: string;
}

const PAYMENT_FLAGS: Partial<Record<string, keyof PaymentRow>> = {
  'payment.approved': 'approved',
  'payment.failed': 'failed',
  'payment.committed': 'committed',
  'payment.reversed': 'reversed',
  'payment.refund-owed': 'refund_owed',
  'payment.credit-pending': 'credit_pending',
};

const toCase = (r: CaseRow): CaseDto => ({
  id: Number(r.id),
  kind: r.kind,
  subject: r.subject,
  kioskId: r.kiosk_id,
  operationId: r.operation_id,
  orderId: r.order_id,
  cardLast4: r.card_last4,
  ref: r.ref,
  amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
  state: r.state,
  detail: r.detail,
  openedAt: r.opened_at,
  updatedAt: r.updated_at,
});

export function createReconciliation(
  backend: ReconBackend,
  clock: Clock,
  secretOf: (kioskId: string) => SecretKey | undefined,
  settings: ReconSettings = {},
): Reconciliation {
  const unconfirmedAfterMs = settings.unconfirmedAfterMs ?? 24 * 3600_000;
  const timeZone = settings.timeZone ?? DEFAULT_TIME_ZONE;
  const now = () => clock.now().toISOString();
  const BATCH = 500;

  /** The keyed hash of `cardNumber` as `kioskId` journals it, or undefined for an unknown kiosk. */
  function hashAt(kioskId: string, cardNumber: string): string | undefined {
    const secret = secretOf(kioskId);
    return secret === undefined ? undefined : cardRef(cardNumber, secret).hash;
  }

  async function ensureCase(
    sql: SqlPort,
    c: { kind: CaseKind; subject: string; kioskId: string; operationId?: string; orderId?: string; last4: string | null; ref: string | null; amountCents: number | null; detail: string },
  ): Promise<boolean> {
    const at = now();
    const rows = await sql.all<{ id: number }>(
      `INSERT INTO recon_cases (kind, subject, kiosk_id, operation_id, order_id, card_last4, ref, amount_cents, state, detail, opened_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) ON CONFLICT (kind, subject) DO NOTHING RETURNING id`,
      [c.kind, c.subject, c.kioskId, c.operationId ?? null, c.orderId ?? null, c.last4, c.ref, c.amountCents, c.detail, at, at],
    );
    if (rows.length === 0) return false;
    await sql.run(`INSERT INTO recon_case_events (case_id, at, actor, from_state, to_state, note) VALUES (?, ?, 'reconciliation', NULL, 'open', ?)`, [
      rows[0]!.id,
      at,
      c.detail,
    ]);
    return true;
  }

  async function autoSettle(sql: SqlPort, kind: CaseKind, subject: string, note: string): Promise<boolean> {
    const at = now();
    const rows = await sql.all<{ id: number }>(
      `UPDATE recon_cases SET state = 'settled-by-credit', updated_at = ? WHERE kind = ? AND subject = ? AND state = 'open' RETURNING id`,
      [at, kind, subject],
    );
    for (const r of rows)
      await sql.run(`INSERT INTO recon_case_events (case_id, at, actor, from_state, to_state, note) VALUES (?, ?, 'reconciliation', 'open', 'settled-by-credit', ?)`, [r.id, at, note]);
    return rows.length > 0;
  }

  type SeenRow = { ref: string; kiosk_id: string; card_hash: string };
  type PaymentCredit = CreditRow & { collected_at: unknown; collected_operation: string | null };
  /** What evaluatePayment reads of each payment, read for all the payments of a batch at once. */
  interface Prefetched {
    credits: Map<string, PaymentCredit>;
    seen: Map<string, SeenRow[]>;
  }

  /** Was `ref` seen (rows of recon_refs_seen for it) on the card that `kioskId` journals as `cardHash` (or on card number `cardNumber`)? */
  function seenOnCard(rows: readonly SeenRow[], kioskId: string, cardHash: string | null, cardNumber: string | null): boolean {
    return rows.some((r) => (cardHash !== null && r.kiosk_id === kioskId && r.card_hash === cardHash) || (cardNumber !== null && hashAt(r.kiosk_id, cardNumber) === r.card_hash));
  }

  const VOID_REVERSED = 'void:payment-reversed';
  const CREDIT_OF_PAYMENT = `SELECT c.*, o.collected_at, o.collected_operation FROM recon_credits c LEFT JOIN orders o ON o.order_id = c.order_id`;

  /** Two queries for all of `payments` instead of two per payment (issue 10: round trips per batch),
   * each only for the payments PAYMENT_ROW says may have rows there (none: no query).
   * evaluatePayment changes only its own payment's credit and cases, never what another payment of
   * the same batch reads here, so reading them up front gives the same result as one by one. */
  async function prefetch(sql: SqlPort, payments: readonly PaymentRow[]): Promise<Prefetched> {
    const credits = new Map<string, PaymentCredit>();
    const byKiosk = new Map<string, string[]>();
    for (const p of payments) if (mayHave(p.has_credit)) byKiosk.set(p.kiosk_id, [...(byKiosk.get(p.kiosk_id) ?? []), p.operation_id]);
    for (const [kioskId, ops] of byKiosk)
      for (const c of await inChunks(ops, (marks, chunk) => sql.all<PaymentCredit>(`${CREDIT_OF_PAYMENT} WHERE c.kiosk_id = ? AND c.operation_id IN (${marks})`, [kioskId, ...chunk])))
        credits.set(`${c.kiosk_id}/${c.operation_id}`, c);
    const seen = new Map<string, SeenRow[]>();
    for (const r of await inChunks([...new Set(payments.filter((p) => mayHave(p.any_seen)).map((p) => p.ref))], (marks, chunk) => sql.all<SeenRow>(`SELECT ref, kiosk_id, card_hash FROM recon_refs_seen WHERE ref IN (${marks})`, chunk)))
      seen.set(r.ref, [...(seen.get(r.ref) ?? []), r]);
    return { credits, seen };
  }

  /** Open or settle the cases of one payment, from everything known of it now (`pre`: read for its whole batch just before). */
  async function evaluatePayment(sql: SqlPort, p: PaymentRow, pre?: Prefetched): Promise<number> {
    let changed = 0;
    const subject = `${p.kiosk_id}/${p.operation_id}`;
    const base = { subject, kioskId: p.kiosk_id, operationId: p.operation_id, last4: p.card_last4, ref: p.ref, amountCents: p.amount_cents === null ? null : Number(p.amount_cents) };
    const credit = pre
      ? pre.credits.get(subject)
      : (await sql.all<PaymentCredit>(`${CREDIT_OF_PAYMENT} WHERE c.kiosk_id = ? AND c.operation_id = ?`, [p.kiosk_id, p.operation_id]))[0];
    const seenRows = pre ? (pre.seen.get(p.ref) ?? []) : await sql.all<SeenRow>(`SELECT ref, kiosk_id, card_hash FROM recon_refs_seen WHERE ref = ?`, [p.ref]);
    const seen = seenOnCard(seenRows, p.kiosk_id, p.card_hash, credit?.card_number ?? null);
    // A pending credit whose ref its card was seen holding (perhaps before the credit arrived): settled without loading.
    if (credit && credit.on_card_at === null && credit.collected_at === null && seen) {
      await settleOnCard(sql, credit.order_id, p.kiosk_id, 'refs-seen');
      credit.on_card_at = now();
    }
    // Withdrawn (its payment reversed): loaded only if a kiosk wrote it all the same (it had fetched the list before).
    const creditLoaded =
      credit !== undefined &&
      (credit.on_card_at !== null ||
        (credit.collected_at !== null && !isVoid(credit.collected_operation)) ||
        (isVoid(credit.collected_operation) && Number((await sql.all<{ n: number }>(`SELECT count(*) AS n FROM recon_loads WHERE order_id = ?`, [credit.order_id]))[0]?.n ?? 0) > 0));
    // A pending credit of a payment that does not stand is nothing owed: withdraw it before anyone loads it.
    if (credit && credit.collected_at === null && credit.on_card_at === null && (p.reversed === 1 || p.refund_owed === 1)) {
      const at = now();
      await sql.run(`UPDATE orders SET collected_at = ?, collected_kiosk = ?, collected_operation = ? WHERE order_id = ? AND collected_at IS NULL`, [at, p.kiosk_id, VOID_REVERSED, credit.order_id]);
      credit.collected_at = at;
      credit.collected_operation = VOID_REVERSED;
    }
    const credited = p.written === 1 || p.reversed_credited === 1 || seen || creditLoaded;
    const paid = p.committed === 1 || p.credit_pending === 1 || (p.approved === 1 && p.failed === 0);
    if (p.refund_owed === 1 && (await ensureCase(sql, { ...base, kind: 'refund-owed', detail: 'the kiosk could not undo the payment: a refund is owed' }))) changed++;
    if (p.reversed === 1 && credited) {
      const why = p.written === 1 ? 'card.written' : p.reversed_credited === 1 ? 'payment.reversed {cardCredited}' : creditLoaded ? 'its pending credit was loaded' : 'its ref was seen on the card';
      if (await ensureCase(sql, { ...base, kind: 'credited-not-paid', detail: `payment reversed, yet the card holds the credit (${why})` })) changed++;
    }
    if (credited) {
      if (await autoSettle(sql, 'paid-not-credited', subject, 'the credit was found on the card / loaded')) changed++;
    } else if (paid && p.reversed === 0 && p.refund_owed === 0 && clock.now().getTime() - Date.parse(p.first_at) >= unconfirmedAfterMs) {
      const detail = p.credit_pending === 1 ? 'paid; its pending credit was neither loaded nor seen on the card in time' : 'paid; no sign of the credit on the card in time';
      if (await ensureCase(sql, { ...base, kind: 'paid-not-credited', detail })) changed++;
    }
    // A pending credit written onto the card while the payment's own write is known to have landed.
    if (credit && p.written === 1) {
      const loads = await sql.all<{ n: number }>(`SELECT count(*) AS n FROM recon_loads WHERE order_id = ?`, [credit.order_id]);
      if (Number(loads[0]?.n ?? 0) > 0 && (await ensureCase(sql, { ...base, subject: `order/${credit.order_id}`, orderId: credit.order_id, kind: 'loaded-twice', detail: 'pending credit loaded although the payment\'s own write landed' })))
        changed++;
    }
    return changed;
  }

  /** A card holds the credit's ref: settled without loading (its order, if served, is collected by that finding). */
  async function settleOnCard(sql: SqlPort, orderId: string, kioskId: string, operation: string): Promise<void> {
    const at = now();
    await sql.run(`UPDATE recon_credits SET on_card_at = ? WHERE order_id = ? AND on_card_at IS NULL`, [at, orderId]);
    await sql.run(`UPDATE orders SET collected_at = ?, collected_kiosk = ?, collected_operation = ? WHERE order_id = ? AND collected_at IS NULL`, [at, kioskId, operation, orderId]);
  }

  /**
   * Record this batch's uncertain order loads, then mark collected every pending order with an
   * uncertain load whose ref was seen on its card: on the very card the uncertain write went to
   * (same kiosk, same keyed hash), or on the order's card — for NS Extra also the card that replaced
   * it — by its number's keyed hash under the reading kiosk's secret. A ref seen on any other card
   * changes nothing (a kiosk cannot collect someone else's order by naming its ref).
   */
  async function settleUncertainLoads(sql: SqlPort, kioskId: string, uncertain: readonly StoredRecord[], seenRefs: readonly string[]): Promise<void> {
    for (const r of uncertain) {
      const orderId = r.data!['orderId'] as string;
      await sql.run(`INSERT INTO recon_uncertain_loads (order_id, kiosk_id, operation_id, card_hash, ref, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [
        orderId,
        kioskId,
        r.operationId,
        r.cardHash,
        orderCardRef(orderId),
        r.at,
      ]);
    }
    const refs = [...new Set([...seenRefs, ...uncertain.map((r) => orderCardRef(r.data!['orderId'] as string))])];
    if (refs.length === 0) return;
    const rows = await inChunks(refs, (marks, chunk) =>
      sql.all<{ order_id: string; kiosk_id: string; card_hash: string; ref: string; card_number: string; kind: string; replaced_by: string | null }>(
        `SELECT u.order_id, u.kiosk_id, u.card_hash, u.ref, o.card_number, o.kind, c.replaced_by
           FROM recon_uncertain_loads u JOIN orders o ON o.order_id = u.order_id LEFT JOIN cards c ON c.card_number = o.card_number
          WHERE o.collected_at IS NULL AND u.ref IN (${marks})`,
        chunk,
      ),
    );
    for (const u of rows) {
      const seen = await sql.all<SeenRow>(`SELECT ref, kiosk_id, card_hash FROM recon_refs_seen WHERE ref = ?`, [u.ref]);
      const numbers = [u.card_number, ...(u.kind === 'ns-extra' && u.replaced_by !== null ? [u.replaced_by] : [])];
      const by = seen.find((s) => (s.kiosk_id === u.kiosk_id && s.card_hash === u.card_hash) || numbers.some((n) => hashAt(s.kiosk_id, n) === s.card_hash));
      if (!by) continue;
      await sql.run(`UPDATE orders SET collected_at = ?, collected_kiosk = ?, collected_operation = ? WHERE order_id = ? AND collected_at IS NULL`, [
        now(),
        by.kiosk_id,
        `refs-seen:${by.kiosk_id}`,
        u.order_id,
      ]);
    }
  }

  /** Rows of `sql` for the values in `list`, asked in chunks (`IN (…)` with at most 500 values). */
  async function inChunks<R>(list: readonly unknown[], query: (marks: string, chunk: unknown[]) => Promise<R[]>): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < list.length; i += 500) {
      const chunk = list.slice(i, i + 500);
      out.push(...(await query(chunk.map(() => '?').join(', '), chunk)));
    }
    return out;
  }

  type Flags = Pick<PaymentRow, 'approved' | 'failed' | 'committed' | 'reversed' | 'reversed_credited' | 'refund_owed' | 'credit_pending' | 'written' | 'write_uncertain'>;
  const FLAG_COLUMNS = ['approved', 'failed', 'committed', 'reversed', 'reversed_credited', 'refund_owed', 'credit_pending', 'written', 'write_uncertain'] as const;
  const noFlags = (): Flags => ({ approved: 0, failed: 0, committed: 0, reversed: 0, reversed_credited: 0, refund_owed: 0, credit_pending: 0, written: 0, write_uncertain: 0 });

  /**
   * Reconcile a batch of one kiosk's records (in seq order) with a fixed number of statements for
   * the batch, plus a few per payment that can disagree (reversed, refund owed, credit pending,
   * uncertain write, an open paid-not-credited case, a ref just seen on a card). An ordinary
   * committed-and-written top-up costs no statement of its own. Flags only ever go from 0 to 1, so
   * the result does not depend on how records fall into batches.
   */
  async function applyBatch(sql: SqlPort, kioskId: string, records: StoredRecord[]): Promise<void> {
    const pays = new Map<string, { ref: string; cardHash: string | null; last4: string | null; amount: number | null; firstAt: string; flags: Flags }>();
    const cardOnly = new Map<string, Flags>();
    const loads: StoredRecord[] = [];
    const uncertainLoads: StoredRecord[] = [];
    const orderIds = new Set<string>();
    const newCredits: unknown[][] = [];
    const seenRecords: { r: StoredRecord; refs: string[] }[] = [];
    for (const r of records) {
      if (r.type.startsWith('payment.')) {
        let p = pays.get(r.operationId);
        if (!p) pays.set(r.operationId, (p = { ref: paymentCardRef(r.operationId), cardHash: null, last4: null, amount: null, firstAt: r.at, flags: noFlags() }));
        p.cardHash ??= r.cardHash;
        p.last4 ??= r.cardLast4;
        p.amount ??= r.amountCents;
        const flag = PAYMENT_FLAGS[r.type];
        // An uncertain payment.failed is not final: recovery resolves it (main/journal/operation-rules.ts).
        if (flag && !(r.type === 'payment.failed' && r.data?.['uncertain'] === true)) (p.flags as unknown as Record<string, number>)[flag] = 1;
        if (r.type === 'payment.reversed' && r.data?.['cardCredited'] === true) p.flags.reversed_credited = 1;
        if (r.type === 'payment.credit-pending') {
          const ref = r.data?.['ref'];
          const orderId = creditOrderId(kioskId, r.operationId);
          // Only a well-formed credit for a card becomes loadable; anything else stays a paid payment
          // without a credit, and opens paid-not-credited in time (fail closed: never credit a guess).
          if (typeof ref === 'string' && CreditRef.safeParse(ref).success && r.cardHash !== null && r.cardLast4 !== null && r.amountCents !== null && r.amountCents > 0 && OrderId.safeParse(orderId).success) {
            p.ref = ref;
            newCredits.push([orderId, kioskId, r.operationId, r.cardHash, r.cardLast4, ref, r.amountCents, r.at]);
          }
        }
      } else if (r.type === 'card.written' || r.type === 'card.write-failed') {
        const orderId = r.data?.['orderId'];
        if (typeof orderId === 'string') {
          orderIds.add(orderId);
          // A write that loaded an order; one found on the card already (confirmedBy) loaded nothing.
          if (r.type === 'card.written' && r.data?.['confirmedBy'] === undefined) loads.push(r);
          // A load whose outcome the kiosk could not know: the order stays pending (settled below
          // when its ref is seen on the card).
          if (r.type === 'card.write-failed' && r.data?.['uncertain'] === true && r.cardHash !== null && OrderId.safeParse(orderId).success) uncertainLoads.push(r);
          continue;
        }
        const col = r.type === 'card.written' ? 'written' : r.data?.['uncertain'] === true ? 'write_uncertain' : undefined;
        if (!col) continue;
        const p = pays.get(r.operationId);
        if (p) p.flags[col] = 1;
        else {
          const f = cardOnly.get(r.operationId) ?? noFlags();
          f[col] = 1;
          cardOnly.set(r.operationId, f);
        }
      } else if (r.type === 'card.refs-seen') {
        const refs = parseRefs(r.data);
        if (refs && refs.length > 0 && r.cardHash !== null) seenRecords.push({ r, refs });
      } else if (r.type === 'order.loaded' || r.type === 'order.collected') {
        const orderId = r.data?.['orderId'];
        if (typeof orderId === 'string') orderIds.add(orderId);
      }
    }

    // 1. Payments: one upsert for the batch; flags OR-ed in.
    const payList = [...pays.entries()];
    for (let i = 0; i < payList.length; i += 200) {
      const chunk = payList.slice(i, i + 200);
      const cols = ['kiosk_id', 'operation_id', 'ref', 'card_hash', 'card_last4', 'amount_cents', 'first_at', ...FLAG_COLUMNS];
      const values = chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ');
      const params = chunk.flatMap(([op, p]) => [kioskId, op, p.ref, p.cardHash, p.last4, p.amount, p.firstAt, ...FLAG_COLUMNS.map((c) => p.flags[c])]);
      await sql.run(
        `INSERT INTO recon_payments (${cols.join(', ')}) VALUES ${values}
         ON CONFLICT (kiosk_id, operation_id) DO UPDATE SET
           ${FLAG_COLUMNS.map((c) => `${c} = ${backend.greatest}(recon_payments.${c}, excluded.${c})`).join(', ')},
           ref = CASE WHEN excluded.credit_pending = 1 THEN excluded.ref ELSE recon_payments.ref END,
           card_hash = coalesce(recon_payments.card_hash, excluded.card_hash),
           card_last4 = coalesce(recon_payments.card_last4, excluded.card_last4),
           amount_cents = coalesce(recon_payments.amount_cents, excluded.amount_cents)`,
        params,
      );
    }
    // Card writes of payments whose payment records came in an earlier batch (a card-only write,
    // e.g. a station passage, has no payment row: nothing changes).
    for (const col of ['written', 'write_uncertain'] as const) {
      const ops = [...cardOnly.entries()].filter(([, f]) => f[col] === 1).map(([op]) => op);
      await inChunks(ops, async (marks, chunk) => {
        await sql.run(`UPDATE recon_payments SET ${col} = 1 WHERE kiosk_id = ? AND operation_id IN (${marks})`, [kioskId, ...chunk]);
        return [];
      });
    }
    // 2. Pending credits.
    for (const c of newCredits)
      await sql.run(`INSERT INTO recon_credits (order_id, kiosk_id, operation_id, card_hash, card_last4, ref, amount_cents, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, c);
    // 3. Loads: the same order written by two operations.
    for (const r of loads)
      await sql.run(`INSERT INTO recon_loads (order_id, kiosk_id, operation_id, card_last4, amount_cents, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [
        r.data!['orderId'],
        kioskId,
        r.operationId,
        r.cardLast4,
        r.amountCents,
        r.at,
      ]);
    const loaded = [...new Set(loads.map((r) => r.data!['orderId'] as string))];
    const counts = await inChunks(loaded, (marks, chunk) => sql.all<{ order_id: string; n: number }>(`SELECT order_id, count(*) AS n FROM recon_loads WHERE order_id IN (${marks}) GROUP BY order_id`, chunk));
    for (const c of counts.filter((x) => Number(x.n) >= 2)) {
      const r = loads.find((x) => x.data!['orderId'] === c.order_id)!;
      await ensureCase(sql, { kind: 'loaded-twice', subject: `order/${c.order_id}`, kioskId, orderId: c.order_id, last4: r.cardLast4, ref: null, amountCents: r.amountCents, detail: 'the order was written onto the card by two operations' });
    }
    // A write of an order that a card read had already shown on its card (settled "refs-seen" in an
    // earlier batch): the second time it was loaded.
    const onCardBefore = await inChunks(loaded, (marks, chunk) =>
      sql.all<{ order_id: string }>(`SELECT order_id FROM orders WHERE order_id IN (${marks}) AND collected_operation LIKE 'refs-seen:%'`, chunk),
    );
    for (const { order_id } of onCardBefore) {
      const r = loads.find((x) => x.data!['orderId'] === order_id)!;
      await ensureCase(sql, { kind: 'loaded-twice', subject: `order/${order_id}`, kioskId, orderId: order_id, last4: r.cardLast4, ref: null, amountCents: r.amountCents, detail: 'the order was written onto the card although a card read had shown it there already' });
    }
    // 4. Refs seen on cards.
    const allRefs = [...new Set(seenRecords.flatMap((s) => s.refs))];
    for (const { r, refs } of seenRecords)
      await sql.run(
        `INSERT INTO recon_refs_seen (kiosk_id, card_hash, ref, first_seen_at) VALUES ${refs.map(() => '(?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
        refs.flatMap((ref) => [kioskId, r.cardHash, ref, r.at]),
      );
    // A credit already loaded (its order collected) stays loaded: the ref seen is that load.
    const openCredits = await inChunks(allRefs, (marks, chunk) =>
      sql.all<CreditRow>(`SELECT c.* FROM recon_credits c LEFT JOIN orders o ON o.order_id = c.order_id WHERE c.on_card_at IS NULL AND o.collected_at IS NULL AND c.ref IN (${marks})`, chunk),
    );
    for (const c of openCredits) {
      const by = seenRecords.find(
        (s) => s.refs.includes(c.ref) && (c.kiosk_id === kioskId ? c.card_hash === s.r.cardHash : c.card_number !== null && hashAt(kioskId, c.card_number) === s.r.cardHash),
      );
      if (by) await settleOnCard(sql, c.order_id, kioskId, `refs-seen:${kioskId}:${by.r.seq}`);
    }
    // 4b. Orders whose load was uncertain, their ref seen on their card (in this batch, or earlier).
    await settleUncertainLoads(sql, kioskId, uncertainLoads, allRefs);
    // 5. Evaluate the payments that can disagree.
    const touched = new Map<string, PaymentRow>();
    const add = (rows: PaymentRow[]) => rows.forEach((p) => touched.set(`${p.kiosk_id}/${p.operation_id}`, p));
    // Which payments of this batch can disagree, decided from what this batch says (flags only go
    // 0 -> 1, so a payment whose earlier records could disagree was evaluated with that batch; what
    // only time reveals is the sweep's), or with an open paid-not-credited case waiting for its
    // credit: only those rows are read back.
    const cutoff = clock.now().getTime() - unconfirmedAfterMs;
    const batchFlags = new Map<string, { flags: Flags; firstAt?: string }>([...cardOnly].map(([op, f]) => [op, { flags: f }]));
    for (const [op, p] of pays) batchFlags.set(op, { flags: p.flags, firstAt: p.firstAt });
    const byFlags = (op: string): boolean => {
      const { flags: f, firstAt } = batchFlags.get(op)!;
      const mayDisagree = f.reversed === 1 || f.refund_owed === 1 || f.credit_pending === 1 || f.write_uncertain === 1 || f.written === 1 || (firstAt !== undefined && Date.parse(firstAt) <= cutoff);
      // A plain written top-up needs a look only if a case waits for it (the EXISTS below).
      const plainWritten = pays.has(op) && f.written === 1 && f.reversed === 0 && f.refund_owed === 0 && f.credit_pending === 0 && f.write_uncertain === 0;
      return mayDisagree && !plainWritten;
    };
    // One statement for both kinds: the batch's operations, each read back if chosen by its flags
    // (the second list) or if an open paid-not-credited case waits for it. The second list is padded
    // with NULLs to the first's length, so the statement's text depends on one count only (prepared
    // statements, engine.ts): `op IN (…, NULL)` is NULL, not false, when op is not listed, and
    // `NULL OR false` drops the row as false would.
    add(
      await inChunks([...batchFlags.keys()], (marks, chunk) => {
        const chosen = (chunk as string[]).filter(byFlags);
        return sql.all<PaymentRow>(
          `${PAYMENT_ROW} WHERE p.kiosk_id = ? AND p.operation_id IN (${marks})
             AND (p.operation_id IN (${marks}) OR EXISTS (SELECT 1 FROM recon_cases k WHERE k.kind = 'paid-not-credited' AND k.state = 'open' AND k.subject = p.kiosk_id || '/' || p.operation_id))`,
          [kioskId, ...chunk, ...chosen, ...chunk.slice(chosen.length).map(() => null)],
        );
      }),
    );
    add(await inChunks(allRefs, (marks, chunk) => sql.all<PaymentRow>(`${PAYMENT_ROW} WHERE p.ref IN (${marks})`, chunk)));
    const creditOrders = [...new Set([...orderIds])];
    const creditOps = await inChunks(creditOrders, (marks, chunk) => sql.all<{ kiosk_id: string; operation_id: string }>(`SELECT kiosk_id, operation_id FROM recon_credits WHERE order_id IN (${marks})`, chunk));
    for (const k of creditOps) {
      if (touched.has(`${k.kiosk_id}/${k.operation_id}`)) continue;
      add(await sql.all<PaymentRow>(`${PAYMENT_ROW} WHERE p.kiosk_id = ? AND p.operation_id = ?`, [k.kiosk_id, k.operation_id]));
    }
    if (touched.size === 0) return;
    const pre = await prefetch(sql, [...touched.values()]);
    for (const p of touched.values()) await evaluatePayment(sql, p, pre);
  }

  /** One step of reconcileKiosk in the caller's transaction: at most BATCH records past the cursor.
   * True when records up to `uptoSeq` remain. */
  async function reconcileStep(sql: SqlPort, kioskId: string, uptoSeq: number, justStored?: readonly StoredRecord[]): Promise<boolean> {
    // The kiosk's cursor, created at 0 if new, and locked for the transaction in one statement:
    // on PostgreSQL an upsert that meets the row locks it as FOR UPDATE would (and, having waited
    // for another holder, returns the seq that one committed); SQLite has one writer.
    const cursor = Number(
      (await sql.all<{ seq: number }>(`INSERT INTO recon_cursor (kiosk_id, seq) VALUES (?, 0) ON CONFLICT (kiosk_id) DO UPDATE SET seq = recon_cursor.seq RETURNING seq`, [kioskId]))[0]!.seq,
    );
    if (cursor >= uptoSeq) return false;
    const hint = justStored?.filter((r) => r.seq > cursor && r.seq <= uptoSeq).sort((x, y) => x.seq - y.seq);
    const usable = hint !== undefined && hint.length > 0 && hint[0]!.seq === cursor + 1 && hint.every((r, i) => r.seq === cursor + 1 + i);
    const records = usable ? hint : await backend.recordsAfter(sql, kioskId, cursor, uptoSeq, BATCH);
    if (records.length === 0) return false;
    // Records are reconciled in seq order without gaps (only up to the contiguous seq).
    let last = cursor;
    const batch: StoredRecord[] = [];
    for (const r of records) {
      if (r.seq !== last + 1) break;
      batch.push(r);
      last = r.seq;
    }
    await applyBatch(sql, kioskId, batch);
    await sql.run(`UPDATE recon_cursor SET seq = ? WHERE kiosk_id = ?`, [last, kioskId]);
    return last < uptoSeq && last > cursor;
  }

  /** `justStored`: records the caller just stored (intake), used instead of reading them back when
   * they are exactly the next ones; anything else is read from the store. */
  async function reconcileKiosk(kioskId: string, uptoSeq: number, justStored?: readonly StoredRecord[]): Promise<void> {
    while (await backend.transaction((sql) => reconcileStep(sql, kioskId, uptoSeq, justStored)));
  }

  return {
    reconcileKiosk,
    reconcileStep,
    async sweep() {
      const behind = await backend.sql.all<{ kiosk_id: string; contiguous_seq: number }>(
        `SELECT k.kiosk_id, k.contiguous_seq FROM kiosk_state k LEFT JOIN recon_cursor c ON c.kiosk_id = k.kiosk_id WHERE coalesce(c.seq, 0) < k.contiguous_seq`,
      );
      for (const k of behind) await reconcileKiosk(k.kiosk_id, Number(k.contiguous_seq));
      const cutoff = new Date(clock.now().getTime() - unconfirmedAfterMs + 1000).toISOString();
      const candidates = await backend.sql.all<{ kiosk_id: string; operation_id: string }>(
        `SELECT p.kiosk_id, p.operation_id FROM recon_payments p
         WHERE p.reversed = 0 AND p.refund_owed = 0 AND p.written = 0 AND p.reversed_credited = 0
           AND (p.committed = 1 OR p.credit_pending = 1 OR (p.approved = 1 AND p.failed = 0)) AND p.first_at <= ?
           AND NOT EXISTS (SELECT 1 FROM recon_cases c WHERE c.kind = 'paid-not-credited' AND c.subject = p.kiosk_id || '/' || p.operation_id)`,
        [cutoff],
      );
      let changed = 0;
      for (const c of candidates)
        changed += await backend.transaction(async (sql) => {
          const p = (await sql.all<PaymentRow>(`SELECT * FROM recon_payments WHERE kiosk_id = ? AND operation_id = ?`, [c.kiosk_id, c.operation_id]))[0];
          return p ? evaluatePayment(sql, p) : 0;
        });
      return changed;
    },
    async bindCredits(cardNumber) {
      // One query for the kiosks holding unbound credits, one for this card's hash under each of them.
      const kiosks = await backend.sql.all<{ kiosk_id: string }>(`SELECT DISTINCT kiosk_id FROM recon_credits WHERE card_number IS NULL AND on_card_at IS NULL`);
      const hashes = new Map<string, string>();
      for (const { kiosk_id } of kiosks) {
        const hash = hashAt(kiosk_id, cardNumber);
        if (hash !== undefined) hashes.set(kiosk_id, hash);
      }
      if (hashes.size === 0) return 0;
      const candidates = await inChunks([...new Set(hashes.values())], (marks, chunk) =>
        // Never a credit whose payment does not stand (reversed, refund owed): nothing is owed.
        backend.sql.all<CreditRow>(
          `SELECT * FROM recon_credits c WHERE c.card_number IS NULL AND c.on_card_at IS NULL AND c.card_hash IN (${marks})
             AND NOT EXISTS (SELECT 1 FROM recon_payments p WHERE p.kiosk_id = c.kiosk_id AND p.operation_id = c.operation_id AND (p.reversed = 1 OR p.refund_owed = 1))`,
          chunk,
        ),
      );
      const mine = candidates.filter((c) => hashes.get(c.kiosk_id) === c.card_hash);
      if (mine.length === 0) return 0;
      return backend.transaction(async (sql) => {
        let bound = 0;
        for (const c of mine) {
          // Bound by another request meanwhile: its order exists already.
          // (Re-checked here: a reversal stored since the query above withdraws it.)
          const bind = `UPDATE recon_credits SET card_number = ? WHERE order_id = ? AND card_number IS NULL
             AND NOT EXISTS (SELECT 1 FROM recon_payments p WHERE p.kiosk_id = recon_credits.kiosk_id AND p.operation_id = recon_credits.operation_id AND (p.reversed = 1 OR p.refund_owed = 1))`;
          if ((await sql.run(bind, [cardNumber, c.order_id])) === 0) continue;
          await sql.run(
            `INSERT INTO orders (order_id, card_number, kind, announced_on, amount_cents, credit_ref) VALUES (?, ?, 'ns-extra', ?, ?, ?) ON CONFLICT (order_id) DO NOTHING`,
            [c.order_id, cardNumber, localDate(new Date(c.created_at), timeZone), Number(c.amount_cents), c.ref],
          );
          // A read of this card at any kiosk already showed the ref: settled without loading.
          if (seenOnCard(await sql.all<SeenRow>(`SELECT ref, kiosk_id, card_hash FROM recon_refs_seen WHERE ref = ?`, [c.ref]), c.kiosk_id, c.card_hash, cardNumber)) await settleOnCard(sql, c.order_id, c.kiosk_id, `refs-seen:bind`);
          bound++;
        }
        return bound;
      });
    },
    async listCases(f) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.state) where.push('state = ?') && params.push(f.state);
      if (f.kind) where.push('kind = ?') && params.push(f.kind);
      if (f.kiosk) where.push('kiosk_id = ?') && params.push(f.kiosk);
      if (f.last4) where.push('card_last4 = ?') && params.push(f.last4);
      params.push(f.limit);
      const rows = await backend.sql.all<CaseRow>(`SELECT * FROM recon_cases${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, params);
      return rows.map(toCase);
    },
    async caseDetail(id) {
      const row = (await backend.sql.all<CaseRow>(`SELECT * FROM recon_cases WHERE id = ?`, [id]))[0];
      if (!row) return undefined;
      const events = await backend.sql.all<{ at: string; actor: string; from_state: string | null; to_state: string; note: string }>(
        `SELECT at, actor, from_state, to_state, note FROM recon_case_events WHERE case_id = ? ORDER BY at, to_state`,
        [id],
      );
      return { case: toCase(row), events: events.map((e) => ({ at: e.at, actor: e.actor, fromState: e.from_state, toState: e.to_state, note: e.note })) };
    },
    transition(id, to, actor, note) {
      return backend.transaction(async (sql): Promise<TransitionOutcome> => {
        const at = now();
        const rows = await sql.all<CaseRow>(`UPDATE recon_cases SET state = ?, updated_at = ? WHERE id = ? AND state = 'open' RETURNING *`, [to, at, id]);
        if (rows.length === 0) {
          const exists = await sql.all<{ state: string }>(`SELECT state FROM recon_cases WHERE id = ?`, [id]);
          return exists.length === 0
            ? { ok: false, error: 'not-found', message: `no case ${id}` }
            : { ok: false, error: 'not-open', message: `case ${id} is ${exists[0]!.state}, not open` };
        }
        await sql.run(`INSERT INTO recon_case_events (case_id, at, actor, from_state, to_state, note) VALUES (?, ?, ?, 'open', ?, ?)`, [id, at, actor, to, note]);
        return { ok: true, case: toCase(rows[0]!) };
      });
    },
    async credits() {
      const rows = await backend.sql.all<CreditRow & { collected_at: unknown; collected_operation: string | null }>(
        `SELECT c.*, o.collected_at, o.collected_operation FROM recon_credits c LEFT JOIN orders o ON o.order_id = c.order_id ORDER BY c.created_at, c.order_id`,
      );
      return rows.map((c) => ({
        orderId: c.order_id,
        kioskId: c.kiosk_id,
        operationId: c.operation_id,
        ref: c.ref,
        amountCents: Number(c.amount_cents),
        state: c.on_card_at !== null ? 'on-card' : isVoid(c.collected_operation) ? 'void' : c.collected_at !== null ? 'loaded' : c.card_number !== null ? 'bound' : 'pending',
      }));
    },
  };
}
