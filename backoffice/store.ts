/**
 * The back office's own SQLite database: cards, orders, the blocked-card list (as numbered
 * changes), and the journal records kiosks delivered. Migrations keyed on PRAGMA user_version.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../contract/time.js';
import type { CardKind } from '../contract/card.js';
import { JOURNAL_ENTRY_TYPES, type JournalRecord } from '../contract/journal-record.js';
import { MAX_BALANCE_CENTS } from '../domain/balance.js';
import { DEFAULT_TIME_ZONE, localDate } from '../domain/dates.js';
import { orderRefusalFor } from '../domain/order-rules.js';
import { checkRecord, GENESIS_HASH, idempotencyKey, type SecretKey } from '../contract/record-crypto.js';
import { asIntakeKeys, type IntakeKeys } from './kiosk-keys.js';
import type { IntakeResponseDto, IntakeResultDto, PendingOrder } from '../contract/backoffice-api.js';
import type { CollectOutcome } from './db/store-api.js';
import { checkedOrder, collectedOrderId, namedCard, outOfRange } from './intake-rules.js';
import { createReconciliation, type Reconciliation, type ReconSettings, type SqlPort, type StoredRecord } from './reconciliation.js';
import { FIXTURE_BLOCKED, FIXTURE_CARD_KINDS, FIXTURE_ORDERS, fixtureOrdersOn } from './fixtures.js';
import type { KioskKeyStore } from './kiosk-keys.js';
import { KIOSK_KEYS_SQLITE_MIGRATION, sqliteKioskKeys } from './kiosk-keys-sqlite.js';
import { createTechnicianStore, type TechnicianStore } from './technicians.js';
import { createFleetStore, type FleetSettings, type FleetStore } from './fleet.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE cards (card_number TEXT PRIMARY KEY, kind TEXT NOT NULL, replaced_by TEXT) STRICT;
  CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    card_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    announced_on TEXT NOT NULL,
    amount_cents INTEGER,
    product_json TEXT,
    collected_at TEXT,
    collected_kiosk TEXT,
    collected_operation TEXT
  ) STRICT;
  CREATE INDEX orders_card ON orders(card_number);
  CREATE TABLE blocked_changes (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    card_number TEXT NOT NULL,
    blocked INTEGER NOT NULL,
    at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE intake (
    kiosk_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    type TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    at TEXT NOT NULL,
    amount_cents INTEGER,
    card_hash TEXT,
    card_last4 TEXT,
    data_json TEXT,
    hmac TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE kiosk_state (kiosk_id TEXT PRIMARY KEY, contiguous_seq INTEGER NOT NULL, max_seq INTEGER NOT NULL) STRICT;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  `,
  KIOSK_KEYS_SQLITE_MIGRATION,
  // 3: reconciliation (issue 12): the same tables as the PostgreSQL migration
  // 1796057700000_reconciliation.sql, so backoffice/reconciliation.ts runs one set of queries.
  `ALTER TABLE orders ADD COLUMN credit_ref text;

CREATE TABLE recon_cursor (kiosk_id text PRIMARY KEY, seq INTEGER NOT NULL DEFAULT 0);

CREATE TABLE recon_payments (
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  ref text NOT NULL,
  card_hash text,
  card_last4 text,
  amount_cents INTEGER,
  first_at text NOT NULL,
  approved integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  committed integer NOT NULL DEFAULT 0,
  reversed integer NOT NULL DEFAULT 0,
  reversed_credited integer NOT NULL DEFAULT 0,
  refund_owed integer NOT NULL DEFAULT 0,
  credit_pending integer NOT NULL DEFAULT 0,
  written integer NOT NULL DEFAULT 0,
  write_uncertain integer NOT NULL DEFAULT 0,
  PRIMARY KEY (kiosk_id, operation_id)
);
CREATE INDEX recon_payments_ref ON recon_payments (ref);

CREATE TABLE recon_loads (
  order_id text NOT NULL,
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  card_last4 text,
  amount_cents INTEGER,
  at text NOT NULL,
  PRIMARY KEY (order_id, kiosk_id, operation_id)
);

CREATE TABLE recon_refs_seen (
  kiosk_id text NOT NULL,
  card_hash text NOT NULL,
  ref text NOT NULL,
  first_seen_at text NOT NULL,
  PRIMARY KEY (kiosk_id, card_hash, ref)
);
CREATE INDEX recon_refs_seen_ref ON recon_refs_seen (ref);

CREATE TABLE recon_credits (
  order_id text PRIMARY KEY,
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  card_hash text NOT NULL,
  card_last4 text NOT NULL,
  ref text NOT NULL,
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  created_at text NOT NULL,
  card_number text,
  on_card_at text,
  UNIQUE (kiosk_id, operation_id)
);
CREATE INDEX recon_credits_ref ON recon_credits (ref);
CREATE INDEX recon_credits_unbound ON recon_credits (kiosk_id) WHERE card_number IS NULL AND on_card_at IS NULL;

CREATE TABLE recon_cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind text NOT NULL CHECK (kind IN ('credited-not-paid', 'paid-not-credited', 'refund-owed', 'loaded-twice')),
  subject text NOT NULL,
  kiosk_id text NOT NULL,
  operation_id text,
  order_id text,
  card_last4 text,
  ref text,
  amount_cents INTEGER,
  state text NOT NULL CHECK (state IN ('open', 'settled-by-credit', 'refunded', 'written-off')),
  detail text NOT NULL,
  opened_at text NOT NULL,
  updated_at text NOT NULL,
  UNIQUE (kind, subject)
);
CREATE INDEX recon_cases_state ON recon_cases (state, id);

CREATE TABLE recon_case_events (
  case_id INTEGER NOT NULL REFERENCES recon_cases (id),
  at text NOT NULL,
  actor text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  note text NOT NULL
);
CREATE INDEX recon_case_events_case ON recon_case_events (case_id);
  `,
  // 4: technicians and the fleet view (issue 13): the same tables as the PostgreSQL migration
  // 1796058000000_technicians-fleet.sql, so backoffice/technicians.ts and fleet.ts run one set of queries.
  `
CREATE TABLE technicians (
  technician_id text PRIMARY KEY,
  pin_hash text NOT NULL CHECK (pin_hash LIKE '$argon2id$%'),
  roles text NOT NULL,
  revoked integer NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  version INTEGER NOT NULL,
  updated_at text NOT NULL,
  updated_by text NOT NULL
);
CREATE TABLE technician_list (id integer PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO technician_list (id, version) VALUES (1, 0);
CREATE TABLE technician_events (
  technician_id text NOT NULL,
  at text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL CHECK (action IN ('issued', 'revoked')),
  version INTEGER NOT NULL
);
CREATE INDEX technician_events_technician ON technician_events (technician_id, at);
CREATE TABLE kiosk_heartbeats (
  kiosk_id text PRIMARY KEY,
  received_at text NOT NULL,
  sent_at text NOT NULL,
  out_of_service text NOT NULL,
  pending INTEGER NOT NULL,
  oldest_pending_at text,
  report text NOT NULL
);
CREATE INDEX intake_maintenance ON intake (at) WHERE type = 'maintenance.action';
  `,
  // 5: order loads of unknown outcome (issue 12): the same table as the PostgreSQL migration
  // 1796061000000_recon-uncertain-loads.sql (backoffice/reconciliation.ts).
  `
CREATE TABLE recon_uncertain_loads (
  order_id text NOT NULL,
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  card_hash text NOT NULL,
  ref text NOT NULL,
  at text NOT NULL,
  PRIMARY KEY (order_id, kiosk_id, operation_id)
);
CREATE INDEX recon_uncertain_loads_ref ON recon_uncertain_loads (ref);
  `,
];

export const KNOWN_RECORD_TYPES: ReadonlySet<string> = new Set(JOURNAL_ENTRY_TYPES);

interface OrderRow {
  order_id: string;
  card_number: string;
  kind: string;
  announced_on: string;
  amount_cents: number | null;
  product_json: string | null;
  collected_at: string | null;
  collected_kiosk: string | null;
  collected_operation: string | null;
  credit_ref: string | null;
}

export type { CollectOutcome };

export interface BackOfficeStore {
  pendingOrders(cardNumber: string): PendingOrder[];
  collect(orderId: string, cardNumber: string, kioskId: string, operationId: string): CollectOutcome;
  blockedChanges(since: number, limit: number): { version: number; cardNumber: string; blocked: boolean }[];
  blockedVersion(): number;
  isBlocked(cardNumber: string): boolean;
  setBlocked(cardNumber: string, blocked: boolean): number;
  addCard(cardNumber: string, kind: CardKind, replacedBy?: string): void;
  addOrder(order: PendingOrder & { cardNumber: string }): void;
  /** `keys`: the kiosk's intake keys (kiosk-keys.ts intakeKeysOf), or a bare secret = its original key. */
  intake(kioskId: string, keys: SecretKey | IntakeKeys, records: JournalRecord[]): IntakeResponseDto;
  intakeStatus(kioskId: string): { contiguousSeq: number; maxSeq: number; gaps: { from: number; to: number }[] };
  /** Delivered journal records of a kiosk in seq order (tests, reconciliation). */
  journalRecords(kioskId: string): { seq: number; type: string; operationId: string; hash: string; amountCents: number | null }[];
  order(orderId: string): { collected: boolean; collectedOperation: string | null } | undefined;
  /** Testers: every fixture order pending again (a tester reset restores the fixture cards too). */
  restoreFixtureOrders(): number;
  /** Enrollment tokens and enrolled kiosks' keys (kiosk-keys.ts). */
  readonly keys: KioskKeyStore;
  /** Reconciliation (issue 12) over this database; async like the PostgreSQL store's. */
  recon: Reconciliation;
  /** Technicians (issue 13, technicians.ts); async like the PostgreSQL store's. */
  technicians: TechnicianStore;
  /** Heartbeats and the fleet view (issue 13, fleet.ts). */
  fleet: FleetStore;
  close(): void;
}

