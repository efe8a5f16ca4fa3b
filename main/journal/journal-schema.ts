/**
 * The journal's SQLite schema: migrations keyed on PRAGMA user_version (a database newer than
 * this code is refused rather than guessed at), and the row shape a stored record reads back as.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../contract/record-crypto.js';
import type { JournalRecord } from './journal.js';

const MIGRATIONS: readonly string[] = [
  // 1: records, chain head, operation index, delivery state, append-only triggers
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    amount_cents INTEGER,
    card_hash TEXT,
    card_last4 TEXT,
    data_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    hmac TEXT NOT NULL
  ) STRICT;
  CREATE INDEX records_operation ON records(operation_id, seq);
  CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL) STRICT;
  INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
  CREATE TABLE operations (
    operation_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    finished INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX operations_unfinished ON operations(finished, first_seq);
  CREATE TABLE delivery (
    seq INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('delivered', 'rejected')),
    at TEXT NOT NULL,
    reason TEXT
  ) STRICT;
  CREATE INDEX delivery_state ON delivery(state, at);
  CREATE TRIGGER records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
  CREATE TRIGGER records_no_delete_undelivered BEFORE DELETE ON records
    WHEN NOT EXISTS (SELECT 1 FROM delivery WHERE delivery.seq = OLD.seq AND delivery.state = 'delivered')
    BEGIN SELECT RAISE(ABORT, 'undelivered journal records are never deleted'); END;
  `,
  // 2: key rotation: the key id a record names (NULL: the kiosk's original key, as every record
  // written before this migration). Nullable ADD COLUMN: no row is rewritten.
  `
  ALTER TABLE records ADD COLUMN key_id INTEGER;
  `,
];


export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`journal schema version ${current} is newer than this kiosk software (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export interface RecordRow {
  seq: number;
  at: string;
  type: string;
  operation_id: string;
  amount_cents: number | null;
  card_hash: string | null;
  card_last4: string | null;
  data_json: string | null;
  prev_hash: string;
  hash: string;
  hmac: string;
  key_id: number | null;
}

export function rowToRecord(kioskId: string, r: RecordRow): JournalRecord {
  const rec: JournalRecord = {
    seq: r.seq,
    kioskId,
    at: r.at,
    type: r.type as JournalRecord['type'],
    operationId: r.operation_id,
    prevHash: r.prev_hash,
    hash: r.hash,
    hmac: r.hmac,
  };
  if (r.amount_cents !== null) rec.amountCents = r.amount_cents;
  if (r.card_hash !== null && r.card_last4 !== null) rec.card = { hash: r.card_hash, last4: r.card_last4 };
  if (r.key_id !== null && r.key_id !== undefined) rec.keyId = r.key_id;
  if (r.data_json !== null) rec.data = JSON.parse(r.data_json) as JournalRecord['data'];
  return rec;
}
