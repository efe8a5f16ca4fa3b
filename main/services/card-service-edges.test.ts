/**
 * The card service's edges, each pinned by a test that fails when the code it guards is changed
 * (issue 12 item 6): the refs every read journals for reconciliation (and a journal that refuses
 * them never stops the read), the blocked list failing closed to the card's own flag, money
 * unavailable while the journal cannot be written, and what a machine sees of a card.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { CardError, type CardReader } from '../../hardware/card/card-reader.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { fixedClock } from '../../contract/time.js';
import type { Journal, JournalEntryInput } from '../journal/journal.js';
import type { JournalHealth } from '../money/journal-guard.js';
import { createCardService, toCardInfo } from './card-service.js';

const log = pino({ level: 'silent' });
const NOW = '2026-11-23T10:00:00.000Z';

async function setup(opts: { isBlocked?: (n: string) => boolean; append?: (e: JournalEntryInput) => void; health?: () => JournalHealth } = {}) {
  const clock = fixedClock(NOW);
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  const appended: JournalEntryInput[] = [];
  const journal = {
    append: (e: JournalEntryInput) => {
      opts.append?.(e);
      appended.push(e);
      return undefined as never;
    },
  } as Pick<Journal, 'append'>;
  const service = createCardService({
    reader,
    backOffice: { isBlocked: opts.isBlocked ?? (() => false) },
    clock,
    timeZone: 'Europe/Amsterdam',
    log,
    refsSeen: { journal, cardRef: (n) => ({ hash: `h-${n.slice(0, 4)}`, last4: n.slice(-4) }) },
    ...(opts.health ? { journalHealth: opts.health } : {}),
  });
  return { reader, service, appended };
}

describe('card.refs-seen: every read journals the refs the card holds (reconciliation, issue 12)', () => {
  it('one record per read, each with its own operation id, the card ref and the refs newest first', async () => {
    const t = await setup();
    await t.reader.present('personal-products');
    await t.service.read();
    await t.service.read();
    expect(t.appended).toHaveLength(2);
    const n = FIXTURE_CARDS['personal-products'].cardNumber;
    expect(t.appended[0]).toEqual({
      type: 'card.refs-seen',
      operationId: `refs-seen:${NOW}:1`,
      card: { hash: `h-${n.slice(0, 4)}`, last4: n.slice(-4) },
      data: { refs: '00c0ffee,a1b2c3d5,a1b2c3d4' },
    });
    expect(t.appended[1]!.operationId).toBe(`refs-seen:${NOW}:2`);
  });

  it('a journal that refuses the record does not stop the read', async () => {
    const t = await setup({
      append: () => {
        throw new Error('SQLITE_FULL');
      },
    });
    await t.reader.present('anonymous');
    expect(await t.service.read()).toMatchObject({ ok: true, card: { balanceCents: 2035 } });
  });
});

describe('reading: failing closed', () => {
  it('a blocked list that cannot be checked: the card is read, not listed (its own block flag still counts)', async () => {
    const t = await setup({
      isBlocked: () => {
        throw new Error('cache gone');
      },
    });
    await t.reader.present('blocked');
    expect(await t.service.read()).toMatchObject({ ok: true, blockedListed: false, card: { blocked: true } });
  });

  it('a journal that cannot be written: the read says money is unavailable and why; a healthy one says nothing', async () => {
    const down = await setup({ health: () => ({ ok: false, reason: 'journal-unavailable', detail: 'SQLITE_FULL', since: NOW }) });
    await down.reader.present('anonymous');
    expect(await down.service.read()).toMatchObject({ ok: true, moneyUnavailable: 'journal-unavailable' });
    const up = await setup({ health: () => ({ ok: true }) });
    await up.reader.present('anonymous');
    const r = await up.service.read();
    expect(r.ok && 'moneyUnavailable' in r).toBe(false);
  });

  it('a reader error that is not a CardError, and io, read as card-gone; corrupt, wrong-card and tampered as defective', async () => {
    const failing = (err: unknown): CardReader => ({
      start: async () => {},
      stop: async () => {},
      subscribe: () => () => {},
      currentCard: () => undefined,
      read: async () => {
        throw err;
      },
      write: async () => {
        throw err;
      },
    });
    const tampered: string[] = [];
    const svc = (err: unknown) =>
      createCardService({ reader: failing(err), backOffice: { isBlocked: () => false }, clock: fixedClock(NOW), timeZone: 'UTC', log, onTampered: (d) => tampered.push(d) });
    expect(await svc(new Error('usb')).read()).toEqual({ ok: false, problem: 'card-gone' });
    expect(await svc(new CardError('io', 'io')).read()).toEqual({ ok: false, problem: 'card-gone' });
    expect(await svc(new CardError('corrupt', 'crc')).read()).toEqual({ ok: false, problem: 'defective' });
    expect(await svc(new CardError('wrong-card', 'x')).read()).toEqual({ ok: false, problem: 'defective' });
    expect(tampered).toEqual([]);
    expect(await svc(new CardError('tampered', 'seal failed')).read()).toEqual({ ok: false, problem: 'defective' });
    expect(tampered).toEqual(['seal failed']);
  });

  it('waitForCard: an already aborted signal rejects at once; aborted without a reason rejects all the same', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    const ac = new AbortController();
    ac.abort(new Error('gone already'));
    await expect(t.service.waitForCard(false, ac.signal)).rejects.toThrow('gone already');
    const fake = { aborted: false, reason: undefined, addEventListener: (_: string, f: () => void) => setTimeout(f, 1), removeEventListener: () => {} } as unknown as AbortSignal;
    await expect(t.service.waitForCard(true, fake)).rejects.toThrow('aborted');
  });
});

describe('toCardInfo: what the machines see of a card', () => {
  it('keeps travel class and station only when the product has them, and never the refs or the birth date', async () => {
    const t = await setup();
    await t.reader.present('personal-products');
    const card = await t.reader.read();
    const info = toCardInfo({
      ...card,
      products: [...card.products, { code: 'STATION-PASSAGE', validFrom: '2026-11-23', validUntil: '2026-11-23T11:00:00.000Z', station: 'UT', ref: 'deadbeef' }],
    });
    expect(info.products).toEqual([
      { code: 'DAL-VOORDEEL', validFrom: '2026-01-15', validUntil: '2027-01-14', travelClass: 2 },
      { code: 'SAMENREISKORTING', validFrom: '2026-03-01', validUntil: '2027-02-28' },
      { code: 'STATION-PASSAGE', validFrom: '2026-11-23', validUntil: '2026-11-23T11:00:00.000Z', station: 'UT' },
    ]);
    expect('travelClass' in info.products[1]!).toBe(false);
    expect('station' in info.products[0]!).toBe(false);
    expect(info.topUps).toEqual([{ at: '2026-11-01T10:00:00.000Z', amountCents: 2500, location: 'KIOSK-ASD-01' }]);
    expect(info.transactions[0]).toEqual({ at: card.transactions[0]!.at, kind: card.transactions[0]!.kind, station: card.transactions[0]!.station, amountCents: card.transactions[0]!.amountCents });
    expect(info).toMatchObject({ uid: card.uid, cardNumber: card.cardNumber, kind: 'personal', expiryDate: card.expiryDate, balanceCents: 4520, blocked: false, autoTopUp: false });
    expect(JSON.stringify(info)).not.toMatch(/birth|creditRefs|ref"/);
  });
});

describe('the technician’s log', () => {
  it('a failed read at warn with its code; a refs record or a blocked-list check that failed at error', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const line = (fields: Record<string, unknown>) => expect.objectContaining({ ...fields, msg: expect.stringMatching(/\w{3}/) });
    const clock = fixedClock(NOW);
    const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
    await reader.start();
    const service = createCardService({
      reader,
      backOffice: {
        isBlocked: () => {
          throw new Error('cache gone');
        },
      },
      clock,
      timeZone: 'UTC',
      log: logger,
      refsSeen: {
        journal: {
          append: () => {
            throw new Error('SQLITE_FULL');
          },
        },
        cardRef: () => ({ hash: 'h', last4: '0000' }),
      },
    });
    await service.read();
    expect(lines).toEqual([line({ level: 40, code: 'no-card', err: expect.any(String) })]);
    await reader.present('anonymous');
    await service.read();
    expect(lines.slice(1)).toEqual([line({ level: 50, err: 'Error: SQLITE_FULL' }), line({ level: 50, err: 'Error: cache gone' })]);
    await reader.stop();
  });
});

describe('waitForCard leaves nothing behind (a kiosk waits for millions of cards)', () => {
  it('after a card came or the wait was aborted, its reader subscription and abort listener are gone', async () => {
    let subscribers = 0;
    let emit: ((e: { type: 'card-presented'; uid: string }) => void) | undefined;
    const reader = {
      currentCard: () => undefined,
      subscribe: (f: (e: { type: 'card-presented'; uid: string }) => void) => {
        subscribers++;
        emit = f;
        return () => void subscribers--;
      },
    } as unknown as CardReader;
    const service = createCardService({ reader, backOffice: { isBlocked: () => false }, clock: fixedClock(NOW), timeZone: 'UTC', log });
    const ac = new AbortController();
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      listeners++;
      add(...a);
    }) as typeof add;
    ac.signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      listeners--;
      remove(...a);
    }) as typeof remove;
    const came = service.waitForCard(true, ac.signal);
    expect([subscribers, listeners]).toEqual([1, 1]);
    emit!({ type: 'card-presented', uid: '04AA' });
    expect(await came).toEqual({ uid: '04AA' });
    expect([subscribers, listeners]).toEqual([0, 0]);
    const aborted = service.waitForCard(true, ac.signal);
    ac.abort(new Error('left'));
    await expect(aborted).rejects.toThrow('left');
    expect([subscribers, listeners]).toEqual([0, 0]);
  });
});
