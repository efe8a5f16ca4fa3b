/**
 * The cryptography of a journal record, shared by the kiosk (which writes and signs records) and the
 * back office (which verifies them on intake).
 *
 * Per-purpose keys (issue 11 finding 5): the kiosk secret is never used as a key itself. Each
 * purpose gets its own key, derived with HKDF-SHA256 (RFC 5869, node:crypto) from the secret, with
 * the purpose as HKDF `info`. The kiosk and the back office both call deriveKey (through the
 * functions below), so they derive the same keys; a key leaked for one purpose (say the card-hash
 * key shared with a reporting system) says nothing about the others or the secret:
 *   - 'record'    the HMAC of a journal record;
 *   - 'card'      the keyed hash of a card number (privacy: the journal never holds one);
 *   - 'request'   the signature of a back-office request (request-signing.ts);
 *   - 'response'  the signature of a back-office answer (request-signing.ts).
 * The old domain prefix stays inside every HMAC input as well.
 *
 * Key rotation (docs/security.md): 'record', 'request' and 'response' come from the kiosk's current
 * secret; 'card' always from its ORIGINAL secret (card hashes must not change, or the back office
 * could no longer match a card). A record names the key that sealed it (keyId, format 2 below).
 *
 * Hand-written on node:crypto: HKDF and HMAC/SHA-256 over a canonical encoding, a few lines; no
 * library would make this clearer or safer.
 */
import { createHash, createHmac, createSecretKey, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JournalCardRef, JournalRecord } from './journal-record.js';

export const GENESIS_HASH = '0'.repeat(64);
export const RECORD_FORMAT_VERSION = 1;
/** Format of a record that names its key (keyId): the format-1 array plus the key id at its end. */
export const RECORD_FORMAT_VERSION_KEYED = 2;

export type SecretKey = Buffer | string;

export const KEY_PURPOSES = ['record', 'card', 'request', 'response'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** HKDF salt: fixed and public (RFC 5869 §3.1: a salt need not be secret); it names the scheme. */
const HKDF_SALT = Buffer.from('ns-kiosk/hkdf-salt/v2', 'utf8');
const HMAC_PREFIX: Record<KeyPurpose, string> = {
  record: 'ns-kiosk/record/v1',
  card: 'ns-kiosk/card/v1',
  request: 'ns-kiosk/request/v1',
  response: 'ns-kiosk/response/v1',
};

// Deriving costs more than the HMAC itself: keep the keys per secret. The string-keyed cache is
// bounded at more secrets than a back office serves kiosks: it was cleared whenever it passed 1,000,
// so a back office with 5,000 kiosks (and a fleet-simulator process with 1,250) derived every key
// again on almost every request.
//
// Two generations, not one Map kept in least-recently-used order: refreshing an entry's place by
// delete + set on every hit cost a lookup 0.5 µs with 5,000 secrets held (a back office's pattern:
// 202 lookups of one kiosk's secret for a batch, its request and its answer, then the next
// kiosk's), and up to 18 µs when one secret was looked up thousands of times in a row (V8's Map
// compacting its deleted entries, presumably); two generations: 0.03 µs (`npm run
// bench:derived-keys`, both side by side). About 0.5 CPU seconds a million records in the back
// office. A hit in `recentKeys` is one get and changes nothing; a secret found only in `olderKeys`
// moves up. When `recentKeys` holds half the bound it becomes `olderKeys` and the previous older
// generation is dropped: at most DERIVED_KEY_CACHE_SECRETS secrets are held, and every secret used
// among the last 20,000 distinct ones (half the bound) is kept, as the single 20,000-entry LRU kept
// them. Hand-written: a dozen lines; an LRU package (lru-cache) also reorders on every hit.
export const DERIVED_KEY_CACHE_SECRETS = 40_000;
let recentKeys = new Map<string, Map<KeyPurpose, KeyObject>>();
let olderKeys = new Map<string, Map<KeyPurpose, KeyObject>>();
const bufferKeys = new WeakMap<Buffer, Map<KeyPurpose, KeyObject>>();

function keepStringKeys(secret: string, perSecret: Map<KeyPurpose, KeyObject>): void {
  if (recentKeys.size >= DERIVED_KEY_CACHE_SECRETS / 2) {
    olderKeys = recentKeys;
    recentKeys = new Map();
  }
  recentKeys.set(secret, perSecret);
}

function cachedStringKeys(secret: string): Map<KeyPurpose, KeyObject> | undefined {
  const recent = recentKeys.get(secret);
  if (recent) return recent;
  const older = olderKeys.get(secret);
  if (older) keepStringKeys(secret, older);
  return older;
}

function secretBytes(secret: SecretKey): Buffer {
  const b = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret); // a copy
  if (b.length < 16) throw new TypeError('a kiosk secret must be at least 16 bytes');
  return b;
}

