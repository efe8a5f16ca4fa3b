/**
 * The back office's half of enrollment and key rotation (contract/enrollment.ts), over either
 * store (kiosk-keys-sqlite.ts for the in-process SQLite back office, db/pg-kiosk-keys.ts for
 * PostgreSQL/PGlite). Issue 11 finding 5.
 *
 * - A kiosk is known either by configuration (BACKOFFICE_KIOSKS / the in-process back office's
 *   own kiosk: key id 0, never rotated here, change it in the configuration) or by enrollment.
 * - Enrollment tokens: 32 random bytes, base64url, valid ENROLLMENT_TOKEN_TTL_MS, stored as
 *   SHA-256 only, used at most once (the store marks it used with a conditional UPDATE inside the
 *   same transaction that stores the key: of two concurrent uses exactly one wins).
 * - Keys: per kiosk, numbered 1, 2, … ('active' | 'pending' | 'retired' | 'revoked'). A rotation
 *   adds a 'pending' key next to the 'active' one; the first request that verifies under the
 *   pending key confirms it (pending -> active, the old active -> retired): from then on the old
 *   key is refused. Until then the old key keeps working (the kiosk may have lost the answer and
 *   rotates again, which replaces the pending key).
 */
import { randomBytes } from 'node:crypto';
import {
  EnrollRequest,
  enrolledSecret,
  enrollmentConfirmation,
  enrollmentTokenKey,
  checkEnrollmentProof,
  KioskIdSchema,
  rotationSalt,
  RotateRequest,
  x25519Pair,
  type EnrollResponseDto,
} from '../contract/enrollment.js';
import { sha256Hex, type SecretKey } from '../contract/record-crypto.js';
import type { JournalRecord } from '../contract/journal-record.js';
import type { Clock } from '../contract/time.js';
import { HttpError, parse } from './http-errors.js';

export const ENROLLMENT_TOKEN_TTL_MS = 24 * 60 * 60_000;

export type KeyState = 'active' | 'pending';
export interface KioskKey {
  keyId: number;
  secret: string;
  state: KeyState;
}

export interface RecordKey {
  keyId: number;
  secret: string;
  state: 'active' | 'pending' | 'retired';
  endedAt: Date | null;
}

/** What each store keeps for enrollment; every method is one transaction. */
export interface KioskKeyStore {
  /** Store an enrollment token's SHA-256 for a kiosk id, valid until `expiresAt`. */
  addEnrollmentToken(kioskId: string, tokenHash: string, issuedAt: Date, expiresAt: Date): Promise<void>;
  /** SHA-256s of this kiosk's tokens that are unused and not expired at `now`. */
  openEnrollmentTokens(kioskId: string, now: Date): Promise<string[]>;
  /**
   * Atomically: mark the token used (only if it is unused, unexpired and this kiosk's), revoke
   * every key the kiosk had, and store a new active key `makeSecret(keyId)`. Undefined when the
   * token was not usable (used by someone else meanwhile, expired): nothing changed.
   */
  enrollWithToken(kioskId: string, tokenHash: string, now: Date, makeSecret: (keyId: number) => string): Promise<number | undefined>;
  /** The kiosk's active and pending keys (empty: unknown or revoked). */
  kioskKeys(kioskId: string): Promise<KioskKey[]>;
  /**
   * Every key of the kiosk that may still have sealed journal records: active, pending and
   * retired (not revoked), each with when it ended (retired: when the next key was confirmed).
   * For intake only: requests are never verified under a retired key (kioskKeys).
   */
  recordKeys(kioskId: string): Promise<RecordKey[]>;
  /** Pending `keyId` -> active, the active one -> retired. False when it was not pending. */
  confirmKey(kioskId: string, keyId: number, now: Date): Promise<boolean>;
  /**
   * Atomically, while `activeKeyId` is still the active key: drop any pending key and add a new
   * pending one `makeSecret(keyId)`. Undefined when `activeKeyId` is no longer active.
   */
  addPendingKey(kioskId: string, activeKeyId: number, now: Date, makeSecret: (keyId: number) => string): Promise<number | undefined>;
  /** Revoke every key and open token of a kiosk; how many keys and tokens were revoked. */
  revokeKiosk(kioskId: string, now: Date): Promise<{ keys: number; tokens: number }>;
  /** How many kiosks have a usable key, and how many tokens are open (the standalone start check). */
  census(now: Date): Promise<{ enrolledKiosks: number; openTokens: number }>;
}

