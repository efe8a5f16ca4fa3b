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
import { ALL_SECTIONS, withCreditRef } from '../../contract/card.js';
import { CardError } from './card-reader.js';
import { CardEncodeError, corrupt, FORMAT_VERSION, uidBytes } from './codec-bytes.js';
import { type CardIndex, chooseIndex, encodeIndexBlock } from './codec-index.js';
import { type AreaParts, decodeAreaRecord, encodeAreaRecord, recordBody, type SealInput } from './codec-records.js';
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
  SEALED_AREAS,
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
    creditRefs: [],
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
  if (parts.refs) m.creditRefs = parts.refs.creditRefs;
  return m;
}

// ---------------------------------------------------------------------------------------------
// The seal: a MAC over the sealed areas (identity, purse, products, the credit-ref log), keyed per
// card by its UID (the SAM), with the write counter in the refs record. It must equal the index
// counter, so a seal from another write of the same card does not fit either.

const SEAL_LABEL = Buffer.from('NSK-SEAL-2', 'ascii');

/** The message the MAC covers: label, UID, then each sealed area's record body, length-prefixed. */
function sealMessage(uid: Uint8Array, bodies: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [SEAL_LABEL, Uint8Array.of(uid.length), uid];
  for (const b of bodies) parts.push(Uint8Array.of(b.length & 0xff, b.length >> 8), b);
  return Buffer.concat(parts);
}

/** Encode every area of `m` (the refs record sealed with `writeCounter`). */
function encodeAll(m: CardModel, keys: KeyProvider, writeCounter: number): Record<Area, Uint8Array> {
  const uid = uidBytes(m.uid);
  const rec = {} as Record<Area, Uint8Array>;
  for (const a of AREAS) if (a !== 'refs') rec[a] = encodeAreaRecord(a, m);
  const seal: SealInput = {
    writeCounter,
    mac: (refsBody) =>
      keys.cardMac(m.uid, sealMessage(uid, [...SEALED_AREAS.filter((a) => a !== 'refs').map((a) => recordBody(a, rec[a])), refsBody])),
  };
  rec.refs = encodeAreaRecord('refs', m, seal);
  return rec;
}

/** A card whose seal does not verify: tampered with, or cloned onto another chip. */
function tampered(what: string): never {
  throw new CardError('tampered', `card data is not sealed by this kiosk's SAM: ${what}`);
}

/**
 * Check the seal of decoded records (every sealed area's raw record, each already CRC-checked):
 * the write counter must be the index counter and the MAC must be the SAM's for this UID.
 * Raises CardError('tampered') otherwise.
 */
export function checkSeal(uid: string, index: CardIndex, raw: Partial<Record<Area, Uint8Array>>, refs: AreaParts['refs'], keys: KeyProvider): void {
  if (refs.writeCounter !== index.counter) tampered(`write counter ${refs.writeCounter} is not the index counter ${index.counter}`);
  const bodies = SEALED_AREAS.map((a) => {
    const r = raw[a];
    if (!r) throw new Error(`checkSeal: the ${a} record was not read`);
    return recordBody(a, r);
  });
  const expected = keys.cardMac(uid, sealMessage(uidBytes(uid), bodies));
  if (Buffer.compare(Buffer.from(expected), Buffer.from(refs.mac)) !== 0) tampered('MAC mismatch');
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

/** A sector trailer with the card's own (UID-diversified) keys. */
function sectorTrailer(keys: KeyProvider, uid: string, sector: number): Uint8Array {
  const t = new Uint8Array(BLOCK_SIZE);
  t.set(keys.sectorKey(uid, sector, 'A'), 0);
  t.set(KIOSK_ACCESS_BYTES, 6);
  t[9] = 0x69;
  t.set(keys.sectorKey(uid, sector, 'B'), 10);
  return t;
}

/** A freshly personalised card: every area in copy 0, index half 0 with counter 1, sealed by the
 * SAM, every sector keyed with the card's diversified keys. */
export function encodeCardImage(model: CardModel, keys: KeyProvider): CardImage {
  const m = validateModel(model);
  const records = encodeAll(m, keys, 1);
  const data = new Uint8Array(IMAGE_SIZE);
  const put = (block: number, bytes: Uint8Array) => data.set(bytes, block * BLOCK_SIZE);
  put(MANUFACTURER_BLOCK, manufacturerBlock(m.uid));
  const [h1, h2] = formatHeaderBlocks();
  put(FORMAT_HEADER_BLOCKS[0], h1);
  put(FORMAT_HEADER_BLOCKS[1], h2);
  const copy = {} as Record<Area, 0 | 1>;
  const blocks = {} as Record<Area, number>;
  for (const a of AREAS) {
    const rec = records[a];
    const targets = AREA_LAYOUT[a].blocks[0];
    for (let i = 0; i < rec.length / BLOCK_SIZE; i++) put(targets[i]!, rec.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
    copy[a] = 0;
    blocks[a] = rec.length / BLOCK_SIZE;
  }
  put(INDEX_BLOCKS[0], encodeIndexBlock({ counter: 1, copy, blocks }));
  for (let s = 0; s < SECTOR_COUNT; s++) put(trailerBlockOfSector(s), sectorTrailer(keys, m.uid, s));
  return { uid: m.uid, data };
}

export function imageBlock(image: CardImage, block: number): Uint8Array {
  return image.data.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE);
}

/** Decode straight from a full image (no access control, but the seal is checked with `keys`):
 * the fuzz target and a test aid. */
export function decodeCardImage(image: CardImage, keys: KeyProvider, sections: readonly CardSection[] = ALL_SECTIONS): CardModel {
  if (image.data.length !== IMAGE_SIZE) corrupt('image is not 4096 bytes');
  const idx = chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]));
  const raw: Partial<Record<Area, Uint8Array>> = {};
  for (const a of areasForSections(sections)) {
    const list = AREA_LAYOUT[a].blocks[idx.copy[a]];
    const bytes = new Uint8Array(idx.blocks[a] * BLOCK_SIZE);
    for (let i = 0; i < idx.blocks[a]; i++) bytes.set(imageBlock(image, list[i]!), i * BLOCK_SIZE);
    raw[a] = bytes;
  }
  return decodeRecords(image.uid, idx, raw, keys);
}

