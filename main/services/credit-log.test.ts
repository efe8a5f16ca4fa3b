/**
 * "Already loaded?" looks in the card's credit-ref log (issue 12, window 5): an NS Extra order whose
 * ref has left the two-entry top-up history is still found on the card, so collecting it again
 * credits nothing. Before the log, two more top-ups pushed the ref off the card and the same order
 * was credited a second time.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TOP_UPS } from '../../contract/card.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { sequentialRandom } from '../../contract/random.js';
import { fixedClock } from '../../contract/time.js';
import type { OrderInfo } from '../../domain/order-rules.js';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import type { PendingOrder } from '../backoffice-client/types.js';
import { cardRef, openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { createOrderService, orderRef } from './order-service.js';

const SECRET = 'test-secret-test-secret-test-secret';
const TODAY = '2026-11-23';
const NSX: OrderInfo = { orderId: 'NSX-LOG-1', kind: 'ns-extra', announcedOn: '2026-10-01', amountCents: 1250 };
const card = { uid: FIXTURE_CARDS['personal-ns-extra'].uid, cardNumber: FIXTURE_CARDS['personal-ns-extra'].cardNumber };

const journals: SqliteJournal[] = [];
afterEach(() => {
  for (const j of journals.splice(0)) j.close();
});

describe('already loaded? looks in the credit-ref log', () => {
  it('NS Extra collected again after three more top-ups is found on the card and credited once only', async () => {
    const clock = fixedClock('2026-11-23T10:00:00Z');
    const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
    await reader.start();
    const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
    journals.push(journal);
    const service = createOrderService({
      reader,
      // The back office still lists the order (say its collection was never confirmed).
      backOffice: { pendingOrders: async () => [NSX as PendingOrder], markCollected: async () => {} },
      journal,
      clock,
      random: sequentialRandom(),
      timeZone: 'Europe/Amsterdam',
      maxBalanceCents: 15_000,
      exclusiveProductGroups: [],
      cardRef: (n) => cardRef(n, SECRET),
      log: pino({ level: 'silent' }),
    });
    await reader.present('personal-ns-extra');
    const start = (await reader.read()).balanceCents;

    expect((await service.collect({ order: NSX, card, today: TODAY })).result).toBe('loaded');
    expect((await reader.read()).balanceCents).toBe(start + 1250);

    // Three top-ups (as the top-up service writes them): the order's ref leaves the top-up history.
    for (let i = 0; i < 3; i++) {
      await reader.write(card, (c) => ({
        ...c,
        balanceCents: c.balanceCents + 100,
        topUps: [{ at: `2026-11-23T1${i}:30:00.000Z`, amountCents: 100, location: 'KIOSK-UT-01', ref: `70b0000${i}` }, ...c.topUps].slice(0, MAX_TOP_UPS),
      }));
    }
    const between = await reader.read();
    expect(between.topUps.map((t) => t.ref)).not.toContain(orderRef(NSX.orderId));
    expect(between.creditRefs).toContain(orderRef(NSX.orderId));

    const again = await service.collect({ order: NSX, card, today: TODAY });
    expect(again.result).toBe('loaded');
    expect((await reader.read()).balanceCents).toBe(between.balanceCents); // not credited twice
    const last = journal.records().filter((r) => r.type === 'card.written').at(-1);
    expect(last?.data).toMatchObject({ confirmedBy: 'card-ref' });
    await reader.stop();
  });
});

describe('a tampered card at the kiosk', () => {
  it('is refused like a defective card and reported as a kiosk.note (card-tampered), with nothing of the card in it', async () => {
    const { crc32 } = await import('node:zlib');
    const { createCardService, journalTamperedCard } = await import('./card-service.js');
    const { fixtureCardImage } = await import('../../hardware/card/fixtures.js');
    const { chooseIndex, imageBlock, uidBytes } = await import('../../hardware/card/codec.js');
    const { AREA_LAYOUT, BLOCK_SIZE, INDEX_BLOCKS } = await import('../../hardware/card/layout.js');
    const clock = fixedClock('2026-11-23T10:00:00Z');
    const keys = loadKeyFile(DEFAULT_EMULATION_KEY_FILE);
    const reader = new EmulatedCardReader({ keys, clock });
    await reader.start();
    const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
    journals.push(journal);
    // Someone with the card's keys raised the balance and fixed up the record CRC.
    const image = fixtureCardImage('anonymous', keys);
    const idx = chooseIndex(imageBlock(image, INDEX_BLOCKS[0]), imageBlock(image, INDEX_BLOCKS[1]));
    const list = AREA_LAYOUT.purse.blocks[idx.copy.purse].slice(0, idx.blocks.purse);
    const rec = new Uint8Array(list.length * BLOCK_SIZE);
    list.forEach((b, i) => rec.set(imageBlock(image, b), i * BLOCK_SIZE));
    const len = rec[2]! | (rec[3]! << 8);
    rec[5] = (rec[5]! + 1) & 0xff; // balance + EUR 2.56
    const crc = crc32(rec.subarray(0, 4 + len), crc32(uidBytes(image.uid)));
    rec.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], 4 + len);
    list.forEach((b, i) => image.data.set(rec.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), b * BLOCK_SIZE));
    await reader.presentImage(image);
    const service = createCardService({
      reader,
      backOffice: { isBlocked: () => false },
      clock,
      timeZone: 'Europe/Amsterdam',
      log: pino({ level: 'silent' }),
      onTampered: journalTamperedCard(journal, sequentialRandom()),
    });
    expect(await service.read()).toEqual({ ok: false, problem: 'defective' });
    const notes = journal.records().filter((r) => r.type === 'kiosk.note');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.data).toMatchObject({ event: 'card-tampered' });
    expect(JSON.stringify(notes[0])).not.toContain(image.uid);
    expect(JSON.stringify(notes[0])).not.toContain(FIXTURE_CARDS.anonymous.cardNumber);
    await reader.stop();
  });
});
