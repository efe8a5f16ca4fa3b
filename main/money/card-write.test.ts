/**
 * The one journaled card write (card-write.ts) on its own: the emulated card reader (the in-process
 * MIFARE emulator with its keys) for the writes that land, a reader that fails as told for the
 * others; the journal records a technician and recovery read, exactly as written.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SECTIONS, type CardIdentity, type CardModel, type CardSection } from '../../contract/card.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { fixedClock } from '../../contract/time.js';
import { CardError } from '../../hardware/card/card-reader.js';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import type { Journal, JournalEntryInput } from '../journal/journal.js';
import { cardRef } from '../journal/sqlite-journal.js';
import { CardUpdateRefused, carries, closeInterruptedWrite, journaledCardWrite, journalLanded, readExpected } from './card-write.js';
import { TEST_SECRET } from './testing/rig.js';

const ANON: CardIdentity = { uid: FIXTURE_CARDS.anonymous.uid, cardNumber: FIXTURE_CARDS.anonymous.cardNumber };
const CARD = cardRef(ANON.cardNumber, TEST_SECRET);

/** Only what card-write uses of the journal: appends, recorded as made. */
function journal() {
  const entries: JournalEntryInput[] = [];
  return { entries, journal: { append: (e: JournalEntryInput) => (entries.push(e), e) } as unknown as Pick<Journal, 'append'> };
}

async function reader() {
  const r = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock: fixedClock('2026-11-23T10:00:00Z') });
  await r.start();
  await r.present('anonymous');
  return r;
}

const plus = (cents: number) => (c: CardModel): CardModel => ({ ...c, balanceCents: c.balanceCents + cents });

describe('journaledCardWrite', () => {
  it('write-intent {ref}, the update with its ref in the credit-ref log, card.written {balanceCents}; every record with amount, card and the caller data', async () => {
    const r = await reader();
    const before = (await r.read()).balanceCents;
    const j = journal();
    const out = await journaledCardWrite({ journal: j.journal, operationId: 'op1', card: CARD, amountCents: 300, data: { purpose: 'top-up' }, reader: r, expected: ANON, ref: 'ab12cd34', update: plus(300) });
    expect(out).toMatchObject({ outcome: 'written', card: { balanceCents: before + 300 } });
    expect((await r.read()).creditRefs[0]).toBe('ab12cd34');
    expect(j.entries).toStrictEqual([
      { type: 'card.write-intent', operationId: 'op1', amountCents: 300, card: CARD, data: { purpose: 'top-up', ref: 'ab12cd34' } },
      { type: 'card.written', operationId: 'op1', amountCents: 300, card: CARD, data: { purpose: 'top-up', balanceCents: before + 300 } },
    ]);
  });

  it('a card that already carries the ref is left as it is (the update is never called): a retry never credits twice', async () => {
    const r = await reader();
    const j = journal();
    const req = { journal: j.journal, operationId: 'op1', card: CARD, reader: r, expected: ANON, ref: 'ab12cd34' };
    await journaledCardWrite({ ...req, update: plus(300) });
    const after = (await r.read()).balanceCents;
    expect(carries(await r.read(), 'ab12cd34')).toBe(true);
    expect(carries(await r.read(), 'ffffffff')).toBe(false);
    let called = 0;
    const again = await journaledCardWrite({ ...req, update: (c) => (called++, plus(300)(c)) });
    expect(called).toBe(0);
    expect(again).toMatchObject({ outcome: 'written', card: { balanceCents: after } });
    expect((await r.read()).balanceCents).toBe(after);
    expect(j.entries.at(-1)).toStrictEqual({ type: 'card.written', operationId: 'op1', card: CARD, data: { balanceCents: after } });
  });

  it('an update that refuses: card.write-failed {reason, uncertain: false}, nothing written', async () => {
    const r = await reader();
    const before = await r.read();
    const j = journal();
    const refusal = new CardUpdateRefused('already-has-product', { productId: 'P1' });
    expect(refusal.message).toBe('card update refused: already-has-product');
    expect(new CardUpdateRefused('x', undefined, 'own words').message).toBe('own words');
    const out = await journaledCardWrite({
      journal: j.journal,
      operationId: 'op1',
      card: CARD,
      reader: r,
      expected: ANON,
      ref: 'ab12cd34',
      update: () => {
        throw refusal;
      },
    });
    expect(out).toStrictEqual({ outcome: 'refused', refused: refusal });
    expect(j.entries.at(-1)).toStrictEqual({ type: 'card.write-failed', operationId: 'op1', card: CARD, data: { reason: 'already-has-product', uncertain: false } });
    expect(await r.read()).toEqual(before);
  });

  it('the card was never touched (no card): certain; a plain Error from the reader: uncertain, unexpected', async () => {
    const r = await reader();
    await r.remove();
    const j = journal();
    const out = await journaledCardWrite({ journal: j.journal, operationId: 'op1', card: CARD, reader: r, expected: ANON, ref: 'ab12cd34', update: plus(300) });
    expect(out).toMatchObject({ outcome: 'failed', failure: { reason: 'no-card', uncertain: false, problem: 'card-removed' } });
    expect(j.entries.at(-1)).toMatchObject({ type: 'card.write-failed', data: { reason: 'no-card', uncertain: false } });
    const broken = {
      write: async () => {
        throw new Error('driver bug after the last block');
      },
    };
    await journaledCardWrite({ journal: j.journal, operationId: 'op2', card: CARD, reader: broken, expected: ANON, ref: 'ab12cd34', update: plus(300) });
    expect(j.entries.at(-1)).toStrictEqual({
      type: 'card.write-failed',
      operationId: 'op2',
      card: CARD,
      data: { reason: 'unexpected', uncertain: true, detail: 'driver bug after the last block' },
    });
  });
});

