/**
 * The whole-card codec (codec.ts) at its limits: the seal's message as docs/card-format.md gives
 * it (computed here independently), each seal and model check after the records' own checks, the
 * fixed blocks of a fresh image, and each branch of write planning (identity guard, counter limit,
 * copy and half alternation, the credit-ref log the format adds itself). Written for the mutation
 * run (docs/mutation/codec.md).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { type CardModel, MAX_CREDIT_REFS } from '../../contract/card.js';
import { CardError } from './card-reader.js';
import { uidBytes } from './codec-bytes.js';
import { encodeAreaRecord, recordBody } from './codec-records.js';
import { type CardImage, type CardIndex, CardEncodeError, chooseIndex, decodeCardImage, decodeRecords, encodeCardImage, imageBlock, planCardUpdate, validateModel } from './codec.js';
import { FIXTURE_CARD_MODELS } from './fixtures.js';
import { loadKeyFile } from './keys.js';
import { AREA_LAYOUT, AREAS, type Area, BLOCK_SIZE, IMAGE_SIZE, INDEX_BLOCKS, SECTOR_COUNT, trailerBlockOfSector } from './layout.js';

const keys = loadKeyFile();
const model = (patch: Partial<CardModel> = {}): CardModel => ({ ...structuredClone(FIXTURE_CARD_MODELS.anonymous), ...patch });

/** The seal message of docs/card-format.md, built here without the codec's own helper. */
function sealMessage(uid: string, bodies: Uint8Array[]): Uint8Array {
  const u = uidBytes(uid);
  return Buffer.concat([Buffer.from('NSK-SEAL-2', 'ascii'), Uint8Array.of(u.length), u, ...bodies.flatMap((b) => [Uint8Array.of(b.length % 256, Math.floor(b.length / 256)), b])]);
}

/** Every record of `m` (no model validation), the refs record sealed with this test's own seal message. */
function sealedRecords(m: CardModel, counter: number): { raw: Record<Area, Uint8Array>; idx: CardIndex } {
  const raw = {} as Record<Area, Uint8Array>;
  for (const a of AREAS) if (a !== 'refs') raw[a] = encodeAreaRecord(a, m);
  raw.refs = encodeAreaRecord('refs', m, {
    writeCounter: counter,
    mac: (refsBody) => keys.cardMac(m.uid, sealMessage(m.uid, [recordBody('identity', raw.identity), recordBody('purse', raw.purse), recordBody('products', raw.products), refsBody])),
  });
  const idx: CardIndex = { counter, half: 0, copy: { identity: 0, purse: 0, history: 0, products: 0, refs: 0 }, blocks: Object.fromEntries(AREAS.map((a) => [a, raw[a].length / BLOCK_SIZE])) as Record<Area, number> };
  return { raw, idx };
}

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CardError);
    return { code: (e as CardError).code, message: (e as Error).message };
  }
  throw new Error('expected a CardError, the card decoded');
}

const bigProducts = Array.from({ length: 12 }, (_, i) => ({ code: `PRODUCT-${i}-`.padEnd(24, 'X'), validFrom: '2026-01-01', validUntil: '2026-12-31', ref: `ref-${i}` }));

