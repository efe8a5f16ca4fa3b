/**
 * The cryptography of a journal record, shared by the kiosk (which writes and signs records) and the
 * back office (which verifies them on intake). One kiosk secret serves three purposes, kept apart by
 * a domain prefix in every HMAC input, so a value computed for one purpose is never valid for another:
 *   - 'ns-kiosk/record/v1'  the HMAC of a record;
 *   - 'ns-kiosk/card/v1'    the keyed hash of a card number (privacy: the journal never holds one);
 *   - 'ns-kiosk/request/v1' the signature of a back-office request (main/backoffice-client/signing.ts).
 *
 * Hand-written on node:crypto: a few lines of HMAC/SHA-256 over a canonical encoding; no library
 * would make this clearer or safer.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JournalCardRef, JournalRecord } from './journal-record.js';

export const GENESIS_HASH = '0'.repeat(64);
export const RECORD_FORMAT_VERSION = 1;

export type SecretKey = Buffer | string;

// Building a KeyObject costs more than the HMAC itself: keep one per secret.
const stringKeys = new Map<string, KeyObject>();
const bufferKeys = new WeakMap<Buffer, KeyObject>();

function keyObject(key: SecretKey): KeyObject {
  const cached = typeof key === 'string' ? stringKeys.get(key) : bufferKeys.get(key);
  if (cached) return cached;
  const b = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (b.length < 16) throw new TypeError('a kiosk secret must be at least 16 bytes');
  const k = createSecretKey(Buffer.from(b)); // a copy: later changes to the caller's buffer do not leak in
  if (typeof key === 'string') {
    if (stringKeys.size > 1000) stringKeys.clear();
    stringKeys.set(key, k);
  } else {
    bufferKeys.set(key, k);
  }
  return k;
}

export function hmacHex(key: SecretKey, purpose: string, message: string): string {
  return createHmac('sha256', keyObject(key)).update(`${purpose}\n`).update(message).digest('hex');
}

export function sha256Hex(message: string | Buffer): string {
  return createHash('sha256').update(message).digest('hex');
}

/** Constant-time comparison of two hex strings. */
export function hexEqual(a: string, b: string): boolean {
  if (a.length !== b.length || !/^[0-9a-f]*$/.test(a) || !/^[0-9a-f]*$/.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

const CARD_NUMBER = /^\d{16}$/;

/**
 * A card as the journal may hold it: the keyed hash of the 16-digit card number plus the last four
 * digits. The same card at the same kiosk always yields the same hash; without the key the hash
 * says nothing about the number.
 */
export function cardRef(cardNumber: string, key: SecretKey): JournalCardRef {
  if (!CARD_NUMBER.test(cardNumber)) throw new TypeError('a card number has 16 digits');
  return { hash: hmacHex(key, 'ns-kiosk/card/v1', cardNumber), last4: cardNumber.slice(-4) };
}

/** The fields a record's hash and HMAC cover, in a fixed order (data keys sorted). */
export type UnsignedRecord = Omit<JournalRecord, 'hash' | 'hmac'>;

export function canonicalRecord(r: UnsignedRecord): string {
  const data =
    r.data === undefined
      ? null
      : Object.keys(r.data)
          .sort()
          .map((k) => [k, r.data![k]]);
  return JSON.stringify([
    RECORD_FORMAT_VERSION,
    r.kioskId,
    r.seq,
    r.at,
    r.type,
    r.operationId,
    r.amountCents ?? null,
    r.card?.hash ?? null,
    r.card?.last4 ?? null,
    data,
    r.prevHash,
  ]);
}

export function sealRecord(r: UnsignedRecord, key: SecretKey): JournalRecord {
  const canonical = canonicalRecord(r);
  return { ...r, hash: sha256Hex(canonical), hmac: hmacHex(key, 'ns-kiosk/record/v1', canonical) };
}

export type RecordCheck = { ok: true } | { ok: false; reason: 'hash-mismatch' | 'bad-hmac' };

/** Does the record's hash match its content, and its HMAC the kiosk's key? (Chain: caller's job.) */
export function checkRecord(r: JournalRecord, key: SecretKey): RecordCheck {
  const { hash, hmac, ...rest } = r;
  const canonical = canonicalRecord(rest);
  if (!hexEqual(sha256Hex(canonical), hash)) return { ok: false, reason: 'hash-mismatch' };
  if (!hexEqual(hmacHex(key, 'ns-kiosk/record/v1', canonical), hmac)) return { ok: false, reason: 'bad-hmac' };
  return { ok: true };
}

/** The idempotency key under which a record is delivered to the back office. */
export function idempotencyKey(r: Pick<JournalRecord, 'kioskId' | 'seq' | 'hash'>): string {
  return `${r.kioskId}/${r.seq}/${r.hash.slice(0, 16)}`;
}
