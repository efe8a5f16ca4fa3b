import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { fixedClock } from '../../contract/time.js';
import { createCardWriteCheck } from './card-write-check.js';
import { cardRef } from './sqlite-journal.js';

const KEY = 'card-write-check-secret-0123456789';
const ANON = FIXTURE_CARDS.anonymous;

async function setup() {
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock: fixedClock('2026-11-23T10:00:00Z') });
  await reader.start();
  const check = createCardWriteCheck({ reader, cardHash: (n) => cardRef(n, KEY).hash });
  const op = (ref: string, cardNumber: string = ANON.cardNumber) => ({
    records: [{ type: 'card.write-intent' as const, card: cardRef(cardNumber, KEY), data: { ref } }],
  });
  return { reader, check, op };
}

describe('recovery card check: did an interrupted write land?', () => {
  it('answers written when the card on the reader carries the ref in its top-up records (purse area)', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    await t.reader.write({ uid: ANON.uid, cardNumber: ANON.cardNumber }, (c) => ({
      ...c,
      balanceCents: c.balanceCents + 100,
      topUps: [{ at: '2026-11-23T10:00:00.000Z', amountCents: 100, location: 'K1', ref: 'abcd1234' }, ...c.topUps].slice(0, 2),
    }));
    expect(await t.check(t.op('abcd1234'))).toBe('written');
  });

  it('answers written when a product carries the ref (order collection)', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    await t.reader.write({ uid: ANON.uid, cardNumber: ANON.cardNumber }, (c) => ({
      ...c,
      products: [...c.products, { code: 'DAL-VRIJ', validFrom: '2026-12-01', validUntil: '2027-11-30', travelClass: 2, ref: 'feed0001' }],
    }));
    expect(await t.check(t.op('feed0001'))).toBe('written');
  });

  it('answers not-written for the right card without the ref, unknown without a card or with another card', async () => {
    const t = await setup();
    expect(await t.check(t.op('abcd1234'))).toBe('unknown');
    await t.reader.present('anonymous');
    expect(await t.check(t.op('abcd1234'))).toBe('not-written');
    expect(await t.check(t.op('abcd1234', FIXTURE_CARDS['personal-products'].cardNumber))).toBe('unknown');
  });
});
