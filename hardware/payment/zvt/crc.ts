/**
 * CRC-16/KERMIT (CCITT polynomial, reflected: 0x8408; init 0; no final xor), as ZVT's serial
 * transport (PA00P016) uses it over the un-doubled APDU plus the ETX byte, sent low byte first.
 *
 * Hand-written on purpose: the CRC-16 packages on npm name their variants inconsistently
 * ("CCITT" is KERMIT in some, XMODEM/CCITT-FALSE in others), and a wrong variant passes every
 * loop-back test while no real terminal accepts a frame. Twelve lines, checked against the
 * catalogue value ("123456789" -> 0x2189) and the spec's frames in codec.test.ts.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16Kermit(bytes: Uint8Array, init = 0): number {
  let crc = init;
  for (const b of bytes) crc = (crc >>> 8) ^ TABLE[(crc ^ b) & 0xff]!;
  return crc & 0xffff;
}