describe('journalLanded and closeInterruptedWrite', () => {
  it('an earlier torn write found on the card: card.written {balanceCents, confirmedBy: card-ref}', async () => {
    const j = journal();
    const card = await (await reader()).read();
    journalLanded({ journal: j.journal, operationId: 'op1', card: CARD, amountCents: 300, data: { orderId: 'O-1' } }, card);
    expect(j.entries).toStrictEqual([
      { type: 'card.written', operationId: 'op1', amountCents: 300, card: CARD, data: { orderId: 'O-1', balanceCents: card.balanceCents, confirmedBy: 'card-ref' } },
    ]);
  });

  it('recovery closes an interrupted write with what the card check found (written / not written / unknown: uncertain)', () => {
    const j = journal();
    const t = { journal: j.journal, operationId: 'op1', data: { recovered: true } };
    expect(closeInterruptedWrite(t, 'written')).toBe(true);
    expect(closeInterruptedWrite(t, 'not-written')).toBe(false);
    expect(closeInterruptedWrite(t, 'unknown')).toBe(false);
    expect(j.entries).toStrictEqual([
      { type: 'card.written', operationId: 'op1', data: { recovered: true, confirmedBy: 'card-check' } },
      { type: 'card.write-failed', operationId: 'op1', data: { recovered: true, reason: 'interrupted', uncertain: false } },
      { type: 'card.write-failed', operationId: 'op1', data: { recovered: true, reason: 'interrupted', uncertain: true } },
    ]);
  });
});

describe('readExpected', () => {
  it('reads every section by default and returns the card when it is the expected one', async () => {
    const r = await reader();
    const asked: (readonly CardSection[] | undefined)[] = [];
    const spy = { read: (s?: readonly CardSection[]) => (asked.push(s), r.read(s)) };
    const out = await readExpected(spy, ANON);
    expect(out).toMatchObject({ card: { uid: ANON.uid, cardNumber: ANON.cardNumber } });
    expect(asked).toEqual([ALL_SECTIONS]);
    await readExpected(spy, ANON, ['identity']);
    expect(asked[1]).toEqual(['identity']);
  });

  it('another chip or another card number is the wrong card', async () => {
    const r = await reader();
    expect(await readExpected(r, { ...ANON, uid: '04FFFFFFFFFFFF' })).toStrictEqual({ problem: 'wrong-card', code: 'wrong-card' });
    expect(await readExpected(r, { ...ANON, cardNumber: '3528020000000022' })).toStrictEqual({ problem: 'wrong-card', code: 'wrong-card' });
  });

  it('a read that fails: the card error code and what the traveller is told; anything else is unexpected', async () => {
    const r = await reader();
    await r.remove();
    expect(await readExpected(r, ANON)).toStrictEqual({ problem: 'card-removed', code: 'no-card' });
    const gone = { read: async () => Promise.reject(new CardError('wrong-key', 'auth failed')) };
    expect(await readExpected(gone, ANON)).toStrictEqual({ problem: 'wrong-card', code: 'wrong-key' });
    const bug = { read: async () => Promise.reject(new Error('bug')) };
    expect(await readExpected(bug, ANON)).toStrictEqual({ problem: 'write-failed', code: 'unexpected' });
  });
});
