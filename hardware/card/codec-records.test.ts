/**
 * The area records at their limits: the record frame (header, CRC-32 over UID + header + payload,
 * zero padding) byte by byte, every frame check, and every field check of each area's payload
 * parser with the last valid and the first invalid value. Records are built here with a correct
 * CRC, so only the check under test can refuse them (a damaged card is CardError 'corrupt';
 * something that cannot be written is CardEncodeError before any block is written). Written for the
 * mutation run (docs/mutation/codec.md).
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CardModel, MAX_CREDIT_REFS } from '../../contract/card.js';
import { MAC_BYTES } from '../sam/sam.js';
import { CardError } from './card-reader.js';
import { CardEncodeError, FORMAT_VERSION, uidBytes } from './codec-bytes.js';
import { decodeAreaRecord, encodeAreaRecord, recordBody, type SealInput } from './codec-records.js';
import { FIXTURE_CARD_MODELS } from './fixtures.js';
import { AREA_IDS, AREA_LAYOUT, type Area, BLOCK_SIZE } from './layout.js';

const UID = '04B1B2C3D4E5F6';
const U = uidBytes(UID);
const model = (patch: Partial<CardModel> = {}): CardModel => ({ ...structuredClone(FIXTURE_CARD_MODELS.anonymous), ...patch });
const MAC = Uint8Array.from({ length: MAC_BYTES }, (_, i) => 0xa0 + i);
const seal = (writeCounter = 7, mac: Uint8Array = MAC): SealInput => ({ writeCounter, mac: () => mac });

/** A framed record around `payload` with a correct CRC, padded to whole blocks (or `blocks`). */
function frame(area: Area, payload: number[], opts: { id?: number; version?: number; len?: number; blocks?: number; uid?: Uint8Array } = {}): Uint8Array {
  const len = opts.len ?? payload.length;
  const end = 4 + payload.length;
  const nBlocks = opts.blocks ?? Math.ceil((end + 4) / BLOCK_SIZE);
  const out = new Uint8Array(nBlocks * BLOCK_SIZE);
  out.set([opts.id ?? AREA_IDS[area], opts.version ?? FORMAT_VERSION, len & 0xff, len >> 8, ...payload]);
  const crc = crc32(out.subarray(0, end), crc32(opts.uid ?? U));
  out.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], end);
  return out;
}

/** The message of the CardError 'corrupt' that decoding raises (fails the test on anything else). */
function corruptMessage(area: Area, bytes: Uint8Array): string {
  try {
    decodeAreaRecord(area, bytes, U);
  } catch (e) {
    expect(e).toBeInstanceOf(CardError);
    expect((e as CardError).code).toBe('corrupt');
    return (e as Error).message.replace('card data failed its checks: ', '');
  }
  throw new Error('expected CardError corrupt, the record decoded');
}

const str = (s: string) => [s.length, ...Buffer.from(s, 'ascii')];
const u16 = (v: number) => [v & 0xff, v >> 8];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
/** An identity payload: card number 3528020000000014, the given kind byte, expiry, birth, flags. */
const identity = (kind = 2, flags = 0, birth = 0, bcd = [0x35, 0x28, 0x02, 0x00, 0x00, 0x00, 0x00, 0x14]) => [...bcd, kind, ...u16(47_000), ...u16(birth), flags];

