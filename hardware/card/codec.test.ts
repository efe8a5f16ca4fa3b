import { describe, expect, it } from 'vitest';
import { ALL_SECTIONS } from '../../contract/card.js';
import { CardError } from './card-reader.js';
import { CardEncodeError, chooseIndex, decodeCardImage, encodeCardImage, encodeIndexBlock, imageBlock, planCardUpdate } from './codec.js';
import { FIXTURE_CARD_IDS } from '../../contract/fixture-cards.js';
import { FIXTURE_CARD_MODELS, fixtureCardImage } from './fixtures.js';
import { loadKeyFile } from './keys.js';
import { AREA_LAYOUT, INDEX_BLOCKS, trailerBlockOfSector } from './layout.js';

const keys = loadKeyFile();

describe('card codec', () => {
  it.each(FIXTURE_CARD_IDS.filter((id) => id !== 'corrupt'))('round-trips fixture %s exactly', (id) => {
    const image = fixtureCardImage(id, keys);
    expect(decodeCardImage(image, keys)).toEqual(FIXTURE_CARD_MODELS[id]);
  });

  it('reports the corrupt fixture as CardError corrupt', () => {
    const image = fixtureCardImage('corrupt', keys);
    expect(() => decodeCardImage(image, keys)).toThrow(CardError);
    try {
      decodeCardImage(image, keys);
    } catch (e) {
      expect((e as CardError).code).toBe('corrupt');
    }
  });

  it('decodes the sealed areas always and history only when asked (the seal covers identity, purse, products, refs)', () => {
    const m = decodeCardImage(fixtureCardImage('personal-products', keys), keys, ['identity']);
    expect(m.cardNumber).toBe(FIXTURE_CARD_MODELS['personal-products'].cardNumber);
    expect(m.products).toEqual(FIXTURE_CARD_MODELS['personal-products'].products);
    expect(m.creditRefs).toEqual(FIXTURE_CARD_MODELS['personal-products'].creditRefs);
    expect(m.transactions).toEqual([]);
  });

  it('keeps the blocked flag and a past expiry date', () => {
    expect(decodeCardImage(fixtureCardImage('blocked', keys), keys).blocked).toBe(true);
    expect(decodeCardImage(fixtureCardImage('expired', keys), keys).expiryDate).toBe('2024-06-30');
    expect(decodeCardImage(fixtureCardImage('near-limit', keys), keys).balanceCents).toBe(14_250);
  });

  it('binds records to the chip UID: the same data under another UID is corrupt', () => {
    const image = fixtureCardImage('anonymous', keys);
    expect(() => decodeCardImage({ ...image, uid: '04000000000000' }, keys)).toThrow(/CRC/);
  });

  it('writes trailers with the card\'s own UID-diversified keys (not the key file\'s) and access bytes 78 77 88', () => {
    const image = fixtureCardImage('anonymous', keys);
    const other = fixtureCardImage('business', keys);
    const t = imageBlock(image, trailerBlockOfSector(5));
    expect(Buffer.from(t.subarray(0, 6))).toEqual(Buffer.from(keys.sectorKey(image.uid, 5, 'A')));
    expect([...t.subarray(6, 9)]).toEqual([0x78, 0x77, 0x88]);
    expect(Buffer.from(t.subarray(10))).toEqual(Buffer.from(keys.sectorKey(image.uid, 5, 'B')));
    expect(Buffer.from(t.subarray(10))).not.toEqual(Buffer.from(keys.key(5, 'B')));
    expect(Buffer.from(t.subarray(10))).not.toEqual(Buffer.from(imageBlock(other, trailerBlockOfSector(5)).subarray(10)));
  });

  it('plans a top-up as inactive-copy blocks first and the other index half last', () => {
    const image = fixtureCardImage('anonymous', keys);
    const cur = decodeCardImage(image, keys);
    const idx = chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]));
    const plan = planCardUpdate(idx, cur, { ...cur, balanceCents: cur.balanceCents + 1000 }, keys);
    expect(plan.changedAreas).toEqual(['purse', 'refs']);
    const last = plan.writes.at(-1)!;
    expect(last.block).toBe(INDEX_BLOCKS[1]);
    for (const w of plan.writes.slice(0, -1)) expect([...AREA_LAYOUT.purse.blocks[1], ...AREA_LAYOUT.refs.blocks[1]]).toContain(w.block);
    expect(plan.index.counter).toBe(idx.counter + 1);
  });

  it('trusts the valid index half with the higher counter, takes a blank half as unwritten, and refuses a damaged half as corrupt (never falls back to the previous state)', () => {
    const a = encodeIndexBlock({ counter: 7, copy: { identity: 0, purse: 1, history: 0, products: 0, refs: 1 }, blocks: { identity: 2, purse: 3, history: 5, products: 1, refs: 2 } });
    const b = encodeIndexBlock({ counter: 8, copy: { identity: 0, purse: 0, history: 0, products: 0, refs: 0 }, blocks: { identity: 2, purse: 3, history: 5, products: 1, refs: 2 } });
    expect(chooseIndex(a, b).counter).toBe(8);
    const bad = Uint8Array.from(b);
    bad[3]! ^= 1;
    expect(() => chooseIndex(a, bad)).toThrow(CardError);
    expect(chooseIndex(a, new Uint8Array(16)).counter).toBe(7);
    expect(() => chooseIndex(new Uint8Array(16), bad)).toThrow(CardError);
    expect(() => chooseIndex(new Uint8Array(16), new Uint8Array(16))).toThrow(CardError);
  });

  it('refuses to encode what does not fit, with CardEncodeError', () => {
    const m = FIXTURE_CARD_MODELS.anonymous;
    expect(() => encodeCardImage({ ...m, birthDate: '1990-01-01' }, keys)).toThrow(CardEncodeError);
    expect(() => encodeCardImage({ ...m, cardNumber: '12' }, keys)).toThrow(CardEncodeError);
    const many = Array.from({ length: 20 }, (_, i) => ({ code: `PRODUCT-CODE-NUMBER-${i}`, validFrom: '2026-01-01', validUntil: '2026-12-31', ref: 'abcdef0123456789' }));
    expect(() => encodeCardImage({ ...m, products: many }, keys)).toThrow(/products needs/);
  });

  it('stores timestamps to the second and keeps short product validity as a timestamp', () => {
    const m = { ...FIXTURE_CARD_MODELS.anonymous, products: [{ code: 'STATION-PASSAGE', validFrom: '2026-11-23', validUntil: '2026-11-23T10:15:30.999Z', station: 'UT' }] };
    const out = decodeCardImage(encodeCardImage(m, keys), keys, ALL_SECTIONS);
    expect(out.products[0]!.validUntil).toBe('2026-11-23T10:15:30.000Z');
  });
});

describe('card codec capacity', () => {
  it('holds two top-ups with the longest kiosk id the configuration allows (32 characters) and 16-character refs', () => {
    const m = {
      ...FIXTURE_CARD_MODELS.anonymous,
      topUps: [
        { at: '2026-11-23T09:00:00.000Z', amountCents: 5000, location: 'K'.repeat(32), ref: 'r'.repeat(16) },
        { at: '2026-11-22T09:00:00.000Z', amountCents: 5000, location: 'L'.repeat(32), ref: 's'.repeat(16) },
      ],
    };
    expect(decodeCardImage(encodeCardImage(m, keys), keys).topUps).toEqual(m.topUps);
  });

  it('holds ten transactions with 16-character station codes', () => {
    const transactions = Array.from({ length: 10 }, (_, i) => ({ at: `2026-11-${String(10 + i)}T08:00:00.000Z`, kind: 'check-in' as const, station: 'S'.repeat(16), amountCents: i * 10 }));
    const m = { ...FIXTURE_CARD_MODELS.anonymous, transactions };
    expect(decodeCardImage(encodeCardImage(m, keys), keys).transactions).toEqual(transactions);
  });
});
