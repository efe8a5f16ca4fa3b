/**
 * ZVT APDU: CLASS INSTR LEN DATA. LEN counts DATA only; LEN = FF announces a two-byte length,
 * low byte first (extended length, for data of 255 bytes and more).
 */
import { ZvtCodecError, hex } from './bytes.js';

export interface Apdu {
  cls: number;
  ins: number;
  data: Uint8Array;
}

export function encodeApdu(a: Apdu): Uint8Array {
  const n = a.data.length;
  if (n > 0xffff) throw new ZvtCodecError(`APDU data too long: ${n}`);
  const head = n < 0xff ? [a.cls, a.ins, n] : [a.cls, a.ins, 0xff, n & 0xff, n >> 8];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(a.data, head.length);
  return out;
}

export function decodeApdu(bytes: Uint8Array): Apdu {
  if (bytes.length < 3) throw new ZvtCodecError(`APDU too short: ${hex(bytes)}`);
  let len = bytes[2]!;
  let off = 3;
  if (len === 0xff) {
    if (bytes.length < 5) throw new ZvtCodecError(`extended-length APDU too short: ${hex(bytes)}`);
    len = bytes[3]! | (bytes[4]! << 8);
    off = 5;
  }
  if (bytes.length !== off + len)
    throw new ZvtCodecError(`APDU length ${len} does not match ${bytes.length - off} data bytes`);
  return { cls: bytes[0]!, ins: bytes[1]!, data: bytes.subarray(off) };
}

export function apdu(cls: number, ins: number, data: Uint8Array | readonly number[] = []): Apdu {
  return { cls, ins, data: Uint8Array.from(data) };
}

/** "80 00" etc. */
export function commandName(a: Pick<Apdu, 'cls' | 'ins'>): string {
  return hex([a.cls, a.ins]);
}
