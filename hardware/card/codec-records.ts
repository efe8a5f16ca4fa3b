/**
 * The card format's area records: each area's payload (identity, purse, history, products) and
 * its record frame — header, payload, CRC-32 over the chip UID, header and payload, zero-padded
 * to whole blocks. The public face is codec.ts.
 */
import { crc32 } from 'node:zlib';
import { MAX_CREDIT_REFS, type CardKind, type CardModel, type CardProduct, type TopUpRecord, type TravelTransaction, type TravelTransactionKind } from '../../contract/card.js';
import { MAC_BYTES } from '../sam/sam.js';
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
/** The credit-ref log and the seal: the write counter and the MAC over the sealed areas. */
export interface RefsPart {
  creditRefs: string[];
  writeCounter: number;
  mac: Uint8Array;
}
export interface AreaParts {
  identity: IdentityPart;
  purse: PursePart;
  history: HistoryPart;
  products: ProductsPart;
  refs: RefsPart;
}

/** What the refs record needs besides the model: the write counter and how to MAC the record. */
export interface SealInput {
  writeCounter: number;
  /** The MAC over everything sealed, given the refs record's body so far (header + payload before the MAC). */
  mac(refsBodyBeforeMac: Uint8Array): Uint8Array;
}

const ID_BLOCKED = 1;
const ID_AUTO_TOP_UP = 2;
const ID_HAS_BIRTH = 4;

const PR_UNTIL_DATE = 1;
const PR_HAS_CLASS = 2;
const PR_FIRST_CLASS = 4;
const PR_HAS_STATION = 8;
const PR_HAS_REF = 16;

function encodePayload(area: Area, m: CardModel, seal?: SealInput): Uint8Array {
  const w = new ByteWriter();
  switch (area) {
    case 'refs': {
      if (!seal) throw new CardEncodeError('the refs record needs a seal (write counter and MAC)');
      if (m.creditRefs.length > MAX_CREDIT_REFS) throw new CardEncodeError(`more than ${MAX_CREDIT_REFS} credit refs`);
      w.u32(seal.writeCounter);
      w.u8(m.creditRefs.length);
      for (const r of m.creditRefs) w.str(r, STRING_LIMITS.ref);
      break;
    }
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
    case 'refs': {
      const writeCounter = r.u32();
      const n = r.u8();
      if (n > MAX_CREDIT_REFS) corrupt('too many credit refs');
      const creditRefs: string[] = [];
      for (let i = 0; i < n; i++) {
        const ref = r.str(STRING_LIMITS.ref);
        if (ref.length === 0) corrupt('empty credit ref');
        if (creditRefs.includes(ref)) corrupt('credit ref logged twice');
        creditRefs.push(ref);
      }
      const mac = r.bytes(MAC_BYTES);
      return { creditRefs, writeCounter, mac };
    }
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
export function encodeAreaRecord(area: Area, model: CardModel, seal?: SealInput): Uint8Array {
  let payload = encodePayload(area, model, seal);
  if (area === 'refs' && seal) {
    // The MAC closes the payload: computed over the record's header and payload so far.
    const body = new Uint8Array(RECORD_HEADER + payload.length);
    body[0] = AREA_IDS[area];
    body[1] = FORMAT_VERSION;
    const len = payload.length + MAC_BYTES;
    body[2] = len & 0xff;
    body[3] = len >> 8;
    body.set(payload, RECORD_HEADER);
    const mac = seal.mac(body);
    if (mac.length !== MAC_BYTES) throw new CardEncodeError(`the SAM returned a ${mac.length}-byte MAC`);
    const full = new Uint8Array(payload.length + MAC_BYTES);
    full.set(payload);
    full.set(mac, payload.length);
    payload = full;
  }
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

/** A record's body: header and payload, without CRC and padding (what the seal's MAC covers). For
 * the refs record, the body before its MAC. Call on a record that decoded. */
export function recordBody(area: Area, bytes: Uint8Array): Uint8Array {
  const len = bytes[2]! | (bytes[3]! << 8);
  return bytes.subarray(0, RECORD_HEADER + len - (area === 'refs' ? MAC_BYTES : 0));
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
