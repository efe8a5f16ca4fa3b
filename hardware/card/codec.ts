/**
 * The card format codec, shared by every driver and emulator: CardModel <-> MIFARE Classic 4K
 * blocks. See docs/card-format.md for the layout sector by sector.
 *
 * Tear safety: every record area has two copies; a double-buffered index (two halves in sector 1,
 * each with a counter and a CRC) says which copy of each area is current. A write fills the
 * inactive copy of each changed area, and only then writes the index half that is NOT current with
 * counter + 1. A 16-byte block write is atomic on the chip, so a write cut at any point leaves
 * either the old index (pointing at untouched old copies) or the new one (pointing at fully written
 * new copies). A reader trusts the valid half with the higher counter.
 *
 * Integrity: each record carries a CRC-32 (node:zlib, the IEEE polynomial) over the chip UID, its
 * header and payload, so a record copied to another chip fails too. Any failed check, or data that
 * does not decode into a valid model, is CardError('corrupt'); the codec never guesses a repair.
 */
import { crc32 } from 'node:zlib';
import type {
  CardKind,
  CardModel,
  CardProduct,
  CardSection,
  TopUpRecord,
  TravelTransaction,
  TravelTransactionKind,
} from '../../contract/card.js';
import { ALL_SECTIONS } from '../../contract/card.js';
import { CardError } from './card-reader.js';
import type { KeyProvider } from './keys.js';
import {
  AREAS,
  AREA_IDS,
  AREA_LAYOUT,
  type Area,
  areasForSections,
  BLOCK_SIZE,
  FORMAT_HEADER_BLOCKS,
  IMAGE_SIZE,
  INDEX_BLOCKS,
  KIOSK_ACCESS_BYTES,
  MANUFACTURER_BLOCK,
  SECTOR_COUNT,
  trailerBlockOfSector,
} from './layout.js';
import { cardModelSchema, STRING_LIMITS } from './model-schema.js';

export const FORMAT_VERSION = 1;
const INDEX_MAGIC = 0x4e; // 'N'
const RECORD_HEADER = 4; // area id, version, payload length (u16 LE)
const RECORD_CRC = 4;

/** The model or update cannot be written in this format (too much data, bad values). Raised
 * before a single block is written. */
export class CardEncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CardEncodeError';
  }
}

