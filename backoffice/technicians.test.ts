/**
 * Technician rules of the back office (issue 13) that need no server: PIN hashing and generation,
 * and the precomputed fixture hashes matching the fixture PINs (the embedded back office seeds
 * them without hashing at start). Routes, stores and attacks: test/attacks/technicians-fleet.test.ts.
 */
import { verify } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { FIXTURE_TECHNICIANS } from '../contract/fixture-technicians.js';
import { FIXTURE_PIN_HASHES, generatePin, hashPin } from './technicians.js';

describe('technician PINs', () => {
  it('every fixture technician has a precomputed argon2id hash that verifies with its PIN, and no other', async () => {
    for (const t of Object.values(FIXTURE_TECHNICIANS)) {
      const h = FIXTURE_PIN_HASHES[t.technicianId]!;
      expect(h.startsWith('$argon2id$')).toBe(true);
      expect(await verify(h, t.pin)).toBe(true);
      expect(await verify(h, '0000')).toBe(false);
    }
  });

  it('hashes with argon2id (salted: the same PIN twice gives two hashes) and refuses what is no PIN', async () => {
    const a = await hashPin('2468');
    const b = await hashPin('2468');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verify(a, '2468')).toBe(true);
    await expect(hashPin('12')).rejects.toThrow();
    await expect(hashPin('12ab')).rejects.toThrow();
  });

  it('generates six-digit PINs from the whole range', () => {
    const pins = Array.from({ length: 200 }, generatePin);
    expect(pins.every((p) => /^\d{6}$/.test(p))).toBe(true);
    expect(new Set(pins).size).toBeGreaterThan(190);
  });
});
