/**
 * The transaction journal on better-sqlite3.
 *
 * Durability: WAL with synchronous=FULL, so `append` returns only after the WAL is fsynced; a power
 * cut after `append` returned never loses the record. One append = one transaction that writes the
 * record, the chain head and the operation index together.
 *
 * Integrity: per-kiosk seq from 1 without gaps (taken from the chain head inside the transaction),
 * each record carries the hash of the one before it and an HMAC under the kiosk key
 * (contract/record-crypto.ts). Triggers make the table append-only: UPDATE is refused, and DELETE
 * is refused for any record not yet delivered to the back office (the uploader's purge is the
 * only deleter).
 *
 * Schema changes are migrations keyed on PRAGMA user_version (journal-schema.ts); a database newer
 * than this code is refused rather than guessed at. Entries pass entry-validation.ts first.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../../contract/time.js';
import {
  JOURNAL_ENTRY_TYPES,
  JournalError,
  type Journal,
  type JournalEntryInput,
  type JournalEntryType,
  type JournalRecord,
  type RejectedRecord,
  type UploadQueue,
} from './journal.js';
import { isFinal, operationKind } from './operation-rules.js';
import { checkRecordKeyed, GENESIS_HASH, sealRecord, type RecordKeys, type SecretKey } from '../../contract/record-crypto.js';
import { validateEntry } from './entry-validation.js';
import { migrate, type RecordRow, rowToRecord } from './journal-schema.js';

export { cardRef } from '../../contract/record-crypto.js';

export interface OpenJournalOptions {
  /** File path, or ':memory:' (tests). */
  path: string;
  kioskId: string;
  /** The kiosk secret (>= 16 bytes): signs records and keys card hashes. */
  hmacKey: SecretKey;
  /**
   * Key rotation: seal each new record under `recordKeys.current()` (its key id recorded in the
   * record) and verify each stored record under the key it names. Without it every record is
   * sealed and verified under `hmacKey`, with no key id (the kiosk's original key).
   */
  recordKeys?: RecordKeys;
  clock: Clock;
  /**
   * Called after each append is durable (committed), before `append` returns. For crash tests:
   * SIGKILL the process here to stop exactly after a given record (see testing/crash-points.ts).
   */
  afterAppend?: (record: JournalRecord) => void;
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  /** First bad record, if any. */
  firstBad?: { seq: number; reason: 'hash-mismatch' | 'bad-hmac' | 'unknown-key' | 'chain-broken' | 'gap' };
}

export interface SqliteJournal extends Journal, UploadQueue {
  readonly kioskId: string;
  /** Recompute every stored record's hash, HMAC and chain link (diagnostics, start-up check). */
  verifyChain(): ChainCheck;
  /** Key rotation: the key ids stored records name (null: the original key). A key still named here is never dropped. */
  keyIdsInUse(): (number | null)[];
  /** Records with seq > afterSeq, ascending (technician view, tests). */
  records(afterSeq?: number, limit?: number): JournalRecord[];
  /** The newest records of the given types, newest first (technician view: e.g. 'payment.refund-owed'). */
  recordsOfType(types: readonly JournalEntryType[], limit?: number): JournalRecord[];
}

