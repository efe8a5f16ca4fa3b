/**
 * The card codec against damaged images, with fast-check (seeded: every run checks the same
 * cases; set FC_SEED to explore others). The property that matters for money: a damaged card
 * never reads as ANOTHER valid card. Each decode of a damaged image must give exactly the model the
 * undamaged image gives (the damage hit bytes the current state does not use) or
 * CardError('corrupt'): a random flip is the CRCs' to catch. Not 'tampered' — the seal (MAC) is the
 * last line against forgery, not a substitute for the CRCs — and never any other throw.
 *
 * Proven to fail: with the record CRC check in codec-records.ts `decodeAreaRecord` removed, or the
 * index CRC check in codec-index.ts `decodeIndexBlock` removed, the bit-flip property fails (a
 * flipped payload or index bit then surfaces as a changed model or as 'tampered').
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardModel } from '../../contract/card.js';
import { FIXTURE_CARD_IDS } from '../../contract/fixture-cards.js';
import { CardError } from './card-reader.js';
import { type CardImage, chooseIndex, decodeCardImage, encodeIndexBlock, imageBlock, planCardUpdate, uidBytes, validateModel } from './codec.js';
import { fixtureCardImage } from './fixtures.js';
import { loadKeyFile } from './keys.js';
import { AREA_IDS, AREA_LAYOUT, AREAS, BLOCK_SIZE, IMAGE_SIZE, INDEX_BLOCKS } from './layout.js';

const SEED = Number(process.env['FC_SEED'] ?? 0x5eed_c0de);
const keys = loadKeyFile();

/** Apply a planned update to an image in memory (what card-io does block by block on a chip). */
function updated(image: CardImage, change: (m: CardModel) => CardModel): CardImage {
  const data = Uint8Array.from(image.data);
  const out = { uid: image.uid, data };
  const idx = chooseIndex(imageBlock(out, INDEX_BLOCKS[0]), imageBlock(out, INDEX_BLOCKS[1]));
  const cur = decodeCardImage(out, keys);
  for (const w of planCardUpdate(idx, cur, change(structuredClone(cur)), keys).writes) data.set(w.data, w.block * BLOCK_SIZE);
  return out;
}

/**
 * Bases: every sound fixture as issued (index half 1 blank, copies 1 blank) and after one and two
 * credits (both index halves valid, old and new copies side by side: the case where a wrong index
 * or record would point at a stale but well-formed state).
 */
const bases: { image: CardImage; model: CardModel }[] = [];
for (const id of FIXTURE_CARD_IDS.filter((i) => i !== 'corrupt')) {
  const fresh = fixtureCardImage(id, keys);
  const once = updated(fresh, (m) => ({ ...m, balanceCents: m.balanceCents + 100, topUps: [{ at: '2026-11-30T10:00:00.000Z', amountCents: 100, location: 'KIOSK-FUZZ', ref: 'f0220001' }, ...m.topUps].slice(0, 2) }));
  const twice = updated(once, (m) => ({ ...m, products: [...m.products, { code: 'STATION-PASSAGE', validFrom: '2026-11-30', validUntil: '2026-11-30T11:00:00.000Z', station: 'UT', ref: 'f0220002' }] }));
  for (const image of [fresh, once, twice]) bases.push({ image, model: decodeCardImage(image, keys) });
}

type Outcome = { kind: 'model'; model: CardModel } | { kind: 'corrupt' } | { kind: 'tampered' };

/** Decode; anything but a model or CardError corrupt/tampered fails the test. */
function outcome(image: CardImage): Outcome {
  try {
    const model = decodeCardImage(image, keys);
    validateModel(model); // what decodes must be a model the format accepts (it would re-encode)
    return { kind: 'model', model };
  } catch (e) {
    if (e instanceof CardError && (e.code === 'corrupt' || e.code === 'tampered')) return { kind: e.code };
    throw new Error(`decoder threw something other than CardError corrupt/tampered: ${String(e)}`, { cause: e });
  }
}

/** Bit positions the decoder reads: the index halves and the current and old copies of every area. */
const readBits: number[] = [];
for (const b of INDEX_BLOCKS) for (let i = 0; i < BLOCK_SIZE * 8; i++) readBits.push(b * BLOCK_SIZE * 8 + i);
for (const a of AREAS) for (const copy of AREA_LAYOUT[a].blocks) for (const b of copy) for (let i = 0; i < BLOCK_SIZE * 8; i++) readBits.push(b * BLOCK_SIZE * 8 + i);

const flipsArb = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...readBits) }, // mostly where it matters
    { weight: 1, arbitrary: fc.integer({ min: 0, max: IMAGE_SIZE * 8 - 1 }) },
  ),
  { minLength: 1, maxLength: 8 },
);

