/**
 * ZVT BMP fields (PA00P015 chapter "Bitmaps"): a one-byte tag followed by a value of fixed length,
 * an LLVAR (`Fx Fy` = 10x+y bytes) or LLLVAR (`Fx Fy Fz`) value, or the BER-TLV container (06).
 */
import { ZvtCodecError, concat, hex } from './bytes.js';
import { decodeBerLength, decodeTlvList, encodeBerLength, encodeTlvList, type Tlv } from './tlv.js';

type Format = number | 'LL' | 'LLL' | 'TLV';

/** Value formats of the BMPs a kiosk may meet (any other tag makes the message unparsable). */
export const BMP_FORMAT: Readonly<Record<number, Format>> = {
  0x01: 1, 0x02: 1, 0x03: 1, 0x04: 6, 0x05: 1, 0x06: 'TLV', 0x0b: 3, 0x0c: 3, 0x0d: 2, 0x0e: 2,
  0x17: 2, 0x19: 1, 0x22: 'LL', 0x23: 'LL', 0x24: 'LLL', 0x27: 1, 0x29: 4, 0x2a: 15,
  0x2d: 'LL', 0x2e: 'LLL', 0x37: 3, 0x3a: 2, 0x3b: 8, 0x3c: 'LLL', 0x3d: 3, 0x49: 2, 0x60: 'LLL',
  0x87: 2, 0x88: 3, 0x8a: 1, 0x8b: 'LL', 0x8c: 1, 0x92: 'LLL', 0x9a: 'LLL', 0xa0: 1, 0xa7: 'LL',
  0xaa: 3, 0xaf: 'LLL', 0xba: 5, 0xd0: 1, 0xd1: 'LL', 0xd2: 1, 0xd3: 1, 0xe0: 1, 0xe1: 'LL',
  0xe2: 'LL', 0xe3: 'LL', 0xe4: 'LL', 0xe5: 'LL', 0xe6: 'LL', 0xe7: 'LL', 0xe8: 'LL', 0xe9: 1,
  0xea: 1, 0xeb: 8, 0xf0: 1, 0xf1: 'LL', 0xf2: 'LL', 0xf3: 'LL', 0xf4: 'LL', 0xf5: 'LL', 0xf6: 'LL',
  0xf7: 'LL', 0xf8: 'LL', 0xf9: 1, 0xfa: 1, 0xfb: 1, 0xfc: 1,
};

export interface Bmp {
  tag: number;
  value: Uint8Array;
  /** Parsed TLV container (tag 06 only). */
  tlv?: Tlv[];
}

export function encodeLlvar(value: Uint8Array, digits: 2 | 3): Uint8Array {
  const max = digits === 2 ? 99 : 999;
  if (value.length > max) throw new ZvtCodecError(`L${'L'.repeat(digits - 1)}VAR value too long: ${value.length}`);
  const s = String(value.length).padStart(digits, '0');
  return concat([Array.from(s, (d) => 0xf0 | Number(d)), value]);
}

/** Returns [length, bytes consumed by the length prefix]. */
export function decodeLlvarLength(b: Uint8Array, off: number, digits: 2 | 3): [number, number] {
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const x = b[off + i];
    if (x === undefined) throw new ZvtCodecError('LLVAR length truncated');
    if ((x & 0xf0) !== 0xf0 || (x & 0x0f) > 9) throw new ZvtCodecError(`bad LLVAR length byte ${hex([x])}`);
    n = n * 10 + (x & 0x0f);
  }
  return [n, digits];
}

export function encodeBmp(tag: number, value: Uint8Array | Tlv[]): Uint8Array {
  const f = BMP_FORMAT[tag];
  if (f === undefined) throw new ZvtCodecError(`unknown BMP ${hex([tag])}`);
  if (f === 'TLV') {
    const body = Array.isArray(value) ? encodeTlvList(value) : value;
    return concat([[tag], encodeBerLength(body.length), body]);
  }
  if (Array.isArray(value)) throw new ZvtCodecError(`BMP ${hex([tag])} is not a TLV container`);
  const v = value as Uint8Array;
  if (f === 'LL') return concat([[tag], encodeLlvar(v, 2)]);
  if (f === 'LLL') return concat([[tag], encodeLlvar(v, 3)]);
  if (v.length !== f) throw new ZvtCodecError(`BMP ${hex([tag])} needs ${f} bytes, got ${v.length}`);
  return concat([[tag], v]);
}

/**
 * Parse a run of BMP fields (the data of 04 0F, 06 01, ...). Throws ZvtCodecError on anything
 * malformed. With `stopAtUnknown`, a tag this table does not know ends the parse instead (its
 * length cannot be known), and the fields before it are returned with `unparsed` set.
 */
export function decodeBmps(b: Uint8Array, opts: { stopAtUnknown?: boolean } = {}): Bmp[] & { unparsed?: number } {
  const out: Bmp[] & { unparsed?: number } = [];
  let off = 0;
  while (off < b.length) {
    const tag = b[off++]!;
    const f = BMP_FORMAT[tag];
    if (f === undefined && opts.stopAtUnknown) {
      out.unparsed = b.length - off + 1;
      return out;
    }
    if (f === undefined) throw new ZvtCodecError(`unknown BMP ${hex([tag])} at offset ${off - 1}`);
    let len: number;
    if (f === 'TLV') {
      const [n, used] = decodeBerLength(b, off);
      off += used;
      len = n;
    } else if (f === 'LL' || f === 'LLL') {
      const [n, used] = decodeLlvarLength(b, off, f === 'LL' ? 2 : 3);
      off += used;
      len = n;
    } else len = f;
    if (off + len > b.length) throw new ZvtCodecError(`BMP ${hex([tag])} truncated`);
    const value = b.slice(off, off + len);
    off += len;
    out.push(f === 'TLV' ? { tag, value, tlv: decodeTlvList(value) } : { tag, value });
  }
  return out;
}

export function bmpMap(bmps: readonly Bmp[]): Map<number, Bmp> {
  const m = new Map<number, Bmp>();
  for (const x of bmps) if (!m.has(x.tag)) m.set(x.tag, x);
  return m;
}