/**
 * The key for one purpose, derived from a kiosk secret: HKDF-SHA256(secret, salt, info =
 * 'ns-kiosk/<purpose>/v1', 32 bytes). THE derivation: kiosk and back office both use this one.
 */
export function deriveKey(secret: SecretKey, purpose: KeyPurpose): KeyObject {
  let perSecret = typeof secret === 'string' ? cachedStringKeys(secret) : bufferKeys.get(secret);
  const cached = perSecret?.get(purpose);
  if (cached) return cached;
  const ikm = secretBytes(secret);
  const key = createSecretKey(Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, `ns-kiosk/${purpose}/v1`, 32)));
  ikm.fill(0);
  if (!perSecret) {
    perSecret = new Map();
    if (typeof secret === 'string') keepStringKeys(secret, perSecret);
    else bufferKeys.set(secret, perSecret);
  }
  perSecret.set(purpose, key);
  return key;
}

/** Every purpose's key for one secret (e.g. to hand each service only the key it needs). */
export function deriveKioskKeys(secret: SecretKey): Record<KeyPurpose, KeyObject> {
  return Object.fromEntries(KEY_PURPOSES.map((p) => [p, deriveKey(secret, p)])) as Record<KeyPurpose, KeyObject>;
}

/** HMAC-SHA256 under the purpose's derived key, over `<prefix>\n<message>`. */
export function hmacHex(secret: SecretKey, purpose: KeyPurpose, message: string): string {
  return createHmac('sha256', deriveKey(secret, purpose)).update(`${HMAC_PREFIX[purpose]}\n`).update(message).digest('hex');
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
  return { hash: hmacHex(key, 'card', cardNumber), last4: cardNumber.slice(-4) };
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
  // A record without a key id keeps format 1 byte for byte: journals written before key rotation
  // existed verify unchanged. One with a key id is format 2: the same fields plus the key id.
  return JSON.stringify([
    r.keyId === undefined ? RECORD_FORMAT_VERSION : RECORD_FORMAT_VERSION_KEYED,
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
    ...(r.keyId === undefined ? [] : [r.keyId]),
  ]);
}

export function sealRecord(r: UnsignedRecord, key: SecretKey): JournalRecord {
  const canonical = canonicalRecord(r);
  return { ...r, hash: sha256Hex(canonical), hmac: hmacHex(key, 'record', canonical) };
}

export type RecordCheck = { ok: true } | { ok: false; reason: 'hash-mismatch' | 'bad-hmac' };

/** Does the record's hash match its content, and its HMAC the kiosk's key? (Chain: caller's job.) */
export function checkRecord(r: JournalRecord, key: SecretKey): RecordCheck {
  const { hash, hmac, ...rest } = r;
  const canonical = canonicalRecord(rest);
  if (!hexEqual(sha256Hex(canonical), hash)) return { ok: false, reason: 'hash-mismatch' };
  if (!hexEqual(hmacHex(key, 'record', canonical), hmac)) return { ok: false, reason: 'bad-hmac' };
  return { ok: true };
}

/**
 * The secret a record names (key rotation): `keyId` undefined is the kiosk's original key (records
 * written before rotation, or before the kiosk ever rotated); undefined back: no such key here.
 */
export type RecordKeyLookup = (keyId: number | undefined) => SecretKey | undefined;

/** A kiosk's record keys: the one new records are sealed under, and every one they may name. */
export interface RecordKeys {
  current(): { keyId: number | undefined; secret: SecretKey };
  lookup: RecordKeyLookup;
}

export type KeyedRecordCheck = RecordCheck | { ok: false; reason: 'unknown-key' };

/** checkRecord under the key the record names, looked up per record. */
export function checkRecordKeyed(r: JournalRecord, lookup: RecordKeyLookup): KeyedRecordCheck {
  const key = lookup(r.keyId);
  if (key === undefined) return { ok: false, reason: 'unknown-key' };
  return checkRecord(r, key);
}

/** The idempotency key under which a record is delivered to the back office. */
export function idempotencyKey(r: Pick<JournalRecord, 'kioskId' | 'seq' | 'hash'>): string {
  return `${r.kioskId}/${r.seq}/${r.hash.slice(0, 16)}`;
}
