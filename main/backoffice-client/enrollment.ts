/**
 * The kiosk's side of enrollment (contract/enrollment.ts): with a one-time token from the operator
 * and no secret yet, agree a kiosk secret with the back office (X25519 + HKDF; neither the token
 * nor the secret travels), check the back office's confirmation, and store the secret 0600 with
 * O_EXCL. Any failure leaves nothing written: the kiosk stays unenrolled and says why.
 */
import { writeFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { API_PREFIX } from '../../contract/backoffice-api.js';
import {
  ENROLL_PATH,
  EnrollResponse,
  enrolledSecret,
  enrollmentConfirmation,
  enrollmentProof,
  x25519Pair,
} from '../../contract/enrollment.js';
import { hexEqual } from '../../contract/record-crypto.js';

export class EnrollmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnrollmentError';
  }
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
  const u = new URL(args.baseUrl);
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new EnrollmentError('enrollment needs an https back office');
  if (u.protocol === 'https:' && !args.caPem) throw new EnrollmentError('enrollment needs the operator CA to pin');
  const agent = new Agent(args.caPem ? { connect: { ca: args.caPem, rejectUnauthorized: true } } : {});
  try {
    const pair = x25519Pair();
    const body = JSON.stringify({ kioskId: args.kioskId, kioskPublicKey: pair.publicKey, proof: enrollmentProof(args.token, args.kioskId, pair.publicKey) });
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
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EnrollmentError('enrollment answer is not JSON');
    }
    const parsed = EnrollResponse.safeParse(json);
    if (!parsed.success) throw new EnrollmentError('enrollment answer has the wrong shape');
    const { keyId, serverPublicKey, confirmation } = parsed.data;
    const secret = enrolledSecret({ own: pair.privateKey, peerPublicKey: serverPublicKey, salt: args.token, kioskId: args.kioskId, keyId });
    if (!hexEqual(enrollmentConfirmation(secret, args.kioskId, keyId, serverPublicKey), confirmation))
      throw new EnrollmentError('enrollment answer is not confirmed by the token holder: nothing stored');
    writeFileSync(args.secretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { keyId };
  } finally {
    await agent.close();
  }
}
