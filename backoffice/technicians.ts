/**
 * Technicians (issue 13): the operator issues and revokes them; kiosks sync the list
 * (GET /v1/technicians, technician-routes.ts) to check PINs offline.
 *
 * - A technician: id, roles, the argon2id hash of their PIN (never the PIN: a PIN the back office
 *   made up is shown once, in the issue answer), revoked or not. Hashing with @node-rs/argon2 (a
 *   well-kept library, prebuilt; the kiosk verifies with the same one).
 * - The list version only grows: every issue and revocation raises the one `technician_list` row in
 *   the same transaction (on PostgreSQL its row lock orders concurrent changes) and stamps the
 *   changed technician with it. A revoked technician stays on the list, marked, so a kiosk that
 *   syncs learns of the revocation (an absent one would also be refused, by technician-access.ts).
 * - Every change is in `technician_events` with the operator's id (the audit trail).
 * - Issuing an id that exists gives it a new PIN and roles and un-revokes it (audited as 'issued').
 * - With the operator's signing key configured, issuing also answers the technician credential for
 *   the card UID given (contract/technician-credential.ts), to be written on that card.
 *
 * One set of SQL for both stores (like reconciliation.ts): store.ts (SQLite) and db/pg-store.ts
 * (PostgreSQL/PGlite) hand in their `?`-placeholder SQL port.
 */
import { randomInt, type KeyObject } from 'node:crypto';
import { hash as argon2Hash, type Algorithm } from '@node-rs/argon2';
import { z } from 'zod';
import { TechnicianId, type TechnicianListDto } from '../contract/backoffice-api.js';
import { FIXTURE_TECHNICIANS } from '../contract/fixture-technicians.js';
import { signTechnicianCredential, TECHNICIAN_ROLES } from '../contract/technician-credential.js';
import type { Clock } from '../contract/time.js';
import { HttpError, parse } from './http-errors.js';
import type { SqlPort } from './reconciliation.js';

/** @node-rs/argon2's `Algorithm.Argon2id` (a const enum its .d.ts declares; isolatedModules cannot read it). */
const ARGON2ID = 2 as Algorithm;

/** A PIN: 4 to 12 digits (typed on the kiosk's keypad). */
export const Pin = z.string().regex(/^\d{4,12}$/, 'a PIN is 4-12 digits');
/** Generated PINs have this many digits. */
export const GENERATED_PIN_DIGITS = 6;
/** A technician credential is valid this long by default (the card is re-issued after). */
export const DEFAULT_CREDENTIAL_VALIDITY_MS = 365 * 24 * 3600_000;

export const IssueTechnicianRequest = z.strictObject({
  technicianId: TechnicianId,
  roles: z.array(z.enum(TECHNICIAN_ROLES)).min(1).max(TECHNICIAN_ROLES.length),
  /** Absent: the back office generates one and answers it once. */
  pin: Pin.optional(),
  /** The technician card's UID (hex): with a signing key configured, the credential is issued for it. */
  cardUid: z.string().regex(/^[0-9A-Fa-f]{8,20}$/).optional(),
});
export type IssueTechnicianInput = z.infer<typeof IssueTechnicianRequest>;

