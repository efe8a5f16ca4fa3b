/**
 * The top-up service's edges, each pinned by a test that fails when the code it guards is changed
 * (issue 12 item 6: these are the cases mutation testing found unguarded by top-up.test.ts and the
 * money proofs): which authorization errors are certain, what is journaled about an approval,
 * the journal-health refusal, the commit that fails after the card was credited, the pending credit
 * kept when the last write may have landed, and which payments go to the settler.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { MAX_TOP_UPS } from '../../contract/card.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { fixedClock } from '../../contract/time.js';
import { sequentialRandom, type Random } from '../../contract/random.js';
import { cardRef, openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import type { JournalHealth } from '../money/journal-guard.js';
import { createTopUpService, paymentRef, writeMayHaveLanded } from './top-up.js';

const SECRET = 'edges-secret-edges-secret-edges-secret';
const ANON = { uid: FIXTURE_CARDS.anonymous.uid, cardNumber: FIXTURE_CARDS.anonymous.cardNumber };
const NOW = '2026-11-23T10:00:00.000Z';

const open: SqliteJournal[] = [];
afterEach(() => {
  for (const j of open.splice(0)) j.close();
});

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

/** A scripted terminal: approves, commits and undoes by default; each test overrides what it is about. */
function fakeTerminal(o: Partial<PaymentTerminal> = {}): PaymentTerminal & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    start: async () => {},
    stop: async () => {},
    authorize: async (r) => {
      calls.push('authorize');
      return { result: 'approved', paymentId: r.paymentId, amountCents: r.amountCents, receipt: { resultCode: 0, amountCents: r.amountCents } };
    },
    commit: async () => void calls.push('commit'),
    rollback: async () => {
      calls.push('rollback');
      return { undone: true };
    },
    abort: async () => void calls.push('abort'),
    status: async () => 'ready',
    ...o,
  };
}

type Opts = { health?: () => JournalHealth; maxBalanceCents?: number; random?: Random; noLeftOpen?: boolean };
async function setup(terminal: PaymentTerminal, opts: Opts = {}) {
  const clock = fixedClock(NOW);
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
  open.push(journal);
  const leftOpen: string[] = [];
  /** What the service logs (the technician's view), parsed. */
  const logged: Record<string, unknown>[] = [];
  const service = createTopUpService({
    reader,
    terminal,
    journal,
    clock,
    random: opts.random ?? sequentialRandom(),
    kioskId: 'K7',
    maxBalanceCents: opts.maxBalanceCents ?? 15_000,
    cardRef: (n) => cardRef(n, SECRET),
    log: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }),
    ...(opts.noLeftOpen ? {} : { onLeftOpen: (id: string) => void leftOpen.push(id) }),
    ...(opts.health ? { journalHealth: opts.health } : {}),
  });
  const records = (id: string) => journal.operation(id);
  const types = (id: string) => records(id).map((r) => r.type);
  const last = (id: string) => records(id).at(-1)!;
  /** The log lines at `level` (pino: 30 info, 40 warn, 50 error) about `paymentId`. */
  const logs = (level: number, paymentId?: string) => logged.filter((l) => l['level'] === level && (paymentId === undefined || l['paymentId'] === paymentId));
  return { reader, journal, service, leftOpen, records, types, last, logged, logs };
}

describe('writeMayHaveLanded: did the last card write of a payment perhaps land?', () => {
  const r = (type: string, data?: Record<string, unknown>) => ({ type, data }) as never;
  it('no write at all: no', () => {
    expect(writeMayHaveLanded([])).toBe(false);
    expect(writeMayHaveLanded([r('payment.intent'), r('payment.approved')])).toBe(false);
  });
  it('a write intent without an outcome: yes, even with payment records after it', () => {
    expect(writeMayHaveLanded([r('payment.approved'), r('card.write-intent'), r('payment.rollback-intent')])).toBe(true);
  });
  it('an uncertain failure: yes; a certain failure or a written card: no', () => {
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.write-failed', { uncertain: true }), r('payment.rollback-intent')])).toBe(true);
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.write-failed', { uncertain: false })])).toBe(false);
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.write-failed')])).toBe(false);
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.written'), r('payment.committed')])).toBe(false);
  });
  it('the last write decides: an uncertain failure followed by a certain one is no, a certain one followed by an intent is yes', () => {
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.write-failed', { uncertain: true }), r('card.write-intent'), r('card.write-failed', { uncertain: false })])).toBe(false);
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.write-failed', { uncertain: false }), r('card.write-intent')])).toBe(true);
    expect(writeMayHaveLanded([r('card.write-intent'), r('card.written'), r('card.write-intent'), r('card.write-failed', { uncertain: true })])).toBe(true);
  });
});

