/**
 * The card format's double-buffered index: two halves in sector 1, each with a counter and a
 * CRC; a reader trusts the valid half with the higher counter. The public face is codec.ts.
 */
import { crc32 } from 'node:zlib';
import { corrupt, FORMAT_VERSION } from './codec-bytes.js';
import { AREA_LAYOUT, AREAS, type Area, BLOCK_SIZE } from './layout.js';

const INDEX_MAGIC = 0x4e; // 'N'

export interface CardIndex {
  counter: number;
  /** Which index block (0 = block 4, 1 = block 5) holds this index. */
  half: 0 | 1;
  /** Current copy of each area. */
  copy: Record<Area, 0 | 1>;
  /** Blocks the current record of each area occupies. */
  blocks: Record<Area, number>;
}

export function encodeIndexBlock(idx: Omit<CardIndex, 'half'>): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  b[0] = INDEX_MAGIC;
  b[1] = FORMAT_VERSION;
  b[2] = idx.counter & 0xff;
  b[3] = (idx.counter >>> 8) & 0xff;
  b[4] = (idx.counter >>> 16) & 0xff;
  b[5] = idx.counter >>> 24;
  let mask = 0;
  AREAS.forEach((a, i) => {
    if (idx.copy[a] === 1) mask |= 1 << i;
    b[7 + i] = idx.blocks[a];
  });
  b[6] = mask;
  const crc = crc32(b.subarray(0, 12));
  b[12] = crc & 0xff;
  b[13] = (crc >>> 8) & 0xff;
  b[14] = (crc >>> 16) & 0xff;
  b[15] = crc >>> 24;
  return b;
}

/** One index half, or undefined when it fails its checks (blank, torn or damaged). */
function decodeIndexBlock(b: Uint8Array): Omit<CardIndex, 'half'> | undefined {
  if (b.length !== BLOCK_SIZE || b[0] !== INDEX_MAGIC || b[1] !== FORMAT_VERSION) return undefined;
  const stored = (b[12]! | (b[13]! << 8) | (b[14]! << 16) | (b[15]! << 24)) >>> 0;
  if (stored !== crc32(b.subarray(0, 12))) return undefined;
  const mask = b[6]!;
  if (mask & ~((1 << AREAS.length) - 1)) return undefined;
  const copy = {} as Record<Area, 0 | 1>;
  const blocks = {} as Record<Area, number>;
  for (let i = 0; i < AREAS.length; i++) {
    const a = AREAS[i]!;
    copy[a] = mask & (1 << i) ? 1 : 0;
    const n = b[7 + i]!;
    if (n < 1 || n > AREA_LAYOUT[a].blocks[0].length) return undefined;
    blocks[a] = n;
  }
  const counter = (b[2]! | (b[3]! << 8) | (b[4]! << 16) | (b[5]! << 24)) >>> 0;
  return { counter, copy, blocks };
}

/**
 * The current index: the valid half with the higher counter. A half is valid or blank (all zero:
 * the second half of a card never written since issue); anything else is damage, and the card is
 * corrupt. A tear cannot leave such a half, because a 16-byte block write is atomic on the chip
 * (the half being written keeps its old, valid or blank, contents or takes the new ones). Falling
 * back to the other half instead would read a damaged card as its PREVIOUS state: another valid
 * card, without its last credit (found by codec.fuzz.test.ts).
 */
export function chooseIndex(half0: Uint8Array, half1: Uint8Array): CardIndex {
  const a = decodeIndexBlock(half0);
  const b = decodeIndexBlock(half1);
  if ((!a && !isBlank(half0)) || (!b && !isBlank(half1))) return corrupt('an index half is damaged');
  if (a && (!b || a.counter >= b.counter)) return { ...a, half: 0 };
  if (b) return { ...b, half: 1 };
  return corrupt('no valid index half');
}

function isBlank(b: Uint8Array): boolean {
  return b.length === BLOCK_SIZE && b.every((x) => x === 0);
}
