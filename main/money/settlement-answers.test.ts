/**
 * Settlement (settlement.ts), every terminal answer in process: a scripted terminal (each method
 * answers what the test says, and records the hints it was given) over a real in-memory journal
 * whose appends are also recorded as they were made. These drive the branches that otherwise only
 * the wire kill-restart proofs reach (terminal state unknown, the query throws, a rollback that did
 * not undo, a terminal without `resolve`), and pin the journal records a technician and the back
 * office read: their type, amount, card, and data down to the detail text.
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { PaymentTerminalError } from '../../hardware/payment/errors.js';
import type { PaymentHints, PaymentResolution, PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import type { Journal, JournalEntryInput } from '../journal/journal.js';
import { cardRef, openJournal } from '../journal/sqlite-journal.js';
import { createSettlement, type PaymentOp } from './settlement.js';
import { TEST_SECRET } from './testing/rig.js';

const CARD = cardRef('3528000000000001', TEST_SECRET);
const NUMBER_IN_MESSAGE = 'terminal said 4111111111111111 declined';
const BLANKED = 'terminal said [number] declined';

type Script = {
  commit?: () => Promise<void>;
  rollback?: () => Promise<{ undone: boolean; detail?: string }>;
  /** null: a terminal without resolve. */
  resolve?: ((paymentId: string) => Promise<Omit<PaymentResolution, 'paymentId'>>) | null;
};