describe('the seal', () => {
  it('is the SAM MAC over "NSK-SEAL-2", the UID length and UID, then each sealed record body with its u16 length (a products body over 255 bytes too)', () => {
    const m = model({ products: bigProducts });
    const { raw, idx } = sealedRecords(m, 1);
    expect(recordBody('products', raw.products).length).toBeGreaterThan(255);
    expect(decodeRecords(m.uid, idx, raw, keys)).toEqual(m);
    // and the codec's own image carries exactly that refs record
    const image = encodeCardImage(m, keys);
    const list = AREA_LAYOUT.refs.blocks[0];
    const onCard = Buffer.concat(list.slice(0, idx.blocks.refs).map((b) => imageBlock(image, b)));
    expect(Buffer.from(onCard)).toEqual(Buffer.from(raw.refs));
  });

  it('a full credit-ref log (16 refs of 16 characters: a refs record over 255 bytes) is sealed and reads back', () => {
    const creditRefs = Array.from({ length: MAX_CREDIT_REFS }, (_, i) => `r${String(i).padStart(2, '0')}`.padEnd(16, 'x'));
    const m = model({ creditRefs });
    const { raw, idx } = sealedRecords(m, 9);
    expect(recordBody('refs', raw.refs).length).toBeGreaterThan(255);
    expect(decodeRecords(m.uid, idx, raw, keys).creditRefs).toEqual(creditRefs);
    expect(decodeCardImage(encodeCardImage(m, keys), keys)).toEqual(m);
  });

  it('a write counter other than the index counter is tampered, one higher or one lower', () => {
    const m = model();
    const { raw, idx } = sealedRecords(m, 5);
    expect(failure(() => decodeRecords(m.uid, { ...idx, counter: 6 }, raw, keys))).toEqual({ code: 'tampered', message: "card data is not sealed by this kiosk's SAM: write counter 5 is not the index counter 6" });
    expect(failure(() => decodeRecords(m.uid, { ...idx, counter: 4 }, raw, keys)).code).toBe('tampered');
  });

  it('a sealed record replaced by another well-formed one (correct CRC) is tampered: MAC mismatch', () => {
    const m = model();
    for (const a of ['identity', 'purse', 'products'] as const) {
      const { raw, idx } = sealedRecords(m, 3);
      const other = model({ balanceCents: m.balanceCents + 1, autoTopUp: !m.autoTopUp, products: [{ code: 'X', validFrom: '2026-01-01', validUntil: '2026-01-02' }] });
      raw[a] = encodeAreaRecord(a, other);
      expect(failure(() => decodeRecords(m.uid, idx, raw, keys)), a).toEqual({ code: 'tampered', message: "card data is not sealed by this kiosk's SAM: MAC mismatch" });
    }
  });

  it('history is not sealed: another well-formed history reads', () => {
    const m = model();
    const { raw, idx } = sealedRecords(m, 3);
    const transactions = [{ at: '2026-11-01T08:00:00.000Z', kind: 'check-out' as const, station: 'ASD', amountCents: 320 }];
    raw.history = encodeAreaRecord('history', model({ transactions }));
    idx.blocks.history = raw.history.length / BLOCK_SIZE;
    expect(decodeRecords(m.uid, idx, raw, keys).transactions).toEqual(transactions);
  });

  it('decoding without a sealed record or without the refs record is a programming error, not a card verdict', () => {
    const m = model();
    const { raw, idx } = sealedRecords(m, 3);
    const { refs, ...noRefs } = raw;
    expect(() => decodeRecords(m.uid, idx, noRefs, keys)).toThrow('decodeRecords: the refs record (the seal) was not read');
    const { products, ...noProducts } = raw;
    expect(() => decodeRecords(m.uid, idx, noProducts, keys)).toThrow('checkSeal: the products record was not read');
    expect(refs.length + products.length).toBeGreaterThan(0);
  });
});

