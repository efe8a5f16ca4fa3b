import { describe, expect, it } from 'vitest';
import { DERIVED_KEY_CACHE_SECRETS, deriveKey, hmacHex } from './record-crypto.js';

describe('derived keys are kept per secret', () => {
  it('a back office serving 5,000 kiosks derives each kiosk key once, not again after every 1,000 others', () => {
    const secrets = Array.from({ length: 5000 }, (_, i) => `kiosk-secret-${i}-0123456789abcdef`);
    const first = secrets.map((s) => deriveKey(s, 'record'));
    // A second round over the whole fleet: the very same key objects (nothing derived again).
    const again = secrets.map((s) => deriveKey(s, 'record'));
    expect(again.every((k, i) => k === first[i])).toBe(true);
  });

  it('stays bounded: past the bound the least recently used secret is derived again, a recently used one is not', () => {
    const hot = 'hot-kiosk-secret-0123456789abcdef';
    const cold = 'cold-kiosk-secret-0123456789abcdef';
    const coldKey = deriveKey(cold, 'request');
    const hotKey = deriveKey(hot, 'request');
    for (let i = 0; i < DERIVED_KEY_CACHE_SECRETS; i++) {
      deriveKey(`filler-${i}-0123456789abcdef`, 'request');
      if (i % 1000 === 0) expect(deriveKey(hot, 'request')).toBe(hotKey); // used: kept
    }
    expect(deriveKey(hot, 'request')).toBe(hotKey);
    const coldAgain = deriveKey(cold, 'request');
    expect(coldAgain).not.toBe(coldKey); // evicted, derived again: the same key all the same
    expect(coldAgain.export().equals(coldKey.export())).toBe(true);
    expect(hmacHex(cold, 'request', 'm')).toBe(hmacHex(cold, 'request', 'm'));
  });

  it('keeps every secret used among the last 20,000 distinct ones (half the bound); one unused for two generations is dropped', () => {
    const kept = 'kept-kiosk-secret-0123456789abcdef';
    // Wherever in a generation `kept` lands, 20,000 newer secrets pass at least one turnover.
    const key = deriveKey(kept, 'record');
    const half = DERIVED_KEY_CACHE_SECRETS / 2;
    for (let i = 0; i < half; i++) deriveKey(`later-${i}-0123456789abcdef`, 'record');
    expect(deriveKey(kept, 'record')).toBe(key); // 20,000 others since: still held
    // Unused for two whole generations: dropped (the bound holds), derived again to the same key.
    for (let i = 0; i < DERIVED_KEY_CACHE_SECRETS; i++) deriveKey(`much-later-${i}-0123456789abcdef`, 'record');
    const again = deriveKey(kept, 'record');
    expect(again).not.toBe(key);
    expect(again.export().equals(key.export())).toBe(true);
  });
});