export interface TechnicianDto {
  technicianId: string;
  roles: string[];
  revoked: boolean;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export interface TechnicianEventDto {
  technicianId: string;
  at: string;
  actor: string;
  action: 'issued' | 'revoked';
  version: number;
}

export interface TechnicianStore {
  /** Store (or replace) a technician with this PIN hash, un-revoked; the new list version. */
  put(t: { technicianId: string; roles: readonly string[]; pinHash: string }, actor: string): Promise<number>;
  /** Revoke; the new list version, or undefined for an unknown technician. Revoking twice raises nothing. */
  revoke(technicianId: string, actor: string): Promise<number | undefined>;
  /** The list as kiosks get it. */
  list(): Promise<TechnicianListDto>;
  /** The operator's view: no hashes. */
  technicians(): Promise<TechnicianDto[]>;
  events(limit?: number): Promise<TechnicianEventDto[]>;
  count(): Promise<number>;
}

export interface SqlTransactor {
  sql: SqlPort;
  transaction<T>(fn: (sql: SqlPort) => Promise<T>): Promise<T>;
}

export function createTechnicianStore(backend: SqlTransactor, clock: Clock): TechnicianStore {
  const now = () => clock.now().toISOString();
  async function bump(sql: SqlPort): Promise<number> {
    const r = await sql.all<{ version: number | string }>(`UPDATE technician_list SET version = version + 1 WHERE id = 1 RETURNING version`);
    return Number(r[0]!.version);
  }
  return {
    put(t, actor) {
      return backend.transaction(async (sql) => {
        const version = await bump(sql);
        const at = now();
        await sql.run(
          `INSERT INTO technicians (technician_id, pin_hash, roles, revoked, version, updated_at, updated_by) VALUES (?, ?, ?, 0, ?, ?, ?)
           ON CONFLICT (technician_id) DO UPDATE SET pin_hash = excluded.pin_hash, roles = excluded.roles, revoked = 0,
             version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
          [t.technicianId, t.pinHash, t.roles.join(','), version, at, actor],
        );
        await sql.run(`INSERT INTO technician_events (technician_id, at, actor, action, version) VALUES (?, ?, ?, 'issued', ?)`, [t.technicianId, at, actor, version]);
        return version;
      });
    },
    async revoke(technicianId, actor) {
      // The version is bumped first: its row lock makes writers go one at a time, so the check
      // below sees every revocation committed before it. (Checked first, two revocations at once
      // both found the technician active and both raised the version: seen on PostgreSQL, the
      // technicians-fleet attack test, once in eleven runs with other test files beside it.) Nothing
      // to do: rolled back, the bump with it.
      const unchanged = new Error('nothing to revoke');
      try {
        return await backend.transaction(async (sql) => {
          const version = await bump(sql);
          const row = await sql.all<{ revoked: number }>(`SELECT revoked FROM technicians WHERE technician_id = ?`, [technicianId]);
          if (row.length === 0 || Number(row[0]!.revoked) === 1) throw unchanged;
          const at = now();
          await sql.run(`UPDATE technicians SET revoked = 1, version = ?, updated_at = ?, updated_by = ? WHERE technician_id = ?`, [version, at, actor, technicianId]);
          await sql.run(`INSERT INTO technician_events (technician_id, at, actor, action, version) VALUES (?, ?, ?, 'revoked', ?)`, [technicianId, at, actor, version]);
          return version;
        });
      } catch (e) {
        if (e !== unchanged) throw e;
        // Read in a transaction of its own: on SQLite (one connection) a plain read would see
        // another call's bump in flight, later rolled back.
        return backend.transaction(async (sql) => {
          const row = await sql.all<{ revoked: number }>(`SELECT revoked FROM technicians WHERE technician_id = ?`, [technicianId]);
          if (row.length === 0) return undefined;
          return Number((await sql.all<{ version: number | string }>(`SELECT version FROM technician_list WHERE id = 1`))[0]!.version);
        });
      }
    },
    list() {
      // One transaction: the version and the rows are of the same moment.
      return backend.transaction(async (sql) => {
        const v = await sql.all<{ version: number | string }>(`SELECT version FROM technician_list WHERE id = 1`);
        const rows = await sql.all<{ technician_id: string; pin_hash: string; revoked: number }>(
          `SELECT technician_id, pin_hash, revoked FROM technicians ORDER BY technician_id`,
        );
        return { version: Number(v[0]!.version), technicians: rows.map((r) => ({ technicianId: r.technician_id, pinHash: r.pin_hash, revoked: Number(r.revoked) === 1 })) };
      });
    },
    async technicians() {
      const rows = await backend.sql.all<{ technician_id: string; roles: string; revoked: number; version: number | string; updated_at: string; updated_by: string }>(
        `SELECT technician_id, roles, revoked, version, updated_at, updated_by FROM technicians ORDER BY technician_id`,
      );
      return rows.map((r) => ({
        technicianId: r.technician_id,
        roles: r.roles.split(',').filter(Boolean),
        revoked: Number(r.revoked) === 1,
        version: Number(r.version),
        updatedAt: r.updated_at,
        updatedBy: r.updated_by,
      }));
    },
    async events(limit = 200) {
      const rows = await backend.sql.all<{ technician_id: string; at: string; actor: string; action: 'issued' | 'revoked'; version: number | string }>(
        `SELECT technician_id, at, actor, action, version FROM technician_events ORDER BY at DESC, version DESC LIMIT ?`,
        [limit],
      );
      return rows.map((r) => ({ technicianId: r.technician_id, at: r.at, actor: r.actor, action: r.action, version: Number(r.version) }));
    },
    async count() {
      return Number((await backend.sql.all<{ n: number | string }>(`SELECT count(*) AS n FROM technicians`))[0]!.n);
    },
  };
}

export async function hashPin(pin: string): Promise<string> {
  // argon2id with the library's defaults (19 MiB, 2 passes: the OWASP minimum).
  return argon2Hash(Pin.parse(pin), { algorithm: ARGON2ID });
}

/** A PIN from the OS CSPRNG (not the injected Random: its ids are for records, not secrets). */
export function generatePin(): string {
  return String(randomInt(0, 10 ** GENERATED_PIN_DIGITS)).padStart(GENERATED_PIN_DIGITS, '0');
}

export interface TechnicianSigning {
  /** The operator's Ed25519 private key (its public half is every kiosk's `operatorPublicKey`). */
  privateKey: KeyObject;
  /** How long a credential is valid; default DEFAULT_CREDENTIAL_VALIDITY_MS. */
  validityMs?: number;
}

export interface IssuedTechnician {
  technicianId: string;
  roles: string[];
  version: number;
  /** Only when the back office generated it: shown once, never stored. */
  pin?: string;
  /** Only with a signing key and a card UID: the credential to write on that card. */
  credential?: string;
  credentialExpiresAt?: string;
}

/** Operator: issue (or re-issue) a technician. `actor` is `operator:<id>` or `cli`. */
export async function issueTechnician(store: TechnicianStore, body: unknown, o: { clock: Clock; actor: string; signing?: TechnicianSigning }): Promise<IssuedTechnician> {
  const req = parse(IssueTechnicianRequest, body, 'body');
  if (req.cardUid !== undefined && !o.signing) throw new HttpError(400, 'bad-request', 'no operator signing key is configured here: the credential cannot be issued (issue without cardUid, sign elsewhere)');
  const roles = [...new Set(req.roles)];
  const generated = req.pin === undefined ? generatePin() : undefined;
  const pinHash = await hashPin(req.pin ?? generated!);
  let credential: string | undefined;
  let credentialExpiresAt: string | undefined;
  if (req.cardUid !== undefined && o.signing) {
    credentialExpiresAt = new Date(o.clock.now().getTime() + (o.signing.validityMs ?? DEFAULT_CREDENTIAL_VALIDITY_MS)).toISOString();
    credential = signTechnicianCredential({ v: 1, technicianId: req.technicianId, roles: roles as IssueTechnicianInput['roles'], expiresAt: credentialExpiresAt, uid: req.cardUid.toUpperCase() }, o.signing.privateKey);
  }
  const version = await store.put({ technicianId: req.technicianId, roles, pinHash }, o.actor);
  return {
    technicianId: req.technicianId,
    roles,
    version,
    ...(generated !== undefined ? { pin: generated } : {}),
    ...(credential !== undefined ? { credential, credentialExpiresAt: credentialExpiresAt! } : {}),
  };
}

/** Operator: revoke. Unknown technician: 404. */
export async function revokeTechnician(store: TechnicianStore, technicianId: string, actor: string): Promise<{ technicianId: string; version: number }> {
  const id = parse(TechnicianId, technicianId, 'path');
  const version = await store.revoke(id, actor);
  if (version === undefined) throw new HttpError(404, 'unknown-technician', `no technician ${id}`);
  return { technicianId: id, version };
}

/**
 * The argon2id hashes of the fixture technicians' PINs, made once with hashPin (technicians.test.ts
 * proves each verifies with its PIN from contract/fixture-technicians.ts): hashing at start would
 * cost the embedded back office ~0.3 s of every first start. Fixture PINs are public emulation
 * data; a fixed salt costs them nothing.
 */
export const FIXTURE_PIN_HASHES: Readonly<Record<string, string>> = {
  'T-0001': '$argon2id$v=19$m=19456,t=2,p=1$BgvwFjHKneumyp4WZlwyVw$yNTHR4lxA7NealjjCBrYGIfZmDn3UHViTQJCVMazOzI',
  'T-0002': '$argon2id$v=19$m=19456,t=2,p=1$d2kzx3KsG9mv/Cpg/sQTtw$SwlreNPP+7RtQngbEULuXMQUBOD5a3ml7hw1GxpXFSg',
};

/** The embedded (emulated) back office's technicians: contract/fixture-technicians.ts, once per database. */
export async function seedFixtureTechnicians(store: TechnicianStore): Promise<boolean> {
  if ((await store.count()) > 0) return false;
  for (const t of Object.values(FIXTURE_TECHNICIANS)) {
    await store.put({ technicianId: t.technicianId, roles: t.roles, pinHash: FIXTURE_PIN_HASHES[t.technicianId] ?? (await hashPin(t.pin)) }, 'fixtures');
    if (t.revoked) await store.revoke(t.technicianId, 'fixtures');
  }
  return true;
}
