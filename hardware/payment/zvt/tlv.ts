/**
 * The ZVT TLV container (BMP 06): BER-TLV with BER tags (multi-byte when the low five bits of the
 * first byte are all set) and BER lengths (short form < 0x80, `81 nn`, `82 hi lo` big-endian).
 * Constructed tags (bit 0x20 of the first byte) hold nested TLV.
 */
import { ZvtCodecError, concat, hex } from './bytes.js';

export interface Tlv {
  /** The tag bytes as one number, e.g. 0x26, 0x1f10. */
  tag: number;
  value: Uint8Array;
  /** For constructed tags: the parsed children. */
  children?: Tlv[];
}

function tagBytes(tag: number): number[] {
  const out: number[] = [];
  let t = tag;
  do {
    out.unshift(t & 0xff);
    t = Math.floor(t / 256);
  } while (t > 0);
  return out;
}

export function isConstructed(tag: number): boolean {
  return (tagBytes(tag)[0]! & 0x20) !== 0;
}

export function encodeBerLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n <= 0xff) return [0x81, n];
  if (n <= 0xffff) return [0x82, n >> 8, n & 0xff];
  throw new ZvtCodecError(`TLV length too large: ${n}`);
}

/** Returns [length, bytes consumed]. */
export function decodeBerLength(b: Uint8Array, off: number): [number, number] {
  const first = b[off];
  if (first === undefined) throw new ZvtCodecError('TLV length missing');
  if (first < 0x80) return [first, 1];
  if (first === 0x81) {
    const n = b[off + 1];
    if (n === undefined) throw new ZvtCodecError('TLV length 81 truncated');
    return [n, 2];
  }
  if (first === 0x82) {
    const hi = b[off + 1];
    const lo = b[off + 2];
    if (hi === undefined || lo === undefined) throw new ZvtCodecError('TLV length 82 truncated');
    return [(hi << 8) | lo, 3];
  }
  throw new ZvtCodecError(`unsupported BER length byte ${hex([first])}`);
}

export function encodeTlvList(items: readonly Tlv[]): Uint8Array {
  return concat(
    items.map((i) => {
      const value = i.children ? encodeTlvList(i.children) : i.value;
      return concat([tagBytes(i.tag), encodeBerLength(value.length), value]);
    }),
  );
}

export function decodeTlvList(b: Uint8Array, depth = 0): Tlv[] {
  if (depth > 8) throw new ZvtCodecError('TLV nested too deep');
  const out: Tlv[] = [];
  let off = 0;
  while (off < b.length) {
    let tag = b[off++]!;
    if ((tag & 0x1f) === 0x1f) {
      let more = true;
      let n = 0;
      while (more) {
        const nb = b[off++];
        if (nb === undefined) throw new ZvtCodecError('TLV tag truncated');
        if (++n > 3) throw new ZvtCodecError('TLV tag too long');
        tag = tag * 256 + nb;
        more = (nb & 0x80) !== 0;
      }
    }
    const [len, used] = decodeBerLength(b, off);
    off += used;
    if (off + len > b.length) throw new ZvtCodecError(`TLV value of tag ${tag.toString(16)} truncated`);
    const value = b.slice(off, off + len);
    off += len;
    out.push(isConstructed(tag) ? { tag, value, children: decodeTlvList(value, depth + 1) } : { tag, value });
  }
  return out;
}
