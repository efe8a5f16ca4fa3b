import { describe, expect, it } from 'vitest';
import { PaymentTerminalError } from '../../hardware/payment/errors.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { cardRef } from '../journal/sqlite-journal.js';
import { createDecisionHook } from './decision-hook.js';
import { createSettlement } from './settlement.js';
import { openMoneyRig, TEST_SECRET } from './testing/rig.js';

const CARD = cardRef('3528000000000001', TEST_SECRET);

async function setup() {
  const { journal, payment } = await openMoneyRig();
  const approve = async (paymentId: string) => {
    journal.append({ type: 'payment.intent', operationId: paymentId, amountCents: 700, card: CARD });
    const o = await payment.terminal.authorize({ paymentId, amountCents: 700 });
    if (o.result !== 'approved') throw new Error('not approved');
    journal.append({ type: 'payment.approved', operationId: paymentId, amountCents: 700, card: CARD, data: { ...(o.receipt.receiptNumber ? { receiptNumber: o.receipt.receiptNumber } : {}) } });
  };
  const types = (id: string) => journal.operation(id).map((r) => r.type);
  return { journal, payment, approve, types };
}

describe('the decision hook, built from the journal alone', () => {
  it('lets the driver commit only a payment whose card.written is durable', async () => {
    const t = await setup();
    await t.approve('p1');
    await expect(t.payment.terminal.commit('p1')).rejects.toThrow(/no card.written/);
    expect(t.payment.control!.ledger()[0]?.state).toBe('authorized');
    t.journal.append({ type: 'card.written', operationId: 'p1', amountCents: 700, card: CARD });
    await t.payment.terminal.commit('p1');
    expect(t.payment.control!.ledger()[0]?.state).toBe('committed');
  });

  it("journals the driver's own rollback before it is sent, once", async () => {
    const t = await setup();
    await t.approve('p2');
    await t.payment.terminal.rollback('p2');
    await createDecisionHook(t.journal)('p2', 'rollback');
    expect(t.types('p2')).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent']);
  });
});

describe('settlement: the terminal answers handled the same for the top-up and recovery', () => {
  const throwing = (base: PaymentTerminal, code: 'not-open' | 'unknown-payment' | 'protocol' | 'offline'): PaymentTerminal => ({
    ...base,
    commit: async () => {
      throw new PaymentTerminalError(code, `commit: ${code}`);
    },
    rollback: async () => {
      throw new PaymentTerminalError(code, `rollback: ${code}`);
    },
    resolve: undefined,
  });

  /** The faked terminal answers left the real (emulated ZVT) terminal holding the approved payment,
   * and a terminal runs one payment at a time: undo it for real before the next one. */
  const release = async (t: Awaited<ReturnType<typeof setup>>, paymentId: string) => {
    await t.payment.terminal.rollback(paymentId).catch(() => undefined);
  };

  it('not-open and unknown-payment: the terminal holds nothing open -> payment.reversed, for commit (cardCredited) and rollback', async () => {
    const t = await setup();
    for (const code of ['not-open', 'unknown-payment'] as const) {
      const s = createSettlement({ journal: t.journal, terminal: throwing(t.payment.terminal, code) });
      await t.approve(`c-${code}`);
      expect((await s.commit({ paymentId: `c-${code}`, amountCents: 700, card: CARD })).result).toBe('reversed');
      expect(t.journal.operation(`c-${code}`).at(-1)).toMatchObject({ type: 'payment.reversed', data: { cardCredited: true } });
      await release(t, `c-${code}`);
      await t.approve(`r-${code}`);
      expect((await s.rollback({ paymentId: `r-${code}`, amountCents: 700, card: CARD }, 'test')).result).toBe('reversed');
      expect(t.types(`r-${code}`).slice(-2)).toEqual(['payment.rollback-intent', 'payment.reversed']);
      await release(t, `r-${code}`);
    }
  });

  it('offline or an unclear error with no way to ask: left open (no refund owed for money perhaps never taken)', async () => {
    const t = await setup();
    for (const code of ['offline', 'protocol'] as const) {
      const s = createSettlement({ journal: t.journal, terminal: throwing(t.payment.terminal, code) });
      await t.approve(`r-${code}`);
      expect((await s.rollback({ paymentId: `r-${code}`, amountCents: 700, card: CARD }, 'test')).result).toBe('left-open');
      expect(t.types(`r-${code}`).at(-1)).toBe('payment.rollback-intent');
      expect((await s.commit({ paymentId: `r-${code}`, amountCents: 700, card: CARD })).result).toBe('left-open');
      await release(t, `r-${code}`);
    }
  });
});