describe('model checks after the seal', () => {
  it('a birth date on an anonymous or business card is corrupt, on a personal card it reads', () => {
    for (const kind of ['anonymous', 'business'] as const) {
      const m = model({ kind, birthDate: '1990-01-01' });
      const { raw, idx } = sealedRecords(m, 1);
      expect(failure(() => decodeRecords(m.uid, idx, raw, keys))).toEqual({ code: 'corrupt', message: 'card data failed its checks: birth date on a non-personal card' });
    }
    const p = model({ kind: 'personal', birthDate: '1990-01-01' });
    const { raw, idx } = sealedRecords(p, 1);
    expect(decodeRecords(p.uid, idx, raw, keys).birthDate).toBe('1990-01-01');
  });

  it('ten transactions and two top-ups read; eleven transactions or three top-ups are corrupt', () => {
    const tx = (n: number) => Array.from({ length: n }, () => ({ at: '2026-11-01T08:00:00.000Z', kind: 'check-in' as const, station: 'UT', amountCents: 0 }));
    const top = (n: number) => Array.from({ length: n }, (_, i) => ({ at: '2026-11-01T08:00:00.000Z', amountCents: 100, location: 'K', ref: `t${i}` }));
    const ok = model({ transactions: tx(10), topUps: top(2), creditRefs: ['t0', 't1'] });
    const good = sealedRecords(ok, 1);
    expect(decodeRecords(ok.uid, good.idx, good.raw, keys)).toEqual(ok);
    for (const bad of [model({ transactions: tx(11) }), model({ topUps: top(3) })]) {
      const { raw, idx } = sealedRecords(bad, 1);
      expect(failure(() => decodeRecords(bad.uid, idx, raw, keys))).toEqual({ code: 'corrupt', message: 'card data failed its checks: too many history entries' });
    }
  });

  it('validateModel drops an explicit undefined birth date and names each field that does not fit', () => {
    const v = validateModel({ ...model(), birthDate: undefined });
    expect(Object.keys(v)).not.toContain('birthDate');
    expect(() => validateModel({ ...model(), cardNumber: '12', balanceCents: 0.5 })).toThrow(/^card model does not fit the card format: cardNumber: .+; balanceCents: /);
    // a field inside a list is named by its whole path, dot-separated
    expect(() => validateModel({ ...model(), products: [{ code: '', validFrom: '2026-01-01', validUntil: '2026-01-02' }] })).toThrow(/^card model does not fit the card format: products\.0\.code: /);
  });
});

describe('a fresh card image', () => {
  // Built inside each test (not once in the describe body): Stryker's per-test coverage counts only
  // what runs inside a test, so an image built here would leave these checks out of the mutation run.
  const m = model();
  let image: CardImage;
  beforeEach(() => {
    image = encodeCardImage(m, keys);
  });

  it('is 4096 bytes; an image of another size is corrupt', () => {
    expect(image.data.length).toBe(IMAGE_SIZE);
    expect(failure(() => decodeCardImage({ uid: image.uid, data: image.data.subarray(0, IMAGE_SIZE - 1) }, keys))).toEqual({ code: 'corrupt', message: 'card data failed its checks: image is not 4096 bytes' });
    const longer = new Uint8Array(IMAGE_SIZE + BLOCK_SIZE);
    longer.set(image.data);
    expect(failure(() => decodeCardImage({ uid: image.uid, data: longer }, keys)).code).toBe('corrupt');
  });

  it('manufacturer block: a 7-byte UID, SAK 0x18, ATQA 0x42 0x00, then the fixed filler', () => {
    expect([...imageBlock(image, 0)]).toEqual([0x04, 0xb1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x18, 0x42, 0x00, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f]);
  });

  it('manufacturer block: a 4-byte UID with its BCC, SAK 0x18, ATQA 0x02 0x00, then the fixed filler', () => {
    const four = encodeCardImage(model({ uid: '11223344' }), keys);
    expect([...imageBlock(four, 0)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x11 ^ 0x22 ^ 0x33 ^ 0x44, 0x18, 0x02, 0x00, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f]);
    expect(decodeCardImage(four, keys)).toEqual(model({ uid: '11223344' }));
  });

  it('format header: "NS-KIOSK-OVCARD" and the format version in block 1, block 2 zero', () => {
    expect(Buffer.from(imageBlock(image, 1)).toString('latin1')).toBe('NS-KIOSK-OVCARD\x02');
    expect([...imageBlock(image, 2)]).toEqual(new Array(16).fill(0));
  });

  it('every one of the 40 sector trailers carries the card\'s keys, access bytes 78 77 88 and user byte 69', () => {
    for (let s = 0; s < SECTOR_COUNT; s++) {
      const t = imageBlock(image, trailerBlockOfSector(s));
      expect(Buffer.from(t.subarray(0, 6)), `sector ${s}`).toEqual(Buffer.from(keys.sectorKey(m.uid, s, 'A')));
      expect([...t.subarray(6, 10)], `sector ${s}`).toEqual([0x78, 0x77, 0x88, 0x69]);
      expect(Buffer.from(t.subarray(10)), `sector ${s}`).toEqual(Buffer.from(keys.sectorKey(m.uid, s, 'B')));
    }
  });

  it('asks the SAM for exactly key A and key B of each of the 40 sectors, nothing else', () => {
    const asked: string[] = [];
    const spy = { ...keys, sectorKey: (uid: string, sector: number, type: 'A' | 'B') => (asked.push(`${sector}${type}`), keys.sectorKey(uid, sector, type)) };
    encodeCardImage(m, spy);
    expect(asked).toEqual(Array.from({ length: SECTOR_COUNT }, (_, s) => [`${s}A`, `${s}B`]).flat());
  });

  it('index half 0 with counter 1 and every area in copy 0; index half 1 and every copy-1 block blank', () => {
    expect(chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]))).toMatchObject({ counter: 1, half: 0, copy: { identity: 0, purse: 0, history: 0, products: 0, refs: 0 } });
    expect([...imageBlock(image, INDEX_BLOCKS[1])]).toEqual(new Array(16).fill(0));
    for (const a of AREAS) for (const b of AREA_LAYOUT[a].blocks[1]) expect(imageBlock(image, b).every((x) => x === 0), `${a} block ${b}`).toBe(true);
  });
});