describe('authorize: certain and uncertain terminal errors', () => {
  for (const code of ['busy', 'invalid-request', 'config']) {
    it(`a terminal error "${code}" is certain: terminal-not-ready, nothing undone, no uncertain flag`, async () => {
      const term = fakeTerminal({
        authorize: async () => {
          throw coded(`refused: ${code}`, code);
        },
      });
      const t = await setup(term);
      const auth = await t.service.authorize({ amountCents: 500, card: ANON });
      expect(auth).toEqual({ result: 'failed', paymentId: auth.paymentId, reference: paymentRef(auth.paymentId).toUpperCase(), reason: 'terminal-not-ready' });
      expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.failed']);
      expect(t.last(auth.paymentId).data).toEqual({ reason: 'terminal-not-ready', error: `refused: ${code}` });
      expect(term.calls).toEqual([]);
    });
  }

  it('any other error is uncertain: communication, journaled uncertain with the error text, and undone', async () => {
    const term = fakeTerminal({
      authorize: async () => {
        throw coded('line dropped', 'timeout');
      },
    });
    const t = await setup(term);
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(auth).toMatchObject({ result: 'failed', reason: 'communication' });
    expect(t.records(auth.paymentId)[1]).toMatchObject({ type: 'payment.failed', amountCents: 500, data: { reason: 'communication', error: 'line dropped', uncertain: true } });
    expect(t.records(auth.paymentId)[2]).toMatchObject({ type: 'payment.rollback-intent', data: { reason: 'authorization ended unclear' } });
    expect(term.calls).toEqual(['rollback']);
  });

  it('a terminal that cannot undo an unclear authorization: refund owed, not left for the settler; unreachable: left for the settler', async () => {
    const owed = await setup(
      fakeTerminal({
        authorize: async () => {
          throw coded('silence', 'timeout');
        },
        rollback: async () => ({ undone: false, detail: 'booked' }),
      }),
    );
    const a = await owed.service.authorize({ amountCents: 500, card: ANON });
    expect(owed.last(a.paymentId).type).toBe('payment.refund-owed');
    expect(owed.leftOpen).toEqual([]);

    const unreachable = await setup(
      fakeTerminal({
        authorize: async () => {
          throw coded('silence', 'timeout');
        },
        rollback: async () => {
          throw coded('no line', 'offline');
        },
      }),
    );
    const b = await unreachable.service.authorize({ amountCents: 500, card: ANON });
    expect(unreachable.last(b.paymentId).type).toBe('payment.rollback-intent');
    expect(unreachable.leftOpen).toEqual([b.paymentId]);
  });

  it('a declined outcome journals its code; an uncertain one journals uncertain and is undone; a certain one is not', async () => {
    const term = fakeTerminal({
      authorize: async (r) => ({ result: 'failed', paymentId: r.paymentId, amountCents: r.amountCents, reason: 'declined', code: 5 }) as never,
    });
    const t = await setup(term);
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(a).toMatchObject({ result: 'failed', reason: 'declined' });
    expect(t.last(a.paymentId).data).toEqual({ reason: 'declined', code: 5 });
    expect(term.calls).toEqual([]);

    const unclear = fakeTerminal({
      authorize: async (r) => ({ result: 'failed', paymentId: r.paymentId, amountCents: r.amountCents, reason: 'communication', uncertain: true }) as never,
    });
    const u = await setup(unclear);
    const b = await u.service.authorize({ amountCents: 500, card: ANON });
    expect(u.records(b.paymentId)[1]!.data).toEqual({ reason: 'communication', uncertain: true });
    expect(u.types(b.paymentId)).toEqual(['payment.intent', 'payment.failed', 'payment.rollback-intent', 'payment.reversed']);
    expect(unclear.calls).toEqual(['rollback']);
  });

  it('an approval journals the receipt number, trace, terminal id and AID the terminal gave, and nothing it did not', async () => {
    const full = fakeTerminal({
      authorize: async (r) => ({
        result: 'approved',
        paymentId: r.paymentId,
        amountCents: r.amountCents,
        receipt: { resultCode: 0, amountCents: r.amountCents, receiptNumber: '0042', trace: '000123', terminalId: '52500001', aid: 'AID77' },
      }),
    });
    const t = await setup(full);
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(a).toEqual({ result: 'approved', paymentId: a.paymentId, reference: paymentRef(a.paymentId).toUpperCase() });
    expect(t.last(a.paymentId)).toMatchObject({ type: 'payment.approved', amountCents: 500, data: { receiptNumber: '0042', trace: '000123', terminalId: '52500001', aid: 'AID77' } });

    const bare = await setup(fakeTerminal());
    const b = await bare.service.authorize({ amountCents: 500, card: ANON });
    expect(bare.last(b.paymentId).data).toEqual({});
    expect(bare.records(b.paymentId)[0]).toMatchObject({ type: 'payment.intent', amountCents: 500, data: { kioskId: 'K7' } });
  });
});

