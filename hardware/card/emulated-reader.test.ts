import { isTechnicianCardId, TECHNICIAN_CARDS } from '../../contract/fixture-technicians.js';
import { verifyTechnicianCredential } from '../../contract/technician-credential.js';
import { emulationOperatorPublicKey } from './technician-card.js';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import type { CardModel } from '../../contract/card.js';
import { CardError, MIFARE_CLASSIC_4K_ATR_HEX, type CardUpdate } from './card-reader.js';
import { EmulatedCardReader } from './emulated-reader.js';
import { FIXTURE_CARD_MODELS } from './fixtures.js';
import { loadKeyFile } from './keys.js';
import { keyProviderFromJson } from './keys.js';

const keys = loadKeyFile();
const clock = fixedClock('2026-11-23T09:00:00Z');

async function reader() {
  const r = new EmulatedCardReader({ keys, clock });
  await r.start();
  return r;
}

const topUp = (cents: number, ref: string): CardUpdate => (c) =>
  c.topUps.some((t) => t.ref === ref)
    ? c
    : { ...c, balanceCents: c.balanceCents + cents, topUps: [{ at: '2026-11-23T09:00:00.000Z', amountCents: cents, location: 'KIOSK-UT-01', ref }, ...c.topUps].slice(0, 2) };

const loadProduct = (ref: string): CardUpdate => (c) =>
  c.products.some((p) => p.ref === ref)
    ? c
    : { ...c, products: [...c.products, { code: 'DAL-VRIJ', validFrom: '2026-12-01', validUntil: '2027-11-30', travelClass: 2, ref }] };

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof CardError) return e.code;
    throw e;
  }
}

describe('emulated card reader', () => {
  it('reads every readable fixture as its model', async () => {
    const r = await reader();
    for (const f of r.fixtures()) {
      if (f.id === 'corrupt' || isTechnicianCardId(f.id)) continue;
      await r.present(f.id);
      expect(await r.identify()).toEqual({ format: 'traveller' });
      expect(await r.read()).toEqual(FIXTURE_CARD_MODELS[f.id]);
    }
  });

  it('identifies a technician card by its header and reads its credential, signed by the emulation operator key and bound to its UID', async () => {
    const r = await reader();
    await r.present('technician');
    const id = await r.identify();
    expect(id.format).toBe('technician');
    if (id.format !== 'technician') return;
    const check = verifyTechnicianCredential(id.credential, id.uid, emulationOperatorPublicKey(), new Date('2026-11-30T12:00:00Z'));
    expect(check).toMatchObject({ ok: true, credential: { technicianId: 'T-0001', uid: TECHNICIAN_CARDS.technician.uid } });
    // A technician card is no traveller card: the traveller read refuses it.
    await expect(r.read()).rejects.toMatchObject({ code: 'corrupt' });
    await r.present('technician-expired');
    const ex = await r.identify();
    expect(ex.format === 'technician' && verifyTechnicianCredential(ex.credential, ex.uid, emulationOperatorPublicKey(), new Date('2026-11-30T12:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it('reports the corrupt card as corrupt, a blocked card as a model with blocked=true, no card as no-card', async () => {
    const r = await reader();
    expect(await codeOf(r.read())).toBe('no-card');
    await r.present('corrupt');
    expect(await codeOf(r.read())).toBe('corrupt');
    await r.present('blocked');
    expect((await r.read()).blocked).toBe(true);
  });

  it('emits presented/removed events and keeps card state per fixture', async () => {
    const r = await reader();
    const events: string[] = [];
    r.subscribe((e) => events.push(e.type));
    expect(r.lastAtr()).toBeUndefined();
    await r.present('anonymous');
    expect(r.lastAtr()).toBe(MIFARE_CLASSIC_4K_ATR_HEX); // as vpcd's virtual card answers on the wire
    const before = await r.read();
    await r.write(before, topUp(500, 'aaaa0001'));
    await r.present('business');
    await r.present('anonymous');
    expect((await r.read()).balanceCents).toBe(before.balanceCents + 500);
    expect(events).toEqual(['card-presented', 'card-removed', 'card-presented', 'card-removed', 'card-presented']);
    await r.resetFixtures();
    expect((await r.read()).balanceCents).toBe(before.balanceCents);
  });

  it('second-tap rule: refuses another card (other UID) before writing a block', async () => {
    const r = await reader();
    await r.present('anonymous');
    const first = await r.read();
    await r.present('near-limit');
    const ops = r.operationCount();
    expect(await codeOf(r.write(first, topUp(500, 'bbbb0001')))).toBe('wrong-card');
    expect(r.operationCount()).toBe(ops); // not even a read
    expect((await r.read()).balanceCents).toBe(14_250);
  });

  it('second-tap rule: refuses a card with the same UID but another card number, no block written', async () => {
    const r = await reader();
    await r.present('anonymous');
    const first = await r.read();
    const imposter = { ...FIXTURE_CARD_MODELS['near-limit'], uid: first.uid };
    const { encodeCardImage } = await import('./codec.js');
    await r.presentImage(encodeCardImage(imposter, keys));
    expect(await codeOf(r.write(first, topUp(500, 'cccc0001')))).toBe('wrong-card');
    expect((await r.read()).balanceCents).toBe(14_250);
  });

  it('refuses with wrong-key when the keys do not open the card', async () => {
    const other = keyProviderFromJson({ format: 'ns-kiosk-card-keys/1', default: { a: 'FFFFFFFFFFFF', b: 'FFFFFFFFFFFF' } });
    const r = new EmulatedCardReader({ keys: other, clock });
    await r.start();
    const { fixtureCardImage } = await import('./fixtures.js');
    await r.presentImage(fixtureCardImage('anonymous', keys));
    expect(await codeOf(r.read())).toBe('wrong-key');
  });

  for (const [name, update] of [
    ['top-up', topUp(1000, 'dddd0001')],
    ['product load', loadProduct('eeee0001')],
  ] as const) {
    it(`tear test (${name}): a cut after every single chip operation leaves exactly the old or the new state`, async () => {
      const r = await reader();
      await r.present('personal-products');
      const old = await r.read();
      const start = r.operationCount();
      const full = await r.write(old, update);
      const total = r.operationCount() - start;
      expect(total).toBeGreaterThan(10);
      let sawOld = 0;
      let sawNew = 0;
      for (let cut = 1; cut <= total; cut++) {
        await r.resetFixtures();
        await r.present('personal-products');
        r.tearAfterOperations(cut);
        expect(await codeOf(r.write(old, update))).toBe('card-gone');
        await r.present('personal-products');
        const after: CardModel = await r.read();
        if (JSON.stringify(after) === JSON.stringify(old)) sawOld++;
        else {
          expect(after).toEqual(full);
          sawNew++;
        }
        // Retrying the same operation completes it exactly once (idempotent by ref).
        expect(await r.write(old, update)).toEqual(full);
      }
      // Only a cut after the index write (the last operation) leaves the new state.
      expect(sawOld).toBe(total - 1);
      expect(sawNew).toBe(1);
      console.log(`in-process tear test (${name}): ${total} operation boundaries cut, each once`);
    });
  }
});
