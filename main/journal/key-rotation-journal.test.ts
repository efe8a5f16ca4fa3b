/**
 * The journal across key rotation (issue 11): records name the key that sealed them (keyId), and
 * verifyChain checks each under that key. An older journal (schema 1, records with no key id)
 * is upgraded in place and its records verify as the kiosk's original key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import type { RecordKeys } from '../../contract/record-crypto.js';
import { openJournal } from './sqlite-journal.js';
import { checkChainAtStartUp } from './start-up-check.js';

const ORIGINAL = 'original-kiosk-secret-0123456789';
const KEY2 = 'ab'.repeat(32);
const KEY3 = 'cd'.repeat(32);
const KIOSK = 'kiosk-rot';
const clock = fixedClock('2026-11-30T08:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A key ring as key-ring.ts keeps it: `current` key id (undefined = original) and the rotated keys. */
function ring(current: number | undefined, keys: Record<number, string>): RecordKeys {
  return {
    current: () => (current === undefined ? { keyId: undefined, secret: ORIGINAL } : { keyId: current, secret: keys[current]! }),
    lookup: (id) => (id === undefined ? ORIGINAL : keys[id]),
  };
}

function file(): string {
  const d = mkdtempSync(join(tmpdir(), 'journal-rot-'));
  dirs.push(d);
  return join(d, 'journal.sqlite');
}

describe('journal records across key rotation', () => {
  it('an older journal (schema 1, no key ids) is upgraded in place: its records verify as the original key, records after a rotation under theirs', () => {
    const path = file();
    const j1 = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, clock });
    j1.append({ type: 'kiosk.note', operationId: 'old-1' });
    j1.append({ type: 'payment.intent', operationId: 'pay-1', amountCents: 500 });
    j1.close();
    // Make it exactly what the previous kiosk software left: schema 1, no key_id column.
    const raw = new Database(path);
    raw.exec('ALTER TABLE records DROP COLUMN key_id');
    raw.pragma('user_version = 1');
    raw.close();

    const j2 = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(2, { 2: KEY2 }), clock });
    j2.append({ type: 'payment.approved', operationId: 'pay-1', amountCents: 500 });
    expect(j2.records().map((r) => r.keyId ?? null)).toEqual([null, null, 2]);
    expect(j2.verifyChain()).toEqual({ ok: true, checked: 3 });
    expect(j2.keyIdsInUse().sort()).toEqual([2, null].sort());
    j2.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('a chain sealed under three keys verifies when the ring holds all three, and names the first record whose key is gone', () => {
    const path = file();
    let j = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(undefined, {}), clock });
    j.append({ type: 'kiosk.note', operationId: 'k1' });
    j.close();
    j = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(2, { 2: KEY2 }), clock });
    j.append({ type: 'kiosk.note', operationId: 'k2' });
    j.close();
    j = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(3, { 2: KEY2, 3: KEY3 }), clock });
    j.append({ type: 'kiosk.note', operationId: 'k3' });
    expect(j.verifyChain()).toEqual({ ok: true, checked: 3 });
    j.close();
    // A ring that lost key 2 while a record still names it: verifyChain says so, start-up stops money.
    j = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(3, { 3: KEY3 }), clock });
    expect(j.verifyChain()).toEqual({ ok: false, checked: 1, firstBad: { seq: 2, reason: 'unknown-key' } });
    expect(checkChainAtStartUp(j, () => {}, 'chain-check-1').moneyStopped).toBe(true);
    j.close();
  });

  it("attack: a stored record's key id edited in the file (to a key the kiosk holds) breaks the chain check", () => {
    const path = file();
    const j = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(2, { 2: KEY2, 3: KEY3 }), clock });
    j.append({ type: 'kiosk.note', operationId: 'k2' });
    j.close();
    const raw = new Database(path);
    raw.exec('DROP TRIGGER records_no_update; UPDATE records SET key_id = 3 WHERE seq = 1');
    raw.close();
    const j2 = openJournal({ path, kioskId: KIOSK, hmacKey: ORIGINAL, recordKeys: ring(2, { 2: KEY2, 3: KEY3 }), clock });
    expect(j2.verifyChain()).toMatchObject({ ok: false, firstBad: { seq: 1, reason: 'hash-mismatch' } });
    j2.close();
  });
});