export function tokenHash(token: string): string {
  return sha256Hex(token);
}

/** Operator: a new one-time enrollment token for `kioskId` (shown once; only its hash is kept). */
export async function issueEnrollmentToken(
  keys: KioskKeyStore,
  kioskId: string,
  clock: Clock,
  configured: Readonly<Record<string, string>> = {},
): Promise<{ token: string; expiresAt: Date }> {
  const id = KioskIdSchema.safeParse(kioskId);
  if (!id.success) throw new HttpError(400, 'bad-request', `not a kiosk id: '${kioskId.slice(0, 40)}' (letters, digits and '-', at most 32)`);
  if (Object.hasOwn(configured, kioskId)) throw new HttpError(409, 'configured-kiosk', `kiosk ${kioskId} has its key in the configuration (BACKOFFICE_KIOSKS); remove it there first`);
  // 32 bytes from the OS CSPRNG; not the injected Random (its ids are for records, not keys).
  const token = randomBytes(32).toString('base64url');
  const issuedAt = clock.now();
  const expiresAt = new Date(issuedAt.getTime() + ENROLLMENT_TOKEN_TTL_MS);
  await keys.addEnrollmentToken(kioskId, tokenHash(token), issuedAt, expiresAt);
  return { token, expiresAt };
}

const REFUSED = 'no usable enrollment token for this kiosk id and proof (unknown kiosk, wrong, used or expired token)';

/** POST /v1/enroll: one answer for every refusal, so a caller learns nothing about which it was. */
export async function enroll(keys: KioskKeyStore, body: unknown, clock: Clock, configured: Readonly<Record<string, string>>): Promise<EnrollResponseDto> {
  const req = parse(EnrollRequest, body, 'body');
  if (Object.hasOwn(configured, req.kioskId)) throw new HttpError(401, 'unauthorized', REFUSED);
  const now = clock.now();
  const hashes = await keys.openEnrollmentTokens(req.kioskId, now);
  // The proof is keyed by the token's SHA-256 (enrollmentTokenKey): what the back office keeps.
  const match = hashes.find((h) => checkEnrollmentProof(h, req));
  if (!match) throw new HttpError(401, 'unauthorized', REFUSED);
  const pair = x25519Pair();
  let secret = '';
  const keyId = await keys.enrollWithToken(req.kioskId, match, now, (id) => {
    secret = enrolledSecret({ own: pair.privateKey, peerPublicKey: req.kioskPublicKey, salt: match, kioskId: req.kioskId, keyId: id });
    return secret;
  });
  if (keyId === undefined) throw new HttpError(401, 'unauthorized', REFUSED);
  return { keyId, serverPublicKey: pair.publicKey, confirmation: enrollmentConfirmation(secret, req.kioskId, keyId, pair.publicKey) };
}

