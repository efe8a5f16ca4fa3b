/**
 * Enrollment tokens and kiosk keys in the in-process back office's SQLite file (store.ts migration
 * 2; the protocol: kiosk-keys.ts; the same tables as db/migrations/1796057400000_enrollment.sql).
 * better-sqlite3 transactions are synchronous and SQLite has one writer, so each method is atomic:
 * a token is used by `UPDATE … WHERE used_at IS NULL` and a second use finds it used.
 */
import type Database from 'better-sqlite3';
import type { KioskKey, KioskKeyStore, RecordKey } from './kiosk-keys.js';

export const KIOSK_KEYS_SQLITE_MIGRATION = `
  CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT
  ) STRICT;
  CREATE INDEX enrollment_tokens_open ON enrollment_tokens (kiosk_id) WHERE used_at IS NULL AND revoked_at IS NULL;
  CREATE TABLE kiosks (kiosk_id TEXT PRIMARY KEY, last_key_id INTEGER NOT NULL, enrolled_at TEXT NOT NULL, revoked_at TEXT) STRICT;
  CREATE TABLE kiosk_keys (
    kiosk_id TEXT NOT NULL REFERENCES kiosks (kiosk_id),
    key_id INTEGER NOT NULL CHECK (key_id > 0),
    secret TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'pending', 'retired', 'revoked')),
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    ended_at TEXT,
    PRIMARY KEY (kiosk_id, key_id)
  ) STRICT;
  CREATE UNIQUE INDEX kiosk_keys_one_active ON kiosk_keys (kiosk_id) WHERE state = 'active';
  CREATE UNIQUE INDEX kiosk_keys_one_pending ON kiosk_keys (kiosk_id) WHERE state = 'pending';
`;

