import { describe, expect, it } from 'vitest';
import { createPaymentHardware, manualScheduler } from '../../hardware/payment/index.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { PaymentTerminalError } from '../../hardware/payment/errors.js';
import { fixedClock } from '../../contract/time.js';
import type { JournalEntryType } from './journal.js';
import { recoverUnfinished } from './recovery.js';
import { cardRef, openJournal } from './sqlite-journal.js';

const KEY = 'recovery-test-secret-0123456789';
const CARD = cardRef('3528010000000017', KEY);

async function setup(commitWindowMs = 120_000) {
  const clock = fixedClock('2026-11-23T08:00:00Z');
  const scheduler = manualScheduler();
  const hw = await createPaymentHardware({ mode: 'emulated', promptDelayMs: 0, commitWindowMs }, { clock, scheduler });
  const journal = openJournal({ path: ':memory:', kioskId: 'k1', hmacKey: KEY, clock });
  const logs: string[] = [];
  /** Drive the manual scheduler until the promise settles (the emulator's prompt delays chain). */
  async function settle<T>(p: Promise<T>): Promise<T> {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    for (let i = 0; i < 1000 && !done; i++) {
      scheduler.advance(1);
      await new Promise((r) => setImmediate(r));
    }
    return p;
  }
  /** Run a top-up up to (and including) the given record types, as a crashed kiosk would have. */
  async function crashedTopUp(paymentId: string, steps: JournalEntryType[], amountCents = 1000) {
    for (const type of steps) {
      if (type === 'payment.approved') {
        const out = await settle(hw.terminal.authorize({ paymentId, amountCents }));
        expect(out.result).toBe('approved');
      }
      journal.append({ type, operationId: paymentId, amountCents, card: CARD });
    }
  }
  const recover = (terminal: PaymentTerminal = hw.terminal, checkCardWrite?: Parameters<typeof recoverUnfinished>[0]['checkCardWrite']) =>
    recoverUnfinished({ journal, terminal, log: (m) => logs.push(m), ...(checkCardWrite ? { checkCardWrite } : {}) });
  const types = (op: string) => journal.operation(op).map((r) => r.type);
  const ledger = (id: string) => hw.control!.ledger().find((e) => e.paymentId === id)?.state;
  return { clock, scheduler, hw, journal, crashedTopUp, recover, types, ledger, logs, settle };
}