describe('record frame', () => {
  it('encodes header (area id, version, payload length LE), payload, CRC-32 over UID+header+payload LE, zero padding to whole blocks', () => {
    const rec = encodeAreaRecord('identity', model());
    expect(rec.length).toBe(2 * BLOCK_SIZE); // 4 + 14 + 4 = 22 bytes
    expect([...rec.subarray(0, 4)]).toEqual([AREA_IDS.identity, FORMAT_VERSION, 14, 0]);
    expect([...rec.subarray(4, 12)]).toEqual([0x35, 0x28, 0x02, 0x00, 0x00, 0x00, 0x00, 0x14]);
    const crc = crc32(rec.subarray(0, 18), crc32(U));
    expect([...rec.subarray(18, 22)]).toEqual(u32(crc));
    expect([...rec.subarray(22)]).toEqual(new Array(10).fill(0));
    expect(rec).toEqual(frame('identity', [...rec.subarray(4, 18)]));
  });

  it('a payload over 255 bytes keeps the high byte of its length (ten full transactions)', () => {
    const transactions = Array.from({ length: 10 }, (_, i) => ({ at: '2026-11-10T08:00:00.000Z', kind: 'transfer' as const, station: 'S'.repeat(16), amountCents: i - 5 }));
    const rec = encodeAreaRecord('history', model({ transactions }));
    expect([rec[2], rec[3]]).toEqual([261 & 0xff, 1]);
    expect(decodeAreaRecord('history', rec, U).transactions).toEqual(transactions);
  });

  it('a record that exactly fills its last blocks (no padding) decodes; an empty history fits one block', () => {
    // purse: balance 4 + count 1 + time 4 + amount 4 + location 1+8 + ref 1+1 = 24; 4 + 24 + 4 = 32
    const topUps = [{ at: '2026-11-23T09:00:00.000Z', amountCents: 100, location: 'KIOSK-UT', ref: 'r' }];
    const exact = encodeAreaRecord('purse', model({ balanceCents: 1, topUps }));
    expect(exact.length).toBe(2 * BLOCK_SIZE);
    expect(exact[2]).toBe(24);
    expect(decodeAreaRecord('purse', exact, U)).toEqual({ balanceCents: 1, topUps });
    const empty = encodeAreaRecord('history', model({ transactions: [] }));
    expect(empty.length).toBe(BLOCK_SIZE);
    expect(decodeAreaRecord('history', empty, U)).toEqual({ transactions: [] });
  });

  it('refuses a record of 0 bytes or not a whole number of blocks', () => {
    expect(corruptMessage('history', new Uint8Array(0))).toBe('history record has a bad length');
    const one = frame('history', [0]);
    const longer = new Uint8Array(17);
    longer.set(one);
    expect(corruptMessage('history', longer)).toBe('history record has a bad length');
    expect(corruptMessage('history', one.subarray(0, 15))).toBe('history record has a bad length');
  });

  it('refuses another area\'s id and another format version, each with a correct CRC', () => {
    expect(corruptMessage('history', frame('history', [0], { id: AREA_IDS.products }))).toBe('history record has the wrong area id');
    expect(corruptMessage('history', frame('history', [0], { version: FORMAT_VERSION - 1 }))).toBe('history record has an unknown format version');
    expect(corruptMessage('history', frame('history', [0], { version: FORMAT_VERSION + 1 }))).toBe('history record has an unknown format version');
  });

  it('refuses a length that needs fewer or more blocks than the index names', () => {
    // 2 blocks given, payload of 1 byte: needs 1
    expect(corruptMessage('history', frame('history', [0], { blocks: 2 }))).toBe('history record length disagrees with the index');
    // length field 9: 4 + 9 + 4 = 17 bytes needs 2 blocks, 1 given
    expect(corruptMessage('history', frame('history', [0], { len: 9 }))).toBe('history record length disagrees with the index');
    // length 8: 4 + 8 + 4 = 16, exactly one block: passes the length check (and then fails its CRC)
    expect(corruptMessage('history', frame('history', [0], { len: 8 }))).toBe('history record CRC mismatch');
  });

  it('each CRC byte flipped, and each header or payload byte flipped, is a CRC mismatch', () => {
    const rec = encodeAreaRecord('identity', model());
    for (let i = 0; i < 22; i++) {
      if (i === 2 || i === 3 || i < 2) continue; // header fields have their own checks
      const bad = Uint8Array.from(rec);
      bad[i]! ^= 0x80;
      expect(corruptMessage('identity', bad), `byte ${i}`).toBe('identity record CRC mismatch');
    }
  });

  it('the CRC binds the record to the chip UID', () => {
    expect(corruptMessage('history', frame('history', [0], { uid: uidBytes('04000000000000') }))).toBe('history record CRC mismatch');
    expect(decodeAreaRecord('history', frame('history', [0]), U)).toEqual({ transactions: [] });
  });

  it('each padding byte not zero is refused, first and last', () => {
    const rec = encodeAreaRecord('identity', model());
    for (const i of [22, 31]) {
      const bad = Uint8Array.from(rec);
      bad[i] = 1;
      expect(corruptMessage('identity', bad), `byte ${i}`).toBe('identity record padding not zero');
    }
  });

  it('refuses trailing bytes the payload parser did not read', () => {
    expect(corruptMessage('history', frame('history', [0, 0]))).toBe('history record has trailing bytes');
  });

  it('recordBody is header + payload, and for the refs record without its MAC', () => {
    const rec = encodeAreaRecord('identity', model());
    expect(recordBody('identity', rec)).toEqual(rec.subarray(0, 18));
    const refs = encodeAreaRecord('refs', model({ creditRefs: ['ab'] }), seal());
    // refs payload: counter 4 + count 1 + "ab" 3, then the MAC
    expect(recordBody('refs', refs)).toEqual(refs.subarray(0, 4 + 8));
    const long = encodeAreaRecord('history', model({ transactions: Array.from({ length: 10 }, () => ({ at: '2026-11-10T08:00:00.000Z', kind: 'check-in' as const, station: 'S'.repeat(16), amountCents: 1 })) }));
    expect(recordBody('history', long).length).toBe(4 + 261);
  });
});

