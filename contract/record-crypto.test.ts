import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkRecord, DERIVED_KEY_CACHE_SECRETS, deriveKey, GENESIS_HASH, hmacHex, sealRecord } from './record-crypto.js';

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

describe('checkRecord takes a record only when its hash and HMAC strings spell exactly its own digests', () => {
  const key = 'record-check-secret-0123456789abcdef';
  const sealed = sealRecord(
    { kioskId: 'kiosk-7', seq: 3, at: '2026-12-02T10:00:00.000Z', type: 'payment.approved', operationId: 'op-1', amountCents: 500, data: { ref: 'abc', n: 2 }, prevHash: GENESIS_HASH },
    'record-check-secret-0123456789abcdef',
  );

  it('a sealed record passes; the same record under another key is bad-hmac; changed content is hash-mismatch', () => {
    expect(checkRecord(sealed, key)).toEqual({ ok: true });
    expect(checkRecord(sealed, 'another-secret-0123456789abcdef00')).toEqual({ ok: false, reason: 'bad-hmac' });
    expect(checkRecord({ ...sealed, amountCents: 501 }, key)).toEqual({ ok: false, reason: 'hash-mismatch' });
  });

  it('the same bytes spelled otherwise (uppercase, padded, cut short, non-hex) are refused, for the hash and for the HMAC', () => {
    const spellings = (hex: string) => [hex.toUpperCase(), `${hex}0`, `0${hex}`, hex.slice(0, 62), `${hex.slice(0, 62)}zz`, `${hex.slice(0, 63)}g`, ` ${hex.slice(1)}`, ''];
    for (const h of spellings(sealed.hash)) expect(checkRecord({ ...sealed, hash: h }, key)).toEqual({ ok: false, reason: 'hash-mismatch' });
    for (const h of spellings(sealed.hmac)) expect(checkRecord({ ...sealed, hmac: h }, key)).toEqual({ ok: false, reason: 'bad-hmac' });
  });

  it('any other 64-character string in place of the hash or the HMAC is refused (property)', () => {
    const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxg-'), minLength: 64, maxLength: 64 });
    fc.assert(
      fc.property(hex64, fc.boolean(), (s, onHash) => {
        fc.pre(s !== (onHash ? sealed.hash : sealed.hmac));
        const r = checkRecord(onHash ? { ...sealed, hash: s } : { ...sealed, hmac: s }, key);
        return !r.ok && r.reason === (onHash ? 'hash-mismatch' : 'bad-hmac');
      }),
    );
  });
});