describe('start-up recovery of top-ups (emulated payment terminal)', () => {
  it('crash after the payment intent, before the terminal approved: recorded as failed, nothing to undo', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-1', ['payment.intent']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'payment-failed', stoppedAt: 'payment.intent' });
    expect(t.types('pay-1')).toEqual(['payment.intent', 'payment.failed']);
    expect(t.ledger('pay-1')).toBeUndefined();
  });

  it('crash after approval, card never credited: the payment is reversed at the terminal', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-2', ['payment.intent', 'payment.approved']);
    expect(t.ledger('pay-2')).toBe('authorized');
    const r = await t.recover();
    expect(r.operations[0]!.action).toBe('reversed');
    expect(t.types('pay-2')).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.reversed']);
    expect(t.ledger('pay-2')).toBe('reversed');
    const last = t.journal.operation('pay-2').at(-1)!;
    expect(last).toMatchObject({ amountCents: 1000, card: CARD, data: { recovered: true } });
  });

  it('crash when approval came back but before it was journaled: the terminal is asked and the payment reversed', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-3', ['payment.intent']);
    await t.settle(t.hw.terminal.authorize({ paymentId: 'pay-3', amountCents: 1000 }));
    const r = await t.recover();
    expect(r.operations[0]!.action).toBe('reversed');
    expect(t.ledger('pay-3')).toBe('reversed');
  });

  it('crash during the card write, card unreadable at recovery: the payment is KEPT and the credit owed (credit-pending), never reversed blindly', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-4', ['payment.intent', 'payment.approved', 'card.write-intent']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'credit-pending' });
    expect(t.types('pay-4').slice(3)).toEqual(['card.write-failed', 'payment.credit-pending', 'payment.committed']);
    expect(t.journal.operation('pay-4')[3]!.data).toMatchObject({ uncertain: true });
    expect(t.journal.operation('pay-4')[4]).toMatchObject({ amountCents: 1000, card: CARD, data: { ref: 'pay-4' } });
    expect(t.ledger('pay-4')).toBe('committed');
  });

  it('crash during the card write, card on the reader WITHOUT the ref: certainly not credited, the payment is reversed', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-4b', ['payment.intent', 'payment.approved', 'card.write-intent']);
    await t.recover(undefined, async () => 'not-written');
    expect(t.types('pay-4b').slice(3)).toEqual(['card.write-failed', 'payment.rollback-intent', 'payment.reversed']);
    expect(t.ledger('pay-4b')).toBe('reversed');
  });

  it('an uncertain card.write-failed with the card gone: kept as credit-pending, not reversed', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-4c', ['payment.intent', 'payment.approved', 'card.write-intent']);
    t.journal.append({ type: 'card.write-failed', operationId: 'pay-4c', amountCents: 1000, card: CARD, data: { reason: 'card-removed', uncertain: true } });
    await t.recover(undefined, async () => 'unknown');
    expect(t.types('pay-4c').slice(4)).toEqual(['payment.credit-pending', 'payment.committed']);
    expect(t.ledger('pay-4c')).toBe('committed');
  });

  it('crash right after payment.credit-pending (before the commit): recovery commits the kept payment', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-4d', ['payment.intent', 'payment.approved', 'card.write-intent', 'card.write-failed']);
    t.journal.append({ type: 'payment.credit-pending', operationId: 'pay-4d', amountCents: 1000, card: CARD, data: { ref: 'pay-4d' } });
    const r = await t.recover();
    expect(r.operations[0]!.action).toBe('credit-pending');
    expect(t.types('pay-4d').slice(-2)).toEqual(['payment.credit-pending', 'payment.committed']);
    expect(t.journal.recordsOfType(['payment.credit-pending'])).toHaveLength(1);
    expect(t.ledger('pay-4d')).toBe('committed');
  });

  it('crash during the card write, card check says written: the card is confirmed and the payment committed', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-5', ['payment.intent', 'payment.approved', 'card.write-intent']);
    await t.recover(undefined, async () => 'written');
    expect(t.types('pay-5').slice(3)).toEqual(['card.written', 'payment.committed']);
    expect(t.ledger('pay-5')).toBe('committed');
  });

  it('crash after the card was written, before commit: the payment is committed', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-6', ['payment.intent', 'payment.approved', 'card.write-intent', 'card.written']);
    const r = await t.recover();
    expect(r.operations[0]!.action).toBe('committed');
    expect(t.ledger('pay-6')).toBe('committed');
  });

  it('card written but the terminal already reversed the payment (commit window passed): recorded as an unpaid credit', async () => {
    const t = await setup(60_000);
    await t.crashedTopUp('pay-7', ['payment.intent', 'payment.approved', 'card.write-intent', 'card.written']);
    t.scheduler.advance(61_000);
    await t.recover();
    expect(t.journal.operation('pay-7').at(-1)).toMatchObject({ type: 'payment.reversed', data: { cardCredited: true } });
  });

  it('a rollback the terminal cannot do becomes a refund owed, visible in the journal', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-8', ['payment.intent', 'payment.approved', 'card.write-intent', 'card.write-failed']);
    const stubborn: PaymentTerminal = { ...t.hw.terminal, rollback: async () => ({ undone: false, detail: 'day closed' }), resolve: undefined } as PaymentTerminal;
    await t.recover(stubborn);
    expect(t.journal.operation('pay-8').at(-1)).toMatchObject({ type: 'payment.refund-owed', amountCents: 1000, data: { detail: 'day closed' } });
    expect(t.journal.recordsOfType(['payment.refund-owed']).map((r) => r.operationId)).toEqual(['pay-8']);
  });

  it('an unreachable terminal leaves the operation open, and the next start finishes it', async () => {
    const t = await setup();
    await t.crashedTopUp('pay-9', ['payment.intent', 'payment.approved']);
    const offline: PaymentTerminal = {
      ...t.hw.terminal,
      rollback: async () => {
        throw new PaymentTerminalError('offline', 'no answer');
      },
    } as PaymentTerminal;
    const first = await t.recover(offline);
    expect(first.leftOpen).toBe(1);
    expect(t.journal.unfinishedOperations().map((o) => o.operationId)).toEqual(['pay-9']);
    const second = await t.recover();
    expect(second.operations[0]!.action).toBe('reversed');
    expect(t.types('pay-9')).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.reversed']);
    expect((await t.recover()).operations).toEqual([]);
  });

  describe('window 8: the terminal state is unknown, or asking throws', () => {
    const unknownAnswer = (t: Awaited<ReturnType<typeof setup>>): PaymentTerminal =>
      ({ ...t.hw.terminal, resolve: async (paymentId: string) => ({ paymentId, state: 'unknown', detail: 'terminal busy' }) }) as PaymentTerminal;
    const throwingQuery = (t: Awaited<ReturnType<typeof setup>>): PaymentTerminal =>
      ({
        ...t.hw.terminal,
        resolve: async () => {
          throw new Error('repeat receipt garbled');
        },
      }) as PaymentTerminal;

    for (const [name, make] of [
      ['resolve answers unknown', unknownAnswer],
      ['resolve throws', throwingQuery],
    ] as const) {
      it(`${name}: a payment stopped at payment.intent stays open (never "failed"), and is settled once the terminal answers`, async () => {
        const t = await setup();
        await t.crashedTopUp('pay-u', ['payment.intent']);
        // the terminal approved it (the kiosk died before journaling the approval)
        await t.settle(t.hw.terminal.authorize({ paymentId: 'pay-u', amountCents: 1000 }));
        const first = await t.recover(make(t));
        expect(first.operations[0]).toMatchObject({ action: 'left-open' });
        expect(t.types('pay-u')).toEqual(['payment.intent']);
        expect(t.ledger('pay-u')).toBe('authorized');
        const second = await t.recover();
        expect(second.operations[0]!.action).toBe('reversed');
        expect(t.ledger('pay-u')).toBe('reversed');
      });

      it(`${name}: an uncertain authorization failure is not turned into a final "failed"`, async () => {
        const t = await setup();
        await t.crashedTopUp('pay-v', ['payment.intent']);
        t.journal.append({ type: 'payment.failed', operationId: 'pay-v', amountCents: 1000, card: CARD, data: { reason: 'communication', uncertain: true } });
        const r = await t.recover(make(t));
        expect(r.operations[0]!.action).toBe('left-open');
        expect(t.journal.unfinishedOperations().map((o) => o.operationId)).toEqual(['pay-v']);
      });
    }

    it('a commit the terminal cannot answer leaves card.written open (never reversed, never failed)', async () => {
      const t = await setup();
      await t.crashedTopUp('pay-w', ['payment.intent', 'payment.approved', 'card.write-intent', 'card.written']);
      const silent = {
        ...t.hw.terminal,
        commit: async () => {
          throw new PaymentTerminalError('offline', 'no answer');
        },
      } as PaymentTerminal;
      expect((await t.recover(silent)).operations[0]!.action).toBe('left-open');
      expect(t.types('pay-w').at(-1)).toBe('card.written');
      expect((await t.recover()).operations[0]!.action).toBe('committed');
    });
  });
});