export interface StoreReconOptions extends ReconSettings {
  /** A kiosk's secret (to match the keyed card hashes its journal names), or undefined. */
  secretOf: (kioskId: string) => SecretKey | undefined;
  /** The fleet view's thresholds (fleet.ts). */
  fleet?: FleetSettings;
}


/** `timeZone`: where "today" is for the order rules (NS Extra's last day). */
export function openStore(path: string, clock: Clock, timeZone: string = DEFAULT_TIME_ZONE, recon?: StoreReconOptions): BackOfficeStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new Error(`back-office schema version ${version} is newer than this software`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  const now = () => clock.now().toISOString();
  const today = () => localDate(clock.now(), timeZone);

  const q = {
    card: db.prepare<[string], { kind: string; replaced_by: string | null }>(`SELECT kind, replaced_by FROM cards WHERE card_number = ?`),
    replacedCards: db.prepare<[string], string>(`SELECT card_number FROM cards WHERE replaced_by = ?`).pluck(),
    ordersFor: db.prepare<[string], OrderRow>(`SELECT * FROM orders WHERE card_number = ? AND collected_at IS NULL ORDER BY announced_on, order_id`),
    order: db.prepare<[string], OrderRow>(`SELECT * FROM orders WHERE order_id = ?`),
    uncollect: db.prepare(`UPDATE orders SET collected_at = NULL, collected_kiosk = NULL, collected_operation = NULL WHERE order_id = ?`),
    markCollected: db.prepare(
      `UPDATE orders SET collected_at = ?, collected_kiosk = ?, collected_operation = ? WHERE order_id = ? AND collected_at IS NULL`,
    ),
    blockedState: db.prepare<[string], number>(
      `SELECT blocked FROM blocked_changes WHERE card_number = ? ORDER BY version DESC LIMIT 1`,
    ).pluck(),
    addBlocked: db.prepare(`INSERT INTO blocked_changes (card_number, blocked, at) VALUES (?, ?, ?)`),
    blockedSince: db.prepare<[number, number], { version: number; card_number: string; blocked: number }>(
      `SELECT version, card_number, blocked FROM blocked_changes WHERE version > ? ORDER BY version LIMIT ?`,
    ),
    blockedVersion: db.prepare<[], number>(`SELECT coalesce(max(version), 0) FROM blocked_changes`).pluck(),
    addCard: db.prepare(`INSERT INTO cards (card_number, kind, replaced_by) VALUES (?, ?, ?) ON CONFLICT(card_number) DO UPDATE SET kind = excluded.kind, replaced_by = excluded.replaced_by`),
    addOrder: db.prepare(
      `INSERT OR IGNORE INTO orders (order_id, card_number, kind, announced_on, amount_cents, product_json) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    intakeGet: db.prepare<[string, number], { hash: string; prev_hash: string }>(`SELECT hash, prev_hash FROM intake WHERE kiosk_id = ? AND seq = ?`),
    intakeInsert: db.prepare(
      `INSERT INTO intake (kiosk_id, seq, hash, prev_hash, type, operation_id, at, amount_cents, card_hash, card_last4, data_json, hmac, received_at)
       VALUES (@kiosk_id, @seq, @hash, @prev_hash, @type, @operation_id, @at, @amount_cents, @card_hash, @card_last4, @data_json, @hmac, @received_at)`,
    ),
    kioskState: db.prepare<[string], { contiguous_seq: number; max_seq: number }>(`SELECT contiguous_seq, max_seq FROM kiosk_state WHERE kiosk_id = ?`),
    setKioskState: db.prepare(
      `INSERT INTO kiosk_state (kiosk_id, contiguous_seq, max_seq) VALUES (?, ?, ?)
       ON CONFLICT(kiosk_id) DO UPDATE SET contiguous_seq = excluded.contiguous_seq, max_seq = excluded.max_seq`,
    ),
    intakeExists: db.prepare<[string, number], number>(`SELECT 1 FROM intake WHERE kiosk_id = ? AND seq = ?`).pluck(),
    intakeAbove: db.prepare<[string, number, number], number>(`SELECT seq FROM intake WHERE kiosk_id = ? AND seq > ? ORDER BY seq LIMIT ?`).pluck(),
    journalRecords: db.prepare<[string], { seq: number; type: string; operationId: string; hash: string; amountCents: number | null }>(
      `SELECT seq, type, operation_id AS operationId, hash, amount_cents AS amountCents FROM intake WHERE kiosk_id = ? ORDER BY seq`,
    ),
    getMeta: db.prepare<[string], string>(`SELECT value FROM meta WHERE key = ?`).pluck(),
    setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
  };

  function toDto(r: OrderRow): PendingOrder {
    const base = { orderId: r.order_id, announcedOn: r.announced_on };
    if (r.kind === 'ns-extra') return { ...base, kind: 'ns-extra', amountCents: r.amount_cents ?? 0, ...(r.credit_ref !== null ? { creditRef: r.credit_ref } : {}) };
    if (r.kind === 'product') return { ...base, kind: 'product', product: JSON.parse(r.product_json ?? '{}') as never };
    return { ...base, kind: 'kaartservicecode' };
  }

  function cardKind(cardNumber: string): CardKind | undefined {
    return q.card.get(cardNumber)?.kind as CardKind | undefined;
  }

  function isBlocked(cardNumber: string): boolean {
    return q.blockedState.get(cardNumber) === 1;
  }

  /** Orders of this card plus the NS Extra of the cards it replaced (domain: NS Extra follows the card). */
  function candidateOrders(cardNumber: string): OrderRow[] {
    const own = q.ordersFor.all(cardNumber);
    const inherited = q.replacedCards.all(cardNumber).flatMap((old) => q.ordersFor.all(old).filter((o) => o.kind === 'ns-extra'));
    return [...own, ...inherited];
  }

  function refusal(o: OrderRow, cardNumber: string) {
    const kind = cardKind(cardNumber);
    // An unknown card may hold only what needs no person: treat it as anonymous.
    // The same rules as the kiosk (domain/order-rules.ts), with what the back office knows of the
    // card: its kind (not its balance or products; the kiosk checks those on the card itself).
    return orderRefusalFor(toDto(o), { kind: kind ?? 'anonymous' }, today(), { maxBalanceCents: MAX_BALANCE_CENTS, exclusiveProductGroups: [] });
  }

  function intakeGaps(kioskId: string, contiguous: number, maxSeq: number) {
    const gaps: { from: number; to: number }[] = [];
    if (maxSeq <= contiguous) return gaps;
    let prev = contiguous;
    for (const seq of q.intakeAbove.iterate(kioskId, contiguous, 1_000_000)) {
      if (seq > prev + 1) {
        gaps.push({ from: prev + 1, to: seq - 1 });
        if (gaps.length >= 100) break;
      }
      prev = seq;
    }
    return gaps;
  }

  const intakeTx = db.transaction((kioskId: string, secretOrKeys: SecretKey | IntakeKeys, records: JournalRecord[]): IntakeResponseDto => {
    const keys = asIntakeKeys(secretOrKeys);
    const receivedAt = now();
    const results: IntakeResultDto[] = [];
    const state = q.kioskState.get(kioskId) ?? { contiguous_seq: 0, max_seq: 0 };
    for (const r of records) {
      const base = { seq: r.seq, key: idempotencyKey(r) };
      const reject = (reason: NonNullable<IntakeResultDto['reason']>) => results.push({ ...base, status: 'rejected', reason });
      if (r.kioskId !== kioskId) { reject('wrong-kiosk'); continue; }
      if (!KNOWN_RECORD_TYPES.has(r.type)) { reject('unknown-type'); continue; }
      // Each record under the key it names (key rotation: kiosk-keys.ts intakeKeysOf).
      const recordKey = keys.record(r);
      if (recordKey === undefined) { reject('unknown-key'); continue; }
      const check = checkRecord(r, recordKey);
      if (!check.ok) { reject(check.reason); continue; }
      const existing = q.intakeGet.get(kioskId, r.seq);
      if (existing) {
        if (existing.hash === r.hash) results.push({ ...base, status: 'duplicate' });
        else reject('conflict');
        continue;
      }
      if (outOfRange(r, state.contiguous_seq)) { reject('out-of-range'); continue; }
      if (r.seq === 1 && r.prevHash !== GENESIS_HASH) { reject('chain-broken'); continue; }
      const before = r.seq > 1 ? q.intakeGet.get(kioskId, r.seq - 1) : undefined;
      if (before && before.hash !== r.prevHash) { reject('chain-broken'); continue; }
      const after = q.intakeGet.get(kioskId, r.seq + 1);
      if (after && after.prev_hash !== r.hash) { reject('chain-broken'); continue; }
      q.intakeInsert.run({
        kiosk_id: kioskId,
        seq: r.seq,
        hash: r.hash,
        prev_hash: r.prevHash,
        type: r.type,
        operation_id: r.operationId,
        at: r.at,
        amount_cents: r.amountCents ?? null,
        card_hash: r.card?.hash ?? null,
        card_last4: r.card?.last4 ?? null,
        data_json: r.data === undefined ? null : JSON.stringify(r.data),
        hmac: r.hmac,
        received_at: receivedAt,
      });
      // A kiosk that loaded an order onto a card but could not confirm it online (offline, crash)
      // confirms it through its journal: the order is collected by that operation.
      // Only for the order's own card (or, for NS Extra, the card that replaced it), and only when
      // the rules let that card load it (intake-rules.ts).
      const orderId = collectedOrderId(r);
      const o = orderId !== undefined ? q.order.get(orderId) : undefined;
      if (o) {
        const replacement = o.kind === 'ns-extra' ? q.card.get(o.card_number)?.replaced_by : undefined;
        const loader = namedCard(r, replacement ? [o.card_number, replacement] : [o.card_number], keys.card);
        if (loader && !refusal(o, loader)) q.markCollected.run(r.at, kioskId, r.operationId, o.order_id);
      }
      if (r.seq > state.max_seq) state.max_seq = r.seq;
      results.push({ ...base, status: 'accepted' });
    }
    while (q.intakeExists.get(kioskId, state.contiguous_seq + 1)) state.contiguous_seq++;
    q.setKioskState.run(kioskId, state.contiguous_seq, state.max_seq);
    return { results, contiguousSeq: state.contiguous_seq, gaps: intakeGaps(kioskId, state.contiguous_seq, state.max_seq) };
  });

  // One SQL port (and one transaction chain) for reconciliation, technicians and the fleet view.
  const backend = sqliteReconBackend(db);
  const store: BackOfficeStore = {
    // Every order still waiting for this card (and the NS Extra of the cards it replaced), also
    // those it may not load: the kiosk tells the traveller why (e.g. NS Extra past its year, with
    // the last day; NS Extra on an anonymous card). Collecting still refuses what is not loadable.
    pendingOrders(cardNumber) {
      if (isBlocked(cardNumber)) return [];
      return candidateOrders(cardNumber).map(toDto);
    },
    collect(orderId, cardNumber, kioskId, operationId) {
      return db.transaction((): CollectOutcome => {
        const o = q.order.get(orderId);
        if (!o) return { ok: false, error: 'unknown-order', message: `no order ${orderId}` };
        const allowedCards = new Set([cardNumber, ...q.replacedCards.all(cardNumber)]);
        if (!allowedCards.has(o.card_number) || (o.card_number !== cardNumber && o.kind !== 'ns-extra')) {
          return { ok: false, error: 'wrong-card', message: `order ${orderId} is not for this card` };
        }
        if (o.collected_at !== null) {
          if (o.collected_operation === operationId) return { ok: true, alreadyCollected: true };
          return { ok: false, error: 'already-collected', message: `order ${orderId} was collected by another operation` };
        }
        if (isBlocked(cardNumber)) return { ok: false, error: 'card-blocked', message: 'this card is blocked' };
        const why = refusal(o, cardNumber);
        if (why) return { ok: false, error: 'not-loadable', message: `order ${orderId} cannot be loaded on this card: ${why.reason}` };
        q.markCollected.run(now(), kioskId, operationId, orderId);
        return { ok: true, alreadyCollected: false };
      }).immediate();
    },
    blockedChanges(since, limit) {
      return q.blockedSince.all(since, limit).map((r) => ({ version: r.version, cardNumber: r.card_number, blocked: r.blocked === 1 }));
    },
    blockedVersion: () => q.blockedVersion.get()!,
    isBlocked,
    setBlocked(cardNumber, blocked) {
      return Number(q.addBlocked.run(cardNumber, blocked ? 1 : 0, now()).lastInsertRowid);
    },
    addCard(cardNumber, kind, replacedBy) {
      q.addCard.run(cardNumber, kind, replacedBy ?? null);
    },
    addOrder(order) {
      const o = checkedOrder(order);
      q.addOrder.run(
        o.orderId,
        o.cardNumber,
        o.kind,
        o.announcedOn,
        o.kind === 'ns-extra' ? o.amountCents : null,
        o.kind === 'product' ? JSON.stringify(o.product) : null,
      );
    },
    intake: (kioskId, keys, records) => intakeTx.immediate(kioskId, keys, records),
    intakeStatus(kioskId) {
      const s = q.kioskState.get(kioskId) ?? { contiguous_seq: 0, max_seq: 0 };
      return { contiguousSeq: s.contiguous_seq, maxSeq: s.max_seq, gaps: intakeGaps(kioskId, s.contiguous_seq, s.max_seq) };
    },
    journalRecords: (kioskId) => q.journalRecords.all(kioskId),
    order(orderId) {
      const o = q.order.get(orderId);
      return o ? { collected: o.collected_at !== null, collectedOperation: o.collected_operation } : undefined;
    },
    restoreFixtureOrders() {
      return db.transaction(() => FIXTURE_ORDERS.reduce((n, f) => n + q.uncollect.run(f.orderId).changes, 0))();
    },
    keys: sqliteKioskKeys(db),
    recon: createReconciliation(backend, clock, recon?.secretOf ?? (() => undefined), { timeZone, ...recon }),
    technicians: createTechnicianStore(backend, clock),
    fleet: createFleetStore(
      {
        ...backend,
        async maintenanceActions(limit) {
          const rows = db
            .prepare<[number], { kioskId: string; seq: number; at: string; operationId: string; data_json: string | null }>(
              `SELECT kiosk_id AS kioskId, seq, at, operation_id AS operationId, data_json FROM intake WHERE type = 'maintenance.action' ORDER BY at DESC LIMIT ?`,
            )
            .all(limit);
          return rows.map((r) => ({ kioskId: r.kioskId, seq: r.seq, at: r.at, operationId: r.operationId, data: r.data_json === null ? null : (JSON.parse(r.data_json) as Record<string, unknown>) }));
        },
      },
      clock,
      recon?.fleet,
    ),
    close: () => db.close(),
  };

  // Seed the fixtures once per database.
  if (q.getMeta.get('fixtures-seeded') === undefined) {
    db.transaction(() => {
      const day = today();
      for (const c of FIXTURE_CARD_KINDS) store.addCard(c.cardNumber, c.kind);
      for (const o of fixtureOrdersOn(day)) store.addOrder(o);
      for (const n of FIXTURE_BLOCKED) store.setBlocked(n, true);
      q.setMeta.run('fixtures-seeded', now());
    })();
  }
  return store;
}

/**
 * Reconciliation's SQL port on this SQLite file. better-sqlite3 is synchronous, so every call
 * completes before its promise is even returned; a transaction is BEGIN IMMEDIATE … COMMIT around
 * the callback, one at a time (a promise chain), because db.transaction() cannot wrap async code.
 */
function sqliteReconBackend(db: Database.Database) {
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const port: SqlPort = {
    all: async <R>(sql: string, params: readonly unknown[] = []) => stmt(sql).all(...params) as R[],
    run: async (sql, params = []) => (stmt(sql).reader ? stmt(sql).all(...params).length : stmt(sql).run(...params).changes),
  };
  let chain: Promise<unknown> = Promise.resolve();
  return {
    sql: port,
    greatest: 'max',
    transaction<T>(fn: (sql: SqlPort) => Promise<T>): Promise<T> {
      const run = async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const r = await fn(port);
          db.exec('COMMIT');
          return r;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      };
      const p = chain.then(run, run);
      chain = p.catch(() => undefined);
      return p;
    },
    async recordsAfter(sql: SqlPort, kioskId: string, afterSeq: number, uptoSeq: number, limit: number): Promise<StoredRecord[]> {
      const rows = await sql.all<{ seq: number; type: string; operation_id: string; at: string; amount_cents: number | null; card_hash: string | null; card_last4: string | null; data_json: string | null }>(
        `SELECT seq, type, operation_id, at, amount_cents, card_hash, card_last4, data_json FROM intake WHERE kiosk_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
        [kioskId, afterSeq, uptoSeq, limit],
      );
      return rows.map((r) => ({
        seq: r.seq,
        type: r.type,
        operationId: r.operation_id,
        at: r.at,
        amountCents: r.amount_cents,
        cardHash: r.card_hash,
        cardLast4: r.card_last4,
        data: r.data_json === null ? null : (JSON.parse(r.data_json) as Record<string, unknown>),
      }));
    },
  };
}
