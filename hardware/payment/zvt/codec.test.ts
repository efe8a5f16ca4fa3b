import { describe, expect, it } from 'vitest';
import { decodeApdu, encodeApdu, apdu } from './apdu.js';
import { concat, fromHex, hex, toBcd, fromBcd, ZvtCodecError } from './bytes.js';
import { decodeBmps, encodeBmp, encodeLlvar } from './bmp.js';
import { crc16Kermit } from './crc.js';
import { encodeFrame, FrameReceiver, type ReceiverEvent } from './frame.js';
import { build, parseStatusCompletion, parseStatusInformation, toReceipt } from './messages.js';
import { decodeTlvList, encodeTlvList } from './tlv.js';

const frameOf = (apduHex: string) => hex(encodeFrame(fromHex(apduHex)));

describe('CRC-16/KERMIT', () => {
  it('matches the catalogue check value ("123456789" -> 0x2189), not XMODEM (0x31C3)', () => {
    expect(crc16Kermit(new TextEncoder().encode('123456789'))).toBe(0x2189);
  });
});

describe('ZVT frames: the known frames from the notes and the spec examples', () => {
  const known: [string, string][] = [
    ['80 00 00', '10 02 80 00 00 10 03 F5 1F'],
    ['06 00 06 12 34 56 BA 09 78', '10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3'],
    ['05 01 03 12 34 56', '10 02 05 01 03 12 34 56 10 03 E0 43'],
    ['06 93 03 12 34 56', '10 02 06 93 03 12 34 56 10 03 CA A4'],
    ['06 70 00', '10 02 06 70 00 10 03 D9 F9'],
    ['84 9C 00', '10 02 84 9C 00 10 03 C3 41'],
    ['06 18 00', '10 02 06 18 00 10 03 56 3A'],
    // authorization 110.00 EUR: the 10 inside the amount is doubled on the wire, not in the CRC
    ['06 01 0A 04 00 00 00 01 10 00 49 09 78', '10 02 06 01 0A 04 00 00 00 01 10 10 00 49 09 78 10 03 F2 FF'],
    ['06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00', '10 02 06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00 10 03 B1 11'],
  ];
  for (const [a, f] of known) it(`encodes ${a}`, () => expect(frameOf(a)).toBe(f));

  it('builds the authorization frame of the spec example from the amount', () => {
    expect(hex(encodeFrame(encodeApdu(build.authorization(11000))))).toBe(known[7]![1]);
  });

  it('receives every known frame, also one byte at a time', () => {
    for (const [a, f] of known) {
      const ev: ReceiverEvent[] = [];
      const r = new FrameReceiver((e) => ev.push(e));
      for (const b of fromHex(f)) r.push(Uint8Array.of(b));
      expect(ev).toHaveLength(1);
      expect(ev[0]!.type).toBe('frame');
      expect(hex((ev[0] as { apdu: Uint8Array }).apdu)).toBe(a);
    }
  });

  it('receives merged frames with ACK/NAK bytes and garbage between, and flags a bad CRC', () => {
    const ev: ReceiverEvent[] = [];
    const r = new FrameReceiver((e) => ev.push(e));
    const bad = fromHex(known[0]![1]);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    r.push(concat([[0x06], fromHex('AA BB 10 41'), fromHex(known[1]![1]), [0x15], bad, fromHex(known[7]![1])]));
    expect(ev.map((e) => e.type)).toEqual(['ack', 'garbage', 'frame', 'nak', 'bad-crc', 'frame']);
  });

  it('resyncs on a DLE STX that starts inside a broken frame', () => {
    const ev: ReceiverEvent[] = [];
    const r = new FrameReceiver((e) => ev.push(e));
    r.push(concat([fromHex('10 02 06 01 05'), fromHex(known[0]![1])]));
    expect(ev.map((e) => e.type)).toEqual(['garbage', 'frame']);
  });
});

describe('APDU lengths', () => {
  it('short length', () => expect(hex(encodeApdu(apdu(0x80, 0x00)))).toBe('80 00 00'));
  it('extended length FF lo hi for 255+ data bytes, and back', () => {
    const data = new Uint8Array(300).fill(0x41);
    const enc = encodeApdu(apdu(0x06, 0xd3, data));
    expect(hex(enc.subarray(0, 5))).toBe('06 D3 FF 2C 01');
    const dec = decodeApdu(enc);
    expect(dec.data.length).toBe(300);
    expect(hex(encodeApdu(apdu(0x06, 0xd3, new Uint8Array(254))).subarray(0, 3))).toBe('06 D3 FE');
  });
  it('rejects a length that does not match the data', () => {
    expect(() => decodeApdu(fromHex('06 01 05 00'))).toThrow(ZvtCodecError);
  });
});