export function openJournal(options: OpenJournalOptions): SqliteJournal {
  const { kioskId, hmacKey, clock } = options;
  const recordKeys: RecordKeys = options.recordKeys ?? {
    current: () => ({ keyId: undefined, secret: hmacKey }),
    lookup: (keyId) => (keyId === undefined ? hmacKey : undefined),
  };
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(kioskId)) throw new TypeError(`invalid kiosk id '${kioskId}'`);
  sealRecord({ kioskId, seq: 0, at: '', type: 'kiosk.note', operationId: 'x', prevHash: GENESIS_HASH }, hmacKey); // key check

  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    const stored = db.prepare(`SELECT value FROM meta WHERE key = 'kiosk_id'`).pluck().get() as string | undefined;
    if (stored === undefined) db.prepare(`INSERT INTO meta (key, value) VALUES ('kiosk_id', ?)`).run(kioskId);
    else if (stored !== kioskId) throw new Error(`journal ${options.path} belongs to kiosk '${stored}', not '${kioskId}'`);
  } catch (e) {
    db.close();
    throw e;
  }

  const q = {
    head: db.prepare<[], { seq: number; hash: string }>(`SELECT seq, hash FROM chain_head WHERE id = 1`),
    setHead: db.prepare(`UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1`),
    insert: db.prepare(
      `INSERT INTO records (seq, at, type, operation_id, amount_cents, card_hash, card_last4, data_json, prev_hash, hash, hmac, key_id)
       VALUES (@seq, @at, @type, @operation_id, @amount_cents, @card_hash, @card_last4, @data_json, @prev_hash, @hash, @hmac, @key_id)`,
    ),
    op: db.prepare<[string], { kind: string; finished: number }>(`SELECT kind, finished FROM operations WHERE operation_id = ?`),
    insertOp: db.prepare(`INSERT INTO operations (operation_id, kind, first_seq, last_seq, finished) VALUES (?, ?, ?, ?, ?)`),
    updateOp: db.prepare(`UPDATE operations SET last_seq = ?, finished = ? WHERE operation_id = ?`),
    opRecords: db.prepare<[string], RecordRow>(`SELECT * FROM records WHERE operation_id = ? ORDER BY seq`),
    unfinished: db.prepare<[], { operation_id: string }>(
      `SELECT operation_id FROM operations WHERE finished = 0 ORDER BY first_seq`,
    ),
    undelivered: db.prepare<[number, number], RecordRow>(
      `SELECT r.* FROM records r WHERE r.seq > ? AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.seq = r.seq) ORDER BY r.seq LIMIT ?`,
    ),
    after: db.prepare<[number, number], RecordRow>(`SELECT * FROM records WHERE seq > ? ORDER BY seq LIMIT ?`),
    markDelivered: db.prepare(`INSERT INTO delivery (seq, state, at) VALUES (?, 'delivered', ?) ON CONFLICT(seq) DO NOTHING`),
    exists: db.prepare<[number], number>(`SELECT 1 FROM records WHERE seq = ?`).pluck(),
    markRejected: db.prepare(
      `INSERT INTO delivery (seq, state, at, reason) VALUES (?, 'rejected', ?, ?)
       ON CONFLICT(seq) DO UPDATE SET state = 'rejected', at = excluded.at, reason = excluded.reason WHERE delivery.state = 'rejected'`,
    ),
    rejected: db.prepare<[], RecordRow & { d_at: string; d_reason: string | null }>(
      `SELECT r.*, d.at AS d_at, d.reason AS d_reason FROM records r JOIN delivery d ON d.seq = r.seq
       WHERE d.state = 'rejected' ORDER BY r.seq`,
    ),
    requeue: db.prepare(`DELETE FROM delivery WHERE seq = ? AND state = 'rejected'`),
    purgeCandidates: db.prepare<[string], { seq: number; operation_id: string }>(
      `SELECT r.seq, r.operation_id FROM records r JOIN delivery d ON d.seq = r.seq
       WHERE d.state = 'delivered' AND d.at < ? ORDER BY r.seq`,
    ),
    deleteRecord: db.prepare(`DELETE FROM records WHERE seq = ?`),
    deleteDelivery: db.prepare(`DELETE FROM delivery WHERE seq = ?`),
    deleteOp: db.prepare(`DELETE FROM operations WHERE operation_id = ? AND NOT EXISTS (SELECT 1 FROM records WHERE operation_id = ?)`),
    counts: db.prepare<[], { total: number; delivered: number; rejected: number }>(
      `SELECT (SELECT count(*) FROM records) AS total,
              (SELECT count(*) FROM delivery WHERE state = 'delivered') AS delivered,
              (SELECT count(*) FROM delivery WHERE state = 'rejected') AS rejected`,
    ),
  };

  let closed = false;
  /** Every record at or below this seq is delivered or rejected (a hint that keeps the upload
   * query from rescanning a long delivered history; only this process writes delivery state). */
  let settledUpTo = 0;
  const now = () => clock.now().toISOString();

  const appendTx = db.transaction((entry: JournalEntryInput): JournalRecord => {
    const head = q.head.get()!;
    const op = q.op.get(entry.operationId);
    let kind: string;
    if (op === undefined) {
      const k = operationKind(entry.type);
      if (k === undefined) {
        throw new JournalError(
          'not-an-intent',
          `operation ${entry.operationId} must open with an intent (payment.intent, order.collect-intent, card.write-intent) or be a kiosk.note, not ${entry.type}`,
        );
      }
      kind = k;
    } else {
      if (op.finished) throw new JournalError('operation-finished', `operation ${entry.operationId} is already finished`);
      kind = op.kind;
    }
    const unsigned = {
      seq: head.seq + 1,
      kioskId,
      at: now(),
      type: entry.type,
      operationId: entry.operationId,
      ...(entry.amountCents !== undefined ? { amountCents: entry.amountCents } : {}),
      ...(entry.card !== undefined ? { card: { hash: entry.card.hash, last4: entry.card.last4 } } : {}),
      ...(entry.data !== undefined ? { data: { ...entry.data } } : {}),
      prevHash: head.hash,
    };
    const key = recordKeys.current();
    const rec = sealRecord(key.keyId === undefined ? unsigned : { ...unsigned, keyId: key.keyId }, key.secret);
    q.insert.run({
      seq: rec.seq,
      at: rec.at,
      type: rec.type,
      operation_id: rec.operationId,
      amount_cents: rec.amountCents ?? null,
      card_hash: rec.card?.hash ?? null,
      card_last4: rec.card?.last4 ?? null,
      data_json: rec.data === undefined ? null : JSON.stringify(rec.data),
      prev_hash: rec.prevHash,
      hash: rec.hash,
      hmac: rec.hmac,
      key_id: rec.keyId ?? null,
    });
    q.setHead.run(rec.seq, rec.hash);
    const finished = isFinal(kind as Parameters<typeof isFinal>[0], rec) ? 1 : 0;
    if (op === undefined) q.insertOp.run(rec.operationId, kind, rec.seq, rec.seq, finished);
    else q.updateOp.run(rec.seq, finished, rec.operationId);
    return rec;
  });

  function assertOpen(): void {
    if (closed) throw new JournalError('closed', 'the journal is closed');
  }

  const journal: SqliteJournal = {
    kioskId,
    append(entry) {
      assertOpen();
      const rec = appendTx.immediate(validateEntry(entry));
      options.afterAppend?.(rec);
      return rec;
    },
    operation(operationId) {
      assertOpen();
      return q.opRecords.all(operationId).map((r) => rowToRecord(kioskId, r));
    },
    unfinishedOperations() {
      assertOpen();
      return db.transaction(() =>
        q.unfinished.all().map(({ operation_id }) => ({
          operationId: operation_id,
          records: q.opRecords.all(operation_id).map((r) => rowToRecord(kioskId, r)),
        })),
      )();
    },
    recordsOfType(types, limit = 100) {
      assertOpen();
      if (types.length === 0) return [];
      const rows = db
        .prepare<unknown[], RecordRow>(`SELECT * FROM records WHERE type IN (${types.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT ?`)
        .all(...types, limit);
      return rows.map((r) => rowToRecord(kioskId, r));
    },
    records(afterSeq = 0, limit = 1000) {
      assertOpen();
      return q.after.all(afterSeq, limit).map((r) => rowToRecord(kioskId, r));
    },
    undelivered(limit) {
      assertOpen();
      const rows = q.undelivered.all(settledUpTo, limit);
      settledUpTo = rows.length > 0 ? rows[0]!.seq - 1 : q.head.get()!.seq;
      return rows.map((r) => rowToRecord(kioskId, r));
    },
    markDelivered(seqs) {
      assertOpen();
      const at = now();
      db.transaction(() => {
        for (const seq of seqs) if (q.exists.get(seq)) q.markDelivered.run(seq, at);
      }).immediate();
    },
    markRejected(seq, reason) {
      assertOpen();
      if (!q.exists.get(seq)) return;
      q.markRejected.run(seq, now(), reason.slice(0, 500));
    },
    rejected(): RejectedRecord[] {
      assertOpen();
      return q.rejected.all().map((r) => ({ record: rowToRecord(kioskId, r), reason: r.d_reason ?? '', rejectedAt: r.d_at }));
    },
    requeue(seq) {
      assertOpen();
      if (q.requeue.run(seq).changes > 0) settledUpTo = Math.min(settledUpTo, seq - 1);
    },
    purgeDelivered(deliveredBefore) {
      assertOpen();
      return db.transaction(() => {
        const unfinished = new Set(q.unfinished.all().map((r) => r.operation_id));
        let n = 0;
        const ops = new Set<string>();
        for (const c of q.purgeCandidates.all(deliveredBefore.toISOString())) {
          if (unfinished.has(c.operation_id)) continue;
          q.deleteRecord.run(c.seq);
          q.deleteDelivery.run(c.seq);
          ops.add(c.operation_id);
          n++;
        }
        for (const o of ops) q.deleteOp.run(o, o);
        return n;
      }).immediate();
    },
    counts() {
      assertOpen();
      const c = q.counts.get()!;
      return {
        pending: c.total - c.delivered - c.rejected,
        delivered: c.delivered,
        rejected: c.rejected,
        lastSeq: q.head.get()!.seq,
      };
    },
    keyIdsInUse() {
      assertOpen();
      return db.prepare<[], number | null>(`SELECT DISTINCT key_id FROM records`).pluck().all();
    },
    verifyChain() {
      assertOpen();
      let prev: JournalRecord | undefined;
      let checked = 0;
      for (const row of q.after.iterate(0, Number.MAX_SAFE_INTEGER)) {
        const rec = rowToRecord(kioskId, row);
        // Each record under the key it names (a rotated kiosk's journal holds records of several keys).
        const c = checkRecordKeyed(rec, recordKeys.lookup);
        if (!c.ok) return { ok: false, checked, firstBad: { seq: rec.seq, reason: c.reason } };
        if (prev !== undefined) {
          if (rec.seq !== prev.seq + 1) return { ok: false, checked, firstBad: { seq: rec.seq, reason: 'gap' } };
          if (rec.prevHash !== prev.hash) return { ok: false, checked, firstBad: { seq: rec.seq, reason: 'chain-broken' } };
        } else if (rec.seq === 1 && rec.prevHash !== GENESIS_HASH) {
          return { ok: false, checked, firstBad: { seq: 1, reason: 'chain-broken' } };
        }
        prev = rec;
        checked++;
      }
      const head = q.head.get()!;
      if (prev !== undefined && (prev.seq !== head.seq || prev.hash !== head.hash)) {
        return { ok: false, checked, firstBad: { seq: prev.seq, reason: 'chain-broken' } };
      }
      return { ok: true, checked };
    },
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  return journal;
}
