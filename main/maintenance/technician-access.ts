/**
 * Who may open maintenance on this kiosk (issue 13): the card's signed credential (verified
 * offline, contract/technician-credential.ts), the technician list synced from the back office
 * (id, argon2id PIN hash, revoked), and the PIN lockout: `maxAttempts` wrong PINs lock that card
 * out on this kiosk for `lockoutMs`. The lockout is kept in a file in the data directory, so a
 * restart does not reset it.
 *
 * PIN hashes are verified with @node-rs/argon2 (argon2id; a prebuilt binary from npm, no
 * compiler): a well-kept library instead of hand-written crypto.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { verify as argon2Verify } from '@node-rs/argon2';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../contract/time.js';
import { verifyTechnicianCredential } from '../../contract/technician-credential.js';
import type { CheckPinInput, CheckPinOutput, VerifyCredentialInput, VerifyCredentialOutput } from '../../state-machines/maintenance/maintenance-types.js';

export const technicianEntrySchema = z.strictObject({
  technicianId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  /** argon2id PHC string. */
  pinHash: z.string().startsWith('$argon2id$').max(200),
  revoked: z.boolean(),
});
export const technicianListSchema = z.strictObject({ version: z.number().int().min(0), technicians: z.array(technicianEntrySchema).max(10_000) });
export type TechnicianList = z.infer<typeof technicianListSchema>;

const lockoutFileSchema = z.record(z.string(), z.strictObject({ failures: z.number().int().min(0), lockedUntil: z.number().int().optional() }));

export interface TechnicianAccessOptions {
  publicKey: KeyObject;
  clock: Clock;
  /** The technician list as last synced (undefined: none yet: nobody gets in). */
  list: () => TechnicianList | undefined;
  maxAttempts: number;
  lockoutMs: number;
  /** Where the lockout state is kept (JSON). */
  lockoutFile: string;
}

export interface TechnicianAccess {
  verifyCredential(input: VerifyCredentialInput): Promise<VerifyCredentialOutput>;
  checkPin(input: CheckPinInput): Promise<CheckPinOutput>;
  /** Tester reset only (emulated/wire: composition.ts): every lockout lifted. */
  clearLockouts(): void;
}

export function createTechnicianAccess(o: TechnicianAccessOptions): TechnicianAccess {
  let state: z.infer<typeof lockoutFileSchema> = {};
  if (existsSync(o.lockoutFile)) {
    const r = lockoutFileSchema.safeParse(JSON.parse(readFileSync(o.lockoutFile, 'utf8')));
    // Unreadable lockout state fails closed for nobody in particular: start empty but say so.
    if (r.success) state = r.data;
    else throw new Error(`${o.lockoutFile} is not a valid lockout file: refused (fix or remove it on purpose)`);
  }
  const save = () => {
    const tmp = `${o.lockoutFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, o.lockoutFile);
  };
  const now = () => o.clock.now().getTime();
  const key = (uid: string) => uid.toUpperCase();
  const lockedUntil = (uid: string): number | undefined => {
    const s = state[key(uid)];
    return s?.lockedUntil !== undefined && s.lockedUntil > now() ? s.lockedUntil : undefined;
  };
  const entry = (id: string) => o.list()?.technicians.find((t) => t.technicianId === id);

  return {
    clearLockouts() {
      state = {};
      save();
    },
    async verifyCredential({ credential, uid }) {
      const c = verifyTechnicianCredential(credential, uid, o.publicKey, o.clock.now());
      if (!c.ok) return { ok: false, reason: c.reason };
      const id = c.credential.technicianId;
      const t = entry(id);
      if (!t) return { ok: false, reason: 'unknown-technician', technicianId: id };
      if (t.revoked) return { ok: false, reason: 'revoked', technicianId: id };
      const until = lockedUntil(uid);
      if (until !== undefined) return { ok: false, reason: 'locked-out', technicianId: id, lockedUntil: new Date(until).toISOString() };
      const s = state[key(uid)];
      // A lockout that ran out starts a fresh count.
      const failures = s?.lockedUntil !== undefined ? 0 : (s?.failures ?? 0);
      return {
        ok: true,
        technician: { technicianId: id, roles: [...c.credential.roles], expiresAt: c.credential.expiresAt },
        attemptsLeft: Math.max(0, o.maxAttempts - failures),
      };
    },
    async checkPin({ technicianId, uid, pin }) {
      const until = lockedUntil(uid);
      if (until !== undefined) return { ok: false, attemptsLeft: 0, lockedUntil: new Date(until).toISOString() };
      const t = entry(technicianId);
      let good = false;
      if (t && !t.revoked) {
        try {
          good = await argon2Verify(t.pinHash, pin);
        } catch {
          good = false;
        }
      }
      const k = key(uid);
      if (good) {
        delete state[k];
        save();
        return { ok: true };
      }
      const prev = state[k];
      // A lockout that ran out starts a fresh count.
      const failures = (prev?.lockedUntil !== undefined ? 0 : (prev?.failures ?? 0)) + 1;
      if (failures >= o.maxAttempts) {
        const lu = now() + o.lockoutMs;
        state[k] = { failures, lockedUntil: lu };
        save();
        return { ok: false, attemptsLeft: 0, lockedUntil: new Date(lu).toISOString() };
      }
      state[k] = { failures };
      save();
      return { ok: false, attemptsLeft: o.maxAttempts - failures };
    },
  };
}