describe('BMP, LLVAR, LLLVAR, TLV', () => {
  it('BCD both ways', () => {
    expect(hex(toBcd(11000, 6))).toBe('00 00 00 01 10 00');
    expect(fromBcd(fromHex('09 78'))).toBe('0978');
    expect(() => toBcd(1234567, 3)).toThrow(ZvtCodecError);
  });
  it('LLVAR Fx Fy and LLLVAR Fx Fy Fz prefixes', () => {
    expect(hex(encodeLlvar(new Uint8Array(11), 2).subarray(0, 2))).toBe('F1 F1');
    expect(hex(encodeLlvar(new Uint8Array(123), 3).subarray(0, 3))).toBe('F1 F2 F3');
    expect(hex(encodeBmp(0x8b, new TextEncoder().encode('girocard')))).toBe('8B F0 F8 67 69 72 6F 63 61 72 64');
  });
  it('TLV: BER tags and lengths (81 nn, 82 hi lo), constructed tags nest', () => {
    const list = [
      { tag: 0x26, value: new Uint8Array(), children: [{ tag: 0x0a, value: fromHex('06 D3') }] },
      { tag: 0x1f10, value: new Uint8Array(200).fill(1) },
      { tag: 0x07, value: new Uint8Array(300) },
    ];
    const enc = encodeTlvList(list);
    expect(hex(enc.subarray(0, 6))).toBe('26 04 0A 02 06 D3');
    expect(hex(enc.subarray(6, 10))).toBe("1F 10 81 C8");
    const dec = decodeTlvList(enc);
    expect(dec.map((t) => t.tag)).toEqual([0x26, 0x1f10, 0x07]);
    expect(dec[0]!.children![0]!.tag).toBe(0x0a);
    expect(dec[2]!.value.length).toBe(300);
    expect(hex(enc.subarray(6 + 4 + 200, 6 + 4 + 200 + 4))).toBe('07 82 01 2C');
    expect(() => decodeTlvList(fromHex('07 05 01'))).toThrow(ZvtCodecError);
  });
  it('registration with the TLV-enable container', () => {
    expect(hex(encodeApdu(build.registration('123456', 0xba)))).toBe('06 00 08 12 34 56 BA 09 78 06 00');
  });
});

describe('Status-Information', () => {
  it('parses a real terminal 04 0F (from a public trace) into BMP fields', () => {
    const f = fromHex(
      '10 02 04 0F 37 27 00 04 00 00 00 00 40 00 49 09 78 0C 09 38 48 0D 04 25 22 F1 F1 59 66 66 66 66 D2 00 21 22 01 00 17 00 01 87 01 75 0B 61 39 95 19 40 29 60 09 99 14 0E 05 12 8A 02 10 03 90 8C',
    );
    const ev: ReceiverEvent[] = [];
    new FrameReceiver((e) => ev.push(e)).push(f);
    expect(ev[0]!.type).toBe('frame');
    const a = decodeApdu((ev[0] as { apdu: Uint8Array }).apdu);
    const s = parseStatusInformation(a.data);
    expect(s).toMatchObject({ resultCode: 0, amountCents: 4000, currency: 978, time: '093848', date: '0425', receiptNumber: '0175', trace: '613995', terminalId: '60099914', cardType: 2 });
    const r = toReceipt(s, 0, new Date('2026-05-01T00:00:00Z'));
    expect(r.at).toBe('2026-04-25T09:38:48');
  });
  it('round-trips what the simulator sends, masked PAN and card name included', () => {
    const a = build.statusInformation({ resultCode: 0, amountCents: 1250, trace: '000042', receiptNumber: '0007', maskedPan: '672559******1234', cardName: 'girocard', terminalId: '52500038', date: '1123', time: '080000' });
    const s = parseStatusInformation(decodeApdu(encodeApdu(a)).data);
    expect(s).toMatchObject({ amountCents: 1250, trace: '000042', receiptNumber: '0007', maskedPan: '672559******1234', cardName: 'girocard', terminalId: '52500038' });
  });
  it('a status completion with and without software version', () => {
    expect(parseStatusCompletion(fromHex('F0 F0 F7 32 2E 31 34 2E 31 35 00'))).toEqual({ terminalStatus: 0, softwareVersion: '2.14.15' });
    expect(parseStatusCompletion(fromHex('51 29 52 50 00 38'))).toEqual({ terminalStatus: 0x51, terminalId: '52500038' });
  });
  it('a vendor BMP after the result code ends the parse but keeps the result; before it, the message is rejected', () => {
    const s = parseStatusInformation(fromHex('27 00 87 00 42 FE 01 02 03'));
    expect(s).toMatchObject({ resultCode: 0, receiptNumber: '0042', unparsedBytes: 4 });
    expect(() => parseStatusInformation(fromHex('FE 01 27 00'))).toThrow(ZvtCodecError);
  });
  it('malformed BMP data is a typed error', () => {
    expect(() => decodeBmps(fromHex('04 00 00'))).toThrow(ZvtCodecError);
    expect(() => decodeBmps(fromHex('8B F1'))).toThrow(ZvtCodecError);
    expect(() => decodeBmps(fromHex('FF 00'))).toThrow(ZvtCodecError);
  });
});
