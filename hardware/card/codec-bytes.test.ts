/**
 * The codec's byte layer at its limits: each writer/reader field round-trips at its extremes, each
 * range check accepts its last valid value and refuses the first invalid one (CardEncodeError on
 * encode, CardError 'corrupt' on decode). Written for the mutation run (docs/mutation/codec.md):
 * each test kills boundary and operator mutants the fixture round-trips do not reach.
 */
import { describe, expect, it } from 'vitest';
import { CardError } from './card-reader.js';
import {
  ByteReader,
  ByteWriter,
  CardEncodeError,
  corrupt,
  decodeDate,
  decodeTimestamp,
  encodeBcd,
  encodeDate,
  encodeTimestamp,
  isDateOnly,
  uidBytes,
} from './codec-bytes.js';

/** The CardError code and message a call raises (fails the test when it returns). */
function cardError(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CardError);
    return { code: (e as CardError).code, message: (e as Error).message };
  }
  throw new Error('expected a CardError, nothing was thrown');
}

const reader = (bytes: number[]) => new ByteReader(Uint8Array.from(bytes), 0, bytes.length);

describe('codec byte layer: errors', () => {
  it('CardEncodeError is an Error named CardEncodeError that keeps its cause', () => {
    const cause = new Error('root');
    const e = new CardEncodeError('too big', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CardEncodeError');
    expect(e.message).toBe('too big');
    expect(e.cause).toBe(cause);
  });

  it('corrupt() raises CardError corrupt naming the failed check', () => {
    expect(cardError(() => corrupt('x check'))).toEqual({ code: 'corrupt', message: 'card data failed its checks: x check' });
  });

  it('uidBytes reads the UID as hex bytes', () => {
    expect([...uidBytes('04A1B2C3D4E5F6')]).toEqual([0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]);
  });
});

describe('codec byte layer: writer and reader', () => {
  it('writes u8/u16/u32 little-endian, masking each byte, and i32 as two\'s complement', () => {
    const w = new ByteWriter();
    w.u8(0x1ab); // only the low byte
    w.u16(0xbeef);
    w.u32(0xdeadbeef);
    w.i32(-2);
    w.i32(-(2 ** 31));
    expect([...w.done()]).toEqual([0xab, 0xef, 0xbe, 0xef, 0xbe, 0xad, 0xde, 0xfe, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x80]);
  });

  it('reads what it wrote: u16/u32 at their maximum, i32 at both extremes and -1', () => {
    const w = new ByteWriter();
    w.u16(0xffff);
    w.u16(0x8001);
    w.u32(0xffffffff);
    w.u32(0x80000001);
    w.i32(2 ** 31 - 1);
    w.i32(-(2 ** 31));
    w.i32(-1);
    w.i32(0x01020304);
    const b = w.done();
    const r = new ByteReader(b, 0, b.length);
    expect([r.u16(), r.u16(), r.u32(), r.u32(), r.i32(), r.i32(), r.i32(), r.i32()]).toEqual([0xffff, 0x8001, 0xffffffff, 0x80000001, 2 ** 31 - 1, -(2 ** 31), -1, 0x01020304]);
    expect(r.atEnd()).toBe(true);
  });

  it('grows past its first 512 bytes without losing a byte (u8 by u8 and in one bytes() call)', () => {
    const w = new ByteWriter();
    for (let i = 0; i < 600; i++) w.u8(i);
    const chunk = Uint8Array.from({ length: 1500 }, (_, i) => (i * 7) & 0xff);
    w.bytes(chunk);
    const out = w.done();
    expect(out.length).toBe(2100);
    expect([...out.subarray(0, 600)]).toEqual(Array.from({ length: 600 }, (_, i) => i & 0xff));
    expect([...out.subarray(600)]).toEqual([...chunk]);
  });

  it('a string exactly at its limit is written length-prefixed; one character more is CardEncodeError', () => {
    const w = new ByteWriter();
    w.str('ABC', 3);
    w.str('', 0);
    expect([...w.done()]).toEqual([3, 0x41, 0x42, 0x43, 0]);
    expect(() => new ByteWriter().str('ABCD', 3)).toThrow(CardEncodeError);
    expect(() => new ByteWriter().str('ABCD', 3)).toThrow('string longer than 3: "ABCD"');
  });

  it('a string exactly at its limit reads back; a length one over the limit is corrupt', () => {
    expect(reader([3, 0x41, 0x42, 0x43]).str(3)).toBe('ABC');
    expect(cardError(() => reader([4, 0x41, 0x42, 0x43, 0x44]).str(3)).message).toMatch(/string too long$/);
  });

  it('reads printable ASCII 0x20..0x7e and refuses 0x1f and 0x7f as corrupt', () => {
    expect(reader([2, 0x20, 0x7e]).str(16)).toBe(' ~');
    expect(cardError(() => reader([1, 0x1f]).str(16)).message).toMatch(/string not printable ASCII$/);
    expect(cardError(() => reader([1, 0x7f]).str(16)).message).toMatch(/string not printable ASCII$/);
    expect(cardError(() => reader([2, 0x41, 0x00]).str(16)).message).toMatch(/string not printable ASCII$/);
  });

  it('a string whose length runs past the record end is corrupt, even when the buffer goes on', () => {
    const buf = Uint8Array.from([3, 0x41, 0x42, 0x43, 0x44]);
    expect(cardError(() => new ByteReader(buf, 0, 3).str(16)).message).toMatch(/record shorter than its contents$/);
  });

  it('reading one byte past the end is corrupt; reading exactly to the end is not', () => {
    const buf = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const r = new ByteReader(buf, 1, 4);
    expect(r.atEnd()).toBe(false);
    expect(r.u16()).toBe(0x0302);
    expect(r.atEnd()).toBe(false);
    expect(r.u8()).toBe(4);
    expect(r.atEnd()).toBe(true);
    expect(cardError(() => r.u8()).message).toMatch(/record shorter than its contents$/);
    expect(cardError(() => new ByteReader(buf, 0, 3).u32()).code).toBe('corrupt');
  });

  it('bytes(n) returns exactly n bytes from the read position and advances; past the end is corrupt', () => {
    const buf = Uint8Array.from([9, 1, 2, 3, 4, 5]);
    const r = new ByteReader(buf, 1, 5);
    expect([...r.bytes(3)]).toEqual([1, 2, 3]);
    expect([...r.bytes(1)]).toEqual([4]);
    expect(r.atEnd()).toBe(true);
    expect(cardError(() => new ByteReader(buf, 1, 5).bytes(5)).code).toBe('corrupt');
  });
});

describe('codec byte layer: dates, timestamps and BCD at their range limits', () => {
  it('dates: 1900-01-01 is day 0 and 2079-06-06 day 65535; the day before and the day after are CardEncodeError', () => {
    expect(encodeDate('1900-01-01')).toBe(0);
    expect(encodeDate('1900-01-02')).toBe(1);
    expect(encodeDate('2079-06-06')).toBe(0xffff);
    expect(() => encodeDate('1899-12-31')).toThrow(CardEncodeError);
    expect(() => encodeDate('2079-06-07')).toThrow('date out of range: 2079-06-07');
    expect(() => encodeDate('not-a-date')).toThrow(CardEncodeError);
  });

  it('dates decode back to the same calendar day', () => {
    expect(decodeDate(0)).toBe('1900-01-01');
    expect(decodeDate(1)).toBe('1900-01-02');
    expect(decodeDate(0xffff)).toBe('2079-06-06');
    for (const d of ['1988-05-14', '2026-11-30', '2024-02-29']) expect(decodeDate(encodeDate(d))).toBe(d);
  });

  it('timestamps: 1970-01-01T00:00:00Z and 2**32-1 s are kept; a second before 1970 or at 2**32 s is CardEncodeError', () => {
    expect(encodeTimestamp('1970-01-01T00:00:00.000Z')).toBe(0);
    expect(encodeTimestamp('1970-01-01T00:00:01.999Z')).toBe(1); // to the second, rounded down
    expect(encodeTimestamp(new Date((2 ** 32 - 1) * 1000).toISOString())).toBe(2 ** 32 - 1);
    expect(() => encodeTimestamp('1969-12-31T23:59:59.000Z')).toThrow(CardEncodeError);
    expect(() => encodeTimestamp(new Date(2 ** 32 * 1000).toISOString())).toThrow(/^timestamp out of range: /);
    expect(() => encodeTimestamp('garbage')).toThrow(CardEncodeError);
  });

  it('timestamps decode to the ISO instant of that second', () => {
    expect(decodeTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(decodeTimestamp(1_764_496_800)).toBe('2025-11-30T10:00:00.000Z');
  });

  it('isDateOnly: YYYY-MM-DD only, not a timestamp nor anything around a date', () => {
    expect(isDateOnly('2026-11-30')).toBe(true);
    for (const s of ['2026-11-30T10:00:00.000Z', 'x2026-11-30', '2026-11-30x', '12026-11-30', '226-11-30', '2026-1-30', '2026-111-30', '2026-11-3', '2026-11-300', '2026/11/30', 'abcd-ef-gh', ''])
      expect(isDateOnly(s), s).toBe(false);
  });

  it('BCD packs two digits a byte, high nibble first', () => {
    expect([...encodeBcd('3528010000000017')]).toEqual([0x35, 0x28, 0x01, 0x00, 0x00, 0x00, 0x00, 0x17]);
    expect([...encodeBcd('9081726354453627')]).toEqual([0x90, 0x81, 0x72, 0x63, 0x54, 0x45, 0x36, 0x27]);
  });
});
