/**
 * The back office's store on PostgreSQL (a server or PGlite: engine.ts), stateless: any number of
 * back-office processes may share one database.
 *
 * Concurrency (proved by backoffice/db/concurrency.pg.test.ts on a real server):
 * - one kiosk's intake is serialised by its kiosk_state row (SELECT … FOR UPDATE), so a batch sent
 *   to two processes at once is stored once: the second sees the first's records ('duplicate');
 * - gaps and contiguousSeq are computed inside that lock from what is committed, never guessed;
 * - blocked-list versions are max+1 under a table lock: they commit in version order.
 * Intake does a fixed number of round trips per batch (not per record): BEGIN, journal_intake_lock
 * (lock + state + neighbours, one server-side function), one INSERT … SELECT FROM unnest(…) for all
 * records, journal_intake_finish (contiguous seq, state, gaps), reconciliation's (four for an
 * ordinary batch: reconciliation.ts applyBatch), COMMIT: nine in all. `npm run bench:pg-intake`
 * counts them.
 */
import type { Clock } from '../../contract/time.js';
import type { CardKind } from '../../contract/card.js';
import { JOURNAL_ENTRY_TYPES, type JournalRecord } from '../../contract/journal-record.js';
import { MAX_BALANCE_CENTS } from '../../domain/balance.js';
import { DEFAULT_TIME_ZONE, localDate } from '../../domain/dates.js';
import { checkedOrder, collectedOrderId, namedCard, outOfRange } from '../intake-rules.js';
import { orderRefusalFor } from '../../domain/order-rules.js';
import { checkRecord, GENESIS_HASH, idempotencyKey, type SecretKey } from '../../contract/record-crypto.js';
import { asIntakeKeys, type IntakeKeys } from '../kiosk-keys.js';
import type { IntakeResponseDto, IntakeResultDto, PendingOrder } from '../../contract/backoffice-api.js';
import { FIXTURE_BLOCKED, FIXTURE_CARD_KINDS, FIXTURE_ORDERS, fixtureOrdersOn } from '../fixtures.js';
import type { Db, Queryable } from './engine.js';
import { migrate } from './migrate.js';
import { pgKioskKeys } from './pg-kiosk-keys.js';
import { createReconciliation, storedRecordOf, type ReconBackend, type ReconSettings, type SqlPort, type StoredRecord } from '../reconciliation.js';
import type { AsyncBackOfficeStore, CollectOutcome, IntakeStatusDto, JournalRow, PgStore } from './store-api.js';
import { createTechnicianStore } from '../technicians.js';
import { createFleetStore, type FleetSettings } from '../fleet.js';

export type { AsyncBackOfficeStore, CollectOutcome, IntakeStatusDto, JournalRow, PgStore };

const KNOWN_RECORD_TYPES: ReadonlySet<string> = new Set(JOURNAL_ENTRY_TYPES);

interface OrderRow {
  order_id: string;
  card_number: string;
  kind: string;
  announced_on: string;
  amount_cents: number | null;
  product: unknown;
  collected_at: Date | null;
  collected_operation: string | null;
  credit_ref: string | null;
}


const monthKey = (iso: string) => iso.slice(0, 7);

export interface OpenPgStoreOptions {
  db: Db;
  clock: Clock;
  timeZone?: string;
  /** Seed the fixture cards/orders/blocked card once per database (default true). */
  seedFixtures?: boolean;
  /** A kiosk's secret, to match the keyed card hashes its journal names (reconciliation.ts). */
  secretOf?: (kioskId: string) => SecretKey | undefined;
  reconciliation?: ReconSettings;
  /** The fleet view's thresholds (../fleet.ts). */
  fleet?: FleetSettings;
}