describe('refs record (credit-ref log and seal)', () => {
  it('is sealed: write counter, refs, then the MAC over header + payload so far, with the length counting the MAC', () => {
    let seen: Uint8Array | undefined;
    const rec = encodeAreaRecord('refs', model({ creditRefs: ['r1', 'r2'] }), { writeCounter: 0x01020304, mac: (b) => ((seen = Uint8Array.from(b)), MAC) });
    const payload = [...u32(0x01020304), 2, ...str('r1'), ...str('r2')];
    expect([...seen!]).toEqual([AREA_IDS.refs, FORMAT_VERSION, payload.length + MAC_BYTES, 0, ...payload]);
    expect(rec).toEqual(frame('refs', [...payload, ...MAC]));
    expect(decodeAreaRecord('refs', rec, U)).toEqual({ creditRefs: ['r1', 'r2'], writeCounter: 0x01020304, mac: MAC });
  });

  it('cannot be encoded without a seal, with more than 16 refs, or with a MAC of the wrong size', () => {
    expect(() => encodeAreaRecord('refs', model())).toThrow('the refs record needs a seal');
    const refs = Array.from({ length: MAX_CREDIT_REFS + 1 }, (_, i) => `ref${i}`);
    expect(() => encodeAreaRecord('refs', model({ creditRefs: refs }), seal())).toThrow(`more than ${MAX_CREDIT_REFS} credit refs`);
    expect(encodeAreaRecord('refs', model({ creditRefs: refs.slice(1) }), seal()).length).toBeGreaterThan(0);
    expect(() => encodeAreaRecord('refs', model(), seal(1, MAC.subarray(1)))).toThrow(`the SAM returned a ${MAC_BYTES - 1}-byte MAC`);
    expect(() => encodeAreaRecord('refs', model(), seal(1, new Uint8Array(MAC_BYTES + 1)))).toThrow(CardEncodeError);
  });

  it('only the refs record carries the MAC: a seal handed in for another area is not asked and changes no byte of its record', () => {
    for (const a of ['identity', 'purse', 'history', 'products'] as const) {
      let asked = false;
      const rec = encodeAreaRecord(a, model(), { writeCounter: 1, mac: () => ((asked = true), MAC) });
      expect(asked, a).toBe(false);
      expect(rec, a).toEqual(encodeAreaRecord(a, model()));
    }
  });

  it('decodes 16 refs; 17 is corrupt; an empty or a repeated ref is corrupt', () => {
    const refs = (n: number) => Array.from({ length: n }, (_, i) => str(`r${i}`)).flat();
    expect(decodeAreaRecord('refs', frame('refs', [...u32(1), 16, ...refs(16), ...MAC]), U).creditRefs).toHaveLength(16);
    expect(corruptMessage('refs', frame('refs', [...u32(1), 17, ...refs(17), ...MAC]))).toBe('too many credit refs');
    expect(corruptMessage('refs', frame('refs', [...u32(1), 2, ...str('a'), ...str(''), ...MAC]))).toBe('empty credit ref');
    expect(corruptMessage('refs', frame('refs', [...u32(1), 3, ...str('a'), ...str('b'), ...str('a'), ...MAC]))).toBe('credit ref logged twice');
    expect(corruptMessage('refs', frame('refs', [...u32(1), 0, ...MAC.subarray(1)]))).toBe('record shorter than its contents');
  });
});

