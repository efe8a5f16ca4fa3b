/**
 * A simulated MIFARE Classic 4K chip: the memory, the per-sector keys and access conditions, and
 * the authentication state, as a reader's firmware sees them. Both emulators (in-process and the
 * wire-level virtual card) drive one of these, so keys and access bits are checked the same way.
 * Crypto1 itself is not simulated: authentication compares the presented key with the trailer's.
 */
import type { KeyType } from './keys.js';
import { BLOCK_COUNT, BLOCK_SIZE, IMAGE_SIZE, MANUFACTURER_BLOCK, firstBlockOfSector, sectorOfBlock, trailerBlockOfSector } from './layout.js';
import type { CardImage } from './codec.js';

type Who = 'A' | 'B' | 'AB' | 'never';
const can = (who: Who, key: KeyType) => who === 'AB' || who === key;

// Access conditions of data blocks by C1C2C3 (NXP MF1S70 datasheet, table 8): [read, write].
const DATA_ACCESS: Record<number, [Who, Who]> = {
  0b000: ['AB', 'AB'],
  0b010: ['AB', 'never'],
  0b100: ['AB', 'B'],
  0b110: ['AB', 'B'],
  0b001: ['AB', 'never'],
  0b011: ['B', 'B'],
  0b101: ['B', 'never'],
  0b111: ['never', 'never'],
};
// Sector trailer by C1C2C3 (table 7): [keyA write, access read, access write, keyB read, keyB write].
const TRAILER_ACCESS: Record<number, [Who, Who, Who, Who, Who]> = {
  0b000: ['A', 'A', 'never', 'A', 'A'],
  0b010: ['never', 'A', 'never', 'A', 'never'],
  0b100: ['B', 'AB', 'never', 'never', 'B'],
  0b110: ['never', 'AB', 'never', 'never', 'never'],
  0b001: ['A', 'A', 'A', 'A', 'A'],
  0b011: ['B', 'AB', 'B', 'never', 'B'],
  0b101: ['never', 'AB', 'B', 'never', 'never'],
  0b111: ['never', 'AB', 'never', 'never', 'never'],
};

/** Decode access bytes 6-8 into C1C2C3 per group (0-2 data, 3 trailer); undefined if the
 * inverted copies disagree (a real chip would have locked the sector). */
export function decodeAccessBits(b6: number, b7: number, b8: number): number[] | undefined {
  const c1 = b7 >> 4;
  const c2 = b8 & 15;
  const c3 = b8 >> 4;
  if ((~b6 & 15) !== c1 || ((~b6 >> 4) & 15) !== c2 || (~b7 & 15) !== c3) return undefined;
  const out: number[] = [];
  for (let g = 0; g < 4; g++) out.push((((c1 >> g) & 1) << 2) | (((c2 >> g) & 1) << 1) | ((c3 >> g) & 1));
  return out;
}

function groupOf(block: number): number {
  const s = sectorOfBlock(block);
  const i = block - firstBlockOfSector(s);
  return s < 32 ? i : i === 15 ? 3 : Math.floor(i / 5);
}

export class MifareClassic4kChip {
  readonly uid: string;
  private readonly mem: Uint8Array;
  private auth: { sector: number; key: KeyType } | undefined;

  constructor(image: CardImage) {
    if (image.data.length !== IMAGE_SIZE) throw new RangeError('a MIFARE Classic 4K image is 4096 bytes');
    this.uid = image.uid;
    this.mem = Uint8Array.from(image.data);
  }

  /** A copy of the memory as it is now. */
  image(): CardImage {
    return { uid: this.uid, data: Uint8Array.from(this.mem) };
  }

  /** Field lost / power cycle: authentication is gone. */
  reset(): void {
    this.auth = undefined;
  }

  private block(b: number): Uint8Array {
    return this.mem.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE);
  }

  private access(sector: number): number[] | undefined {
    const t = this.block(trailerBlockOfSector(sector));
    return decodeAccessBits(t[6]!, t[7]!, t[8]!);
  }

  /** Three-pass authentication with `key` for the sector holding `block`. */
  authenticate(block: number, keyType: KeyType, key: Uint8Array): boolean {
    this.auth = undefined;
    if (!Number.isInteger(block) || block < 0 || block >= BLOCK_COUNT || key.length !== 6) return false;
    const sector = sectorOfBlock(block);
    const acc = this.access(sector);
    if (!acc) return false;
    const t = this.block(trailerBlockOfSector(sector));
    // Where key B is readable it is data, not a key (datasheet 8.7.3).
    if (keyType === 'B' && TRAILER_ACCESS[acc[3]!]![3] !== 'never') return false;
    const stored = keyType === 'A' ? t.subarray(0, 6) : t.subarray(10, 16);
    for (let i = 0; i < 6; i++) if (stored[i] !== key[i]) return false;
    this.auth = { sector, key: keyType };
    return true;
  }

  /** Read one block; undefined when not authenticated for its sector or access forbids it. */
  readBlock(block: number): Uint8Array | undefined {
    if (!Number.isInteger(block) || block < 0 || block >= BLOCK_COUNT) return undefined;
    const sector = sectorOfBlock(block);
    if (!this.auth || this.auth.sector !== sector) return undefined;
    const acc = this.access(sector);
    if (!acc) return undefined;
    const g = groupOf(block);
    if (g === 3) {
      const rules = TRAILER_ACCESS[acc[3]!]!;
      const out = Uint8Array.from(this.block(block));
      out.fill(0, 0, 6); // key A is never readable
      if (!can(rules[1], this.auth.key)) out.fill(0, 6, 10);
      if (!can(rules[3], this.auth.key)) out.fill(0, 10, 16);
      return out;
    }
    if (!can(DATA_ACCESS[acc[g]!]![0], this.auth.key)) return undefined;
    return Uint8Array.from(this.block(block));
  }

  /** Write one block (atomic); false when not allowed. */
  writeBlock(block: number, data: Uint8Array): boolean {
    if (!Number.isInteger(block) || block < 0 || block >= BLOCK_COUNT || data.length !== BLOCK_SIZE) return false;
    if (block === MANUFACTURER_BLOCK) return false;
    const sector = sectorOfBlock(block);
    if (!this.auth || this.auth.sector !== sector) return false;
    const acc = this.access(sector);
    if (!acc) return false;
    const g = groupOf(block);
    const k = this.auth.key;
    if (g === 3) {
      const rules = TRAILER_ACCESS[acc[3]!]!;
      // Only whole-trailer rewrites are modelled: every part must be writable with this key.
      if (!can(rules[0], k) || !can(rules[2], k) || !can(rules[4], k)) return false;
      // Refuse access bits that would lock the sector (a real chip would accept and brick it).
      if (!decodeAccessBits(data[6]!, data[7]!, data[8]!)) return false;
    } else if (!can(DATA_ACCESS[acc[g]!]![1], k)) {
      return false;
    }
    this.block(block).set(data);
    return true;
  }
}