/**
 * Decode the current records of a card (read by the index `idx`): each record's own checks
 * (CardError 'corrupt'), then the seal over the sealed areas (CardError 'tampered'), then the
 * model checks. Shared by decodeCardImage and card-io's readCard.
 */
export function decodeRecords(uid: string, idx: CardIndex, raw: Partial<Record<Area, Uint8Array>>, keys: KeyProvider): CardModel {
  const u = uidBytes(uid);
  const parts: Partial<AreaParts> = {};
  for (const a of AREAS) {
    const bytes = raw[a];
    if (bytes) (parts as Record<Area, unknown>)[a] = decodeAreaRecord(a, bytes, u);
  }
  if (!parts.refs) throw new Error('decodeRecords: the refs record (the seal) was not read');
  checkSeal(uid, idx, raw, parts.refs, keys);
  return finishDecode(uid, parts);
}

/** Assemble and run the model checks a decoded card must also pass (else corrupt). */
function finishDecode(uid: string, parts: Partial<AreaParts>): CardModel {
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
export function planCardUpdate(index: CardIndex, current: CardModel, nextIn: CardModel, keys: KeyProvider): WritePlan {
  const next = logNewCredits(current, validateModel(nextIn));
  if (next.uid !== current.uid || next.cardNumber !== current.cardNumber) {
    throw new CardEncodeError('an update may not change the card UID or card number');
  }
  if (index.counter >= 0xffffffff) throw new CardEncodeError('index counter exhausted');
  const writes: BlockWrite[] = [];
  const changedAreas: Area[] = [];
  const copy = { ...index.copy };
  const blocks = { ...index.blocks };
  // Compare everything but the seal (its counter changes with every write, so it is rewritten
  // whenever anything else changes): the refs record under one fixed counter stands for the log.
  const newCounter = index.counter + 1;
  const beforeAll = encodeAll(current, keys, newCounter);
  const afterAll = encodeAll(next, keys, newCounter);
  if (AREAS.every((a) => Buffer.compare(beforeAll[a], afterAll[a]) === 0)) return { writes, index, model: current, changedAreas };
  for (const a of AREAS) {
    const after = afterAll[a];
    if (a !== 'refs' && Buffer.compare(beforeAll[a], after) === 0) continue;
    changedAreas.push(a);
    const target = index.copy[a] === 0 ? 1 : 0;
    const list = AREA_LAYOUT[a].blocks[target];
    for (let i = 0; i < after.length / BLOCK_SIZE; i++) {
      writes.push({ block: list[i]!, data: after.slice(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE) });
    }
    copy[a] = target;
    blocks[a] = after.length / BLOCK_SIZE;
  }
  const half: 0 | 1 = index.half === 0 ? 1 : 0;
  const newIndex: CardIndex = { counter: newCounter, half, copy, blocks };
  writes.push({ block: INDEX_BLOCKS[half], data: encodeIndexBlock(newIndex) });
  // What the card will read back: decode what we encode (normalises timestamps to the second, and
  // checks the seal we are about to write).
  return { writes, index: newIndex, model: decodeRecords(next.uid, newIndex, afterAll, keys), changedAreas };
}

/**
 * The format's own guarantee that every credit is logged: a ref on a top-up record or product of
 * `next` that `current` does not hold is added to the credit-ref log in this same update (callers
 * add theirs too, main/money/card-write.ts; this catches any that does not).
 */
function logNewCredits(current: CardModel, next: CardModel): CardModel {
  const held = new Set([...current.creditRefs, ...current.topUps.map((t) => t.ref), ...current.products.flatMap((p) => (p.ref ? [p.ref] : []))]);
  let out = next;
  const fresh = [...next.products.flatMap((p) => (p.ref ? [p.ref] : [])), ...[...next.topUps].reverse().map((t) => t.ref)];
  for (const r of fresh) if (!held.has(r) && !out.creditRefs.includes(r)) out = withCreditRef(out, r);
  return out;
}