describe('card codec fuzz (fast-check, seeded)', () => {
  it('a bit-flipped card never decodes as another valid card: the original model or CardError corrupt, never tampered', () => {
    let corrupt = 0;
    let same = 0;
    fc.assert(
      fc.property(fc.nat(bases.length - 1), flipsArb, (which, flips) => {
        const base = bases[which]!;
        const data = Uint8Array.from(base.image.data);
        for (const bit of new Set(flips)) data[bit >> 3]! ^= 1 << (bit & 7);
        const o = outcome({ uid: base.image.uid, data });
        if (o.kind === 'model') {
          expect(o.model).toEqual(base.model);
          same++;
        } else {
          expect(o.kind).toBe('corrupt');
          corrupt++;
        }
      }),
      { seed: SEED, numRuns: 20_000 },
    );
    // Both sides of the property were exercised.
    expect(corrupt).toBeGreaterThan(1000);
    expect(same).toBeGreaterThan(100);
  }, 180_000);

  it('one flipped bit in the current index half or in any current record is always CardError corrupt', () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.nat(), (which, pick) => {
        const base = bases[which]!;
        const idx = chooseIndex(imageBlock(base.image, INDEX_BLOCKS[0]), imageBlock(base.image, INDEX_BLOCKS[1]));
        const blocks = [INDEX_BLOCKS[idx.half], ...AREAS.flatMap((a) => AREA_LAYOUT[a].blocks[idx.copy[a]].slice(0, idx.blocks[a]))];
        const bit = pick % (blocks.length * BLOCK_SIZE * 8);
        const block = blocks[Math.floor(bit / (BLOCK_SIZE * 8))]!;
        const data = Uint8Array.from(base.image.data);
        data[block * BLOCK_SIZE + ((bit >> 3) % BLOCK_SIZE)]! ^= 1 << (bit & 7);
        expect(outcome({ uid: base.image.uid, data }).kind).toBe('corrupt');
      }),
      { seed: SEED, numRuns: 20_000 },
    );
  }, 180_000);

  it('random 4096-byte images are CardError corrupt, never a model and never another throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: IMAGE_SIZE, maxLength: IMAGE_SIZE }), (data) => {
        expect(outcome({ uid: '04A1B2C3D4E5F6', data }).kind).toBe('corrupt');
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  }, 180_000);

  it('records with random payloads and correct CRCs: the payload parser gives corrupt or (parsed) a seal refusal, never another throw; a sealed area never a model', () => {
    const base = fixtureCardImage('personal-products', keys);
    const baseIdx = chooseIndex(imageBlock(base, INDEX_BLOCKS[0]), imageBlock(base, INDEX_BLOCKS[1]));
    let parsed = 0;
    fc.assert(
      fc.property(fc.constantFrom(...AREAS), fc.uint8Array({ maxLength: 470 }), fc.nat(4), (area, raw, lead) => {
        const capacity = AREA_LAYOUT[area].blocks[0].length * BLOCK_SIZE - 8;
        const payload = raw.slice(0, capacity);
        if (payload.length > 0) payload[0] = area === 'refs' ? payload[0]! : lead; // plausible counts get past the first field
        const len = payload.length;
        const nBlocks = Math.ceil((len + 8) / BLOCK_SIZE);
        const rec = new Uint8Array(nBlocks * BLOCK_SIZE);
        rec[0] = AREA_IDS[area];
        rec[1] = 2;
        rec[2] = len & 0xff;
        rec[3] = len >> 8;
        rec.set(payload, 4);
        const crc = crc32(rec.subarray(0, 4 + len), crc32(uidBytes(base.uid)));
        rec.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], 4 + len);
        const data = Uint8Array.from(base.data);
        const list = AREA_LAYOUT[area].blocks[0];
        for (let i = 0; i < nBlocks; i++) data.set(rec.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), list[i]! * BLOCK_SIZE);
        const blocks = { ...baseIdx.blocks, [area]: nBlocks };
        data.set(encodeIndexBlock({ counter: baseIdx.counter, copy: baseIdx.copy, blocks }), INDEX_BLOCKS[0] * BLOCK_SIZE);
        const o = outcome({ uid: base.uid, data });
        // History is not sealed (travel transactions carry no money the kiosk credits): a
        // well-formed one with a correct CRC reads. Every sealed area is refused unless sealed.
        if (area !== 'history') expect(o.kind).not.toBe('model');
        if (o.kind === 'tampered') parsed++;
      }),
      { seed: SEED, numRuns: 20_000 },
    );
    expect(parsed).toBeGreaterThan(0);
  }, 180_000);
});