describe('start-up recovery of order collections', () => {
  function order(t: Awaited<ReturnType<typeof setup>>, op: string, steps: JournalEntryType[]) {
    for (const type of steps) t.journal.append({ type, operationId: op, card: CARD, data: { orderId: 'FX-PRD-0033' } });
  }

  it('crash before the card write: collection failed, order stays pending', async () => {
    const t = await setup();
    order(t, 'o1', ['order.collect-intent']);
    await t.recover();
    expect(t.types('o1')).toEqual(['order.collect-intent', 'order.collect-failed']);
  });

  it('crash after the card was written: loaded and collected, confirmed to the back office through the journal', async () => {
    const t = await setup();
    order(t, 'o2', ['order.collect-intent', 'card.write-intent', 'card.written']);
    await t.recover();
    expect(t.types('o2').slice(3)).toEqual(['order.loaded', 'order.collected']);
    expect(t.journal.operation('o2').at(-1)!.data).toMatchObject({ orderId: 'FX-PRD-0033', confirmedBy: 'journal-upload' });
  });

  it('crash during the card write with unknown result: collection failed, loading again is idempotent on the card', async () => {
    const t = await setup();
    order(t, 'o3', ['order.collect-intent', 'card.write-intent']);
    await t.recover();
    expect(t.types('o3').slice(2)).toEqual(['card.write-failed', 'order.collect-failed']);
  });
});
