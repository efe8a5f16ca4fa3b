/**
 * Edges of the SQLite journal that the main tests walk past (found by mutation testing, issue 12
 * item 6): what `openJournal` refuses, the upload queue's bookkeeping, the technician views, and
 * the chain check's verdict on each way a stored journal can be wrong.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { GENESIS_HASH, sealRecord } from '../../contract/record-crypto.js';
import { JournalError } from './journal.js';
import { openJournal } from './sqlite-journal.js';

const KEY = 'edge-test-kiosk-secret-0123456789';
const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'journal-edges-'));
  dirs.push(d);
  return join(d, 'journal.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const open = (kioskId = 'kiosk-1', path = ':memory:', clock = fixedClock('2026-11-23T08:00:00Z')) =>
  openJournal({ path, kioskId, hmacKey: KEY, clock });

describe('openJournal refuses what it cannot use safely', () => {
  it('refuses kiosk ids that are empty, longer than 64 characters, or hold characters outside [A-Za-z0-9._-]', () => {
    for (const bad of ['', 'a'.repeat(65), 'kiosk 1', 'kiosk/1', 'x\nkiosk-1', 'kiosk-1\n', 'kiosk-1;']) {
      expect(() => open(bad), JSON.stringify(bad)).toThrow(/invalid kiosk id/);
    }
    for (const good of ['a', 'A.b_c-9', 'k'.repeat(64)]) expect(open(good).kioskId).toBe(good);
  });

  it('refuses a kiosk secret shorter than 16 bytes before touching the file', () => {
    const path = tmpDb();
    expect(() => openJournal({ path, kioskId: 'k', hmacKey: 'short', clock: fixedClock('2026-01-01') })).toThrow(/at least 16 bytes/);
  });

  it('remembers its kiosk id in the file: the same kiosk reopens it, another is refused', () => {
    const path = tmpDb();
    const j = open('kiosk-a', path);
    j.append({ type: 'kiosk.note', operationId: 'n1' });
    j.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare(`SELECT value FROM meta WHERE key = 'kiosk_id'`).pluck().all()).toEqual(['kiosk-a']);
    db.close();
    const again = open('kiosk-a', path);
    expect(again.records().map((r) => r.kioskId)).toEqual(['kiosk-a']);
    again.close();
    expect(() => open('kiosk-b', path)).toThrow(/belongs to kiosk 'kiosk-a', not 'kiosk-b'/);
  });

  it('a journal file whose schema is newer than this code is refused, not guessed at', () => {
    const path = tmpDb();
    open('k', path).close();
    const db = new Database(path);
    db.pragma('user_version = 3');
    db.close();
    expect(() => open('k', path)).toThrow(/schema version 3 is newer than this kiosk software \(2\)/);
  });

  it('every call on a closed journal is refused with the typed error "closed"; closing twice is harmless', () => {
    const j = open();
    j.append({ type: 'kiosk.note', operationId: 'n' });
    j.close();
    j.close();
    const calls: (() => unknown)[] = [
      () => j.append({ type: 'kiosk.note', operationId: 'm' }),
      () => j.operation('n'),
      () => j.unfinishedOperations(),
      () => j.recordsOfType(['kiosk.note']),
      () => j.records(),
      () => j.undelivered(10),
      () => j.markDelivered([1]),
      () => j.markRejected(1, 'x'),
      () => j.rejected(),
      () => j.requeue(1),
      () => j.purgeDelivered(new Date()),
      () => j.counts(),
      () => j.keyIdsInUse(),
      () => j.verifyChain(),
    ];
    for (const call of calls) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JournalError);
      expect((err as JournalError).code).toBe('closed');
      expect((err as Error).message).toBe('the journal is closed');
    }
  });
});

describe('closing', () => {
  it('close really closes the database: the last connection checkpoints and removes the WAL file', () => {
    const path = tmpDb();
    const j = open('k', path);
    j.append({ type: 'kiosk.note', operationId: 'n' });
    expect(existsSync(`${path}-wal`)).toBe(true);
    j.close();
    expect(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0).toBe(false);
  });
});

describe('records under a key id', () => {
  it('a kiosk without the key ring cannot vouch for records that name a key id: unknown-key, even when the secret is the same', () => {
    const path = tmpDb();
    const rotated = openJournal({
      path,
      kioskId: 'k',
      hmacKey: KEY,
      clock: fixedClock('2026-01-01'),
      recordKeys: { current: () => ({ keyId: 1, secret: KEY }), lookup: (id) => (id === 1 ? KEY : undefined) },
    });
    rotated.append({ type: 'kiosk.note', operationId: 'n' });
    expect(rotated.keyIdsInUse()).toEqual([1]);
    expect(rotated.verifyChain()).toEqual({ ok: true, checked: 1 });
    rotated.close();
    const plain = open('k', path);
    expect(plain.verifyChain()).toEqual({ ok: false, checked: 0, firstBad: { seq: 1, reason: 'unknown-key' } });
    plain.close();
  });
});

describe('appending', () => {
  it('stores exactly what was appended: amount, card ref, data; absent fields stay absent', () => {
    const j = open();
    const card = { hash: 'a'.repeat(64), last4: '0017' };
    const full = j.append({ type: 'payment.intent', operationId: 'p', amountCents: 1234, card, data: { ref: 'r1', n: 2, ok: true, none: null } });
    const bare = j.append({ type: 'kiosk.note', operationId: 'n' });
    expect(j.records()).toEqual([full, bare]);
    expect(full).toMatchObject({ amountCents: 1234, card, data: { ref: 'r1', n: 2, ok: true, none: null }, kioskId: 'kiosk-1', at: '2026-11-23T08:00:00.000Z' });
    expect(Object.keys(bare).sort()).toEqual(['at', 'hash', 'hmac', 'kioskId', 'operationId', 'prevHash', 'seq', 'type']);
    expect(j.verifyChain()).toEqual({ ok: true, checked: 2 });
  });

  it('a kiosk.note is final at once: nothing may be appended to it, and it is never unfinished', () => {
    const j = open();
    j.append({ type: 'kiosk.note', operationId: 'n' });
    expect(j.unfinishedOperations()).toEqual([]);
    let err: unknown;
    try {
      j.append({ type: 'kiosk.note', operationId: 'n' });
    } catch (e) {
      err = e;
    }
    expect((err as JournalError).code).toBe('operation-finished');
  });

  it('an operation that does not open with an intent is refused with the code not-an-intent, naming the type', () => {
    const j = open();
    let err: unknown;
    try {
      j.append({ type: 'card.written', operationId: 'x' });
    } catch (e) {
      err = e;
    }
    expect((err as JournalError).code).toBe('not-an-intent');
    expect((err as Error).message).toContain('not card.written');
    expect(j.counts().lastSeq).toBe(0);
  });

  it('an operation keeps the kind its first record set: a payment is finished by payment.committed, not by card.written', () => {
    const j = open();
    j.append({ type: 'payment.intent', operationId: 'p', amountCents: 100 });
    j.append({ type: 'card.write-intent', operationId: 'p', amountCents: 100 });
    j.append({ type: 'card.written', operationId: 'p', amountCents: 100 });
    expect(j.unfinishedOperations().map((o) => o.operationId)).toEqual(['p']);
    j.append({ type: 'payment.committed', operationId: 'p', amountCents: 100 });
    expect(j.unfinishedOperations()).toEqual([]);
  });

  it('the afterAppend hook sees each record once it is durable', () => {
    const seen: number[] = [];
    const path = tmpDb();
    const j = openJournal({ path, kioskId: 'k', hmacKey: KEY, clock: fixedClock('2026-01-01'), afterAppend: (r) => {
      const db = new Database(path, { readonly: true });
      seen.push(db.prepare('SELECT seq FROM records WHERE seq = ?').pluck().get(r.seq) as number);
      db.close();
    } });
    j.append({ type: 'kiosk.note', operationId: 'a' });
    j.append({ type: 'kiosk.note', operationId: 'b' });
    expect(seen).toEqual([1, 2]);
    j.close();
  });
});

describe('technician views', () => {
  function filled() {
    const j = open();
    j.append({ type: 'kiosk.note', operationId: 'n1' });
    j.append({ type: 'payment.intent', operationId: 'p1', amountCents: 100 });
    j.append({ type: 'kiosk.note', operationId: 'n2' });
    j.append({ type: 'payment.failed', operationId: 'p1', amountCents: 100, data: { reason: 'declined' } });
    j.append({ type: 'kiosk.note', operationId: 'n3' });
    return j;
  }

  it('recordsOfType: newest first, only the types asked for, at most limit; no types -> nothing', () => {
    const j = filled();
    expect(j.recordsOfType(['kiosk.note']).map((r) => r.seq)).toEqual([5, 3, 1]);
    expect(j.recordsOfType(['kiosk.note', 'payment.failed'], 2).map((r) => r.seq)).toEqual([5, 4]);
    expect(j.recordsOfType([])).toEqual([]);
    for (let i = 0; i < 120; i++) j.append({ type: 'kiosk.note', operationId: `m${i}` });
    expect(j.recordsOfType(['kiosk.note'])).toHaveLength(100);
  });

  it('records: after a seq, ascending, at most limit (default from the start, 1000 at a time)', () => {
    const j = filled();
    expect(j.records(2).map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(j.records(1, 2).map((r) => r.seq)).toEqual([2, 3]);
    for (let i = 0; i < 1000; i++) j.append({ type: 'kiosk.note', operationId: `m${i}` });
    const all = j.records();
    expect(all).toHaveLength(1000);
    expect(all[0]!.seq).toBe(1);
  });

  it('operation: every record of that operation in order, nothing of others', () => {
    const j = filled();
    expect(j.operation('p1').map((r) => [r.seq, r.type])).toEqual([
      [2, 'payment.intent'],
      [4, 'payment.failed'],
    ]);
    expect(j.operation('nope')).toEqual([]);
  });

  it('unfinishedOperations: oldest first, each with all its records', () => {
    const j = open();
    j.append({ type: 'payment.intent', operationId: 'later-id-first', amountCents: 1 });
    j.append({ type: 'order.collect-intent', operationId: 'a-order' });
    j.append({ type: 'payment.approved', operationId: 'later-id-first', amountCents: 1 });
    const u = j.unfinishedOperations();
    expect(u.map((o) => o.operationId)).toEqual(['later-id-first', 'a-order']);
    expect(u[0]!.records.map((r) => r.seq)).toEqual([1, 3]);
  });

  it('keyIdsInUse: null for records under the original key', () => {
    const j = filled();
    expect(j.keyIdsInUse()).toEqual([null]);
  });
});

describe('upload queue bookkeeping', () => {
  it('counts: pending = total - delivered - rejected, and the last seq', () => {
    const j = open();
    expect(j.counts()).toEqual({ pending: 0, delivered: 0, rejected: 0, lastSeq: 0 });
    for (let i = 0; i < 6; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    j.markDelivered([1, 2, 3]);
    j.markRejected(4, 'r');
    expect(j.counts()).toEqual({ pending: 2, delivered: 3, rejected: 1, lastSeq: 6 });
  });

  it('marking seqs that do not exist changes nothing (no phantom delivery rows)', () => {
    const j = open();
    j.append({ type: 'kiosk.note', operationId: 'n' });
    j.markDelivered([7, 8]);
    j.markRejected(9, 'nope');
    expect(j.counts()).toEqual({ pending: 1, delivered: 0, rejected: 0, lastSeq: 1 });
    expect(j.rejected()).toEqual([]);
    // once appended, seq 2 is pending: no stale delivery row hides it
    j.append({ type: 'kiosk.note', operationId: 'm' });
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('a rejection keeps at most 500 characters of the reason, its time, and a newer reason replaces an older one', () => {
    const clock = fixedClock('2026-11-01T00:00:00Z');
    const j = open('k', ':memory:', clock);
    j.append({ type: 'kiosk.note', operationId: 'n' });
    j.markRejected(1, 'x'.repeat(600));
    expect(j.rejected()[0]!.reason).toBe('x'.repeat(500));
    expect(j.rejected()[0]!.rejectedAt).toBe('2026-11-01T00:00:00.000Z');
    clock.advance(1000);
    j.markRejected(1, 'second look');
    expect(j.rejected().map((r) => [r.record.seq, r.reason, r.rejectedAt])).toEqual([[1, 'second look', '2026-11-01T00:00:01.000Z']]);
  });

  it('the "settled up to" hint: records delivered out of order, a requeue below it, and new records all come back', () => {
    const j = open();
    for (let i = 0; i < 5; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    j.markDelivered([1, 2, 4]);
    expect(j.undelivered(1).map((r) => r.seq)).toEqual([3]);
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([3, 5]);
    j.markDelivered([3, 5]);
    expect(j.undelivered(10)).toEqual([]);
    j.append({ type: 'kiosk.note', operationId: 'n5' });
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([6]);
    j.markRejected(6, 'bad');
    expect(j.undelivered(10)).toEqual([]);
    j.requeue(6);
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([6]);
    // requeueing a delivered record does nothing (only rejected ones go back)
    j.requeue(2);
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([6]);
    expect(j.counts().delivered).toBe(5);
  });

  it('a requeue only lowers the hint: a requeued record well below it comes back, the hint never skips pending ones', () => {
    const j = open();
    for (let i = 0; i < 4; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    j.markRejected(1, 'bad');
    j.markDelivered([2, 3, 4]);
    expect(j.undelivered(10)).toEqual([]); // hint now at 4
    j.requeue(1);
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([1]);
  });

  it('purge: delivered records older than the cut-off of finished operations only; the operation index follows', () => {
    const clock = fixedClock('2026-11-01T00:00:00Z');
    const j = open('k', ':memory:', clock);
    j.append({ type: 'kiosk.note', operationId: 'old' }); // 1
    j.append({ type: 'payment.intent', operationId: 'p', amountCents: 5 }); // 2 (unfinished)
    j.markDelivered([1, 2]);
    clock.advance(10_000);
    j.append({ type: 'kiosk.note', operationId: 'young' }); // 3
    j.markDelivered([3]);
    const cut = new Date('2026-11-01T00:00:05Z');
    expect(j.purgeDelivered(cut)).toBe(1);
    expect(j.records().map((r) => r.seq)).toEqual([2, 3]);
    expect(j.counts()).toEqual({ pending: 0, delivered: 2, rejected: 0, lastSeq: 3 });
    // the purged operation id is free again (its index row is gone): a new note under it is accepted
    expect(j.append({ type: 'kiosk.note', operationId: 'old' }).seq).toBe(4);
    expect(j.purgeDelivered(new Date('2026-11-01T00:00:00Z'))).toBe(0); // strictly before the cut-off
  });
});

describe('verifyChain on a stored journal', () => {
  function withFile(n: number) {
    const path = tmpDb();
    const j = open('k', path);
    for (let i = 0; i < n; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    return { path, j };
  }

  it('an empty journal verifies with nothing checked', () => {
    expect(open().verifyChain()).toEqual({ ok: true, checked: 0 });
  });

  it('a chain head that names another hash than the newest record is chain-broken at that record', () => {
    const { path, j } = withFile(3);
    const db = new Database(path);
    db.prepare(`UPDATE chain_head SET hash = ? WHERE id = 1`).run('0'.repeat(64));
    db.close();
    expect(j.verifyChain()).toEqual({ ok: false, checked: 3, firstBad: { seq: 3, reason: 'chain-broken' } });
  });

  it('a chain head that names a later seq than the newest record is chain-broken at that record', () => {
    const { path, j } = withFile(3);
    const db = new Database(path);
    db.prepare(`UPDATE chain_head SET seq = 4 WHERE id = 1`).run();
    db.close();
    expect(j.verifyChain()).toEqual({ ok: false, checked: 3, firstBad: { seq: 3, reason: 'chain-broken' } });
  });

  it('the first records purged (the chain starts above seq 1): the rest still verifies', () => {
    const clock = fixedClock('2026-11-01T00:00:00Z');
    const j = open('k', ':memory:', clock);
    for (let i = 0; i < 4; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    j.markDelivered([1, 2]);
    clock.advance(1000);
    j.purgeDelivered(clock.now());
    expect(j.verifyChain()).toEqual({ ok: true, checked: 2 });
  });

  it('a gap: the record after a deleted one is flagged, counting only the records checked before it', () => {
    const { path, j } = withFile(4);
    const db = new Database(path);
    db.exec(`DROP TRIGGER records_no_delete_undelivered; DELETE FROM records WHERE seq = 3;`);
    db.close();
    expect(j.verifyChain()).toEqual({ ok: false, checked: 2, firstBad: { seq: 4, reason: 'gap' } });
  });

  it('a first record re-sealed with a prevHash other than genesis is chain-broken at seq 1 with nothing checked', () => {
    const { path, j } = withFile(2);
    const db = new Database(path);
    const row = db.prepare('SELECT * FROM records WHERE seq = 1').get() as { at: string; type: string; operation_id: string };
    const forged = sealRecord({ kioskId: 'k', seq: 1, at: row.at, type: 'kiosk.note', operationId: row.operation_id, prevHash: 'f'.repeat(64) }, KEY);
    db.exec('DROP TRIGGER records_no_update');
    db.prepare('UPDATE records SET prev_hash = ?, hash = ?, hmac = ? WHERE seq = 1').run(forged.prevHash, forged.hash, forged.hmac);
    db.close();
    expect(forged.prevHash).not.toBe(GENESIS_HASH);
    expect(j.verifyChain()).toEqual({ ok: false, checked: 0, firstBad: { seq: 1, reason: 'chain-broken' } });
  });
});
