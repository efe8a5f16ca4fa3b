/**
 * The double-buffered index at its limits: every check of an index half (length, magic, format
 * version, CRC — each of its four bytes —, area mask, block counts at 0, 1, the area's capacity
 * and one over) and every branch of chooseIndex. A half that fails a check is damage: the card is
 * CardError 'corrupt', never read by the other half. Written for the mutation run
 * (docs/mutation/codec.md).
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CardError } from './card-reader.js';
import { FORMAT_VERSION } from './codec-bytes.js';
import { type CardIndex, chooseIndex, encodeIndexBlock } from './codec-index.js';
import { AREA_LAYOUT, AREAS, type Area, BLOCK_SIZE } from './layout.js';

const copy0: Record<Area, 0 | 1> = { identity: 0, purse: 0, history: 0, products: 0, refs: 0 };
const blocks: Record<Area, number> = { identity: 2, purse: 3, history: 5, products: 1, refs: 2 };
const BLANK = new Uint8Array(BLOCK_SIZE);

/** Re-seal an edited index half with a correct CRC (so only the check under test can refuse it). */
function resealed(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const crc = crc32(out.subarray(0, 12));
  out.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], 12);
  return out;
}

function isCorrupt(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    return e instanceof CardError && e.code === 'corrupt';
  }
}

/** The index read from one valid half (the other blank). */
const only = (b: Uint8Array): CardIndex => chooseIndex(b, BLANK);