export function sqliteKioskKeys(db: Database.Database): KioskKeyStore {
  // ISO strings of one format (toISOString) compare correctly as text.
  const liveKiosk = db.prepare<[string], number>(`SELECT 1 FROM kiosks WHERE kiosk_id = ? AND revoked_at IS NULL`).pluck();
  const keyIn = db.prepare<[string, number, string], number>(`SELECT 1 FROM kiosk_keys WHERE kiosk_id = ? AND key_id = ? AND state = ?`).pluck();
  const insertKey = db.prepare(`INSERT INTO kiosk_keys (kiosk_id, key_id, secret, state, created_at, confirmed_at) VALUES (?, ?, ?, ?, ?, ?)`);

  const enrollTx = db.transaction((kioskId: string, tokenHash: string, at: string, makeSecret: (keyId: number) => string): number | undefined => {
    const used = db
      .prepare(`UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND kiosk_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`)
      .run(at, tokenHash, kioskId, at);
    if (used.changes !== 1) return undefined;
    const keyId = db
      .prepare<[{ kioskId: string; at: string }], number>(
        `INSERT INTO kiosks (kiosk_id, last_key_id, enrolled_at) VALUES (@kioskId, 1, @at)
         ON CONFLICT (kiosk_id) DO UPDATE SET last_key_id = last_key_id + 1, enrolled_at = @at, revoked_at = NULL RETURNING last_key_id`,
      )
      .pluck()
      .get({ kioskId, at })!;
    db.prepare(`UPDATE kiosk_keys SET state = 'revoked', ended_at = ? WHERE kiosk_id = ? AND state IN ('active', 'pending')`).run(at, kioskId);
    insertKey.run(kioskId, keyId, makeSecret(keyId), 'active', at, at);
    return keyId;
  });
  const confirmTx = db.transaction((kioskId: string, keyId: number, at: string): boolean => {
    if (!liveKiosk.get(kioskId) || !keyIn.get(kioskId, keyId, 'pending')) return false;
    db.prepare(`UPDATE kiosk_keys SET state = 'retired', ended_at = ? WHERE kiosk_id = ? AND state = 'active'`).run(at, kioskId);
    db.prepare(`UPDATE kiosk_keys SET state = 'active', confirmed_at = ? WHERE kiosk_id = ? AND key_id = ?`).run(at, kioskId, keyId);
    return true;
  });
  const pendingTx = db.transaction((kioskId: string, activeKeyId: number, at: string, makeSecret: (keyId: number) => string): number | undefined => {
    if (!liveKiosk.get(kioskId) || !keyIn.get(kioskId, activeKeyId, 'active')) return undefined;
    db.prepare(`UPDATE kiosk_keys SET state = 'revoked', ended_at = ? WHERE kiosk_id = ? AND state = 'pending'`).run(at, kioskId);
    const keyId = db.prepare<[string], number>(`UPDATE kiosks SET last_key_id = last_key_id + 1 WHERE kiosk_id = ? RETURNING last_key_id`).pluck().get(kioskId)!;
    insertKey.run(kioskId, keyId, makeSecret(keyId), 'pending', at, null);
    return keyId;
  });
  const revokeTx = db.transaction((kioskId: string, at: string) => {
    const keys = db.prepare(`UPDATE kiosk_keys SET state = 'revoked', ended_at = ? WHERE kiosk_id = ? AND state IN ('active', 'pending')`).run(at, kioskId).changes;
    const tokens = db.prepare(`UPDATE enrollment_tokens SET revoked_at = ? WHERE kiosk_id = ? AND used_at IS NULL AND revoked_at IS NULL`).run(at, kioskId).changes;
    db.prepare(`UPDATE kiosks SET revoked_at = ? WHERE kiosk_id = ?`).run(at, kioskId);
    return { keys, tokens };
  });

  return {
    async addEnrollmentToken(kioskId, tokenHash, issuedAt, expiresAt) {
      db.prepare(`INSERT INTO enrollment_tokens (token_hash, kiosk_id, issued_at, expires_at) VALUES (?, ?, ?, ?)`).run(
        tokenHash,
        kioskId,
        issuedAt.toISOString(),
        expiresAt.toISOString(),
      );
    },
    async openEnrollmentTokens(kioskId, now) {
      return db
        .prepare<[string, string], string>(`SELECT token_hash FROM enrollment_tokens WHERE kiosk_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`)
        .pluck()
        .all(kioskId, now.toISOString());
    },
    async enrollWithToken(kioskId, tokenHash, now, makeSecret) {
      return enrollTx(kioskId, tokenHash, now.toISOString(), makeSecret);
    },
    async kioskKeys(kioskId) {
      return db
        .prepare<[string], { keyId: number; secret: string; state: KioskKey['state'] }>(
          `SELECT key_id AS keyId, secret, state FROM kiosk_keys WHERE kiosk_id = ? AND state IN ('active', 'pending') ORDER BY state, key_id`,
        )
        .all(kioskId);
    },
    async recordKeys(kioskId) {
      return db
        .prepare<[string], { keyId: number; secret: string; state: RecordKey['state']; endedAt: string | null }>(
          `SELECT k.key_id AS keyId, k.secret, k.state, k.ended_at AS endedAt FROM kiosk_keys k JOIN kiosks USING (kiosk_id)
           WHERE k.kiosk_id = ? AND kiosks.revoked_at IS NULL AND k.state IN ('active', 'pending', 'retired') ORDER BY k.key_id`,
        )
        .all(kioskId)
        .map((k) => ({ ...k, endedAt: k.endedAt === null ? null : new Date(k.endedAt) }));
    },
    async confirmKey(kioskId, keyId, now) {
      return confirmTx(kioskId, keyId, now.toISOString());
    },
    async addPendingKey(kioskId, activeKeyId, now, makeSecret) {
      return pendingTx(kioskId, activeKeyId, now.toISOString(), makeSecret);
    },
    async revokeKiosk(kioskId, now) {
      return revokeTx(kioskId, now.toISOString());
    },
    async census(now) {
      const kiosks = db.prepare<[], number>(`SELECT count(DISTINCT kiosk_id) FROM kiosk_keys WHERE state = 'active'`).pluck().get()!;
      const tokens = db
        .prepare<[string], number>(`SELECT count(*) FROM enrollment_tokens WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`)
        .pluck()
        .get(now.toISOString())!;
      return { enrolledKiosks: kiosks, openTokens: tokens };
    },
  };
}
