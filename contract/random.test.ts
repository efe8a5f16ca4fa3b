import { describe, expect, it } from 'vitest';
import { cryptoRandom } from './random.js';

describe('cryptoRandom', () => {
  it('next() gives numbers in [0, 1) (the uploader draws its back-off jitter from it)', () => {
    const xs = Array.from({ length: 2000 }, () => cryptoRandom.next());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(1990);
    expect(Math.min(...xs)).toBeLessThan(0.05);
    expect(Math.max(...xs)).toBeGreaterThan(0.95);
  });

  it('id() gives hex of the asked length', () => {
    expect(cryptoRandom.id(8)).toMatch(/^[0-9a-f]{16}$/);
  });
});