describe('identity record', () => {
  it('encodes kind 1..3, expiry and birth as days since 1900, flags blocked=1 autoTopUp=2 birth=4', () => {
    const p = encodeAreaRecord('identity', model({ kind: 'personal', expiryDate: '1900-03-02', birthDate: '1900-01-02', blocked: true, autoTopUp: false }));
    expect([...p.subarray(12, 18)]).toEqual([1, 60, 0, 1, 0, 1 | 4]);
    const b = encodeAreaRecord('identity', model({ kind: 'business', autoTopUp: true }));
    expect([b[12], b[15], b[16], b[17]]).toEqual([3, 0, 0, 2]);
    expect(decodeAreaRecord('identity', b, U)).toMatchObject({ kind: 'business', autoTopUp: true, blocked: false });
    expect(decodeAreaRecord('identity', p, U)).toMatchObject({ kind: 'personal', autoTopUp: false, blocked: true, birthDate: '1900-01-02' });
  });

  it('reads every BCD digit 0-9; a nibble of 10 or more, high or low, is corrupt', () => {
    expect(decodeAreaRecord('identity', frame('identity', identity(2, 0, 0, [0x01, 0x23, 0x45, 0x67, 0x89, 0x90, 0x99, 0x00])), U).cardNumber).toBe('0123456789909900');
    expect(corruptMessage('identity', frame('identity', identity(2, 0, 0, [0x35, 0xa0, 0, 0, 0, 0, 0, 0])))).toBe('card number is not BCD');
    expect(corruptMessage('identity', frame('identity', identity(2, 0, 0, [0x35, 0x0a, 0, 0, 0, 0, 0, 0])))).toBe('card number is not BCD');
    expect(corruptMessage('identity', frame('identity', identity(2, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0xf9])))).toBe('card number is not BCD');
  });

  it('kind bytes 1, 2, 3 are personal, anonymous, business; 0 and 4 are corrupt', () => {
    expect(decodeAreaRecord('identity', frame('identity', identity(1)), U).kind).toBe('personal');
    expect(decodeAreaRecord('identity', frame('identity', identity(2)), U).kind).toBe('anonymous');
    expect(decodeAreaRecord('identity', frame('identity', identity(3)), U).kind).toBe('business');
    expect(corruptMessage('identity', frame('identity', identity(0)))).toBe('unknown card kind');
    expect(corruptMessage('identity', frame('identity', identity(4)))).toBe('unknown card kind');
  });

  it('flags: each known bit alone and all three read; bit 3 is corrupt; a birth date without its flag is corrupt', () => {
    expect(decodeAreaRecord('identity', frame('identity', identity(1, 1)), U)).toMatchObject({ blocked: true, autoTopUp: false });
    expect(decodeAreaRecord('identity', frame('identity', identity(1, 2)), U)).toMatchObject({ blocked: false, autoTopUp: true });
    expect(decodeAreaRecord('identity', frame('identity', identity(1, 0)), U)).not.toHaveProperty('birthDate');
    expect(decodeAreaRecord('identity', frame('identity', identity(1, 7, 0)), U)).toMatchObject({ blocked: true, autoTopUp: true, birthDate: '1900-01-01' });
    expect(decodeAreaRecord('identity', frame('identity', identity(1, 4, 1)), U).birthDate).toBe('1900-01-02');
    expect(corruptMessage('identity', frame('identity', identity(1, 8)))).toBe('unknown identity flags');
    expect(corruptMessage('identity', frame('identity', identity(1, 0x80)))).toBe('unknown identity flags');
    expect(corruptMessage('identity', frame('identity', identity(1, 0, 1)))).toBe('birth date without flag');
    expect(corruptMessage('identity', frame('identity', identity(1, 3, 0x100)))).toBe('birth date without flag');
  });
});

