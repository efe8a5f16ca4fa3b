/**
 * The kiosk's side of enrollment (contract/enrollment.ts): with a one-time token from the operator
 * and no secret yet, agree a kiosk secret with the back office (X25519 + HKDF; neither the token
 * nor the secret travels), check the back office's confirmation, and store the secret 0600 with
 * O_EXCL. Any failure leaves nothing written: the kiosk stays unenrolled and says why.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { API_PREFIX } from '../../contract/backoffice-api.js';
import {
  ENROLL_PATH,
  EnrollResponse,
  enrolledSecret,
  enrollmentConfirmation,
  enrollmentProof,
  enrollmentTokenKey,
  ROTATE_PATH,
  rotationSalt,
  x25519Pair,
  type EnrollResponseDto,
} from '../../contract/enrollment.js';
import { hexEqual } from '../../contract/record-crypto.js';
import { HEADER_RESPONSE_SIGNATURE, HEADER_SIGNATURE, signRequest, verifyResponseSignature } from '../../contract/request-signing.js';
import type { Clock } from '../../contract/time.js';

export class EnrollmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnrollmentError';
  }
}

function agentFor(baseUrl: string, caPem: string | Buffer | undefined, what: string): Agent {
  const u = new URL(baseUrl);
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new EnrollmentError(`${what} needs an https back office`);
  if (u.protocol === 'https:' && !caPem) throw new EnrollmentError(`${what} needs the operator CA to pin`);
  return new Agent(caPem ? { connect: { ca: caPem, rejectUnauthorized: true } } : {});
}

function parseAnswer(text: string, what: string): EnrollResponseDto {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnrollmentError(`${what} answer is not JSON`);
  }
  const parsed = EnrollResponse.safeParse(json);
  if (!parsed.success) throw new EnrollmentError(`${what} answer has the wrong shape`);
  return parsed.data;
}

export async function enrollKiosk(args: {
  baseUrl: string;
  /** The operator CA (PEM), pinned; required for https. */
  caPem?: string | Buffer;
  kioskId: string;
  token: string;
  /** Where the secret goes (the data directory's kiosk-secret). */
  secretFile: string;
  timeoutMs?: number;
}): Promise<{ keyId: number }> {
  const agent = agentFor(args.baseUrl, args.caPem, 'enrollment');
  try {
    const pair = x25519Pair();
    // Keyed by K = SHA-256(token), what the back office keeps (contract/enrollment.ts).
    const tokenKey = enrollmentTokenKey(args.token);
    const body = JSON.stringify({ kioskId: args.kioskId, kioskPublicKey: pair.publicKey, proof: enrollmentProof(tokenKey, args.kioskId, pair.publicKey) });
    let res;
    try {
      res = await undiciFetch(`${args.baseUrl.replace(/\/+$/, '')}${API_PREFIX}${ENROLL_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher: agent,
        redirect: 'error',
        signal: AbortSignal.timeout(args.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new EnrollmentError(`back office not reachable for enrollment: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new EnrollmentError(`enrollment refused (HTTP ${res.status}): ${text.slice(0, 200)}`);
    const { keyId, serverPublicKey, confirmation } = parseAnswer(text, 'enrollment');
    const secret = enrolledSecret({ own: pair.privateKey, peerPublicKey: serverPublicKey, salt: tokenKey, kioskId: args.kioskId, keyId });
    if (!hexEqual(enrollmentConfirmation(secret, args.kioskId, keyId, serverPublicKey), confirmation))
      throw new EnrollmentError('enrollment answer is not confirmed by the token holder: nothing stored');
    writeFileSync(args.secretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { keyId };
  } finally {
    await agent.close();
  }
}

/**
 * The exchange of a key rotation (contract/enrollment.ts): a request signed with the current
 * secret; the answer must carry the back office's signature under the current 'response' key AND
 * the confirmation under the new secret. Stores nothing: the caller keeps the new secret
 * (key-ring.ts for a running kiosk). The back office holds the new key as 'pending' and keeps
 * accepting the current one until the first request under the new key, so a lost answer is
 * harmless (rotate again: the new pending key replaces the lost one).
 */
export async function exchangeRotation(args: {
  baseUrl: string;
  caPem?: string | Buffer;
  kioskId: string;
  currentSecret: string;
  clock: Clock;
  timeoutMs?: number;
}): Promise<{ keyId: number; secret: string }> {
  const current = args.currentSecret;
  const agent = agentFor(args.baseUrl, args.caPem, 'key rotation');
  try {
    const pair = x25519Pair();
    const body = JSON.stringify({ kioskPublicKey: pair.publicKey });
    const pathWithQuery = `${API_PREFIX}${ROTATE_PATH}`;
    const headers = signRequest({ kioskId: args.kioskId, secret: current, method: 'POST', pathWithQuery, body, at: args.clock.now() });
    const requestSignature = headers[HEADER_SIGNATURE]!;
    let res;
    try {
      res = await undiciFetch(`${args.baseUrl.replace(/\/+$/, '')}${pathWithQuery}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        dispatcher: agent,
        redirect: 'error',
        signal: AbortSignal.timeout(args.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new EnrollmentError(`back office not reachable for key rotation: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!verifyResponseSignature({ secret: current, requestSignature, status: res.status, body: text, signature: res.headers.get(HEADER_RESPONSE_SIGNATURE) }))
      throw new EnrollmentError(`key rotation answer (HTTP ${res.status}) is not signed by the back office: nothing changed`);
    if (!res.ok) throw new EnrollmentError(`key rotation refused (HTTP ${res.status}): ${text.slice(0, 200)}`);
    const { keyId, serverPublicKey, confirmation } = parseAnswer(text, 'key rotation');
    const secret = enrolledSecret({ own: pair.privateKey, peerPublicKey: serverPublicKey, salt: rotationSalt(requestSignature), kioskId: args.kioskId, keyId });
    if (!hexEqual(enrollmentConfirmation(secret, args.kioskId, keyId, serverPublicKey), confirmation))
      throw new EnrollmentError('key rotation answer is not confirmed under the new secret: nothing changed');
    return { keyId, secret };
  } finally {
    await agent.close();
  }
}

/**
 * Confirm a rotated (pending) key: one signed request under it (GET /v1/journal/status). The back
 * office makes it the active key on the first request that verifies under it (the old key is
 * refused from then on) and signs its answer with it; only a 200 signed under the new key counts.
 * Throws when the key is not (yet) confirmed: the caller keeps using the current key.
 */
export async function confirmRotatedKey(args: {
  baseUrl: string;
  caPem?: string | Buffer;
  kioskId: string;
  secret: string;
  clock: Clock;
  timeoutMs?: number;
}): Promise<void> {
  const agent = agentFor(args.baseUrl, args.caPem, 'key rotation');
  try {
    const pathWithQuery = `${API_PREFIX}/journal/status`;
    const headers = signRequest({ kioskId: args.kioskId, secret: args.secret, method: 'GET', pathWithQuery, body: '', at: args.clock.now() });
    let res;
    try {
      res = await undiciFetch(`${args.baseUrl.replace(/\/+$/, '')}${pathWithQuery}`, {
        headers,
        dispatcher: agent,
        redirect: 'error',
        signal: AbortSignal.timeout(args.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new EnrollmentError(`back office not reachable to confirm the new key: ${(e as Error).message}`);
    }
    const text = await res.text();
    const signed = verifyResponseSignature({ secret: args.secret, requestSignature: headers[HEADER_SIGNATURE]!, status: res.status, body: text, signature: res.headers.get(HEADER_RESPONSE_SIGNATURE) });
    if (!signed || res.status !== 200) throw new EnrollmentError(`the new key was not confirmed (HTTP ${res.status}${signed ? '' : ', unsigned'})`);
  } finally {
    await agent.close();
  }
}

/**
 * Key rotation of a bare secret file (tests and tools; a running kiosk rotates its key ring:
 * key-ring.ts rotateKeyRing, which keeps the old key for the records sealed under it). The new
 * secret goes to `<secretFile>.next` (0600) and is renamed over `secretFile` only once the answer
 * checks; any failure leaves `secretFile` as it was.
 */
export async function rotateKioskKey(args: {
  baseUrl: string;
  caPem?: string | Buffer;
  kioskId: string;
  /** The secret file (read, then replaced). */
  secretFile: string;
  clock: Clock;
  timeoutMs?: number;
}): Promise<{ keyId: number; secret: string }> {
  const current = readFileSync(args.secretFile, 'utf8').trim();
  if (current.length < 32) throw new EnrollmentError(`${args.secretFile} holds no usable kiosk secret`);
  const next = `${args.secretFile}.next`;
  const { keyId, secret } = await exchangeRotation({ ...args, currentSecret: current });
  rmSync(next, { force: true });
  writeFileSync(next, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(next, args.secretFile);
  return { keyId, secret };
}
