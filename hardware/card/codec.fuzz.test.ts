import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CardError } from './card-reader.js';
import { type CardImage, decodeCardImage, validateModel, encodeIndexBlock, imageBlock, uidBytes } from './codec.js';
import { FIXTURE_CARD_IDS } from '../../contract/fixture-cards.js';
import { fixtureCardImage } from './fixtures.js';
import { loadKeyFile } from './keys.js';
import { AREA_IDS, AREA_LAYOUT, AREAS, BLOCK_SIZE, IMAGE_SIZE, INDEX_BLOCKS } from './layout.js';

/** xorshift32: a seeded, reproducible source (a test needs no cryptographic randomness). */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const keys = loadKeyFile();
const bases: CardImage[] = FIXTURE_CARD_IDS.map((id) => fixtureCardImage(id, keys));

/** Decoding must give a model or CardError('corrupt') — any other throw fails the test. */
function decodeOutcome(image: CardImage): 'model' | 'corrupt' {
  let model;
  try {
    model = decodeCardImage(image);
  } catch (e) {
    if (e instanceof CardError && e.code === 'corrupt') return 'corrupt';
    throw new Error(`decoder threw something other than CardError('corrupt'): ${String(e)}`, { cause: e });
  }
  // What decodes must also be a model the format accepts (it would re-encode).
  validateModel(model);
  return 'model';
}

describe('card codec fuzz', () => {
  it('random images (100k): only a valid model or CardError corrupt, never another throw', () => {
    const next = rng(0xc0ffee);
    const data = new Uint8Array(IMAGE_SIZE);
    let corrupt = 0;
    for (let n = 0; n < 100_000; n++) {
      for (let i = 0; i < IMAGE_SIZE; i += 4) {
        const v = next();
        data[i] = v;
        data[i + 1] = v >>> 8;
        data[i + 2] = v >>> 16;
        data[i + 3] = v >>> 24;
      }
      if (decodeOutcome({ uid: '04A1B2C3D4E5F6', data }) === 'corrupt') corrupt++;
    }
    expect(corrupt).toBe(100_000);
  }, 120_000); // CPU-bound: ~13 s on a quiet 2-core machine; a loaded one takes several times that

  it('bit-flipped fixture images (200k, 1-8 flips each): only a valid model or CardError corrupt', () => {
    const next = rng(0xbadcafe);
    let models = 0;
    let corrupt = 0;
    for (let n = 0; n < 200_000; n++) {
      const base = bases[n % bases.length]!;
      const data = Uint8Array.from(base.data);
      const flips = 1 + (next() % 8);
      // Aim most flips at the blocks the decoder reads (index and current records).
      for (let f = 0; f < flips; f++) {
        const bit = next() % 2 === 0 ? next() % (IMAGE_SIZE * 8) : (64 + (next() % (1024 * 8))) % (IMAGE_SIZE * 8);
        data[bit >> 3]! ^= 1 << (bit & 7);
      }
      if (decodeOutcome({ uid: base.uid, data }) === 'model') models++;
      else corrupt++;
    }
    expect(models + corrupt).toBe(200_000);
    expect(corrupt).toBeGreaterThan(0);
    expect(models).toBeGreaterThan(0);
  }, 120_000); // CPU-bound: ~13 s on a quiet 2-core machine; a loaded one takes several times that

  it('records with random payloads and correct CRCs (100k): the payload parser never throws anything else', () => {
    const next = rng(0x5eed);
    const base = fixtureCardImage('personal-products', keys);
    let models = 0;
    for (let n = 0; n < 100_000; n++) {
      const data = Uint8Array.from(base.data);
      const image = { uid: base.uid, data };
      const area = AREAS[n % AREAS.length]!;
      const capacity = AREA_LAYOUT[area].blocks[0].length;
      const len = next() % (capacity * BLOCK_SIZE - 8 + 1);
      const blocks = Math.ceil((len + 8) / BLOCK_SIZE);
      const rec = new Uint8Array(blocks * BLOCK_SIZE);
      rec[0] = AREA_IDS[area];
      rec[1] = 1;
      rec[2] = len & 0xff;
      rec[3] = len >> 8;
      for (let i = 0; i < len; i++) rec[4 + i] = next() % 5 === 0 ? next() % 4 : next();
      // Bias the first bytes to plausible counts/flags so the parser gets past the first field.
      if (len > 0 && next() % 2 === 0) rec[4] = next() % 3;
      const crc = crc32(rec.subarray(0, 4 + len), crc32(uidBytes(base.uid)));
      rec[4 + len] = crc & 0xff;
      rec[5 + len] = (crc >>> 8) & 0xff;
      rec[6 + len] = (crc >>> 16) & 0xff;
      rec[7 + len] = crc >>> 24;
      const list = AREA_LAYOUT[area].blocks[0];
      for (let i = 0; i < blocks; i++) data.set(rec.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), list[i]! * BLOCK_SIZE);
      const idx = { counter: 9, copy: { identity: 0, purse: 0, history: 0, products: 0 } as const, blocks: { identity: 2, purse: 2, history: 8, products: 3 } };
      // Recompute the true block counts of the untouched areas from the base image's index.
      const baseIdx = imageBlock(base, INDEX_BLOCKS[0]);
      AREAS.forEach((a, i) => (idx.blocks[a] = baseIdx[7 + i]!));
      idx.blocks[area] = blocks;
      data.set(encodeIndexBlock(idx), INDEX_BLOCKS[0] * BLOCK_SIZE);
      if (decodeOutcome(image) === 'model') models++;
    }
    expect(models).toBeGreaterThan(0);
  }, 120_000); // CPU-bound: ~13 s on a quiet 2-core machine; a loaded one takes several times that
});
