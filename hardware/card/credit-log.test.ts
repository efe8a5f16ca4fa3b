/**
 * The credit-ref log and the seal, on the in-process chip through card-io (the path every reader
 * takes): every credit's ref lands in the log in the same write; the last 16 survive any number of
 * later credits; an edited or cloned card is refused as tampered.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CardModel, MAX_CREDIT_REFS, MAX_TOP_UPS, withCreditRef } from '../../contract/card.js';
import { cardHoldsCredit } from '../../domain/credit-refs.js';
import { CardError } from './card-reader.js';
import { type BlockSession, readCard, writeCard } from './card-io.js';
import { type CardImage, chooseIndex, decodeCardImage, encodeCardImage, imageBlock, uidBytes } from './codec.js';
import { FIXTURE_CARD_MODELS, fixtureCardImage } from './fixtures.js';
import { keyProviderFromJson, loadKeyFile } from './keys.js';
import { AREA_LAYOUT, type Area, BLOCK_SIZE, firstBlockOfSector, INDEX_BLOCKS } from './layout.js';
import { MifareClassic4kChip } from './mifare-classic.js';

const keys = loadKeyFile();

/** A block session straight onto a simulated chip (what the emulated reader wraps). */
function session(chip: MifareClassic4kChip, uid: string): BlockSession {
  return {
    uid,
    authenticate: async (sector, type, key) => {
      if (!chip.authenticate(firstBlockOfSector(sector), type, key)) throw new CardError('wrong-key', `sector ${sector} refused key ${type}`);
    },
    readBlock: async (block) => {
      const d = chip.readBlock(block);
      if (!d) throw new CardError('wrong-key', `read of block ${block} refused`);
      return d;
    },
    writeBlock: async (block, data) => {
      if (!chip.writeBlock(block, data)) throw new CardError('wrong-key', `write of block ${block} refused`);
    },
  };
}

const topUp = (ref: string, at: string) => (c: CardModel): CardModel =>
  withCreditRef({ ...c, balanceCents: c.balanceCents + 100, topUps: [{ at, amountCents: 100, location: 'KIOSK-T', ref }, ...c.topUps].slice(0, MAX_TOP_UPS) }, ref);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof CardError ? e.code : `other: ${String(e)}`;
  }
}

/** Re-frame one current record of an image with a correct CRC for `uid` (what anyone with the card's
 * read/write keys can do: the CRC is no secret). */
function reframe(image: CardImage, area: Area, uid: string, edit: (payload: Uint8Array) => void): void {
  const idx = chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]));
  const list = AREA_LAYOUT[area].blocks[idx.copy[area]].slice(0, idx.blocks[area]);
  const rec = new Uint8Array(list.length * BLOCK_SIZE);
  list.forEach((b, i) => rec.set(imageBlock(image, b), i * BLOCK_SIZE));
  const len = rec[2]! | (rec[3]! << 8);
  edit(rec.subarray(4, 4 + len));
  const crc = crc32(rec.subarray(0, 4 + len), crc32(uidBytes(uid)));
  rec.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], 4 + len);
  list.forEach((b, i) => image.data.set(rec.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), b * BLOCK_SIZE));
}

describe('the credit-ref log', () => {
  it('a card with 20 credits (top-ups and products) still finds each of the last 16 refs, and no older top-up ref', async () => {
    const m = FIXTURE_CARD_MODELS.anonymous;
    const chip = new MifareClassic4kChip(fixtureCardImage('anonymous', keys));
    const s = session(chip, m.uid);
    const refs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ref = `c0de${String(i).padStart(4, '0')}`;
      refs.push(ref);
      const at = `2026-11-${String(10 + (i % 18)).padStart(2, '0')}T08:00:00.000Z`;
      // Every fifth credit is a product whose ref is NOT logged by the caller: the format logs it.
      const update = i % 5 === 4 ? (c: CardModel) => ({ ...c, products: [...c.products.slice(-3), { code: `P${i}`, validFrom: '2026-11-01', validUntil: '2026-11-30T12:00:00.000Z', ref }] }) : topUp(ref, at);
      await writeCard(s, keys, m, update);
    }
    const { model } = await readCard(s, keys);
    expect(model.creditRefs).toEqual(refs.slice(-MAX_CREDIT_REFS).reverse());
    for (const ref of refs.slice(-MAX_CREDIT_REFS)) expect(cardHoldsCredit(model, ref)).toBe(true);
    // The two-entry top-up history alone would have forgotten all but two of them.
    expect(model.topUps.map((t) => t.ref)).toEqual(['c0de0018', 'c0de0017']);
    for (const ref of ['c0de0000', 'c0de0001', 'c0de0002', 'c0de0003']) expect(cardHoldsCredit(model, ref)).toBe(false);
    // The products' refs were logged by the format itself (the update above did not log them).
    expect(model.creditRefs).toContain('c0de0004');
  });

  it('the ref and the credit land in one write: a cut after every chip operation leaves the old card (no credit, no ref) or the new one (both)', async () => {
    const m = FIXTURE_CARD_MODELS['near-limit'];
    const before = decodeCardImage(fixtureCardImage('near-limit', keys), keys);
    for (let cut = 0; ; cut++) {
      const chip = new MifareClassic4kChip(fixtureCardImage('near-limit', keys));
      let ops = 0;
      const base = session(chip, m.uid);
      const torn: BlockSession = {
        uid: m.uid,
        authenticate: async (...a) => {
          if (ops++ >= cut) throw new CardError('card-gone', 'torn');
          return base.authenticate(...a);
        },
        readBlock: async (b) => {
          if (ops++ >= cut) throw new CardError('card-gone', 'torn');
          return base.readBlock(b);
        },
        writeBlock: async (b, d) => {
          if (ops++ >= cut) throw new CardError('card-gone', 'torn');
          return base.writeBlock(b, d);
        },
      };
      const done = (await codeOf(writeCard(torn, keys, m, topUp('feed0001', '2026-11-30T09:00:00.000Z')))) === 'resolved';
      const after = (await readCard(base, keys)).model;
      if (cardHoldsCredit(after, 'feed0001')) expect(after.balanceCents).toBe(before.balanceCents + 100);
      else expect(after).toEqual(before);
      if (done) {
        expect(cardHoldsCredit(after, 'feed0001')).toBe(true);
        break;
      }
    }
  });
});