describe('card index: encoding', () => {
  it('lays out magic N, the format version, the counter little-endian, the copy mask, the block counts and the CRC-32 of bytes 0..11 little-endian', () => {
    const b = encodeIndexBlock({ counter: 0x01020304, copy: { identity: 1, purse: 0, history: 1, products: 0, refs: 1 }, blocks: { identity: 2, purse: 3, history: 5, products: 7, refs: 9 } });
    expect([...b.subarray(0, 12)]).toEqual([0x4e, FORMAT_VERSION, 0x04, 0x03, 0x02, 0x01, 0b10101, 2, 3, 5, 7, 9]);
    const crc = crc32(b.subarray(0, 12));
    expect([...b.subarray(12)]).toEqual([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
  });

  it('round-trips every copy bit on its own and counters 0, 0x80000000 and 0xffffffff', () => {
    AREAS.forEach((a) => {
      const copy = { ...copy0, [a]: 1 };
      expect(only(encodeIndexBlock({ counter: 5, copy, blocks })).copy).toEqual(copy);
    });
    for (const counter of [0, 1, 0x80000000, 0xffffffff, 0x00ff00ff, 0xff00ff00]) {
      expect(only(encodeIndexBlock({ counter, copy: copy0, blocks })).counter).toBe(counter);
    }
    expect(only(encodeIndexBlock({ counter: 3, copy: copy0, blocks }))).toEqual({ counter: 3, half: 0, copy: copy0, blocks });
  });
});

describe('card index: each check of a half', () => {
  const good = encodeIndexBlock({ counter: 9, copy: copy0, blocks });

  it('each of the 16 bytes flipped (CRC bytes included) makes the half damaged: corrupt', () => {
    for (let i = 0; i < BLOCK_SIZE; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Uint8Array.from(good);
        bad[i]! ^= bit;
        expect(isCorrupt(() => only(bad)), `byte ${i} bit ${bit}`).toBe(true);
        expect(isCorrupt(() => chooseIndex(BLANK, bad)), `half 1, byte ${i} bit ${bit}`).toBe(true);
      }
    }
  });

  it('a wrong magic or format version is refused even with a correct CRC', () => {
    const magic = Uint8Array.from(good);
    magic[0] = 0x4f;
    expect(isCorrupt(() => only(resealed(magic)))).toBe(true);
    const version = Uint8Array.from(good);
    version[1] = FORMAT_VERSION + 1;
    expect(isCorrupt(() => only(resealed(version)))).toBe(true);
    version[1] = FORMAT_VERSION - 1;
    expect(isCorrupt(() => only(resealed(version)))).toBe(true);
  });

  it('a mask bit beyond the five areas is refused even with a correct CRC; all five bits set is accepted', () => {
    for (const bit of [5, 6, 7]) {
      const bad = Uint8Array.from(good);
      bad[6] = 1 << bit;
      expect(isCorrupt(() => only(resealed(bad))), `bit ${bit}`).toBe(true);
    }
    const all = Uint8Array.from(good);
    all[6] = 0b11111;
    expect(only(resealed(all)).copy).toEqual({ identity: 1, purse: 1, history: 1, products: 1, refs: 1 });
  });

  it('each area\'s block count: 1 and its capacity are accepted, 0 and capacity + 1 are refused', () => {
    AREAS.forEach((a, i) => {
      const capacity = AREA_LAYOUT[a].blocks[0].length;
      for (const [n, ok] of [[1, true], [capacity, true], [0, false], [capacity + 1, false]] as const) {
        const b = Uint8Array.from(good);
        b[7 + i] = n;
        const sealed = resealed(b);
        if (ok) expect(only(sealed).blocks[a], `${a} ${n}`).toBe(n);
        else expect(isCorrupt(() => only(sealed)), `${a} ${n}`).toBe(true);
      }
    });
  });

  it('a half of the wrong length is damage, not an index (nor blank)', () => {
    const longer = new Uint8Array(BLOCK_SIZE + 1);
    longer.set(good);
    expect(isCorrupt(() => only(longer))).toBe(true);
    expect(isCorrupt(() => chooseIndex(good, longer))).toBe(true);
    expect(isCorrupt(() => chooseIndex(good, good.subarray(0, 15)))).toBe(true);
    expect(isCorrupt(() => chooseIndex(good, new Uint8Array(BLOCK_SIZE + 1)))).toBe(true); // zeros, but not a block
  });

  it('a half that is all zero but one byte is damage, not blank', () => {
    for (const i of [0, 7, 15]) {
      const b = new Uint8Array(BLOCK_SIZE);
      b[i] = 1;
      expect(isCorrupt(() => chooseIndex(encodeIndexBlock({ counter: 1, copy: copy0, blocks }), b)), `byte ${i}`).toBe(true);
    }
  });
});

describe('card index: choosing a half', () => {
  const at = (counter: number, c: Partial<Record<Area, 0 | 1>> = {}) => encodeIndexBlock({ counter, copy: { ...copy0, ...c }, blocks });

  it('the higher counter wins in either half', () => {
    expect(chooseIndex(at(4), at(5))).toMatchObject({ counter: 5, half: 1 });
    expect(chooseIndex(at(6), at(5))).toMatchObject({ counter: 6, half: 0 });
    expect(chooseIndex(at(0x80000000), at(0x7fffffff))).toMatchObject({ counter: 0x80000000, half: 0 });
  });

  it('equal counters: half 0 is trusted (a tie the write order never makes)', () => {
    expect(chooseIndex(at(7, { purse: 1 }), at(7))).toMatchObject({ half: 0, copy: { purse: 1 } });
  });

  it('one valid half and one blank: the valid one, in either position', () => {
    expect(chooseIndex(at(2), BLANK)).toMatchObject({ counter: 2, half: 0 });
    expect(chooseIndex(BLANK, at(2))).toMatchObject({ counter: 2, half: 1 });
  });

  it('both blank, or a damaged half beside any other, is corrupt with the reason', () => {
    expect(() => chooseIndex(BLANK, BLANK)).toThrow('card data failed its checks: no valid index half');
    const bad = Uint8Array.from(at(3));
    bad[12]! ^= 1;
    expect(() => chooseIndex(bad, at(9))).toThrow('card data failed its checks: an index half is damaged');
    expect(() => chooseIndex(at(9), bad)).toThrow('card data failed its checks: an index half is damaged');
    expect(() => chooseIndex(bad, BLANK)).toThrow('an index half is damaged');
    expect(() => chooseIndex(BLANK, bad)).toThrow('an index half is damaged');
  });
});
