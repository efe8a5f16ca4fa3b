/**
 * The card format codec's byte layer: the format version, the encode error, the corrupt-data
 * exit, and the little-endian writer/reader, date and BCD helpers every record uses. The public
 * face is codec.ts.
 */
import { CardError } from './card-reader.js';

/** Format 2: the credit-ref log and seal area (docs/card-format.md); format 1 cards are migrated. */
export const FORMAT_VERSION = 2;

/** The model or update cannot be written in this format (too much data, bad values). Raised
 * before a single block is written. */
export class CardEncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CardEncodeError';
  }
}

export function corrupt(what: string): never {
  throw new CardError('corrupt', `card data failed its checks: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Small byte helpers

export function uidBytes(uid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uid, 'hex'));
}

export class ByteWriter {
  private buf = new Uint8Array(512);
  private n = 0;
  private ensure(k: number) {
    if (this.n + k > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
      next.set(this.buf);
      this.buf = next;
    }
  }
  u8(v: number) {
    this.ensure(1);
    this.buf[this.n++] = v & 0xff;
  }
  u16(v: number) {
    this.u8(v);
    this.u8(v >>> 8);
  }
  u32(v: number) {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }
  i32(v: number) {
    this.u32(v >>> 0);
  }
  bytes(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  str(s: string, max: number) {
    if (s.length > max) throw new CardEncodeError(`string longer than ${max}: ${JSON.stringify(s)}`);
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}


export class ByteReader {
  private p: number;
  constructor(
    private readonly b: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.p = start;
  }
  private need(k: number) {
    if (this.p + k > this.end) corrupt('record shorter than its contents');
  }
  u8(): number {
    this.need(1);
    return this.b[this.p++]!;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  i32(): number {
    return this.u32() | 0;
  }
  str(max: number): string {
    const len = this.u8();
    if (len > max) corrupt('string too long');
    this.need(len);
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = this.b[this.p++]!;
      if (c < 0x20 || c > 0x7e) corrupt('string not printable ASCII');
      s += String.fromCharCode(c);
    }
    return s;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.p, this.p + n);
    this.p += n;
    return out;
  }
  atEnd(): boolean {
    return this.p === this.end;
  }
}


// Dates: days since 1900-01-01 (u16); timestamps: seconds since 1970 (u32).
const DAY_MS = 86_400_000;
const EPOCH_1900 = Date.UTC(1900, 0, 1);

export function encodeDate(s: string): number {
  const days = Math.round((Date.parse(`${s}T00:00:00Z`) - EPOCH_1900) / DAY_MS);
  if (!(days >= 0 && days <= 0xffff)) throw new CardEncodeError(`date out of range: ${s}`);
  return days;
}
export function decodeDate(days: number): string {
  return new Date(EPOCH_1900 + days * DAY_MS).toISOString().slice(0, 10);
}
export function encodeTimestamp(s: string): number {
  const t = Math.floor(Date.parse(s) / 1000);
  if (!(t >= 0 && t < 2 ** 32)) throw new CardEncodeError(`timestamp out of range: ${s}`);
  return t;
}
export function decodeTimestamp(sec: number): string {
  return new Date(sec * 1000).toISOString();
}
export const isDateOnly = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);

export function encodeBcd(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = ((digits.charCodeAt(2 * i) - 48) << 4) | (digits.charCodeAt(2 * i + 1) - 48);
  return out;
}