describe('the seal (tamper-evident card data)', () => {
  it('a balance edited by someone holding the card keys (CRC recomputed) is refused as tampered', async () => {
    const image = fixtureCardImage('anonymous', keys);
    reframe(image, 'purse', image.uid, (p) => (p[1] = (p[1]! + 1) & 0xff)); // +2.56 EUR
    expect(await codeOf(readCard(session(new MifareClassic4kChip(image), image.uid), keys))).toBe('tampered');
  });

  it('a credit ref planted in the log, a product added, or the blocked flag cleared: each refused as tampered', () => {
    const edits: [Area, (p: Uint8Array) => void][] = [
      ['refs', (p) => (p[6] = 0x30)], // first character of the first ref (after counter, count, length)
      ['products', (p) => (p[0] = p[0]!)], // unchanged payload, seal must still verify: control
      ['identity', (p) => (p[13] = p[13]! & ~1)], // flags: blocked -> not blocked
    ];
    const blocked = fixtureCardImage('blocked', keys);
    const control = fixtureCardImage('anonymous', keys);
    reframe(control, 'products', control.uid, edits[1]![1]);
    expect(decodeCardImage(control, keys).uid).toBe(control.uid); // re-framing alone changes nothing
    const planted = fixtureCardImage('anonymous', keys);
    reframe(planted, 'refs', planted.uid, edits[0]![1]);
    expect(() => decodeCardImage(planted, keys)).toThrow(expect.objectContaining({ code: 'tampered' }));
    reframe(blocked, 'identity', blocked.uid, edits[2]![1]);
    expect(FIXTURE_CARD_MODELS.blocked.blocked).toBe(true);
    expect(() => decodeCardImage(blocked, keys)).toThrow(expect.objectContaining({ code: 'tampered' }));
  });

  it('a cloned card (other UID, same card number and data, CRCs recomputed for the new UID) is caught', async () => {
    const original = fixtureCardImage('personal-products', keys);
    const cloneUid = '04C10E00000001';
    const clone: CardImage = { uid: cloneUid, data: Uint8Array.from(original.data) };
    for (const a of ['identity', 'purse', 'products', 'refs', 'history'] as const) reframe(clone, a, cloneUid, () => {});
    // At the format level: intact records, a seal made for another chip.
    expect(() => decodeCardImage(clone, keys)).toThrow(expect.objectContaining({ code: 'tampered' }));
    // On a chip: its trailers carry the original's keys, so the kiosk's keys for the clone's UID do
    // not even open it.
    expect(await codeOf(readCard(session(new MifareClassic4kChip(clone), cloneUid), keys))).toBe('wrong-key');
  });

  it('an older record of the same card put back (a replayed purse copy) does not fit the write counter: tampered', async () => {
    const m = FIXTURE_CARD_MODELS.anonymous;
    const chip = new MifareClassic4kChip(fixtureCardImage('anonymous', keys));
    const s = session(chip, m.uid);
    await writeCard(s, keys, m, (c) => ({ ...c, balanceCents: c.balanceCents - 500 })); // a fare, say
    const image: CardImage = { uid: m.uid, data: Uint8Array.from(chip.image().data) };
    // Point the index back at the purse copy from before (richer), keeping the rest current.
    const idx = imageBlock(image, INDEX_BLOCKS[1]);
    idx[6] = idx[6]! ^ 0b10;
    const crc = crc32(idx.subarray(0, 12));
    idx.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], 12);
    expect(() => decodeCardImage(image, keys)).toThrow(expect.objectContaining({ code: 'tampered' }));
  });

  it('keys are per card: the keys of one card open no other card, and the MAC of one SAM is not another\'s', () => {
    const a = fixtureCardImage('anonymous', keys);
    const other = keyProviderFromJson({ format: 'ns-kiosk-card-keys/1', default: { a: '111111111111', b: '222222222222' } });
    expect(Buffer.from(keys.sectorKey(a.uid, 4, 'B'))).not.toEqual(Buffer.from(keys.sectorKey('04B1B2C3D4E5F7', 4, 'B')));
    expect(() => decodeCardImage(a, other)).toThrow(expect.objectContaining({ code: 'tampered' }));
    expect(decodeCardImage(encodeCardImage(FIXTURE_CARD_MODELS.anonymous, other), other).balanceCents).toBe(FIXTURE_CARD_MODELS.anonymous.balanceCents);
  });
});