describe('write planning', () => {
  /** Apply a plan's writes to an image. */
  function apply(image: CardImage, writes: { block: number; data: Uint8Array }[]): CardImage {
    const data = Uint8Array.from(image.data);
    for (const w of writes) data.set(w.data, w.block * BLOCK_SIZE);
    return { uid: image.uid, data };
  }
  const indexOf = (image: CardImage) => chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]));
  const fresh = () => {
    const image = encodeCardImage(model(), keys);
    return { image, idx: indexOf(image), cur: decodeCardImage(image, keys) };
  };

  it('refuses a change of UID or of card number, each on its own', () => {
    const { idx, cur } = fresh();
    expect(() => planCardUpdate(idx, cur, { ...cur, uid: '04000000000001' }, keys)).toThrow('an update may not change the card UID or card number');
    expect(() => planCardUpdate(idx, cur, { ...cur, cardNumber: '3528020000000022' }, keys)).toThrow(CardEncodeError);
  });

  it('plans up to counter 0xffffffff and refuses a write beyond it', () => {
    const { idx, cur } = fresh();
    expect(planCardUpdate({ ...idx, counter: 0xfffffffe }, cur, { ...cur, balanceCents: 1 }, keys).index.counter).toBe(0xffffffff);
    expect(() => planCardUpdate({ ...idx, counter: 0xffffffff }, cur, { ...cur, balanceCents: 1 }, keys)).toThrow('index counter exhausted');
  });

  it('an update that changes nothing writes nothing and keeps the index', () => {
    const { idx, cur } = fresh();
    const plan = planCardUpdate(idx, cur, structuredClone(cur), keys);
    expect(plan).toEqual({ writes: [], index: idx, model: cur, changedAreas: [] });
  });

  it('a history-only change rewrites history and the seal only, into the other copies, and alternates halves and copies write after write', () => {
    let { image, idx, cur } = fresh();
    const transactions = [{ at: '2026-11-01T08:00:00.000Z', kind: 'check-in' as const, station: 'UT', amountCents: 0 }];
    const p1 = planCardUpdate(idx, cur, { ...cur, transactions }, keys);
    expect(p1.changedAreas).toEqual(['history', 'refs']);
    expect(p1.index).toEqual({ counter: 2, half: 1, copy: { identity: 0, purse: 0, history: 1, products: 0, refs: 1 }, blocks: { ...idx.blocks, history: 2 } });
    expect(p1.writes.map((w) => w.block)).toEqual([...AREA_LAYOUT.history.blocks[1].slice(0, 2), ...AREA_LAYOUT.refs.blocks[1].slice(0, idx.blocks.refs), INDEX_BLOCKS[1]]);
    image = apply(image, p1.writes);
    expect(indexOf(image)).toEqual(p1.index);
    expect(decodeCardImage(image, keys)).toEqual(p1.model);
    expect(p1.model.transactions).toEqual(transactions);
    // the second write goes back to copy 0 and half 0, with the purse too
    cur = p1.model;
    const p2 = planCardUpdate(p1.index, cur, { ...cur, transactions: [], balanceCents: 7 }, keys);
    expect(p2.changedAreas).toEqual(['purse', 'history', 'refs']);
    expect(p2.index).toMatchObject({ counter: 3, half: 0, copy: { identity: 0, purse: 1, history: 0, products: 0, refs: 0 }, blocks: { history: 1 } });
    expect(p2.writes.at(-1)!.block).toBe(INDEX_BLOCKS[0]);
    image = apply(image, p2.writes);
    expect(decodeCardImage(image, keys)).toEqual({ ...cur, transactions: [], balanceCents: 7 });
  });

  it('the format logs every new credit ref itself: products first, then top-ups oldest first, so the newest top-up leads the log', () => {
    const { idx, cur } = fresh();
    const next = {
      ...cur,
      topUps: [
        { at: '2026-11-02T08:00:00.000Z', amountCents: 100, location: 'K', ref: 'top-new' },
        { at: '2026-11-01T08:00:00.000Z', amountCents: 100, location: 'K', ref: 'top-old' },
      ],
      products: [{ code: 'P', validFrom: '2026-01-01', validUntil: '2026-01-02', ref: 'prod' }, { code: 'Q', validFrom: '2026-01-01', validUntil: '2026-01-02' }],
    };
    expect(planCardUpdate(idx, cur, next, keys).model.creditRefs).toEqual(['top-new', 'top-old', 'prod', ...cur.creditRefs]);
  });

  it('a ref the card already holds, or that the update already logs, is not logged again nor moved', () => {
    const { image, idx, cur } = fresh();
    // a card holding a top-up 'held' (log emptied by an update that drops it on purpose)
    const withTop = planCardUpdate(idx, cur, { ...cur, topUps: [{ at: '2026-11-01T08:00:00.000Z', amountCents: 100, location: 'K', ref: 'held' }] }, keys);
    expect(withTop.model.creditRefs).toEqual(['held', ...cur.creditRefs]);
    const base = apply(image, withTop.writes);
    const now = decodeCardImage(base, keys);
    const dropped = planCardUpdate(withTop.index, now, { ...now, creditRefs: [] }, keys);
    expect(dropped.model.creditRefs).toEqual([]); // 'held' was on the card before: not re-added
    // the update logs 'new' itself, behind an older ref: the format leaves its order alone
    const logged = planCardUpdate(withTop.index, now, { ...now, creditRefs: ['held', 'new'], products: [{ code: 'P', validFrom: '2026-01-01', validUntil: '2026-01-02', ref: 'new' }] }, keys);
    expect(logged.model.creditRefs).toEqual(['held', 'new']);
    expect(MAX_CREDIT_REFS).toBe(16);
  });

  it('a top-up or product ref that has scrolled out of a full log (its record still on the card) is not logged again: it would push a newer credit out of the log', () => {
    const log = Array.from({ length: MAX_CREDIT_REFS }, (_, i) => `c0de${String(i).padStart(4, '0')}`);
    const image = encodeCardImage(
      model({
        creditRefs: log,
        topUps: [{ at: '2026-11-01T08:00:00.000Z', amountCents: 100, location: 'K', ref: 'top-old' }],
        products: [{ code: 'P', validFrom: '2026-01-01', validUntil: '2026-12-31', ref: 'prod-old' }],
      }),
      keys,
    );
    const cur = decodeCardImage(image, keys);
    const plan = planCardUpdate(indexOf(image), cur, { ...cur, balanceCents: cur.balanceCents - 100 }, keys);
    expect(plan.changedAreas).toEqual(['purse', 'refs']);
    expect(plan.model.creditRefs).toEqual(log);
  });

  it('a ref the card holds only in its log counts as held: an update that drops it from the log and puts it on a product does not log it back', () => {
    const image = encodeCardImage(model({ creditRefs: ['in-log', 'other'], topUps: [] }), keys);
    const cur = decodeCardImage(image, keys);
    const plan = planCardUpdate(indexOf(image), cur, { ...cur, creditRefs: ['other'], products: [{ code: 'P', validFrom: '2026-01-01', validUntil: '2026-01-02', ref: 'in-log' }] }, keys);
    expect(plan.model.creditRefs).toEqual(['other']);
  });
});
