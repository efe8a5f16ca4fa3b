/**
 * verifyChain against a journal file edited behind the kiosk's back (issue 12 item 6). Each case
 * breaks exactly one of the checks, so a verifyChain that skips the hash, the HMAC, the
 * previous-hash link, the gap check, the genesis link or the chain head fails its own case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { sealRecord, sha256Hex, canonicalRecord, type SecretKey } from '../../contract/record-crypto.js';
import type { JournalRecord } from './journal.js';
import { rowToRecord, type RecordRow } from './journal-schema.js';
import { openJournal } from './sqlite-journal.js';

const KEY = 'test-kiosk-secret-0123456789';
const KIOSK = 'kiosk-1';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A journal file with four records: a finished payment's first steps and a note. */
function journalFile(variant = 'a'): string {
  const d = mkdtempSync(join(tmpdir(), 'journal-chain-'));
  dirs.push(d);
  const path = join(d, 'journal.sqlite');
  const j = openJournal({ path, kioskId: KIOSK, hmacKey: KEY, clock: fixedClock('2026-11-23T08:00:00Z') });
  j.append({ type: 'payment.intent', operationId: `p-${variant}`, amountCents: 1000 });
  j.append({ type: 'payment.approved', operationId: `p-${variant}`, amountCents: 1000, data: { receipt: '0042' } });
  j.append({ type: 'card.write-intent', operationId: `p-${variant}`, amountCents: 1000 });
  j.append({ type: 'kiosk.note', operationId: `n-${variant}`, data: { text: 'door opened' } });
  j.close();
  return path;
}

function check(path: string) {
  const j = openJournal({ path, kioskId: KIOSK, hmacKey: KEY, clock: fixedClock('2026-11-23T09:00:00Z') });
  try {
    return j.verifyChain();
  } finally {
    j.close();
  }
}

/** Raw access to the file with the append-only triggers dropped: what someone with the disk can do. */
function tamper(path: string, edit: (db: Database.Database, rows: JournalRecord[]) => void): void {
  const db = new Database(path);
  db.exec('DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete_undelivered;');
  const rows = (db.prepare('SELECT * FROM records ORDER BY seq').all() as RecordRow[]).map((r) => rowToRecord(KIOSK, r));
  edit(db, rows);
  db.close();
}

function writeRecord(db: Database.Database, r: JournalRecord): void {
  db.prepare(
    `UPDATE records SET at = ?, type = ?, operation_id = ?, amount_cents = ?, data_json = ?, prev_hash = ?, hash = ?, hmac = ? WHERE seq = ?`,
  ).run(r.at, r.type, r.operationId, r.amountCents ?? null, r.data ? JSON.stringify(r.data) : null, r.prevHash, r.hash, r.hmac, r.seq);
}

/** Re-seal records from index `from` on under `key`, each linked to the one before it. */
function reseal(rows: JournalRecord[], from: number, key: SecretKey, firstPrev?: string): JournalRecord[] {
  const out = rows.slice(0, from);
  for (let i = from; i < rows.length; i++) {
    const { hash: _h, hmac: _m, ...rest } = rows[i]!;
    const prevHash = i === from && firstPrev !== undefined ? firstPrev : out[i - 1]!.hash;
    out.push(sealRecord({ ...rest, prevHash }, key));
  }
  return out;
}

describe('verifyChain: a journal edited on disk is caught, and where', () => {
  it('an untouched journal verifies: every record checked', () => {
    expect(check(journalFile())).toEqual({ ok: true, checked: 4 });
  });

  it('an amount changed in place (hash left as it was) is a hash mismatch at that record', () => {
    const path = journalFile();
    tamper(path, (db, rows) => writeRecord(db, { ...rows[1]!, amountCents: 1 }));
    expect(check(path)).toEqual({ ok: false, checked: 1, firstBad: { seq: 2, reason: 'hash-mismatch' } });
  });

  it('an amount changed with every hash and link recomputed, but without the kiosk key, is a bad HMAC at that record', () => {
    const path = journalFile();
    tamper(path, (db, rows) => {
      // The attacker recomputes the plain SHA-256 hashes and relinks the chain; the HMACs stay.
      const forged: JournalRecord[] = [rows[0]!];
      for (let i = 1; i < rows.length; i++) {
        const { hash: _h, hmac, ...rest } = rows[i]!;
        const unsigned = { ...rest, ...(i === 1 ? { amountCents: 1 } : {}), prevHash: forged[i - 1]!.hash };
        forged.push({ ...unsigned, hash: sha256Hex(canonicalRecord(unsigned)), hmac });
      }
      for (const r of forged.slice(1)) writeRecord(db, r);
    });
    expect(check(path)).toEqual({ ok: false, checked: 1, firstBad: { seq: 2, reason: 'bad-hmac' } });
  });

  it('records re-signed under another key are a bad HMAC at the first of them', () => {
    const path = journalFile();
    tamper(path, (db, rows) => {
      for (const r of reseal(rows, 2, 'attacker-secret-0123456789').slice(2)) writeRecord(db, r);
    });
    expect(check(path)).toEqual({ ok: false, checked: 2, firstBad: { seq: 3, reason: 'bad-hmac' } });
  });

  it('a record from another copy of the journal (valid on its own) spliced in breaks the previous-hash link', () => {
    // Two histories of the same kiosk under the same key, e.g. a restored backup: record 1 of the
    // other copy is genuine, signed and hashed correctly, but record 2 was chained to another one.
    const path = journalFile('a');
    const other = journalFile('b');
    const otherFirst = (() => {
      const db = new Database(other, { readonly: true });
      const row = db.prepare('SELECT * FROM records WHERE seq = 1').get() as RecordRow;
      db.close();
      return rowToRecord(KIOSK, row);
    })();
    tamper(path, (db) => writeRecord(db, otherFirst));
    expect(check(path)).toEqual({ ok: false, checked: 1, firstBad: { seq: 2, reason: 'chain-broken' } });
  });

  it('a record linked to something other than the record before it (all re-signed with the key) breaks the link there', () => {
    const path = journalFile();
    tamper(path, (db, rows) => {
      for (const r of reseal(rows, 2, KEY, 'f'.repeat(64)).slice(2)) writeRecord(db, r);
    });
    expect(check(path)).toEqual({ ok: false, checked: 2, firstBad: { seq: 3, reason: 'chain-broken' } });
  });

  it('a first record not linked to the genesis hash is a broken chain at seq 1', () => {
    const path = journalFile();
    tamper(path, (db, rows) => {
      for (const r of reseal(rows, 0, KEY, 'e'.repeat(64))) writeRecord(db, r);
    });
    expect(check(path)).toEqual({ ok: false, checked: 0, firstBad: { seq: 1, reason: 'chain-broken' } });
  });

  it('a record deleted from the middle is a gap at the record after it', () => {
    const path = journalFile();
    tamper(path, (db, rows) => {
      db.prepare('DELETE FROM records WHERE seq = 3').run();
      // and the next one relinked, so only the sequence number shows the hole
      writeRecord(db, reseal([rows[1]!, rows[3]!], 1, KEY)[1]!);
    });
    expect(check(path)).toEqual({ ok: false, checked: 2, firstBad: { seq: 4, reason: 'gap' } });
  });

  it('the newest record deleted (chain head still names it) is a broken chain at the last record left', () => {
    const path = journalFile();
    tamper(path, (db) => db.prepare('DELETE FROM records WHERE seq = 4').run());
    expect(check(path)).toEqual({ ok: false, checked: 3, firstBad: { seq: 3, reason: 'chain-broken' } });
  });
});
