import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { JournalError } from './journal.js';
import { checkRecord, GENESIS_HASH } from '../../contract/record-crypto.js';
import { cardRef, openJournal } from './sqlite-journal.js';

const KEY = 'test-kiosk-secret-0123456789';
const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'journal-'));
  dirs.push(d);
  return join(d, 'journal.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(path = ':memory:') {
  return openJournal({ path, kioskId: 'kiosk-1', hmacKey: KEY, clock: fixedClock('2026-11-23T08:00:00Z') });
}

describe('sqlite journal', () => {
  it('numbers records 1, 2, 3 and chains each to the hash of the one before, signed under the kiosk key', () => {
    const j = open();
    const a = j.append({ type: 'payment.intent', operationId: 'p1', amountCents: 1000 });
    const b = j.append({ type: 'payment.approved', operationId: 'p1', amountCents: 1000, data: { receipt: '0042' } });
    const c = j.append({ type: 'kiosk.note', operationId: 'n1', data: { text: 'door opened' } });
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(c.prevHash).toBe(b.hash);
    for (const r of [a, b, c]) expect(checkRecord(r, KEY)).toEqual({ ok: true });
    expect(checkRecord({ ...b, amountCents: 1 }, KEY)).toEqual({ ok: false, reason: 'hash-mismatch' });
    expect(checkRecord(b, 'another-secret-0123456789')).toEqual({ ok: false, reason: 'bad-hmac' });
    expect(j.verifyChain()).toEqual({ ok: true, checked: 3 });
  });

  it('keeps records and the sequence across close and reopen (durable file, WAL, synchronous=FULL)', () => {
    const path = tmpDb();
    const j = open(path);
    j.append({ type: 'payment.intent', operationId: 'p1', amountCents: 500 });
    j.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
    const j2 = open(path);
    const r = j2.append({ type: 'payment.approved', operationId: 'p1', amountCents: 500 });
    expect(r.seq).toBe(2);
    expect(j2.operation('p1').map((x) => x.type)).toEqual(['payment.intent', 'payment.approved']);
    expect(j2.verifyChain().ok).toBe(true);
    j2.close();
  });

  it('refuses to open a journal written for another kiosk', () => {
    const path = tmpDb();
    open(path).close();
    expect(() => openJournal({ path, kioskId: 'kiosk-2', hmacKey: KEY, clock: fixedClock('2026-01-01') })).toThrow(/belongs to kiosk/);
  });

  it('is append-only: the database itself refuses UPDATE, and DELETE of an undelivered record', () => {
    const path = tmpDb();
    const j = open(path);
    j.append({ type: 'payment.intent', operationId: 'p1', amountCents: 500 });
    const db = new Database(path);
    expect(() => db.prepare('UPDATE records SET amount_cents = 1').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM records').run()).toThrow(/never deleted/);
    db.close();
    j.close();
  });

  it('refuses invalid entries with a typed error and writes nothing', () => {
    const j = open();
    const bad = [
      { type: 'payment.intent', operationId: 'p', amountCents: 10.5 },
      { type: 'nope', operationId: 'p' },
      { type: 'payment.intent', operationId: '' },
      { type: 'payment.intent', operationId: 'p', card: { hash: 'x', last4: '1234' } },
    ];
    for (const e of bad) expect(() => j.append(e as never)).toThrow(JournalError);
    expect(j.counts().lastSeq).toBe(0);
  });

  it('never stores personal data: no names, birth dates or full card numbers in data', () => {
    const j = open();
    expect(() => j.append({ type: 'kiosk.note', operationId: 'n', data: { birthDate: '1990-01-01' } })).toThrow(/personal data/);
    expect(() => j.append({ type: 'kiosk.note', operationId: 'n', data: { x: 'card 3528010000000017' } })).toThrow(/card number/);
    const ref = cardRef('3528010000000017', KEY);
    expect(ref.last4).toBe('0017');
    expect(ref.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(ref.hash).not.toContain('3528010000000017');
    expect(cardRef('3528010000000017', KEY)).toEqual(ref);
    expect(cardRef('3528010000000017', 'other-secret-0123456789').hash).not.toBe(ref.hash);
    expect(() => cardRef('1234', KEY)).toThrow(TypeError);
  });

  it('requires an operation to open with an intent and refuses records after its final one', () => {
    const j = open();
    expect(() => j.append({ type: 'payment.approved', operationId: 'p1' })).toThrow(/must open with an intent/);
    j.append({ type: 'payment.intent', operationId: 'p1', amountCents: 100 });
    j.append({ type: 'payment.failed', operationId: 'p1', data: { reason: 'declined' } });
    expect(() => j.append({ type: 'payment.approved', operationId: 'p1' })).toThrow(/already finished/);
  });

  it('lists as unfinished exactly the operations without a final record', () => {
    const j = open();
    // finished top-up
    for (const type of ['payment.intent', 'payment.approved', 'card.write-intent', 'card.written', 'payment.committed'] as const)
      j.append({ type, operationId: 'done', amountCents: 1000 });
    // approved, card written, commit missing
    for (const type of ['payment.intent', 'payment.approved', 'card.write-intent', 'card.written'] as const)
      j.append({ type, operationId: 'needs-commit', amountCents: 1000 });
    // uncertain failure is not final
    j.append({ type: 'payment.intent', operationId: 'uncertain', amountCents: 700 });
    j.append({ type: 'payment.failed', operationId: 'uncertain', data: { reason: 'timeout', uncertain: true } });
    // order collection stuck after loading
    j.append({ type: 'order.collect-intent', operationId: 'o1', data: { orderId: 'ORD-1' } });
    j.append({ type: 'order.loaded', operationId: 'o1', data: { orderId: 'ORD-1' } });
    // card-only write finished
    j.append({ type: 'card.write-intent', operationId: 'c1' });
    j.append({ type: 'card.written', operationId: 'c1' });
    j.append({ type: 'kiosk.note', operationId: 'note' });
    const u = j.unfinishedOperations();
    expect(u.map((o) => o.operationId)).toEqual(['needs-commit', 'uncertain', 'o1']);
    expect(u[0]!.records.map((r) => r.type)).toEqual(['payment.intent', 'payment.approved', 'card.write-intent', 'card.written']);
  });

  it('upload queue: undelivered in order; delivered and rejected leave it; only delivered records of finished operations are purged', () => {
    const clock = fixedClock('2026-11-01T00:00:00Z');
    const j = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: KEY, clock });
    for (let i = 0; i < 5; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    j.append({ type: 'payment.intent', operationId: 'open', amountCents: 100 });
    expect(j.undelivered(3).map((r) => r.seq)).toEqual([1, 2, 3]);
    j.markDelivered([1, 2, 6]);
    j.markRejected(3, 'bad-hmac');
    j.markRejected(1, 'late reject of a delivered record is ignored');
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([4, 5]);
    expect(j.rejected().map((r) => [r.record.seq, r.reason])).toEqual([[3, 'bad-hmac']]);
    expect(j.counts()).toEqual({ pending: 2, delivered: 3, rejected: 1, lastSeq: 6 });
    clock.advance(31 * 86400_000);
    expect(j.purgeDelivered(new Date(clock.now().getTime() - 30 * 86400_000))).toBe(2); // seq 6 is unfinished: kept
    expect(j.records().map((r) => r.seq)).toEqual([3, 4, 5, 6]);
    j.requeue(3);
    expect(j.undelivered(10).map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(j.append({ type: 'kiosk.note', operationId: 'after' }).seq).toBe(7);
    expect(j.verifyChain().ok).toBe(true);
  });
});