describe('purse and history records', () => {
  it('purse: balance as signed 32 bits and each top-up\'s time, amount, location and ref round-trip', () => {
    const topUps = [
      { at: '2026-11-23T09:00:01.000Z', amountCents: -5, location: 'K'.repeat(32), ref: 'r'.repeat(16) },
      { at: '1970-01-01T00:00:00.000Z', amountCents: 2 ** 31 - 1, location: '', ref: 'x' },
    ];
    const rec = encodeAreaRecord('purse', model({ balanceCents: -(2 ** 31), topUps }));
    expect(decodeAreaRecord('purse', rec, U)).toEqual({ balanceCents: -(2 ** 31), topUps });
    expect([...rec.subarray(4, 9)]).toEqual([0, 0, 0, 0x80, 2]);
  });

  it('purse: a location of 33 or a ref of 17 characters cannot be written', () => {
    expect(() => encodeAreaRecord('purse', model({ topUps: [{ at: '2026-11-23T09:00:00.000Z', amountCents: 1, location: 'K'.repeat(33), ref: 'r' }] }))).toThrow(CardEncodeError);
    expect(() => encodeAreaRecord('purse', model({ topUps: [{ at: '2026-11-23T09:00:00.000Z', amountCents: 1, location: 'K', ref: 'r'.repeat(17) }] }))).toThrow(CardEncodeError);
  });

  it('history: kind bytes 0..3 are check-in, check-out, transfer, cancel; 4 is corrupt', () => {
    const tx = (k: number) => frame('history', [1, ...u32(60), k, ...str('UT'), ...u32(0xffffffff)]);
    expect(['check-in', 'check-out', 'transfer', 'cancel'].map((_, k) => decodeAreaRecord('history', tx(k), U).transactions[0]!.kind)).toEqual(['check-in', 'check-out', 'transfer', 'cancel']);
    expect(decodeAreaRecord('history', tx(3), U).transactions[0]).toEqual({ at: '1970-01-01T00:01:00.000Z', kind: 'cancel', station: 'UT', amountCents: -1 });
    expect(corruptMessage('history', tx(4))).toBe('unknown transaction kind');
    expect(encodeAreaRecord('history', model({ transactions: [{ at: '1970-01-01T00:01:00.000Z', kind: 'cancel', station: 'UT', amountCents: -1 }] }))).toEqual(tx(3));
  });
});

