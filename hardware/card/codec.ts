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
import type { CardModel, CardSection } from '../../contract/card.js';
import { ALL_SECTIONS } from '../../contract/card.js';
import { CardEncodeError, corrupt, FORMAT_VERSION, uidBytes } from './codec-bytes.js';
import { type CardIndex, chooseIndex, encodeIndexBlock } from './codec-index.js';
import { type AreaParts, decodeAreaRecord, encodeAreaRecord } from './codec-records.js';
import type { KeyProvider } from './keys.js';
import {
  AREAS,
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
import { cardModelSchema } from './model-schema.js';

// The codec lives in three modules beside this one (byte helpers, area records, the index);
// this module is the public face its importers use.
export { CardEncodeError, uidBytes } from './codec-bytes.js';
export { type CardIndex, chooseIndex, encodeIndexBlock } from './codec-index.js';
export { type AreaParts, decodeAreaRecord } from './codec-records.js';

// ---------------------------------------------------------------------------------------------
// Whole model

/** Fields of a model the given sections do not cover take these values. */
function emptyModel(uid: string): CardModel {
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
function assembleModel(uid: string, parts: Partial<AreaParts>): CardModel {
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

function manufacturerBlock(uid: string): Uint8Array {
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

function formatHeaderBlocks(): [Uint8Array, Uint8Array] {
  const h1 = new Uint8Array(BLOCK_SIZE);
  h1.set(Buffer.from('NS-KIOSK-OVCARD', 'ascii'));
  h1[15] = FORMAT_VERSION;
  return [h1, new Uint8Array(BLOCK_SIZE)];
}

function sectorTrailer(keys: KeyProvider, sector: number): Uint8Array {
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