function corrupt(what: string): never {
  throw new CardError('corrupt', `card data failed its checks: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Small byte helpers

export function uidBytes(uid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uid, 'hex'));
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

class ByteWriter {
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

class ByteReader {
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
  atEnd(): boolean {
    return this.p === this.end;
  }
}

// Dates: days since 1900-01-01 (u16); timestamps: seconds since 1970 (u32).
const DAY_MS = 86_400_000;
const EPOCH_1900 = Date.UTC(1900, 0, 1);

function encodeDate(s: string): number {
  const days = Math.round((Date.parse(`${s}T00:00:00Z`) - EPOCH_1900) / DAY_MS);
  if (!(days >= 0 && days <= 0xffff)) throw new CardEncodeError(`date out of range: ${s}`);
  return days;
}
function decodeDate(days: number): string {
  return new Date(EPOCH_1900 + days * DAY_MS).toISOString().slice(0, 10);
}
function encodeTimestamp(s: string): number {
  const t = Math.floor(Date.parse(s) / 1000);
  if (!(t >= 0 && t < 2 ** 32)) throw new CardEncodeError(`timestamp out of range: ${s}`);
  return t;
}
function decodeTimestamp(sec: number): string {
  return new Date(sec * 1000).toISOString();
}
const isDateOnly = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);

function encodeBcd(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = ((digits.charCodeAt(2 * i) - 48) << 4) | (digits.charCodeAt(2 * i + 1) - 48);
  return out;
}

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

// ---------------------------------------------------------------------------------------------
// The double-buffered index

export interface CardIndex {
  counter: number;
  /** Which index block (0 = block 4, 1 = block 5) holds this index. */
  half: 0 | 1;
  /** Current copy of each area. */
  copy: Record<Area, 0 | 1>;
  /** Blocks the current record of each area occupies. */
  blocks: Record<Area, number>;
}

export function encodeIndexBlock(idx: Omit<CardIndex, 'half'>): Uint8Array {
  const b = new Uint8Array(BLOCK_SIZE);
  b[0] = INDEX_MAGIC;
  b[1] = FORMAT_VERSION;
  b[2] = idx.counter & 0xff;
  b[3] = (idx.counter >>> 8) & 0xff;
  b[4] = (idx.counter >>> 16) & 0xff;
  b[5] = idx.counter >>> 24;
  let mask = 0;
  AREAS.forEach((a, i) => {
    if (idx.copy[a] === 1) mask |= 1 << i;
    b[7 + i] = idx.blocks[a];
  });
  b[6] = mask;
  const crc = crc32(b.subarray(0, 12));
  b[12] = crc & 0xff;
  b[13] = (crc >>> 8) & 0xff;
  b[14] = (crc >>> 16) & 0xff;
  b[15] = crc >>> 24;
  return b;
}

/** One index half, or undefined when it fails its checks (blank, torn or damaged). */
export function decodeIndexBlock(b: Uint8Array): Omit<CardIndex, 'half'> | undefined {
  if (b.length !== BLOCK_SIZE || b[0] !== INDEX_MAGIC || b[1] !== FORMAT_VERSION || b[11] !== 0) return undefined;
  const stored = (b[12]! | (b[13]! << 8) | (b[14]! << 16) | (b[15]! << 24)) >>> 0;
  if (stored !== crc32(b.subarray(0, 12))) return undefined;
  const mask = b[6]!;
  if (mask & ~((1 << AREAS.length) - 1)) return undefined;
  const copy = {} as Record<Area, 0 | 1>;
  const blocks = {} as Record<Area, number>;
  for (let i = 0; i < AREAS.length; i++) {
    const a = AREAS[i]!;
    copy[a] = mask & (1 << i) ? 1 : 0;
    const n = b[7 + i]!;
    if (n < 1 || n > AREA_LAYOUT[a].blocks[0].length) return undefined;
    blocks[a] = n;
  }
  const counter = (b[2]! | (b[3]! << 8) | (b[4]! << 16) | (b[5]! << 24)) >>> 0;
  return { counter, copy, blocks };
}

/** The current index: the valid half with the higher counter. Neither valid: corrupt. */
export function chooseIndex(half0: Uint8Array, half1: Uint8Array): CardIndex {
  const a = decodeIndexBlock(half0);
  const b = decodeIndexBlock(half1);
  if (a && (!b || a.counter >= b.counter)) return { ...a, half: 0 };
  if (b) return { ...b, half: 1 };
  return corrupt('no valid index half');
}

// ---------------------------------------------------------------------------------------------
// Whole model

/** Fields of a model the given sections do not cover take these values. */
export function emptyModel(uid: string): CardModel {
  return {
    uid,
    cardNumber: '',
    kind: 'anonymous',
    expiryDate: '',
    balanceCents: 0,
    products: [],
    transactions: [],
    topUps: [],
    autoTopUp: false,
    blocked: false,
  };
}

/** Check a model against the format's limits; CardEncodeError names what is wrong. */
export function validateModel(model: unknown): CardModel {
  const r = cardModelSchema.safeParse(model);
  if (!r.success) throw new CardEncodeError(`card model does not fit the card format: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const m = r.data as CardModel;
  if (m.birthDate === undefined) delete m.birthDate;
  return m;
}

/** Assemble decoded parts into a model. */
export function assembleModel(uid: string, parts: Partial<AreaParts>): CardModel {
  const m = emptyModel(uid);
  if (parts.identity) Object.assign(m, parts.identity);
  if (parts.purse) Object.assign(m, parts.purse);
  if (parts.history) Object.assign(m, parts.history);
  if (parts.products) Object.assign(m, parts.products);
  return m;
}

/** A whole card: its UID and its 4096-byte image (trailers included). */
export interface CardImage {
  uid: string;
  data: Uint8Array;
}

export function manufacturerBlock(uid: string): Uint8Array {
  const u = uidBytes(uid);
  const b = new Uint8Array(BLOCK_SIZE);
  b.set(u, 0);
  let p = u.length;
  if (u.length === 4) b[p++] = u[0]! ^ u[1]! ^ u[2]! ^ u[3]!; // BCC
  b[p++] = 0x18; // SAK: MIFARE Classic 4K
  b[p++] = u.length === 4 ? 0x02 : 0x42; // ATQA
  b[p++] = 0x00;
  for (; p < BLOCK_SIZE; p++) b[p] = 0x90 + (p & 0x0f); // manufacturer data (fixed filler)
  return b;
}

export function formatHeaderBlocks(): [Uint8Array, Uint8Array] {
  const h1 = new Uint8Array(BLOCK_SIZE);
  h1.set(Buffer.from('NS-KIOSK-OVCARD', 'ascii'));
  h1[15] = FORMAT_VERSION;
  return [h1, new Uint8Array(BLOCK_SIZE)];
}

export function sectorTrailer(keys: KeyProvider, sector: number): Uint8Array {
  const t = new Uint8Array(BLOCK_SIZE);
  t.set(keys.key(sector, 'A'), 0);
  t.set(KIOSK_ACCESS_BYTES, 6);
  t[9] = 0x69;
  t.set(keys.key(sector, 'B'), 10);
  return t;
}

/** A freshly personalised card: every area in copy 0, index half 0 with counter 1. */
export function encodeCardImage(model: CardModel, keys: KeyProvider): CardImage {
  const m = validateModel(model);
  const data = new Uint8Array(IMAGE_SIZE);
  const put = (block: number, bytes: Uint8Array) => data.set(bytes, block * BLOCK_SIZE);
  put(MANUFACTURER_BLOCK, manufacturerBlock(m.uid));
  const [h1, h2] = formatHeaderBlocks();
  put(FORMAT_HEADER_BLOCKS[0], h1);
  put(FORMAT_HEADER_BLOCKS[1], h2);
  const copy = {} as Record<Area, 0 | 1>;
  const blocks = {} as Record<Area, number>;
  for (const a of AREAS) {
    const rec = encodeAreaRecord(a, m);
    const targets = AREA_LAYOUT[a].blocks[0];
    for (let i = 0; i < rec.length / BLOCK_SIZE; i++) put(targets[i]!, rec.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
    copy[a] = 0;
    blocks[a] = rec.length / BLOCK_SIZE;
  }
  put(INDEX_BLOCKS[0], encodeIndexBlock({ counter: 1, copy, blocks }));
  for (let s = 0; s < SECTOR_COUNT; s++) put(trailerBlockOfSector(s), sectorTrailer(keys, s));
  return { uid: m.uid, data };
}

export function imageBlock(image: CardImage, block: number): Uint8Array {
  return image.data.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE);
}

/** Decode straight from a full image (no access control): the fuzz target and a test aid. */
export function decodeCardImage(image: CardImage, sections: readonly CardSection[] = ALL_SECTIONS): CardModel {
  if (image.data.length !== IMAGE_SIZE) corrupt('image is not 4096 bytes');
  const idx = chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]));
  const uid = uidBytes(image.uid);
  const parts: Partial<AreaParts> = {};
  for (const a of areasForSections(sections)) {
    const list = AREA_LAYOUT[a].blocks[idx.copy[a]];
    const bytes = new Uint8Array(idx.blocks[a] * BLOCK_SIZE);
    for (let i = 0; i < idx.blocks[a]; i++) bytes.set(imageBlock(image, list[i]!), i * BLOCK_SIZE);
    (parts as Record<Area, unknown>)[a] = decodeAreaRecord(a, bytes, uid);
  }
  return finishDecode(image.uid, parts);
}

