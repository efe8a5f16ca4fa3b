/**
 * The technician credential (issue 13): what a technician card carries, signed by the operator's
 * key (Ed25519), verified offline by every kiosk with the operator's public key. Defined once:
 * the back office issues it, the kiosk verifies it.
 *
 * Format: `<base64url(JSON payload)>.<base64url(Ed25519 signature over the payload bytes)>`.
 * The payload names the technician, their roles, when it expires and the card UID it was written
 * to (a credential copied to another card does not open the kiosk). It holds no PIN: the PIN is
 * checked against the technician list (argon2id hashes) the kiosk syncs from the back office.
 * Ed25519 from node:crypto (no hand-written crypto).
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const TECHNICIAN_ROLES = ['diagnostics', 'settlement', 'service'] as const;

export const technicianCredentialSchema = z.strictObject({
  v: z.literal(1),
  technicianId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  roles: z.array(z.enum(TECHNICIAN_ROLES)).min(1).max(TECHNICIAN_ROLES.length),
  /** ISO date-time. */
  expiresAt: z.iso.datetime(),
  /** The card's UID (hex) the credential was issued for. */
  uid: z.string().regex(/^[0-9A-F]{8,20}$/),
});
export type TechnicianCredential = z.infer<typeof technicianCredentialSchema>;

export type CredentialCheck =
  | { ok: true; credential: TechnicianCredential }
  | { ok: false; reason: 'forged' | 'expired' | 'wrong-card' };

const MAX_TOKEN = 2048;

export function signTechnicianCredential(payload: TechnicianCredential, operatorPrivateKey: KeyObject): string {
  const body = Buffer.from(JSON.stringify(technicianCredentialSchema.parse(payload)), 'utf8');
  return `${body.toString('base64url')}.${sign(null, body, operatorPrivateKey).toString('base64url')}`;
}

/** Public key from PEM (SPKI) or a KeyObject; refuses anything but Ed25519. */
export function operatorPublicKey(key: string | KeyObject): KeyObject {
  const k = typeof key === 'string' ? createPublicKey(key) : key;
  if (k.asymmetricKeyType !== 'ed25519') throw new Error(`the operator key must be Ed25519 (got ${k.asymmetricKeyType ?? 'unknown'})`);
  return k;
}

/**
 * Verify offline: the signature first (anything malformed or not signed by the operator is
 * `forged`), then the card it sits on, then the expiry against the injected clock.
 */
export function verifyTechnicianCredential(token: string, uid: string, publicKey: KeyObject, now: Date): CredentialCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN) return { ok: false, reason: 'forged' };
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return { ok: false, reason: 'forged' };
  const body = Buffer.from(parts[0]!, 'base64url');
  const sig = Buffer.from(parts[1]!, 'base64url');
  let good = false;
  try {
    good = sig.length === 64 && verify(null, body, publicKey, sig);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'forged' };
  let parsed: TechnicianCredential;
  try {
    const r = technicianCredentialSchema.safeParse(JSON.parse(body.toString('utf8')));
    if (!r.success) return { ok: false, reason: 'forged' };
    parsed = r.data;
  } catch {
    return { ok: false, reason: 'forged' };
  }
  if (parsed.uid !== uid.toUpperCase()) return { ok: false, reason: 'wrong-card' };
  if (new Date(parsed.expiresAt).getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, credential: parsed };
}