describe('authorize: no journal, no money (issue 12, window 6)', () => {
  it('a journal that cannot be written refuses before anything is journaled or asked of the terminal', async () => {
    const term = fakeTerminal();
    const t = await setup(term, { health: () => ({ ok: false, reason: 'journal-unavailable', detail: 'SQLITE_FULL', since: NOW }) });
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(a).toEqual({ result: 'failed', paymentId: a.paymentId, reference: paymentRef(a.paymentId).toUpperCase(), reason: 'terminal-not-ready' });
    expect(t.journal.records()).toHaveLength(0);
    expect(term.calls).toEqual([]);
  });

  it('a healthy journal lets the payment through', async () => {
    const term = fakeTerminal();
    const t = await setup(term, { health: () => ({ ok: true }) });
    expect((await t.service.authorize({ amountCents: 500, card: ANON })).result).toBe('approved');
    expect(term.calls).toEqual(['authorize']);
  });
});

describe('abort', () => {
  it('asks the terminal to abort, and a terminal that fails to abort does not throw', async () => {
    const term = fakeTerminal();
    const t = await setup(term);
    await t.service.abort();
    expect(term.calls).toEqual(['abort']);
    const failing = await setup(
      fakeTerminal({
        abort: async () => {
          throw new Error('gone');
        },
      }),
    );
    await expect(failing.service.abort()).resolves.toBeUndefined();
  });
});

describe('credit: the card write', () => {
  it('writes the top-up record with the clock time, the kiosk id, the amount and the ref, newest first, keeping MAX_TOP_UPS', async () => {
    const t = await setup(fakeTerminal());
    await t.reader.present('anonymous');
    const before = (await t.reader.read()).topUps;
    const a = await t.service.authorize({ amountCents: 300, card: ANON });
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 300, card: ANON })).toEqual({ result: 'credited', balanceCents: 2035 + 300 });
    const b = await t.service.authorize({ amountCents: 200, card: ANON });
    expect(await t.service.credit({ paymentId: b.paymentId, amountCents: 200, card: ANON })).toEqual({ result: 'credited', balanceCents: 2035 + 500 });
    const card = await t.reader.read();
    expect(before).toHaveLength(1);
    expect(card.topUps).toHaveLength(MAX_TOP_UPS);
    expect(card.topUps).toEqual([
      { at: NOW, amountCents: 200, location: 'K7', ref: paymentRef(b.paymentId) },
      { at: NOW, amountCents: 300, location: 'K7', ref: paymentRef(a.paymentId) },
    ]);
    expect(card.creditRefs?.slice(0, 2)).toEqual([paymentRef(b.paymentId), paymentRef(a.paymentId)]);
  });

  it('a card already at the maximum takes no credit at all, one already carrying the payment ref is not written again', async () => {
    const t = await setup(fakeTerminal(), { maxBalanceCents: 2035 });
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 1, card: ANON });
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 1, card: ANON })).toEqual({ result: 'write-failed' });
    expect((await t.reader.read()).balanceCents).toBe(2035);
  });

  it('a terminal that does not acknowledge "please wait": nothing is written, write-failed', async () => {
    const t = await setup(
      fakeTerminal({
        issuing: async () => {
          throw coded('no ack', 'timeout');
        },
      }),
    );
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'write-failed' });
    expect(t.types(a.paymentId)).toEqual(['payment.intent', 'payment.approved']);
    expect((await t.reader.read()).balanceCents).toBe(2035);
  });

  it('the credit found on the card already (an earlier write landed): committed from the card, no second write', async () => {
    let commits = 0;
    const term = fakeTerminal({
      commit: async () => {
        if (++commits === 1) throw coded('no answer', 'timeout');
      },
    });
    const t = await setup(term);
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 400, card: ANON });
    // first credit: written, the commit unanswered (the payment stays at card.written)
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 400, card: ANON })).toEqual({ result: 'credited', balanceCents: 2435 });
    const again = await t.service.credit({ paymentId: a.paymentId, amountCents: 400, card: ANON });
    expect(again).toEqual({ result: 'credited', balanceCents: 2435 });
    expect((await t.reader.read()).balanceCents).toBe(2435);
    expect(t.types(a.paymentId).filter((x) => x === 'card.write-intent')).toHaveLength(1);
    expect(t.types(a.paymentId).at(-1)).toBe('payment.committed');
    expect(commits).toBe(2);
  });
});

