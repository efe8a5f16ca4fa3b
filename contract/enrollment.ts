/**
 * Enrollment and key rotation (issue 11 finding 5): the contract both sides implement.
 *
 * Enrollment turns a new kiosk into a known one with a ONE-TIME token the operator issues for a
 * kiosk id (32 random bytes, base64url, valid for a day, stored at the back office as its SHA-256
 * only). The token never travels and no secret ever travels. Both sides key everything with
 * K = enrollmentTokenKey(token) = SHA-256(token), the one value the back office keeps (so a copy of
 * an OPEN token's row is as good as the token for the rest of its day: docs/security.md):
 *   1. the kiosk makes an X25519 key pair and sends POST /v1/enroll {kioskId, kioskPublicKey, proof},
 *      proof = HMAC-SHA256(K, 'ns-kiosk/enroll/v1' | kioskId | kioskPublicKey);
 *   2. the back office finds the unused token of that kiosk id, checks the proof, marks the token
 *      used (atomically: a second use fails), makes its own X25519 pair and answers
 *      {keyId, serverPublicKey, confirmation};
 *   3. both compute the kiosk secret = HKDF-SHA256(X25519 shared secret, salt = K,
 *      info = 'ns-kiosk/kiosk-secret/v1|kioskId|keyId'); the confirmation is an HMAC under the new
 *      secret's 'response' key, so the kiosk knows the answer came from whoever held the token.
 * Rotation is the same exchange authenticated by the current keys instead of a token
 * (POST /v1/keys/rotate, a normal signed request; salt = the current secret's 'request' key
 * material is not exported, so salt = SHA-256 of the request signature). A running kiosk keeps the
 * new secret in its key ring (main/backoffice-client/key-ring.ts) next to the old one, switches
 * once the back office confirmed it, and its journal records name the key that sealed them
 * (journal-record.ts keyId): docs/security.md, "Key rotation of a running kiosk".
 */
import { createHmac, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { hexEqual, hmacHex, sha256Hex } from './record-crypto.js';

const B64URL = /^[A-Za-z0-9_-]+$/;
export const KioskIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/);
export const EnrollRequest = z.strictObject({
  kioskId: KioskIdSchema,
  kioskPublicKey: z.string().regex(B64URL).length(43),
  proof: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EnrollRequestDto = z.infer<typeof EnrollRequest>;
export const EnrollResponse = z.strictObject({
  keyId: z.int().positive(),
  serverPublicKey: z.string().regex(B64URL).length(43),
  confirmation: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EnrollResponseDto = z.infer<typeof EnrollResponse>;
export const ENROLL_PATH = '/enroll';
/** Body of POST /v1/keys/rotate (a signed request); the answer is an EnrollResponse. */
export const RotateRequest = z.strictObject({ kioskPublicKey: z.string().regex(B64URL).length(43) });
export type RotateRequestDto = z.infer<typeof RotateRequest>;
export const ROTATE_PATH = '/keys/rotate';

export interface X25519Pair {
  privateKey: KeyObject;
  /** Raw 32-byte public key, base64url (43 characters). */
  publicKey: string;
}

export function x25519Pair(): X25519Pair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, publicKey: jwk.x! };
}

function publicKeyFrom(raw: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw }, format: 'jwk' });
}

/** K: what the proof and the salt are keyed with, and all the back office stores of a token. */
export function enrollmentTokenKey(token: string): string {
  return sha256Hex(token);
}

/** `tokenKey`: enrollmentTokenKey(token), never the token itself. */
export function enrollmentProof(tokenKey: string, kioskId: string, kioskPublicKey: string): string {
  return createHmac('sha256', tokenKey).update(['ns-kiosk/enroll/v1', kioskId, kioskPublicKey].join('|')).digest('hex');
}

export function checkEnrollmentProof(tokenKey: string, req: EnrollRequestDto): boolean {
  return hexEqual(enrollmentProof(tokenKey, req.kioskId, req.kioskPublicKey), req.proof);
}

/** The new kiosk secret (hex, 64 characters): the same on both sides, never sent. */
export function enrolledSecret(args: { own: KeyObject; peerPublicKey: string; salt: string; kioskId: string; keyId: number }): string {
  const shared = diffieHellman({ privateKey: args.own, publicKey: publicKeyFrom(args.peerPublicKey) });
  return Buffer.from(hkdfSync('sha256', shared, args.salt, `ns-kiosk/kiosk-secret/v1|${args.kioskId}|${args.keyId}`, 32)).toString('hex');
}

export function enrollmentConfirmation(secret: string, kioskId: string, keyId: number, serverPublicKey: string): string {
  return hmacHex(secret, 'response', ['enrolled', kioskId, String(keyId), serverPublicKey].join('|'));
}

/** Salt of a rotation: bound to the signed rotation request. */
export function rotationSalt(requestSignature: string): string {
  return sha256Hex(`ns-kiosk/rotate/v1|${requestSignature}`);
}

