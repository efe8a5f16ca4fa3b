/**
 * The card format's area records: each area's payload (identity, purse, history, products) and
 * its record frame — header, payload, CRC-32 over the chip UID, header and payload, zero-padded
 * to whole blocks. The public face is codec.ts.
 */
import { crc32 } from 'node:zlib';
import type { CardKind, CardModel, CardProduct, TopUpRecord, TravelTransaction, TravelTransactionKind } from '../../contract/card.js';
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
  FORMAT_VERSION,
  isDateOnly,
  uidBytes,
} from './codec-bytes.js';
import { AREA_IDS, AREA_LAYOUT, type Area, BLOCK_SIZE } from './layout.js';
import { STRING_LIMITS } from './model-schema.js';

const RECORD_HEADER = 4; // area id, version, payload length (u16 LE)
const RECORD_CRC = 4;

const KINDS: readonly CardKind[] = ['personal', 'anonymous', 'business'];
const TX_KINDS: readonly TravelTransactionKind[] = ['check-in', 'check-out', 'transfer', 'cancel'];

// ---------------------------------------------------------------------------------------------
// Area payloads

export interface IdentityPart {
  cardNumber: string;
  kind: CardKind;
  expiryDate: string;
  birthDate?: string;
  autoTopUp: boolean;
  blocked: boolean;
}
export interface PursePart {
  balanceCents: number;
  topUps: TopUpRecord[];
}
export interface HistoryPart {
  transactions: TravelTransaction[];
}
export interface ProductsPart {
  products: CardProduct[];
}
export interface AreaParts {
  identity: IdentityPart;
  purse: PursePart;
  history: HistoryPart;
  products: ProductsPart;
}

const ID_BLOCKED = 1;
const ID_AUTO_TOP_UP = 2;
const ID_HAS_BIRTH = 4;

const PR_UNTIL_DATE = 1;
const PR_HAS_CLASS = 2;
const PR_FIRST_CLASS = 4;
const PR_HAS_STATION = 8;
const PR_HAS_REF = 16;

function encodePayload(area: Area, m: CardModel): Uint8Array {
  const w = new ByteWriter();
  switch (area) {
    case 'identity': {
      w.bytes(encodeBcd(m.cardNumber));
      w.u8(KINDS.indexOf(m.kind) + 1);
      w.u16(encodeDate(m.expiryDate));
      w.u16(m.birthDate === undefined ? 0 : encodeDate(m.birthDate));
      w.u8((m.blocked ? ID_BLOCKED : 0) | (m.autoTopUp ? ID_AUTO_TOP_UP : 0) | (m.birthDate !== undefined ? ID_HAS_BIRTH : 0));
      break;
    }
    case 'purse': {
      w.i32(m.balanceCents);
      w.u8(m.topUps.length);
      for (const t of m.topUps) {
        w.u32(encodeTimestamp(t.at));
        w.i32(t.amountCents);
        w.str(t.location, STRING_LIMITS.location);
        w.str(t.ref, STRING_LIMITS.ref);
      }
      break;
    }
    case 'history': {
      w.u8(m.transactions.length);
      for (const t of m.transactions) {
        w.u32(encodeTimestamp(t.at));
        w.u8(TX_KINDS.indexOf(t.kind));
        w.str(t.station, STRING_LIMITS.station);
        w.i32(t.amountCents);
      }
      break;
    }
    case 'products': {
      if (m.products.length > 255) throw new CardEncodeError('too many products');
      w.u8(m.products.length);
      for (const p of m.products) {
        const untilDate = isDateOnly(p.validUntil);
        w.u8(
          (untilDate ? PR_UNTIL_DATE : 0) |
            (p.travelClass !== undefined ? PR_HAS_CLASS : 0) |
            (p.travelClass === 1 ? PR_FIRST_CLASS : 0) |
            (p.station !== undefined ? PR_HAS_STATION : 0) |
            (p.ref !== undefined ? PR_HAS_REF : 0),
        );
        w.str(p.code, STRING_LIMITS.productCode);
        w.u16(encodeDate(p.validFrom));
        if (untilDate) w.u16(encodeDate(p.validUntil));
        else w.u32(encodeTimestamp(p.validUntil));
        if (p.station !== undefined) w.str(p.station, STRING_LIMITS.station);
        if (p.ref !== undefined) w.str(p.ref, STRING_LIMITS.ref);
      }
      break;
    }
  }
  return w.done();
}