export async function openPgStore(options: OpenPgStoreOptions): Promise<PgStore> {
  const { db, clock } = options;
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  await migrate(db);
  const now = () => clock.now().toISOString();
  const today = () => localDate(clock.now(), timeZone);
  const knownPartitions = new Set<string>();

  const ORDER_COLS = `order_id, card_number, kind, to_char(announced_on, 'YYYY-MM-DD') AS announced_on, amount_cents, product, collected_at, collected_operation, credit_ref`;

  function toDto(r: OrderRow): PendingOrder {
    const base = { orderId: r.order_id, announcedOn: r.announced_on };
    if (r.kind === 'ns-extra') return { ...base, kind: 'ns-extra', amountCents: r.amount_cents ?? 0, ...(r.credit_ref !== null ? { creditRef: r.credit_ref } : {}) };
    if (r.kind === 'product') return { ...base, kind: 'product', product: r.product as never };
    return { ...base, kind: 'kaartservicecode' };
  }

  async function cardKind(q: Queryable, cardNumber: string): Promise<CardKind | undefined> {
    const r = await q.query<{ kind: string }>(`SELECT kind FROM cards WHERE card_number = $1`, [cardNumber]);
    return r.rows[0]?.kind as CardKind | undefined;
  }

  async function isBlockedOn(q: Queryable, cardNumber: string): Promise<boolean> {
    const r = await q.query<{ blocked: boolean }>(
      `SELECT blocked FROM blocked_changes WHERE card_number = $1 ORDER BY version DESC LIMIT 1`,
      [cardNumber],
    );
    return r.rows[0]?.blocked === true;
  }

  async function replacedCards(q: Queryable, cardNumber: string): Promise<string[]> {
    return (await q.query<{ card_number: string }>(`SELECT card_number FROM cards WHERE replaced_by = $1`, [cardNumber])).rows.map((r) => r.card_number);
  }

  function refusal(o: OrderRow, kind: CardKind | undefined) {
    // Same rules as the kiosk (domain/order-rules.ts), with what the back office knows of the card.
    return orderRefusalFor(toDto(o), { kind: kind ?? 'anonymous' }, today(), { maxBalanceCents: MAX_BALANCE_CENTS, exclusiveProductGroups: [] });
  }

  async function gapsOf(q: Queryable, kioskId: string, contiguous: number, maxSeq: number) {
    const gaps: { from: number; to: number }[] = [];
    if (maxSeq <= contiguous) return gaps;
    // Missing ranges between what is stored above `contiguous`: one query, at most 100 gaps.
    const r = await q.query<{ from: number; to: number }>(
      `SELECT prev + 1 AS "from", seq - 1 AS "to" FROM (
         SELECT seq, coalesce(lag(seq) OVER (ORDER BY seq), $2::bigint) AS prev
         FROM journal_records WHERE kiosk_id = $1 AND seq > $2
       ) s WHERE seq > prev + 1 ORDER BY seq LIMIT 100`,
      [kioskId, contiguous],
    );
    gaps.push(...r.rows);
    return gaps;
  }

  async function ensurePartitions(records: JournalRecord[]): Promise<void> {
    for (const month of new Set(records.map((r) => monthKey(new Date(r.at).toISOString())))) {
      if (knownPartitions.has(month)) continue;
      await db.query(`SELECT journal_partition_for($1::timestamptz)`, [`${month}-01T00:00:00Z`]);
      knownPartitions.add(month);
    }
  }

  const backend = pgReconBackend(db);
  const recon = createReconciliation(backend, clock, options.secretOf ?? (() => undefined), { timeZone, ...options.reconciliation });

  /**
   * Intake, then reconciliation of what is now contiguous, in the intake's transaction (two round
   * trips and a commit fewer a batch than a transaction of its own: issue 10). Reconciliation is
   * derived state with its own cursor: if it fails, the transaction is rolled back and the intake
   * done again without it, so the records are stored all the same and the next intake or the sweep
   * resumes. More than one step's worth (a gap filled): the rest in transactions of its own after.
   */
  async function intake(kioskId: string, secretOrKeys: SecretKey | IntakeKeys, records: JournalRecord[]): Promise<IntakeResponseDto> {
    const keys = asIntakeKeys(secretOrKeys);
    const checked = checkRecords(kioskId, keys, records);
    let more = false;
    let res: IntakeResponseDto;
    try {
      res = await intakeRecords(kioskId, keys, checked, async (tx, done) => {
        const stored = new Set(done.results.filter((x) => x.status === 'accepted').map((x) => x.seq));
        try {
          more = await recon.reconcileStep(reconPort(tx), kioskId, done.contiguousSeq, records.filter((r) => stored.has(r.seq)).map(storedRecordOf));
        } catch (e) {
          throw new ReconciliationFailed(e);
        }
      });
    } catch (e) {
      if (!(e instanceof ReconciliationFailed)) throw e;
      console.error(`reconciliation of ${kioskId} deferred: ${String(e.cause)}`);
      return intakeRecords(kioskId, keys, checked);
    }
    if (more)
      await recon.reconcileKiosk(kioskId, res.contiguousSeq).catch((e: unknown) => console.error(`reconciliation of ${kioskId} deferred: ${String(e)}`));
    return res;
  }

  /** Each record's own checks (CPU: hash + HMAC), before taking any lock or connection. */
  function checkRecords(kioskId: string, keys: IntakeKeys, records: JournalRecord[]) {
    return records.map((r) => {
      if (r.kioskId !== kioskId) return { r, reason: 'wrong-kiosk' as const };
      if (!KNOWN_RECORD_TYPES.has(r.type)) return { r, reason: 'unknown-type' as const };
      // Each record under the key it names (key rotation: kiosk-keys.ts intakeKeysOf).
      const key = keys.record(r);
      if (key === undefined) return { r, reason: 'unknown-key' as const };
      const c = checkRecord(r, key);
      return c.ok ? { r } : { r, reason: c.reason };
    });
  }

  async function intakeRecords(
    kioskId: string,
    keys: IntakeKeys,
    checked: ReturnType<typeof checkRecords>,
    /** Runs in the intake's transaction, after it (reconciliation). */
    within?: (tx: Queryable, done: IntakeResponseDto) => Promise<void>,
  ): Promise<IntakeResponseDto> {
    const valid = checked.filter((c) => c.reason === undefined).map((c) => c.r);
    await ensurePartitions(valid);
    const receivedAt = now();
    // Everything stored at, just before or just after the seqs of this batch.
    const around = [...new Set(valid.flatMap((r) => [r.seq - 1, r.seq, r.seq + 1]))].filter((s) => s > 0);
    return db.transaction(async (tx) => {
      // One round trip: the kiosk's intake lock (its kiosk_state row), its state, and the stored
      // records around this batch, read after the lock (migration 1796060000000).
      const locked = (await tx.query<{ s: { contiguous: number; max: number; known: [number, string, string][] } }>(`SELECT journal_intake_lock($1, $2::bigint[]) AS s`, [kioskId, around])).rows[0]!.s;
      const st = { contiguous_seq: Number(locked.contiguous), max_seq: Number(locked.max) };
      const known = new Map<number, { hash: string; prev_hash: string }>();
      for (const [seq, hash, prev_hash] of locked.known) known.set(Number(seq), { hash, prev_hash });
      const results: IntakeResultDto[] = [];
      const toInsert: JournalRecord[] = [];
      let maxSeq = st.max_seq;
      for (const c of checked) {
        const r = c.r;
        const base = { seq: r.seq, key: idempotencyKey(r) };
        const reject = (reason: NonNullable<IntakeResultDto['reason']>) => results.push({ ...base, status: 'rejected', reason });
        if (c.reason !== undefined) { reject(c.reason); continue; }
        const existing = known.get(r.seq);
        if (existing) {
          if (existing.hash === r.hash) results.push({ ...base, status: 'duplicate' });
          else reject('conflict');
          continue;
        }
        if (outOfRange(r, Number(st.contiguous_seq))) { reject('out-of-range'); continue; }
        if (r.seq === 1 && r.prevHash !== GENESIS_HASH) { reject('chain-broken'); continue; }
        const before = known.get(r.seq - 1);
        if (before && before.hash !== r.prevHash) { reject('chain-broken'); continue; }
        const after = known.get(r.seq + 1);
        if (after && after.prev_hash !== r.hash) { reject('chain-broken'); continue; }
        known.set(r.seq, { hash: r.hash, prev_hash: r.prevHash });
        toInsert.push(r);
        if (r.seq > maxSeq) maxSeq = r.seq;
        results.push({ ...base, status: 'accepted' });
      }
      if (toInsert.length > 0) {
        await tx.query(
          `INSERT INTO journal_records (kiosk_id, seq, at, hash, prev_hash, type, operation_id, amount_cents, card_hash, card_last4, data, at_text, hmac, received_at)
           SELECT $1, u.seq, u.at, u.hash, u.prev_hash, u.type, u.operation_id, u.amount_cents, u.card_hash, u.card_last4, u.data, u.at_text, u.hmac, $2
           FROM unnest($3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::jsonb[], $13::text[], $14::text[])
             AS u(seq, at, hash, prev_hash, type, operation_id, amount_cents, card_hash, card_last4, data, at_text, hmac)`,
          [
            kioskId,
            receivedAt,
            toInsert.map((r) => r.seq),
            toInsert.map((r) => r.at),
            toInsert.map((r) => r.hash),
            toInsert.map((r) => r.prevHash),
            toInsert.map((r) => r.type),
            toInsert.map((r) => r.operationId),
            toInsert.map((r) => r.amountCents ?? null),
            toInsert.map((r) => r.card?.hash ?? null),
            toInsert.map((r) => r.card?.last4 ?? null),
            toInsert.map((r) => (r.data === undefined ? null : JSON.stringify(r.data))),
            toInsert.map((r) => r.at),
            toInsert.map((r) => r.hmac),
          ],
        );
        // A kiosk that loaded an order but could not confirm it online confirms it through its
        // journal: only for the order's own card (or, for NS Extra, the card that replaced it), and
        // only when the rules let that card load it (intake-rules.ts).
        for (const r of toInsert) {
          const orderId = collectedOrderId(r);
          if (orderId === undefined) continue;
          const o = (await tx.query<OrderRow>(`SELECT ${ORDER_COLS} FROM orders WHERE order_id = $1`, [orderId])).rows[0];
          if (!o) continue;
          const replacement =
            o.kind === 'ns-extra'
              ? (await tx.query<{ replaced_by: string | null }>(`SELECT replaced_by FROM cards WHERE card_number = $1`, [o.card_number])).rows[0]?.replaced_by
              : undefined;
          const loader = namedCard(r, replacement ? [o.card_number, replacement] : [o.card_number], keys.card);
          if (!loader || refusal(o, await cardKind(tx, loader))) continue;
          await tx.query(
            `UPDATE orders SET collected_at = $1, collected_kiosk = $2, collected_operation = $3 WHERE order_id = $4 AND collected_at IS NULL`,
            [r.at, kioskId, r.operationId, o.order_id],
          );
        }
      }
      // How far the journal is complete, the kiosk's new state and its gaps: one round trip.
      const fin = (
        await tx.query<{ f: { contiguous: number; gaps: { from: number; to: number }[] } }>(`SELECT journal_intake_finish($1, $2::bigint, $3::bigint, $4::timestamptz) AS f`, [
          kioskId,
          st.contiguous_seq,
          maxSeq,
          receivedAt,
        ])
      ).rows[0]!.f;
      const done = { results, contiguousSeq: Number(fin.contiguous), gaps: fin.gaps.map((g) => ({ from: Number(g.from), to: Number(g.to) })) };
      await within?.(tx, done);
      return done;
    });
  }

  const store: PgStore = {
    db,
    async pendingOrders(cardNumber) {
      if (await isBlockedOn(db, cardNumber)) return [];
      // Pending credits of this card become orders now that its number is known (reconciliation.ts).
      await recon.bindCredits(cardNumber);
      const own = (await db.query<OrderRow>(`SELECT ${ORDER_COLS} FROM orders WHERE card_number = $1 AND collected_at IS NULL ORDER BY announced_on, order_id`, [cardNumber])).rows;
      // NS Extra follows the card: the orders of the cards this one replaced.
      const inherited = (
        await db.query<OrderRow>(
          `SELECT ${ORDER_COLS} FROM orders WHERE kind = 'ns-extra' AND collected_at IS NULL
             AND card_number IN (SELECT card_number FROM cards WHERE replaced_by = $1)
           ORDER BY announced_on, order_id`,
          [cardNumber],
        )
      ).rows;
      return [...own, ...inherited].map(toDto);
    },
    collect(orderId, cardNumber, kioskId, operationId) {
      return db.transaction(async (tx): Promise<CollectOutcome> => {
        const o = (await tx.query<OrderRow>(`SELECT ${ORDER_COLS} FROM orders WHERE order_id = $1 FOR UPDATE`, [orderId])).rows[0];
        if (!o) return { ok: false, error: 'unknown-order', message: `no order ${orderId}` };
        const allowed = new Set([cardNumber, ...(await replacedCards(tx, cardNumber))]);
        if (!allowed.has(o.card_number) || (o.card_number !== cardNumber && o.kind !== 'ns-extra')) {
          return { ok: false, error: 'wrong-card', message: `order ${orderId} is not for this card` };
        }
        if (o.collected_at !== null) {
          if (o.collected_operation === operationId) return { ok: true, alreadyCollected: true };
          return { ok: false, error: 'already-collected', message: `order ${orderId} was collected by another operation` };
        }
        if (await isBlockedOn(tx, cardNumber)) return { ok: false, error: 'card-blocked', message: 'this card is blocked' };
        const why = refusal(o, await cardKind(tx, cardNumber));
        if (why) return { ok: false, error: 'not-loadable', message: `order ${orderId} cannot be loaded on this card: ${why.reason}` };
        await tx.query(`UPDATE orders SET collected_at = $1, collected_kiosk = $2, collected_operation = $3 WHERE order_id = $4`, [
          now(),
          kioskId,
          operationId,
          orderId,
        ]);
        return { ok: true, alreadyCollected: false };
      });
    },
    async blockedChanges(since, limit) {
      const r = await db.query<{ version: number; card_number: string; blocked: boolean }>(
        `SELECT version, card_number, blocked FROM blocked_changes WHERE version > $1 ORDER BY version LIMIT $2`,
        [since, limit],
      );
      return r.rows.map((x) => ({ version: x.version, cardNumber: x.card_number, blocked: x.blocked }));
    },
    async blockedVersion() {
      return (await db.query<{ v: number }>(`SELECT coalesce(max(version), 0)::bigint AS v FROM blocked_changes`)).rows[0]!.v;
    },
    isBlocked: (cardNumber) => isBlockedOn(db, cardNumber),
    setBlocked(cardNumber, blocked) {
      return db.transaction(async (tx) => {
        // EXCLUSIVE blocks other writers (not readers) until commit: versions commit in order.
        await tx.query(`LOCK TABLE blocked_changes IN EXCLUSIVE MODE`);
        const r = await tx.query<{ version: number }>(
          `INSERT INTO blocked_changes (version, card_number, blocked, at)
           SELECT coalesce(max(version), 0) + 1, $1, $2, $3 FROM blocked_changes RETURNING version`,
          [cardNumber, blocked, now()],
        );
        return r.rows[0]!.version;
      });
    },
    async addCard(cardNumber, kind, replacedBy) {
      await db.query(
        `INSERT INTO cards (card_number, kind, replaced_by) VALUES ($1, $2, $3)
         ON CONFLICT (card_number) DO UPDATE SET kind = excluded.kind, replaced_by = excluded.replaced_by`,
        [cardNumber, kind, replacedBy ?? null],
      );
    },
    async addOrder(order) {
      const o = checkedOrder(order);
      await db.query(
        `INSERT INTO orders (order_id, card_number, kind, announced_on, amount_cents, product) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (order_id) DO NOTHING`,
        [o.orderId, o.cardNumber, o.kind, o.announcedOn, o.kind === 'ns-extra' ? o.amountCents : null, o.kind === 'product' ? JSON.stringify(o.product) : null],
      );
    },
    intake,
    async intakeStatus(kioskId) {
      const s = (await db.query<{ contiguous_seq: number; max_seq: number }>(`SELECT contiguous_seq, max_seq FROM kiosk_state WHERE kiosk_id = $1`, [kioskId])).rows[0] ?? {
        contiguous_seq: 0,
        max_seq: 0,
      };
      return { contiguousSeq: s.contiguous_seq, maxSeq: s.max_seq, gaps: await gapsOf(db, kioskId, s.contiguous_seq, s.max_seq) };
    },
    async journalRecords(kioskId) {
      return (
        await db.query<JournalRow>(
          `SELECT seq, type, operation_id AS "operationId", hash, amount_cents AS "amountCents" FROM journal_records WHERE kiosk_id = $1 ORDER BY seq`,
          [kioskId],
        )
      ).rows;
    },
    async order(orderId) {
      const o = (await db.query<OrderRow>(`SELECT ${ORDER_COLS} FROM orders WHERE order_id = $1`, [orderId])).rows[0];
      return o ? { collected: o.collected_at !== null, collectedOperation: o.collected_operation } : undefined;
    },
    async restoreFixtureOrders() {
      const r = await db.query(
        `UPDATE orders SET collected_at = NULL, collected_kiosk = NULL, collected_operation = NULL WHERE order_id = ANY($1::text[]) AND collected_at IS NOT NULL`,
        [FIXTURE_ORDERS.map((f) => f.orderId)],
      );
      return r.rowCount;
    },
    async journalSize() {
      const parts = (
        await db.query<{ name: string; bytes: number }>(
          `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint AS bytes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'journal_records'::regclass ORDER BY 1`,
        )
      ).rows;
      const n = (await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM journal_records`)).rows[0]!.n;
      return { records: n, bytes: parts.reduce((s, p) => s + p.bytes, 0), partitions: parts.map((p) => p.name) };
    },
    keys: pgKioskKeys(db),
    recon,
    technicians: createTechnicianStore(backend, clock),
    fleet: createFleetStore(
      {
        ...backend,
        async maintenanceActions(limit) {
          const r = await db.query<{ kioskId: string; seq: number; at: string; operationId: string; data: Record<string, unknown> | null }>(
            `SELECT kiosk_id AS "kioskId", seq, at_text AS at, operation_id AS "operationId", data FROM journal_records
             WHERE type = 'maintenance.action' ORDER BY at DESC LIMIT $1`,
            [limit],
          );
          return r.rows.map((x) => ({ ...x, seq: Number(x.seq) }));
        },
      },
      clock,
      options.fleet,
    ),
    close: () => db.close(),
  };

  if (options.seedFixtures ?? true) await seedFixtures(store, today());
  return store;
}

/** Seed the fixtures once per database (several processes may start together: a meta row decides). */
async function seedFixtures(store: PgStore, day: string): Promise<void> {
  const first = await store.db.query(`INSERT INTO meta (key, value) VALUES ('fixtures-seeded', $1) ON CONFLICT (key) DO NOTHING`, [day]);
  if (first.rowCount === 0) return;
  for (const c of FIXTURE_CARD_KINDS) await store.addCard(c.cardNumber, c.kind);
  for (const o of fixtureOrdersOn(day)) await store.addOrder(o);
  for (const n of FIXTURE_BLOCKED) await store.setBlocked(n, true);
}

/**
 * Reconciliation's failure inside the intake's transaction: whatever its cause (a deadlock, a
 * timeout, a lost connection, a bug), the intake is done again without it, on a connection of its
 * own; if the database is gone, that redo fails and the kiosk gets the retryable 503.
 * The message leaves the cause out on purpose: engine.ts's wrap() turns an error whose message
 * reads like a lost connection into a 503, and did so to this one when the cause's text was in
 * it, so a connection lost in reconciliation refused a batch the redo would have stored.
 */
class ReconciliationFailed extends Error {
  override readonly name = 'ReconciliationFailed';
  constructor(cause: unknown) {
    super('reconciliation failed (the intake is done again without it)', { cause });
  }
}

/** Reconciliation's SQL port on PostgreSQL/PGlite, on a connection or a transaction: `?`
 * placeholders numbered $1, $2, … */
function reconPort(q: Queryable): SqlPort {
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await q.query<R>(numbered(sql), params)).rows,
    run: async (sql, params = []) => (await q.query(numbered(sql), params)).rowCount ?? 0,
  };
}

function pgReconBackend(db: Db): ReconBackend {
  return {
    sql: reconPort(db),
    greatest: 'greatest',
    transaction: (fn) => db.transaction((tx) => fn(reconPort(tx))),
    async recordsAfter(sql, kioskId, afterSeq, uptoSeq, limit): Promise<StoredRecord[]> {
      const rows = await sql.all<{ seq: number; type: string; operation_id: string; at_text: string; amount_cents: number | null; card_hash: string | null; card_last4: string | null; data: Record<string, unknown> | null }>(
        `SELECT seq, type, operation_id, at_text, amount_cents, card_hash, card_last4, data FROM journal_records WHERE kiosk_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
        [kioskId, afterSeq, uptoSeq, limit],
      );
      return rows.map((r) => ({ seq: Number(r.seq), type: r.type, operationId: r.operation_id, at: r.at_text, amountCents: r.amount_cents === null ? null : Number(r.amount_cents), cardHash: r.card_hash, cardLast4: r.card_last4, data: r.data }));
    },
  };
}