describe('credit: the commit after the card was credited', () => {
  it('no answer from the terminal: the card keeps the credit, a commit-failed note (cardCredited), left for the settler', async () => {
    const t = await setup(
      fakeTerminal({
        commit: async () => {
          throw coded('no answer', 'timeout');
        },
      }),
    );
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'credited', balanceCents: 2535 });
    expect(t.types(a.paymentId).at(-1)).toBe('card.written');
    const note = t.journal.records().find((r) => r.type === 'kiosk.note')!;
    expect(note).toMatchObject({
      amountCents: 500,
      card: cardRef(ANON.cardNumber, SECRET),
      data: { event: 'commit-failed', paymentId: a.paymentId, code: 'timeout', detail: 'no answer', cardCredited: true },
    });
    expect(t.leftOpen).toEqual([a.paymentId]);
  });

  it('the terminal already reversed: a note, the reversal journaled by settlement, not left for the settler', async () => {
    const t = await setup(
      fakeTerminal({
        commit: async () => {
          throw coded('nothing open', 'not-open');
        },
      }),
    );
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'credited', balanceCents: 2535 });
    expect(t.journal.records().filter((r) => r.type === 'kiosk.note')).toHaveLength(1);
    expect(t.last(a.paymentId)).toMatchObject({ type: 'payment.reversed', data: { cardCredited: true } });
    expect(t.leftOpen).toEqual([]);
  });

  it('a committed payment leaves no note and nothing for the settler', async () => {
    const t = await setup(fakeTerminal());
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON });
    expect(t.journal.records().filter((r) => r.type === 'kiosk.note')).toHaveLength(0);
    expect(t.leftOpen).toEqual([]);
  });
});