function decodePayload<A extends Area>(area: A, r: ByteReader): AreaParts[A];
function decodePayload(area: Area, r: ByteReader): AreaParts[Area] {
  switch (area) {
    case 'identity': {
      let cardNumber = '';
      for (let i = 0; i < 8; i++) {
        const b = r.u8();
        const hi = b >> 4;
        const lo = b & 15;
        if (hi > 9 || lo > 9) corrupt('card number is not BCD');
        cardNumber += String(hi) + String(lo);
      }
      const kind = KINDS[r.u8() - 1];
      if (!kind) corrupt('unknown card kind');
      const expiryDate = decodeDate(r.u16());
      const birth = r.u16();
      const flags = r.u8();
      if (flags & ~(ID_BLOCKED | ID_AUTO_TOP_UP | ID_HAS_BIRTH)) corrupt('unknown identity flags');
      if (!(flags & ID_HAS_BIRTH) && birth !== 0) corrupt('birth date without flag');
      const part: IdentityPart = {
        cardNumber,
        kind,
        expiryDate,
        autoTopUp: (flags & ID_AUTO_TOP_UP) !== 0,
        blocked: (flags & ID_BLOCKED) !== 0,
      };
      if (flags & ID_HAS_BIRTH) part.birthDate = decodeDate(birth);
      return part;
    }
    case 'purse': {
      const balanceCents = r.i32();
      const n = r.u8();
      const topUps: TopUpRecord[] = [];
      for (let i = 0; i < n; i++) {
        const at = decodeTimestamp(r.u32());
        const amountCents = r.i32();
        const location = r.str(STRING_LIMITS.location);
        const ref = r.str(STRING_LIMITS.ref);
        topUps.push({ at, amountCents, location, ref });
      }
      return { balanceCents, topUps };
    }
    case 'history': {
      const n = r.u8();
      const transactions: TravelTransaction[] = [];
      for (let i = 0; i < n; i++) {
        const at = decodeTimestamp(r.u32());
        const kind = TX_KINDS[r.u8()];
        if (!kind) corrupt('unknown transaction kind');
        const station = r.str(STRING_LIMITS.station);
        const amountCents = r.i32();
        transactions.push({ at, kind, station, amountCents });
      }
      return { transactions };
    }
    case 'products': {
      const n = r.u8();
      const products: CardProduct[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        if (flags & ~(PR_UNTIL_DATE | PR_HAS_CLASS | PR_FIRST_CLASS | PR_HAS_STATION | PR_HAS_REF)) corrupt('unknown product flags');
        if (flags & PR_FIRST_CLASS && !(flags & PR_HAS_CLASS)) corrupt('class bit without class flag');
        const code = r.str(STRING_LIMITS.productCode);
        if (code.length === 0) corrupt('empty product code');
        const validFrom = decodeDate(r.u16());
        const validUntil = flags & PR_UNTIL_DATE ? decodeDate(r.u16()) : decodeTimestamp(r.u32());
        const p: CardProduct = { code, validFrom, validUntil };
        if (flags & PR_HAS_CLASS) p.travelClass = flags & PR_FIRST_CLASS ? 1 : 2;
        if (flags & PR_HAS_STATION) p.station = r.str(STRING_LIMITS.station);
        if (flags & PR_HAS_REF) p.ref = r.str(STRING_LIMITS.ref);
        products.push(p);
      }
      return { products };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Records: header + payload + CRC, zero-padded to whole blocks

function recordCrc(uid: Uint8Array, bytes: Uint8Array, start: number, end: number): number {
  return crc32(bytes.subarray(start, end), crc32(uid));
}

/** The area's record for a model, padded to whole blocks. Throws CardEncodeError if it does not fit. */
export function encodeAreaRecord(area: Area, model: CardModel): Uint8Array {
  const payload = encodePayload(area, model);
  const size = RECORD_HEADER + payload.length + RECORD_CRC;
  const blocks = Math.ceil(size / BLOCK_SIZE);
  const capacity = AREA_LAYOUT[area].blocks[0].length;
  if (blocks > capacity) {
    throw new CardEncodeError(`${area} needs ${blocks} blocks, the card holds ${capacity} (too many entries or long strings)`);
  }
  if (payload.length > 0xffff) throw new CardEncodeError(`${area} payload too long`);
  const out = new Uint8Array(blocks * BLOCK_SIZE);
  out[0] = AREA_IDS[area];
  out[1] = FORMAT_VERSION;
  out[2] = payload.length & 0xff;
  out[3] = payload.length >> 8;
  out.set(payload, RECORD_HEADER);
  const end = RECORD_HEADER + payload.length;
  const crc = recordCrc(uidBytes(model.uid), out, 0, end);
  out[end] = crc & 0xff;
  out[end + 1] = (crc >>> 8) & 0xff;
  out[end + 2] = (crc >>> 16) & 0xff;
  out[end + 3] = crc >>> 24;
  return out;
}

/** Decode one area's record from its blocks (exactly the count the index names). */
export function decodeAreaRecord<A extends Area>(area: A, bytes: Uint8Array, uid: Uint8Array): AreaParts[A] {
  if (bytes.length < BLOCK_SIZE || bytes.length % BLOCK_SIZE !== 0) corrupt(`${area} record has a bad length`);
  if (bytes[0] !== AREA_IDS[area]) corrupt(`${area} record has the wrong area id`);
  if (bytes[1] !== FORMAT_VERSION) corrupt(`${area} record has an unknown format version`);
  const len = bytes[2]! | (bytes[3]! << 8);
  const end = RECORD_HEADER + len;
  if (Math.ceil((end + RECORD_CRC) / BLOCK_SIZE) * BLOCK_SIZE !== bytes.length) corrupt(`${area} record length disagrees with the index`);
  const stored = (bytes[end]! | (bytes[end + 1]! << 8) | (bytes[end + 2]! << 16) | (bytes[end + 3]! << 24)) >>> 0;
  if (stored !== recordCrc(uid, bytes, 0, end)) corrupt(`${area} record CRC mismatch`);
  for (let i = end + RECORD_CRC; i < bytes.length; i++) if (bytes[i] !== 0) corrupt(`${area} record padding not zero`);
  const r = new ByteReader(bytes, RECORD_HEADER, end);
  const part = decodePayload(area, r);
  if (!r.atEnd()) corrupt(`${area} record has trailing bytes`);
  return part;
}
