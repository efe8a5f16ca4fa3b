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
});