describe('rollback', () => {
  it('says "card not credited" when no reason is given, and the caller’s reason otherwise', async () => {
    const t = await setup(fakeTerminal());
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    await t.service.rollback({ paymentId: a.paymentId, amountCents: 500, card: ANON });
    expect(t.records(a.paymentId)[2]).toMatchObject({ type: 'payment.rollback-intent', amountCents: 500, card: cardRef(ANON.cardNumber, SECRET), data: { reason: 'card not credited' } });
    const b = await t.service.authorize({ amountCents: 500, card: ANON });
    await t.service.rollback({ paymentId: b.paymentId, amountCents: 500, card: ANON }, 'traveller left');
    expect(t.records(b.paymentId)[2]!.data).toMatchObject({ reason: 'traveller left' });
  });

  it('a refund owed is not left for the settler; an unreachable terminal is', async () => {
    const owed = await setup(fakeTerminal({ rollback: async () => ({ undone: false, detail: 'booked' }) }));
    const a = await owed.service.authorize({ amountCents: 500, card: ANON });
    expect(await owed.service.rollback({ paymentId: a.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'refund-owed', reference: a.reference });
    expect(owed.leftOpen).toEqual([]);
    const gone = await setup(
      fakeTerminal({
        rollback: async () => {
          throw coded('no line', 'offline');
        },
      }),
    );
    const b = await gone.service.authorize({ amountCents: 500, card: ANON });
    expect(await gone.service.rollback({ paymentId: b.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'refund-owed', reference: b.reference });
    expect(gone.leftOpen).toEqual([b.paymentId]);
  });

  /** A write whose outcome is unknown: the card went away after the write intent (journaled by hand, as a crash would leave it). */
  async function uncertainWrite(term: PaymentTerminal) {
    const t = await setup(term);
    const a = await t.service.authorize({ amountCents: 600, card: ANON });
    t.journal.append({ type: 'card.write-intent', operationId: a.paymentId, amountCents: 600, card: cardRef(ANON.cardNumber, SECRET), data: { ref: paymentRef(a.paymentId) } });
    t.journal.append({ type: 'card.write-failed', operationId: a.paymentId, amountCents: 600, card: cardRef(ANON.cardNumber, SECRET), data: { uncertain: true } });
    return { t, a };
  }

  it('the last write may have landed: the payment is kept as a pending credit under its ref, committed, never reversed', async () => {
    const term = fakeTerminal();
    const { t, a } = await uncertainWrite(term);
    expect(await t.service.rollback({ paymentId: a.paymentId, amountCents: 600, card: ANON })).toEqual({ result: 'credit-pending', reference: paymentRef(a.paymentId).toUpperCase() });
    expect(t.types(a.paymentId).slice(-2)).toEqual(['payment.credit-pending', 'payment.committed']);
    expect(t.records(a.paymentId).at(-2)).toMatchObject({ amountCents: 600, card: cardRef(ANON.cardNumber, SECRET), data: { ref: paymentRef(a.paymentId) } });
    expect(term.calls).not.toContain('rollback');
    expect(t.leftOpen).toEqual([]);
  });

  it('a pending credit the terminal does not confirm is left for the settler; one it already reversed is not', async () => {
    const silent = await uncertainWrite(
      fakeTerminal({
        commit: async () => {
          throw coded('no answer', 'timeout');
        },
      }),
    );
    expect((await silent.t.service.rollback({ paymentId: silent.a.paymentId, amountCents: 600, card: ANON })).result).toBe('credit-pending');
    expect(silent.t.leftOpen).toEqual([silent.a.paymentId]);

    const reversed = await uncertainWrite(
      fakeTerminal({
        commit: async () => {
          throw coded('nothing open', 'not-open');
        },
      }),
    );
    expect((await reversed.t.service.rollback({ paymentId: reversed.a.paymentId, amountCents: 600, card: ANON })).result).toBe('credit-pending');
    expect(reversed.t.leftOpen).toEqual([]);
  });
});

/** Payment ids whose ref has hex letters (sequentialRandom's refs are all digits, where case cannot show). */
function hexRandom(): Random {
  let n = 0;
  return { id: (bytes = 16) => `abcd${(++n).toString(16).padStart(4, '0')}`.padEnd(bytes * 2, 'e'), next: () => 0.5 };
}

describe('the traveller’s reference', () => {
  it('is the payment ref in capitals, on approval, on a refund owed and on a pending credit', async () => {
    const t = await setup(fakeTerminal({ rollback: async () => ({ undone: false, detail: 'booked' }) }), { random: hexRandom() });
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(a.reference).toMatch(/^ABCD[0-9A-F]{4}$/);
    expect(a.reference).toBe(paymentRef(a.paymentId).toUpperCase());
    expect(await t.service.rollback({ paymentId: a.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'refund-owed', reference: a.reference });
    const b = await t.service.authorize({ amountCents: 500, card: ANON });
    t.journal.append({ type: 'card.write-intent', operationId: b.paymentId, amountCents: 500, card: cardRef(ANON.cardNumber, SECRET), data: { ref: paymentRef(b.paymentId) } });
    expect(await t.service.rollback({ paymentId: b.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'credit-pending', reference: b.reference });
    expect(b.reference).toMatch(/[A-F]/);
  });
});

describe('a service built without a settler (onLeftOpen absent)', () => {
  it('a commit or a pending credit the terminal does not answer still ends for the traveller, without throwing', async () => {
    const t = await setup(
      fakeTerminal({
        commit: async () => {
          throw coded('no answer', 'timeout');
        },
      }),
      { noLeftOpen: true },
    );
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'credited', balanceCents: 2535 });
    const b = await t.service.authorize({ amountCents: 500, card: ANON });
    t.journal.append({ type: 'card.write-intent', operationId: b.paymentId, amountCents: 500, card: cardRef(ANON.cardNumber, SECRET), data: { ref: paymentRef(b.paymentId) } });
    expect((await t.service.rollback({ paymentId: b.paymentId, amountCents: 500, card: ANON })).result).toBe('credit-pending');
  });
});

describe('what the journal says why', () => {
  it('a pending credit records why it was kept; an over-limit credit records the refusal, certain', async () => {
    const t = await setup(fakeTerminal(), { maxBalanceCents: 2035 });
    await t.reader.present('anonymous');
    const a = await t.service.authorize({ amountCents: 100, card: ANON });
    expect((await t.service.credit({ paymentId: a.paymentId, amountCents: 100, card: ANON })).result).toBe('write-failed');
    expect(t.last(a.paymentId)).toMatchObject({ type: 'card.write-failed', data: { reason: 'over-limit', uncertain: false } });
    const b = await t.service.authorize({ amountCents: 100, card: ANON });
    t.journal.append({ type: 'card.write-intent', operationId: b.paymentId, amountCents: 100, card: cardRef(ANON.cardNumber, SECRET), data: { ref: paymentRef(b.paymentId) } });
    await t.service.rollback({ paymentId: b.paymentId, amountCents: 100, card: ANON });
    expect(t.records(b.paymentId).find((r) => r.type === 'payment.credit-pending')!.data).toEqual({ ref: paymentRef(b.paymentId), reason: 'card write result unknown' });
  });

  it('an unclear declined outcome is undone with the reason "authorization ended unclear"', async () => {
    const t = await setup(fakeTerminal({ authorize: async (r) => ({ result: 'failed', paymentId: r.paymentId, amountCents: r.amountCents, reason: 'communication', uncertain: true }) as never }));
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(t.records(a.paymentId)[2]).toMatchObject({ type: 'payment.rollback-intent', data: { reason: 'authorization ended unclear' } });
  });
});

/** The technician reads the log: every money event is logged with the payment it is about. */
describe('the technician’s log', () => {
  const line = (fields: Record<string, unknown>) => expect.objectContaining({ ...fields, msg: expect.stringMatching(/\w{3}/) });
  const ERROR = 50;
  const WARN = 40;
  const INFO = 30;

  it('authorize: approval and a declined outcome at info, a terminal error at warn, a closed journal at error', async () => {
    const t = await setup(fakeTerminal());
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(t.logs(INFO, a.paymentId)).toEqual([line({ amountCents: 500 })]);

    const d = await setup(fakeTerminal({ authorize: async (r) => ({ result: 'failed', paymentId: r.paymentId, amountCents: r.amountCents, reason: 'declined' }) as never }));
    const b = await d.service.authorize({ amountCents: 500, card: ANON });
    expect(d.logs(INFO, b.paymentId)).toEqual([line({ reason: 'declined', uncertain: false })]);
    const u = await setup(fakeTerminal({ authorize: async (r) => ({ result: 'failed', paymentId: r.paymentId, amountCents: r.amountCents, reason: 'communication', uncertain: true }) as never }));
    const c = await u.service.authorize({ amountCents: 500, card: ANON });
    expect(u.logs(INFO, c.paymentId)).toEqual([line({ reason: 'communication', uncertain: true })]);

    const e = await setup(
      fakeTerminal({
        authorize: async () => {
          throw coded('busy now', 'busy');
        },
      }),
    );
    const f = await e.service.authorize({ amountCents: 500, card: ANON });
    expect(e.logs(WARN, f.paymentId)).toEqual([line({ code: 'busy', err: 'busy now' })]);

    const j = await setup(fakeTerminal(), { health: () => ({ ok: false, reason: 'journal-unavailable', detail: 'SQLITE_FULL', since: NOW }) });
    await j.service.authorize({ amountCents: 500, card: ANON });
    expect(j.logs(ERROR)).toEqual([line({ detail: 'SQLITE_FULL' })]);
  });

  it('a failed abort at warn', async () => {
    const t = await setup(
      fakeTerminal({
        abort: async () => {
          throw new Error('gone');
        },
      }),
    );
    await t.service.abort();
    expect(t.logs(WARN)).toEqual([line({ err: 'gone' })]);
  });

  it('credit: no card, a landed earlier write and a credit at info; a silent terminal and a failed write at warn', async () => {
    const t = await setup(fakeTerminal());
    const a = await t.service.authorize({ amountCents: 500, card: ANON });
    await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON });
    expect(t.logs(INFO, a.paymentId).slice(1)).toEqual([line({ code: 'no-card' })]);
    await t.reader.present('anonymous');
    await t.service.credit({ paymentId: a.paymentId, amountCents: 500, card: ANON });
    expect(t.logs(INFO, a.paymentId).slice(2)).toEqual([line({ amountCents: 500 })]);

    let commits = 0;
    const l = await setup(
      fakeTerminal({
        commit: async () => {
          if (++commits === 1) throw coded('no answer', 'timeout');
        },
      }),
    );
    await l.reader.present('anonymous');
    const b = await l.service.authorize({ amountCents: 500, card: ANON });
    await l.service.credit({ paymentId: b.paymentId, amountCents: 500, card: ANON });
    await l.service.credit({ paymentId: b.paymentId, amountCents: 500, card: ANON });
    expect(l.logs(INFO, b.paymentId).slice(1)).toEqual([line({ amountCents: 500 }), line({})]);
    expect(l.logs(ERROR, b.paymentId)).toEqual([line({ code: 'timeout', err: 'no answer' })]);

    const s = await setup(
      fakeTerminal({
        issuing: async () => {
          throw new Error('no ack');
        },
      }),
    );
    await s.reader.present('anonymous');
    const c = await s.service.authorize({ amountCents: 500, card: ANON });
    await s.service.credit({ paymentId: c.paymentId, amountCents: 500, card: ANON });
    expect(s.logs(WARN, c.paymentId)).toEqual([line({ err: 'no ack' })]);

    // the card torn away mid-write: tear after more and more chip operations until a write has started
    for (let n = 1; n < 100; n++) {
      const w = await setup(fakeTerminal());
      await w.reader.present('anonymous');
      const d = await w.service.authorize({ amountCents: 500, card: ANON });
      w.reader.tearAfterOperations(n);
      await w.service.credit({ paymentId: d.paymentId, amountCents: 500, card: ANON });
      w.reader.tearAfterOperations(undefined);
      const failed = w.last(d.paymentId);
      if (failed.type !== 'card.write-failed') continue;
      expect(w.logs(WARN, d.paymentId)).toEqual([line({ reason: failed.data?.['reason'], uncertain: failed.data?.['uncertain'] })]);
      return;
    }
    expect.unreachable('no tear point inside the write');
  });

  it('rollback: a refund owed, a rollback left for the settler, and a pending credit left open or reversed, each at error; a committed pending credit logs no error', async () => {
    const owed = await setup(fakeTerminal({ rollback: async () => ({ undone: false, detail: 'booked' }) }));
    const a = await owed.service.authorize({ amountCents: 500, card: ANON });
    await owed.service.rollback({ paymentId: a.paymentId, amountCents: 500, card: ANON });
    expect(owed.logs(ERROR, a.paymentId)).toEqual([line({ detail: 'booked', msg: expect.stringContaining('refund owed') })]);

    const gone = await setup(
      fakeTerminal({
        rollback: async () => {
          throw coded('no line', 'offline');
        },
      }),
    );
    const b = await gone.service.authorize({ amountCents: 500, card: ANON });
    await gone.service.rollback({ paymentId: b.paymentId, amountCents: 500, card: ANON });
    expect(gone.logs(ERROR, b.paymentId)).toEqual([line({ detail: expect.stringContaining('no line'), msg: expect.stringContaining('settler') })]);

    const pending = async (commit: PaymentTerminal['commit']) => {
      const t = await setup(fakeTerminal({ commit }));
      const p = await t.service.authorize({ amountCents: 500, card: ANON });
      t.journal.append({ type: 'card.write-intent', operationId: p.paymentId, amountCents: 500, card: cardRef(ANON.cardNumber, SECRET), data: { ref: paymentRef(p.paymentId) } });
      await t.service.rollback({ paymentId: p.paymentId, amountCents: 500, card: ANON });
      return t.logs(ERROR, p.paymentId);
    };
    expect(
      await pending(async () => {
        throw coded('no answer', 'timeout');
      }),
    ).toEqual([line({ detail: 'no answer', msg: expect.stringContaining('settler') })]);
    expect(
      await pending(async () => {
        throw coded('nothing open', 'not-open');
      }),
    ).toEqual([line({ detail: 'nothing open', msg: expect.stringContaining('reversed') })]);
    expect(await pending(async () => {})).toEqual([]);
  });
});
