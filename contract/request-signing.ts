/**
 * Per-kiosk request authentication: each request carries the kiosk id, the time and an HMAC (under
 * the kiosk secret) over method, path with query, time and the SHA-256 of the body. The secret never
 * travels; a changed body, path or time breaks the signature; a request older than the allowed skew
 * is refused. Replaying a fresh signed request inside that window is harmless by design: every
 * back-office write is idempotent (intake per record key, collection per operation id).
 */
import { hexEqual, hmacHex, sha256Hex, type SecretKey } from './record-crypto.js';

export const HEADER_KIOSK = 'x-kiosk-id';
export const HEADER_TIME = 'x-kiosk-time';
export const HEADER_SIGNATURE = 'x-kiosk-signature';
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

function message(method: string, pathWithQuery: string, time: string, body: string | Buffer): string {
  return [method.toUpperCase(), pathWithQuery, time, sha256Hex(body)].join('\n');
}

export function signRequest(args: {
  kioskId: string;
  secret: SecretKey;
  method: string;
  pathWithQuery: string;
  body: string | Buffer;
  at: Date;
}): Record<string, string> {
  const time = args.at.toISOString();
  return {
    [HEADER_KIOSK]: args.kioskId,
    [HEADER_TIME]: time,
    [HEADER_SIGNATURE]: hmacHex(args.secret, 'request', message(args.method, args.pathWithQuery, time, args.body)),
  };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'bad-signature' | 'stale' };

export function verifyRequestSignature(args: {
  secret: SecretKey;
  method: string;
  pathWithQuery: string;
  body: string | Buffer;
  time: string | undefined;
  signature: string | undefined;
  now: Date;
  maxSkewMs?: number;
}): SignatureCheck {
  if (!args.time || !args.signature) return { ok: false, reason: 'missing' };
  const expected = hmacHex(args.secret, 'request', message(args.method, args.pathWithQuery, args.time, args.body));
  if (!hexEqual(expected, args.signature.toLowerCase())) return { ok: false, reason: 'bad-signature' };
  const t = Date.parse(args.time);
  if (!Number.isFinite(t) || Math.abs(args.now.getTime() - t) > (args.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true };
}

/**
 * Response authentication (issue 11 finding 4): the back office signs every answer to an
 * authenticated request with the kiosk's 'response' key, over the request's own signature (so an
 * old answer cannot be replayed to a new request), the HTTP status and the SHA-256 of the body.
 * The kiosk accepts no answer without it: a tampering proxy, a rogue server with a certificate the
 * kiosk trusts by mistake, or an insider without this kiosk's key cannot forge orders or clear the
 * blocked list.
 */
export const HEADER_RESPONSE_SIGNATURE = 'x-backoffice-signature';

function responseMessage(requestSignature: string, status: number, body: string | Buffer): string {
  return ['response', requestSignature.toLowerCase(), String(status), sha256Hex(body)].join('\n');
}

export function signResponse(args: { secret: SecretKey; requestSignature: string; status: number; body: string | Buffer }): string {
  return hmacHex(args.secret, 'response', responseMessage(args.requestSignature, args.status, args.body));
}

export function verifyResponseSignature(args: {
  secret: SecretKey;
  requestSignature: string;
  status: number;
  body: string | Buffer;
  signature: string | null | undefined;
}): boolean {
  if (!args.signature) return false;
  return hexEqual(signResponse(args), args.signature.toLowerCase());
}
