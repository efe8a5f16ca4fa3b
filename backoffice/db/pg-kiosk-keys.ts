/**
 * Enrollment tokens and kiosk keys on PostgreSQL/PGlite (schema: migrations/1796057400000_enrollment.sql;
 * the protocol: ../kiosk-keys.ts). Every method is one transaction. A token is used by
 * `UPDATE … WHERE used_at IS NULL … RETURNING`: two concurrent uses serialise on the row and the
 * second finds it used (READ COMMITTED re-checks the WHERE after the first commits). Key changes of
 * one kiosk serialise on its `kiosks` row (FOR UPDATE / the upsert's row lock).
 */
import type { KioskKey, KioskKeyStore, RecordKey } from '../kiosk-keys.js';
import type { Db, Queryable } from './engine.js';

export function pgKioskKeys(db: Db): KioskKeyStore {
  async function lockKiosk(tx: Queryable, kioskId: string): Promise<boolean> {
    const r = await tx.query(`SELECT 1 FROM kiosks WHERE kiosk_id = $1 AND revoked_at IS NULL FOR UPDATE`, [kioskId]);
    return r.rowCount > 0;
  }
  return {
    async addEnrollmentToken(kioskId, tokenHash, issuedAt, expiresAt) {
      await db.query(`INSERT INTO enrollment_tokens (token_hash, kiosk_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)`, [
        tokenHash,
        kioskId,
        issuedAt.toISOString(),
        expiresAt.toISOString(),
      ]);
    },
    async openEnrollmentTokens(kioskId, now) {
      const r = await db.query<{ token_hash: string }>(
        `SELECT token_hash FROM enrollment_tokens WHERE kiosk_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2`,
        [kioskId, now.toISOString()],
      );
      return r.rows.map((x) => x.token_hash);
    },
    enrollWithToken(kioskId, tokenHash, now, makeSecret) {
      const at = now.toISOString();
      return db.transaction(async (tx) => {
        const used = await tx.query(
          `UPDATE enrollment_tokens SET used_at = $3
           WHERE token_hash = $1 AND kiosk_id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3 RETURNING 1`,
          [tokenHash, kioskId, at],
        );
        if (used.rowCount !== 1) return undefined;
        const k = await tx.query<{ last_key_id: number }>(
          `INSERT INTO kiosks (kiosk_id, last_key_id, enrolled_at) VALUES ($1, 1, $2)
           ON CONFLICT (kiosk_id) DO UPDATE SET last_key_id = kiosks.last_key_id + 1, enrolled_at = $2, revoked_at = NULL
           RETURNING last_key_id`,
          [kioskId, at],
        );
        const keyId = Number(k.rows[0]!.last_key_id);
        // A new enrollment replaces whatever keys the kiosk had (a kiosk that lost its disk).
        await tx.query(`UPDATE kiosk_keys SET state = 'revoked', ended_at = $2 WHERE kiosk_id = $1 AND state IN ('active', 'pending')`, [kioskId, at]);
        await tx.query(`INSERT INTO kiosk_keys (kiosk_id, key_id, secret, state, created_at, confirmed_at) VALUES ($1, $2, $3, 'active', $4, $4)`, [
          kioskId,
          keyId,
          makeSecret(keyId),
          at,
        ]);
        return keyId;
      });
    },
    async kioskKeys(kioskId) {
      const r = await db.query<{ key_id: number; secret: string; state: KioskKey['state'] }>(
        `SELECT key_id, secret, state FROM kiosk_keys WHERE kiosk_id = $1 AND state IN ('active', 'pending') ORDER BY state, key_id`,
        [kioskId],
      );
      return r.rows.map((x) => ({ keyId: Number(x.key_id), secret: x.secret, state: x.state }));
    },
    async recordKeys(kioskId) {
      const r = await db.query<{ key_id: number; secret: string; state: RecordKey['state']; ended_at: string | Date | null }>(
        `SELECT k.key_id, k.secret, k.state, k.ended_at FROM kiosk_keys k JOIN kiosks USING (kiosk_id)
         WHERE k.kiosk_id = $1 AND kiosks.revoked_at IS NULL AND k.state IN ('active', 'pending', 'retired') ORDER BY k.key_id`,
        [kioskId],
      );
      return r.rows.map((x) => ({ keyId: Number(x.key_id), secret: x.secret, state: x.state, endedAt: x.ended_at === null ? null : new Date(x.ended_at) }));
    },
    confirmKey(kioskId, keyId, now) {
      const at = now.toISOString();
      return db.transaction(async (tx) => {
        if (!(await lockKiosk(tx, kioskId))) return false;
        const p = await tx.query(`SELECT 1 FROM kiosk_keys WHERE kiosk_id = $1 AND key_id = $2 AND state = 'pending'`, [kioskId, keyId]);
        if (p.rowCount !== 1) return false;
        await tx.query(`UPDATE kiosk_keys SET state = 'retired', ended_at = $2 WHERE kiosk_id = $1 AND state = 'active'`, [kioskId, at]);
        await tx.query(`UPDATE kiosk_keys SET state = 'active', confirmed_at = $3 WHERE kiosk_id = $1 AND key_id = $2`, [kioskId, keyId, at]);
        return true;
      });
    },
    addPendingKey(kioskId, activeKeyId, now, makeSecret) {
      const at = now.toISOString();
      return db.transaction(async (tx) => {
        if (!(await lockKiosk(tx, kioskId))) return undefined;
        const a = await tx.query(`SELECT 1 FROM kiosk_keys WHERE kiosk_id = $1 AND key_id = $2 AND state = 'active'`, [kioskId, activeKeyId]);
        if (a.rowCount !== 1) return undefined;
        await tx.query(`UPDATE kiosk_keys SET state = 'revoked', ended_at = $2 WHERE kiosk_id = $1 AND state = 'pending'`, [kioskId, at]);
        const k = await tx.query<{ last_key_id: number }>(`UPDATE kiosks SET last_key_id = last_key_id + 1 WHERE kiosk_id = $1 RETURNING last_key_id`, [kioskId]);
        const keyId = Number(k.rows[0]!.last_key_id);
        await tx.query(`INSERT INTO kiosk_keys (kiosk_id, key_id, secret, state, created_at) VALUES ($1, $2, $3, 'pending', $4)`, [kioskId, keyId, makeSecret(keyId), at]);
        return keyId;
      });
    },
    revokeKiosk(kioskId, now) {
      const at = now.toISOString();
      return db.transaction(async (tx) => {
        const keys = await tx.query(`UPDATE kiosk_keys SET state = 'revoked', ended_at = $2 WHERE kiosk_id = $1 AND state IN ('active', 'pending')`, [kioskId, at]);
        const tokens = await tx.query(
          `UPDATE enrollment_tokens SET revoked_at = $2 WHERE kiosk_id = $1 AND used_at IS NULL AND revoked_at IS NULL`,
          [kioskId, at],
        );
        await tx.query(`UPDATE kiosks SET revoked_at = $2 WHERE kiosk_id = $1`, [kioskId, at]);
        return { keys: keys.rowCount, tokens: tokens.rowCount };
      });
    },
    async census(now) {
      const r = await db.query<{ kiosks: string; tokens: string }>(
        `SELECT (SELECT count(DISTINCT kiosk_id) FROM kiosk_keys WHERE state = 'active') AS kiosks,
                (SELECT count(*) FROM enrollment_tokens WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > $1) AS tokens`,
        [now.toISOString()],
      );
      return { enrolledKiosks: Number(r.rows[0]!.kiosks), openTokens: Number(r.rows[0]!.tokens) };
    },
  };
}
