/** Small byte helpers shared by the ZVT codec. */
export function hex(bytes: Uint8Array | readonly number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new ZvtCodecError(`not hex: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A malformed ZVT structure (frame, APDU, BMP, TLV): the message is rejected, never a crash. */
export class ZvtCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZvtCodecError';
  }
}

/** Digits -> packed BCD of `bytes` bytes (left-padded with 0). */
export function toBcd(digits: string | number, bytes: number): Uint8Array {
  const s = String(digits);
  if (!/^\d+$/.test(s)) throw new ZvtCodecError(`not decimal digits: ${s}`);
  if (s.length > bytes * 2) throw new ZvtCodecError(`${s} does not fit ${bytes} BCD bytes`);
  const p = s.padStart(bytes * 2, '0');
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (Number(p[2 * i]) << 4) | Number(p[2 * i + 1]);
  return out;
}

/** Packed BCD -> digit string. Nibbles A-F are returned as letters (E = masked digit in a PAN). */
export function fromBcd(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b >> 4).toString(16).toUpperCase() + (b & 0x0f).toString(16).toUpperCase();
  return s;
}

/** Strict numeric BCD -> number (throws on a non-decimal nibble). */
export function bcdNumber(bytes: Uint8Array): number {
  const s = fromBcd(bytes);
  if (!/^\d+$/.test(s)) throw new ZvtCodecError(`not BCD: ${hex(bytes)}`);
  return Number(s);
}