/** Assemble and run the model checks a decoded card must also pass (else corrupt). */
export function finishDecode(uid: string, parts: Partial<AreaParts>): CardModel {
  const m = assembleModel(uid, parts);
  if (parts.identity) {
    if (m.kind !== 'personal' && m.birthDate !== undefined) corrupt('birth date on a non-personal card');
  }
  if (m.transactions.length > 10 || m.topUps.length > 2) corrupt('too many history entries');
  return m;
}

// ---------------------------------------------------------------------------------------------
// Write planning

export interface BlockWrite {
  block: number;
  data: Uint8Array;
}

export interface WritePlan {
  /** Record blocks first (inactive copies only), the index block last. Empty when nothing changed. */
  writes: BlockWrite[];
  index: CardIndex;
  /** The model as it will read back after the write. */
  model: CardModel;
  changedAreas: Area[];
}

/**
 * Plan a tear-safe write from the card's current index and model to `next`. Raises
 * CardEncodeError (before anything is written) when `next` does not fit or changes identity.
 */
export function planCardUpdate(index: CardIndex, current: CardModel, nextIn: CardModel): WritePlan {
  const next = validateModel(nextIn);
  if (next.uid !== current.uid || next.cardNumber !== current.cardNumber) {
    throw new CardEncodeError('an update may not change the card UID or card number');
  }
  if (index.counter >= 0xffffffff) throw new CardEncodeError('index counter exhausted');
  const writes: BlockWrite[] = [];
  const changedAreas: Area[] = [];
  const copy = { ...index.copy };
  const blocks = { ...index.blocks };
  for (const a of AREAS) {
    const before = encodeAreaRecord(a, current);
    const after = encodeAreaRecord(a, next);
    if (Buffer.compare(before, after) === 0) continue;
    changedAreas.push(a);
    const target = index.copy[a] === 0 ? 1 : 0;
    const list = AREA_LAYOUT[a].blocks[target];
    for (let i = 0; i < after.length / BLOCK_SIZE; i++) {
      writes.push({ block: list[i]!, data: after.slice(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE) });
    }
    copy[a] = target;
    blocks[a] = after.length / BLOCK_SIZE;
  }
  if (writes.length === 0) return { writes, index, model: current, changedAreas };
  const half: 0 | 1 = index.half === 0 ? 1 : 0;
  const newIndex: CardIndex = { counter: index.counter + 1, half, copy, blocks };
  writes.push({ block: INDEX_BLOCKS[half], data: encodeIndexBlock(newIndex) });
  // What the card will read back: decode what we encode (normalises timestamps to the second).
  const parts: Partial<AreaParts> = {};
  const uid = uidBytes(next.uid);
  for (const a of AREAS) (parts as Record<Area, unknown>)[a] = decodeAreaRecord(a, encodeAreaRecord(a, next), uid);
  return { writes, index: newIndex, model: finishDecode(next.uid, parts), changedAreas };
}