/** POST /v1/keys/rotate, already authenticated by `current` (the key the request verified under). */
export async function rotate(
  keys: KioskKeyStore,
  args: { kioskId: string; current: { keyId: number }; requestSignature: string; body: unknown; clock: Clock },
): Promise<EnrollResponseDto> {
  const req = parse(RotateRequest, args.body, 'body');
  if (args.current.keyId === 0) throw new HttpError(409, 'configured-kiosk', 'this kiosk has its key in the configuration (BACKOFFICE_KIOSKS): rotate it there');
  const pair = x25519Pair();
  const salt = rotationSalt(args.requestSignature);
  let secret = '';
  const keyId = await keys.addPendingKey(args.kioskId, args.current.keyId, args.clock.now(), (id) => {
    secret = enrolledSecret({ own: pair.privateKey, peerPublicKey: req.kioskPublicKey, salt, kioskId: args.kioskId, keyId: id });
    return secret;
  });
  if (keyId === undefined) throw new HttpError(401, 'unauthorized', 'this key is no longer the active key of the kiosk');
  return { keyId, serverPublicKey: pair.publicKey, confirmation: enrollmentConfirmation(secret, args.kioskId, keyId, pair.publicKey) };
}

/** The keys a request of `kioskId` may be signed with: configured (key id 0) or enrolled. */
export async function candidateKeys(keys: KioskKeyStore, configured: Readonly<Record<string, string>>, kioskId: string): Promise<KioskKey[]> {
  if (Object.hasOwn(configured, kioskId)) return [{ keyId: 0, secret: configured[kioskId]!, state: 'active' }];
  if (!KioskIdSchema.safeParse(kioskId).success) return [];
  return keys.kioskKeys(kioskId);
}

export { enrollmentTokenKey };

/**
 * The keys intake checks a kiosk's records with (key rotation): each record under the key it
 * names (contract/journal-record.ts keyId), looked up by (kiosk, keyId), and card numbers under
 * the card key, which never rotates. THE one place both stores take their record keys from.
 */
export interface IntakeKeys {
  /** The secret that sealed this record, or undefined: refused as 'unknown-key'. */
  record(r: Pick<JournalRecord, 'keyId' | 'at'>): SecretKey | undefined;
  /** What card-number hashes of this kiosk are keyed with (cardRef): its original secret. */
  card: SecretKey;
}

/** A bare secret (tests, a configured kiosk): it is the kiosk's original key and signs no key id. */
export function asIntakeKeys(keys: SecretKey | IntakeKeys): IntakeKeys {
  if (typeof keys === 'string' || Buffer.isBuffer(keys)) return { record: (r) => (r.keyId === undefined ? keys : undefined), card: keys };
  return keys;
}

/**
 * The intake keys of `kioskId`:
 * - a configured kiosk (key id 0, never rotated here): its configured secret, records without a key id;
 * - an enrolled kiosk: every key not revoked. A record without a key id was sealed under the kiosk's
 *   ORIGINAL key, the one it enrolled with (the lowest key id not revoked: enrollment revokes every
 *   older key, rotation only retires). A record under a RETIRED key is taken only if it was sealed
 *   (its `at`, the kiosk's clock, allowed `maxSkewMs` of skew like a request) before that key was
 *   retired: records the kiosk sealed before it rotated still arrive after the rotation, a record
 *   forged later with an old key does not. Card hashes stay under the original key (never rotated:
 *   the blocked list and the order matching would otherwise no longer recognise a card).
 * Undefined: no key at all (unknown or revoked kiosk).
 */
export async function intakeKeysOf(
  keys: KioskKeyStore,
  configured: Readonly<Record<string, string>>,
  kioskId: string,
  maxSkewMs: number,
): Promise<IntakeKeys | undefined> {
  if (Object.hasOwn(configured, kioskId)) return asIntakeKeys(configured[kioskId]!);
  if (!KioskIdSchema.safeParse(kioskId).success) return undefined;
  const all = await keys.recordKeys(kioskId);
  const original = all[0];
  if (!original) return undefined;
  const byId = new Map(all.map((k) => [k.keyId, k]));
  return {
    card: original.secret,
    record(r) {
      const k = r.keyId === undefined ? original : byId.get(r.keyId);
      if (!k) return undefined;
      if (k.state === 'retired') {
        const sealed = Date.parse(r.at);
        if (k.endedAt === null || !Number.isFinite(sealed) || sealed > k.endedAt.getTime() + maxSkewMs) return undefined;
      }
      return k.secret;
    },
  };
}