function setup(script: Script = {}) {
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: TEST_SECRET, clock: fixedClock('2026-11-23T10:00:00Z') });
  const appended: JournalEntryInput[] = [];
  const recorded: Journal = new Proxy(journal, {
    get(t, p) {
      if (p === 'append')
        return (e: JournalEntryInput) => {
          const r = t.append(e);
          appended.push(e);
          return r;
        };
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  const calls: { method: string; paymentId: string; hints: PaymentHints | undefined }[] = [];
  const terminal: PaymentTerminal = {
    start: async () => {},
    stop: async () => {},
    authorize: async () => {
      throw new Error('not in these tests');
    },
    abort: async () => {},
    status: async () => 'ready',
    commit: async (paymentId, hints) => {
      calls.push({ method: 'commit', paymentId, hints });
      await (script.commit ?? (async () => {}))();
    },
    rollback: async (paymentId, hints) => {
      calls.push({ method: 'rollback', paymentId, hints });
      return (script.rollback ?? (async () => ({ undone: true })))();
    },
    ...(script.resolve === null
      ? {}
      : {
          resolve: async (paymentId: string, hints?: PaymentHints) => {
            calls.push({ method: 'resolve', paymentId, hints });
            return { paymentId, ...(await (script.resolve ?? (async () => ({ state: 'open' as const })))(paymentId)) };
          },
        }),
  };
  const settlement = createSettlement({ journal: recorded, terminal });
  /** An approved payment as the top-up journals it (receipt number, trace and AID from the terminal). */
  const approve = (paymentId: string, approvedData: JournalEntryInput['data'] = { receiptNumber: '0042', trace: '000017', aid: 'A1B2C3' }) => {
    journal.append({ type: 'payment.intent', operationId: paymentId, amountCents: 700, card: CARD });
    journal.append({ type: 'payment.approved', operationId: paymentId, amountCents: 700, card: CARD, data: approvedData });
  };
  /** What settlement appended for this payment (after the test's own records). */
  const wrote = (paymentId: string) => appended.filter((e) => e.operationId === paymentId);
  const types = (paymentId: string) => journal.operation(paymentId).map((r) => r.type);
  return { journal, settlement, calls, approve, wrote, types, close: () => journal.close() };
}

const OP: PaymentOp = { paymentId: 'p1', amountCents: 700, card: CARD, data: { recovered: true } };
const offline = () => new PaymentTerminalError('offline', 'no answer from the terminal');
const notOpen = () => new PaymentTerminalError('not-open', 'commit window passed');

describe('the hints settlement hands the terminal to find a payment again', () => {
  it('commit, rollback and resolve get the approval amount, receipt number, trace and AID', async () => {
    const t = setup({ rollback: async () => ({ undone: false }), resolve: async () => ({ state: 'reversed' }) });
    t.approve('p1');
    t.approve('p2');
    await t.settlement.commit(OP);
    await t.settlement.rollback({ paymentId: 'p2' }, 'test');
    const hints = { amountCents: 700, receiptNumber: '0042', trace: '000017', aid: 'A1B2C3' };
    expect(t.calls).toStrictEqual([
      { method: 'commit', paymentId: 'p1', hints },
      { method: 'rollback', paymentId: 'p2', hints },
      { method: 'resolve', paymentId: 'p2', hints },
    ]);
    t.close();
  });

  it('an approval without an amount: the amount of the first record that has one; receipt, trace and AID only when they are strings', async () => {
    const t = setup();
    t.journal.append({ type: 'payment.intent', operationId: 'p2', amountCents: 650, card: CARD });
    t.journal.append({ type: 'payment.approved', operationId: 'p2', card: CARD, data: { receiptNumber: 42, trace: true, aid: null } });
    await t.settlement.commit({ paymentId: 'p2' });
    expect(t.calls[0]!.hints).toStrictEqual({ amountCents: 650 });
    t.close();
  });

  it('the approval amount wins over an earlier record that carries another', async () => {
    const t = setup();
    t.journal.append({ type: 'payment.intent', operationId: 'p3', amountCents: 650, card: CARD });
    t.journal.append({ type: 'payment.approved', operationId: 'p3', amountCents: 600, card: CARD, data: { receiptNumber: '7' } });
    await t.settlement.commit({ paymentId: 'p3' });
    expect(t.calls[0]!.hints).toStrictEqual({ amountCents: 600, receiptNumber: '7' });
    t.close();
  });

  it('an approval without data: only the amount', async () => {
    const t = setup();
    t.journal.append({ type: 'payment.intent', operationId: 'p4', amountCents: 650, card: CARD });
    t.journal.append({ type: 'payment.approved', operationId: 'p4', amountCents: 650, card: CARD });
    await t.settlement.commit({ paymentId: 'p4' });
    expect(t.calls[0]!.hints).toStrictEqual({ amountCents: 650 });
    t.close();
  });

  it('a payment the journal holds nothing of: no hints at all', async () => {
    const t = setup({ commit: async () => Promise.reject(offline()) });
    await t.settlement.commit({ paymentId: 'unknown' });
    expect(t.calls[0]!.hints).toStrictEqual({});
    t.close();
  });
});

describe('ask: what stands at the terminal', () => {
  it('a terminal without resolve cannot be asked: unknown, not asked (and nothing is called)', async () => {
    const t = setup({ resolve: null });
    t.approve('p1');
    expect(await t.settlement.ask('p1')).toStrictEqual({ state: 'unknown', asked: false });
    expect(t.calls).toEqual([]);
    t.close();
  });

  it("the terminal's answer, with its detail only when it gave one", async () => {
    const t = setup({ resolve: async (id) => (id === 'p1' ? { state: 'committed', detail: 'receipt 0042 booked' } : { state: 'reversed', detail: '' }) });
    t.approve('p1');
    expect(await t.settlement.ask('p1')).toStrictEqual({ state: 'committed', asked: true, detail: 'receipt 0042 booked' });
    expect(await t.settlement.ask('p2')).toStrictEqual({ state: 'reversed', asked: true });
    t.close();
  });

  it('the query throws: unknown (asked), the error text as detail; offline only when the terminal could not be reached', async () => {
    let error: unknown = offline();
    const t = setup({ resolve: async () => Promise.reject(error) });
    t.approve('p1');
    expect(await t.settlement.ask('p1')).toStrictEqual({ state: 'unknown', asked: true, detail: 'no answer from the terminal', offline: true });
    error = new PaymentTerminalError('protocol', NUMBER_IN_MESSAGE);
    expect(await t.settlement.ask('p1')).toStrictEqual({ state: 'unknown', asked: true, detail: BLANKED });
    error = 'a string thrown';
    expect(await t.settlement.ask('p1')).toStrictEqual({ state: 'unknown', asked: true, detail: 'a string thrown' });
    t.close();
  });
});

describe('commit', () => {
  it('acknowledged: payment.committed with the amount, card and the caller data', async () => {
    const t = setup();
    t.approve('p1');
    expect(await t.settlement.commit(OP)).toStrictEqual({ result: 'committed' });
    expect(t.wrote('p1')).toStrictEqual([{ type: 'payment.committed', operationId: 'p1', amountCents: 700, card: CARD, data: { recovered: true } }]);
    t.close();
  });

  it('an operation without amount or card: the records carry neither', async () => {
    const t = setup();
    t.approve('p1');
    await t.settlement.commit({ paymentId: 'p1' });
    expect(t.wrote('p1')).toStrictEqual([{ type: 'payment.committed', operationId: 'p1', data: {} }]);
    t.close();
  });

  for (const code of ['not-open', 'unknown-payment'] as const)
    it(`${code}: the terminal let the payment go while the card holds the credit -> payment.reversed {cardCredited: true} with the terminal's words`, async () => {
      const t = setup({ commit: async () => Promise.reject(new PaymentTerminalError(code, NUMBER_IN_MESSAGE)) });
      t.approve('p1');
      expect(await t.settlement.commit(OP)).toStrictEqual({ result: 'reversed', code, detail: BLANKED });
      expect(t.wrote('p1')).toStrictEqual([
        { type: 'payment.reversed', operationId: 'p1', amountCents: 700, card: CARD, data: { cardCredited: true, detail: BLANKED, recovered: true } },
      ]);
      t.close();
    });

  it('no answer, or an error without a code: nothing journaled, left open with the code (or null)', async () => {
    let error: unknown = offline();
    const t = setup({ commit: async () => Promise.reject(error) });
    t.approve('p1');
    expect(await t.settlement.commit(OP)).toStrictEqual({ result: 'left-open', code: 'offline', detail: 'no answer from the terminal' });
    error = new Error('driver bug');
    expect(await t.settlement.commit(OP)).toStrictEqual({ result: 'left-open', code: null, detail: 'driver bug' });
    expect(t.wrote('p1')).toEqual([]);
    expect(t.types('p1').at(-1)).toBe('payment.approved');
    t.close();
  });
});

describe('keep: the credit is owed, the payment kept', () => {
  it('payment.credit-pending {ref, reason} before the commit, then payment.committed {creditPending}', async () => {
    const seenAtCommit: string[][] = [];
    const t = setup({ commit: async () => void seenAtCommit.push(t.types('p1')) });
    t.approve('p1');
    expect(await t.settlement.keep(OP, 'ab12cd34', 'card gone')).toStrictEqual({ result: 'committed' });
    expect(seenAtCommit[0]!.at(-1)).toBe('payment.credit-pending');
    expect(t.wrote('p1')).toStrictEqual([
      { type: 'payment.credit-pending', operationId: 'p1', amountCents: 700, card: CARD, data: { ref: 'ab12cd34', reason: 'card gone', recovered: true } },
      { type: 'payment.committed', operationId: 'p1', amountCents: 700, card: CARD, data: { creditPending: true, recovered: true } },
    ]);
    t.close();
  });

  it('the terminal does not answer: left open after credit-pending; kept again later, credit-pending is not written twice', async () => {
    let error: unknown = offline();
    const t = setup({ commit: async () => (error ? Promise.reject(error) : undefined) });
    t.approve('p1');
    expect(await t.settlement.keep(OP, 'ab12cd34', 'card gone')).toStrictEqual({ result: 'left-open', code: 'offline', detail: 'no answer from the terminal' });
    error = new Error('driver bug');
    expect(await t.settlement.keep(OP, 'ab12cd34', 'card gone')).toStrictEqual({ result: 'left-open', code: null, detail: 'driver bug' });
    error = undefined;
    expect(await t.settlement.keep(OP, 'ab12cd34', 'card gone')).toStrictEqual({ result: 'committed' });
    expect(t.types('p1')).toEqual(['payment.intent', 'payment.approved', 'payment.credit-pending', 'payment.committed']);
    t.close();
  });

  for (const code of ['not-open', 'unknown-payment'] as const)
    it(`${code}: nothing was paid -> payment.reversed {creditPending, cardCredited: null}, no credit owed`, async () => {
      const t = setup({ commit: async () => Promise.reject(new PaymentTerminalError(code, 'gone')) });
      t.approve('p1');
      expect(await t.settlement.keep(OP, 'ab12cd34', 'card gone')).toStrictEqual({ result: 'reversed', code, detail: 'gone' });
      expect(t.wrote('p1').at(-1)).toStrictEqual({
        type: 'payment.reversed',
        operationId: 'p1',
        amountCents: 700,
        card: CARD,
        data: { creditPending: true, cardCredited: null, detail: 'gone', recovered: true },
      });
      t.close();
    });
});

describe('rollback: every answer of the terminal', () => {
  it('undone: payment.rollback-intent {reason}, then payment.reversed with the detail the terminal gave', async () => {
    const t = setup({ rollback: async () => ({ undone: true, detail: NUMBER_IN_MESSAGE }) });
    t.approve('p1');
    expect(await t.settlement.rollback(OP, 'card never credited')).toStrictEqual({ result: 'reversed', detail: NUMBER_IN_MESSAGE });
    expect(t.wrote('p1')).toStrictEqual([
      { type: 'payment.rollback-intent', operationId: 'p1', amountCents: 700, card: CARD, data: { reason: 'card never credited', recovered: true } },
      { type: 'payment.reversed', operationId: 'p1', amountCents: 700, card: CARD, data: { reason: 'card never credited', detail: BLANKED, recovered: true } },
    ]);
    t.close();
  });

  it('undone without detail: payment.reversed {reason} only', async () => {
    const t = setup();
    t.approve('p1');
    expect(await t.settlement.rollback({ paymentId: 'p1' }, 'r')).toStrictEqual({ result: 'reversed' });
    expect(t.wrote('p1').at(-1)).toStrictEqual({ type: 'payment.reversed', operationId: 'p1', data: { reason: 'r' } });
    t.close();
  });

  it('the rollback intent is written once: a retry after a rollback left open writes no second one', async () => {
    let undo: unknown = offline();
    const t = setup({ rollback: async () => (undo ? Promise.reject(undo) : { undone: true }) });
    t.approve('p1');
    expect((await t.settlement.rollback(OP, 'r')).result).toBe('left-open');
    undo = undefined;
    expect((await t.settlement.rollback(OP, 'r')).result).toBe('reversed');
    expect(t.types('p1')).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.reversed']);
    t.close();
  });

  for (const code of ['not-open', 'unknown-payment'] as const)
    it(`the rollback throws ${code}: nothing open at the terminal -> payment.reversed, the terminal not asked`, async () => {
      const t = setup({ rollback: async () => Promise.reject(new PaymentTerminalError(code, 'nothing open')) });
      t.approve('p1');
      expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'reversed', detail: 'nothing open' });
      expect(t.wrote('p1').at(-1)).toStrictEqual({ type: 'payment.reversed', operationId: 'p1', amountCents: 700, card: CARD, data: { reason: 'r', detail: 'nothing open', recovered: true } });
      expect(t.calls.map((c) => c.method)).toEqual(['rollback']);
      t.close();
    });

  it('the rollback gets no answer (offline): left open, the terminal not asked again, no refund owed', async () => {
    const t = setup({ rollback: async () => Promise.reject(offline()), resolve: async () => ({ state: 'committed' }) });
    t.approve('p1');
    expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'left-open', detail: 'rollback failed: no answer from the terminal' });
    expect(t.types('p1').at(-1)).toBe('payment.rollback-intent');
    expect(t.calls.map((c) => c.method)).toEqual(['rollback']);
    t.close();
  });

  describe('the rollback throws something unclear: ask the terminal what stands', () => {
    const unclear = () => Promise.reject(new PaymentTerminalError('protocol', 'garbled answer'));

    it('it says reversed -> payment.reversed with the failure as detail', async () => {
      const t = setup({ rollback: unclear, resolve: async () => ({ state: 'reversed', detail: 'terminal detail' }) });
      t.approve('p1');
      expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'reversed', detail: 'rollback failed: garbled answer' });
      expect(t.wrote('p1').at(-1)?.data).toStrictEqual({ reason: 'r', detail: 'rollback failed: garbled answer', recovered: true });
      t.close();
    });

    it('it says committed (the money stands) -> payment.refund-owed', async () => {
      const t = setup({ rollback: unclear, resolve: async () => ({ state: 'committed' }) });
      t.approve('p1');
      expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'refund-owed', detail: 'rollback failed: garbled answer' });
      expect(t.wrote('p1').at(-1)).toStrictEqual({
        type: 'payment.refund-owed',
        operationId: 'p1',
        amountCents: 700,
        card: CARD,
        data: { reason: 'r', detail: 'rollback failed: garbled answer', recovered: true },
      });
      t.close();
    });

    it('it says open, or cannot be asked: left open (never a refund owed for money perhaps never taken)', async () => {
      for (const resolve of [async () => ({ state: 'open' as const }), null]) {
        const t = setup({ rollback: unclear, resolve });
        t.approve('p1');
        expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'left-open', detail: 'rollback unclear: rollback failed: garbled answer' });
        expect(t.types('p1').at(-1)).toBe('payment.rollback-intent');
        t.close();
      }
    });
  });

  describe('the terminal says the rollback did not undo', () => {
    it('no way to ask: it holds the money -> payment.refund-owed, with its detail where it gave one', async () => {
      let detail: string | undefined = 'declined';
      const t = setup({ rollback: async () => ({ undone: false, ...(detail ? { detail } : {}) }), resolve: null });
      t.approve('p1');
      expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'refund-owed', detail: 'declined' });
      expect(t.wrote('p1').at(-1)?.data).toStrictEqual({ reason: 'r', detail: 'declined', recovered: true });
      detail = undefined;
      t.approve('p2');
      expect(await t.settlement.rollback({ ...OP, paymentId: 'p2' }, 'r')).toStrictEqual({ result: 'refund-owed' });
      expect(t.wrote('p2').at(-1)).toStrictEqual({ type: 'payment.refund-owed', operationId: 'p2', amountCents: 700, card: CARD, data: { reason: 'r', recovered: true } });
      t.close();
    });

    it("asked, it says reversed: payment.reversed with the terminal's detail, or that nothing stands", async () => {
      let said: Omit<PaymentResolution, 'paymentId'> = { state: 'reversed', detail: 'undone earlier' };
      const t = setup({ rollback: async () => ({ undone: false }), resolve: async () => said });
      t.approve('p1');
      expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'reversed' });
      expect(t.wrote('p1').at(-1)).toStrictEqual({ type: 'payment.reversed', operationId: 'p1', amountCents: 700, card: CARD, data: { reason: 'r', detail: 'undone earlier', recovered: true } });
      said = { state: 'reversed' };
      t.approve('p2');
      expect(await t.settlement.rollback({ ...OP, paymentId: 'p2' }, 'r')).toStrictEqual({ result: 'reversed' });
      expect(t.wrote('p2').at(-1)?.data).toStrictEqual({ reason: 'r', detail: 'nothing stands at the terminal', recovered: true });
      t.close();
    });

    it('asked, it says committed: payment.refund-owed without a detail when neither gave one', async () => {
      const t = setup({ rollback: async () => ({ undone: false }), resolve: async () => ({ state: 'committed', detail: 'booked' }) });
      t.approve('p1');
      expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'refund-owed' });
      expect(t.wrote('p1').at(-1)?.data).toStrictEqual({ reason: 'r', recovered: true });
      t.close();
    });

    it('asked, the state is open or unknown, or the query throws: left open, saying why (the terminal state unknown is never a refund)', async () => {
      const cases: { resolve: Script['resolve']; rollbackDetail?: string; says: string }[] = [
        { resolve: async () => ({ state: 'open' }), says: 'rollback unclear: open' },
        { resolve: async () => ({ state: 'unknown', detail: 'no record of it' }), says: 'rollback unclear: no record of it' },
        { resolve: async () => ({ state: 'unknown' }), rollbackDetail: 'answer 6C', says: 'rollback unclear: answer 6C' },
        { resolve: async () => Promise.reject(offline()), says: 'rollback unclear: no answer from the terminal' },
        { resolve: async () => Promise.reject(new Error('query crashed')), says: 'rollback unclear: query crashed' },
      ];
      for (const c of cases) {
        const t = setup({ rollback: async () => ({ undone: false, ...(c.rollbackDetail ? { detail: c.rollbackDetail } : {}) }), resolve: c.resolve });
        t.approve('p1');
        expect(await t.settlement.rollback(OP, 'r')).toStrictEqual({ result: 'left-open', detail: c.says });
        expect(t.types('p1').at(-1)).toBe('payment.rollback-intent');
        t.close();
      }
    });
  });
});
