/**
 * Issue 13 attack tests on getting in: a forged or expired credential, one copied to another
 * card, a revoked or unknown technician, a traveller's card, and PIN guessing beyond the lockout
 * (which survives a restart and ends after the configured time).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hash, type Algorithm } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { signTechnicianCredential, type TechnicianCredential } from '../../contract/technician-credential.js';
import { createTechnicianAccess, type TechnicianList } from './technician-access.js';

const operator = generateKeyPairSync('ed25519');
/** Argon2id (the package's const enum cannot be read under verbatimModuleSyntax). */
const ARGON2ID: Algorithm = 2;
const stranger = generateKeyPairSync('ed25519');
const UID = '04A1B2C3D4E5F6';
const base: TechnicianCredential = { v: 1, technicianId: 'tech-7', roles: ['diagnostics', 'settlement'], expiresAt: '2027-01-01T00:00:00.000Z', uid: UID };
const good = signTechnicianCredential(base, operator.privateKey);
let list: TechnicianList;
let dir: string;

beforeAll(async () => {
  const pinHash = await hash('482913', { algorithm: ARGON2ID, memoryCost: 8192, timeCost: 2 });
  list = {
    version: 3,
    technicians: [
      { technicianId: 'tech-7', pinHash, revoked: false },
      { technicianId: 'tech-gone', pinHash, revoked: true },
    ],
  };
  dir = mkdtempSync(path.join(tmpdir(), 'tech-access-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function access(clock = fixedClock('2026-11-30T12:00:00Z'), file = 'lockout.json') {
  return {
    clock,
    a: createTechnicianAccess({ publicKey: operator.publicKey, clock, list: () => list, maxAttempts: 5, lockoutMs: 15 * 60_000, lockoutFile: path.join(dir, file) }),
  };
}

describe('technician access: credential and PIN', () => {
  it('a credential signed by the operator for this card opens the PIN step', async () => {
    const { a } = access();
    expect(await a.verifyCredential({ credential: good, uid: UID })).toMatchObject({ ok: true, technician: { technicianId: 'tech-7', roles: ['diagnostics', 'settlement'] }, attemptsLeft: 5 });
    expect(await a.checkPin({ technicianId: 'tech-7', uid: UID, pin: '482913' })).toEqual({ ok: true });
  });

  it('attack: a credential signed by another key, or altered after signing, is forged', async () => {
    const { a } = access();
    expect(await a.verifyCredential({ credential: signTechnicianCredential(base, stranger.privateKey), uid: UID })).toEqual({ ok: false, reason: 'forged' });
    const [body, sig] = good.split('.');
    const raised = Buffer.from(JSON.stringify({ ...base, roles: ['diagnostics', 'settlement', 'service'] })).toString('base64url');
    expect(await a.verifyCredential({ credential: `${raised}.${sig}`, uid: UID })).toEqual({ ok: false, reason: 'forged' });
    expect(await a.verifyCredential({ credential: `${body}.`, uid: UID })).toEqual({ ok: false, reason: 'forged' });
    expect(await a.verifyCredential({ credential: 'x'.repeat(5000), uid: UID })).toEqual({ ok: false, reason: 'forged' });
  });

  it('attack: an expired credential, or one copied onto another card, is refused', async () => {
    const { a } = access(fixedClock('2027-01-01T00:00:00Z'));
    expect(await a.verifyCredential({ credential: good, uid: UID })).toEqual({ ok: false, reason: 'expired' });
    const { a: b } = access();
    expect(await b.verifyCredential({ credential: good, uid: '04FFFFFFFFFFFF' })).toEqual({ ok: false, reason: 'wrong-card' });
  });

  it('attack: a revoked or unknown technician is refused even with a good signature and the right PIN', async () => {
    const { a } = access();
    const revoked = signTechnicianCredential({ ...base, technicianId: 'tech-gone' }, operator.privateKey);
    expect(await a.verifyCredential({ credential: revoked, uid: UID })).toEqual({ ok: false, reason: 'revoked', technicianId: 'tech-gone' });
    expect(await a.checkPin({ technicianId: 'tech-gone', uid: UID, pin: '482913' })).toMatchObject({ ok: false });
    const unknown = signTechnicianCredential({ ...base, technicianId: 'tech-x' }, operator.privateKey);
    expect(await a.verifyCredential({ credential: unknown, uid: UID })).toMatchObject({ ok: false, reason: 'unknown-technician' });
  });

  it("attack: a traveller's card (no credential on it, just card data) is forged, never a way in", async () => {
    const { a } = access();
    expect(await a.verifyCredential({ credential: '3528020000000014', uid: UID })).toEqual({ ok: false, reason: 'forged' });
    expect(await a.verifyCredential({ credential: '', uid: UID })).toEqual({ ok: false, reason: 'forged' });
  });

  it('attack: five wrong PINs lock the card out for the configured time, even the right PIN then, across a restart', async () => {
    const { a, clock } = access(fixedClock('2026-11-30T12:00:00Z'), 'guess.json');
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await a.checkPin({ technicianId: 'tech-7', uid: UID, pin: String(100000 + i) });
      expect(r.ok).toBe(false);
      if (!r.ok) left.push(r.attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    expect(await a.checkPin({ technicianId: 'tech-7', uid: UID, pin: '482913' })).toMatchObject({ ok: false, attemptsLeft: 0, lockedUntil: '2026-11-30T12:15:00.000Z' });
    // A restart reads the lockout back.
    const again = createTechnicianAccess({ publicKey: operator.publicKey, clock, list: () => list, maxAttempts: 5, lockoutMs: 15 * 60_000, lockoutFile: path.join(dir, 'guess.json') });
    expect(await again.verifyCredential({ credential: good, uid: UID })).toMatchObject({ ok: false, reason: 'locked-out' });
    clock.advance(15 * 60_000 + 1);
    expect(await again.verifyCredential({ credential: good, uid: UID })).toMatchObject({ ok: true, attemptsLeft: 5 });
    expect(await again.checkPin({ technicianId: 'tech-7', uid: UID, pin: '482913' })).toEqual({ ok: true });
  });
});