describe('products record', () => {
  const P = { code: 'NS-FLEX', validFrom: '2026-01-01' };

  it('encodes flags date-until=1 class=2 first=4 station=8 ref=16, then code, from, until (date u16 or timestamp u32), station, ref', () => {
    const rec = encodeAreaRecord('products', model({ products: [{ ...P, validUntil: '2026-12-31', travelClass: 1, station: 'UT', ref: 'R1' }, { ...P, validUntil: '2026-01-01T10:00:00.000Z', travelClass: 2 }, { ...P, validUntil: '2026-12-31' }] }));
    const from = u16(Math.round((Date.UTC(2026, 0, 1) - Date.UTC(1900, 0, 1)) / 86_400_000));
    const until = u16(Math.round((Date.UTC(2026, 11, 31) - Date.UTC(1900, 0, 1)) / 86_400_000));
    const expected = [3, 1 | 2 | 4 | 8 | 16, ...str('NS-FLEX'), ...from, ...until, ...str('UT'), ...str('R1'), 2, ...str('NS-FLEX'), ...from, ...u32(Date.UTC(2026, 0, 1, 10) / 1000), 1, ...str('NS-FLEX'), ...from, ...until];
    expect(rec).toEqual(frame('products', expected));
    expect(decodeAreaRecord('products', rec, U).products).toEqual([
      { ...P, validUntil: '2026-12-31', travelClass: 1, station: 'UT', ref: 'R1' },
      { ...P, validUntil: '2026-01-01T10:00:00.000Z', travelClass: 2 },
      { ...P, validUntil: '2026-12-31' },
    ]);
  });

  it('each optional field alone: station without ref, ref without station, class 2 without first', () => {
    const from = u16(100);
    const p = (flags: number, tail: number[]) => frame('products', [1, flags, ...str('X'), ...from, ...u16(200), ...tail]);
    expect(decodeAreaRecord('products', p(1 | 8, str('UT')), U).products[0]).toEqual({ code: 'X', validFrom: '1900-04-11', validUntil: '1900-07-20', station: 'UT' });
    expect(decodeAreaRecord('products', p(1 | 16, str('R')), U).products[0]).toEqual({ code: 'X', validFrom: '1900-04-11', validUntil: '1900-07-20', ref: 'R' });
    expect(decodeAreaRecord('products', p(1 | 2, []), U).products[0]).toEqual({ code: 'X', validFrom: '1900-04-11', validUntil: '1900-07-20', travelClass: 2 });
  });

  it('an unknown flag bit, a first-class bit without the class flag, or an empty code is corrupt', () => {
    const p = (flags: number, code = 'X') => frame('products', [1, flags, ...str(code), ...u16(1), ...u16(2)]);
    expect(corruptMessage('products', p(1 | 32))).toBe('unknown product flags');
    expect(corruptMessage('products', p(1 | 128))).toBe('unknown product flags');
    expect(corruptMessage('products', p(1 | 4))).toBe('class bit without class flag');
    expect(decodeAreaRecord('products', p(1 | 2 | 4), U).products[0]!.travelClass).toBe(1);
    expect(corruptMessage('products', p(1, ''))).toBe('empty product code');
  });

  it('255 products pass the count check (then do not fit the area); 256 are refused as too many', () => {
    const many = (n: number) => Array.from({ length: n }, () => ({ code: 'P', validFrom: '2026-01-01', validUntil: '2026-01-02' }));
    expect(() => encodeAreaRecord('products', model({ products: many(255) }))).toThrow(/^products needs \d+ blocks, the card holds 30/);
    expect(() => encodeAreaRecord('products', model({ products: many(256) }))).toThrow('too many products');
  });
});

describe('area capacity', () => {
  it('a record of exactly the area\'s capacity is written; one byte more is CardEncodeError naming both block counts', () => {
    // products holds 30 blocks = 480 bytes: header 4 + payload + CRC 4. Each product
    // { code 'P', date-until } is 1 + 2 + 2 + 2 = 7 bytes after the count byte.
    const capacity = AREA_LAYOUT.products.blocks[0].length * BLOCK_SIZE;
    const room = capacity - 8 - 1; // payload bytes after the count
    const n = Math.floor(room / 7);
    const spare = room - n * 7; // characters to add to the last product's code
    const products = Array.from({ length: n }, (_, i) => ({ code: i === n - 1 ? 'P'.repeat(1 + spare) : 'P', validFrom: '2026-01-01', validUntil: '2026-01-02' }));
    const fits = encodeAreaRecord('products', model({ products }));
    expect(fits.length).toBe(capacity);
    expect(decodeAreaRecord('products', fits, U).products).toEqual(products);
    const over = products.map((p, i) => (i === n - 1 ? { ...p, code: `${p.code}P` } : p));
    expect(() => encodeAreaRecord('products', model({ products: over }))).toThrow('products needs 31 blocks, the card holds 30 (too many entries or long strings)');
  });
});
