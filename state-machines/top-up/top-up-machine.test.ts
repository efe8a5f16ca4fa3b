import { describe, expect, it } from 'vitest';
import type { AuthorizePaymentInput, CreditCardOutput, PaymentActorCommand, RollbackPaymentOutput, WaitForCardInput, WaitForCardOutput } from '../types.js';
import { card, okRead, recordTransitions, startKiosk, TEST_INPUT, TEST_TIMING, toApproved, toMenu, type KioskHarness } from '../test-harness.js';

const topUpCtx = (h: KioskHarness) => {
  const j = h.journey();
  if (!j) throw new Error('not in a journey');
  return j.snapshot.context as import('./top-up-machine.js').TopUpContext;
};

async function atAmount(balanceCents = 1250): Promise<KioskHarness> {
  const h = startKiosk();
  await toMenu(h, okRead(card({ balanceCents })));
  h.send({ type: 'CHOOSE', option: 'topup' });
  return h;
}

describe('top-up: choosing an amount', () => {
  it('offers the configured amounts and the room up to EUR 150', async () => {
    const h = await atAmount(1250);
    expect(h.screen()).toBe('topup-amount');
    expect(topUpCtx(h).amountsCents).toEqual([500, 1000, 2000, 5000]);
    expect(topUpCtx(h).roomCents).toBe(13_750);
  });

  it('refuses an amount that would take the balance over EUR 150 and shows the room', async () => {
    const h = await atAmount(14_000);
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    expect(h.screen()).toBe('topup-amount');
    expect(topUpCtx(h).refusal).toEqual({ reason: 'over-limit', roomCents: 1000 });
    expect(h.payments).toHaveLength(0);
  });

  it('an amount not offered gets no transition, not an over-limit refusal, even when it is over the room (found by mutation testing)', async () => {
    const h = await atAmount(14_000);
    h.send({ type: 'SELECT_AMOUNT', amountCents: 1500 }); // not one of 500/1000/2000/5000, and over the room
    expect(h.screen()).toBe('topup-amount');
    expect(topUpCtx(h).refusal).toBeUndefined();
    expect(h.payments).toHaveLength(0);
  });

  it('accepts an amount that reaches exactly EUR 150', async () => {
    const h = await atAmount(14_000);
    h.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    h.send({ type: 'CONFIRM' });
    expect(h.screen()).toBe('payment');
    expect(topUpCtx(h).refusal).toBeUndefined();
  });

  it('computes room from a negative balance', async () => {
    const h = await atAmount(-350);
    expect(topUpCtx(h).roomCents).toBe(15_350);
  });

  it('goes back to the menu on BACK and to goodbye on CANCEL', async () => {
    const h = await atAmount();
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('menu');
    h.send({ type: 'CHOOSE', option: 'topup' });
    h.send({ type: 'CANCEL' });
    expect(h.screen()).toBe('goodbye');
  });
});

describe('top-up: "Pay € 20,00" after choosing an amount (issue 14)', () => {
  it('choosing an amount only marks it; the payment starts with CONFIRM', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    expect(h.screen()).toBe('topup-amount');
    expect(topUpCtx(h).selectedCents).toBe(2000);
    expect(h.payments).toHaveLength(0);
    // Another amount replaces the choice; still nothing asked of the terminal.
    h.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    expect(topUpCtx(h).selectedCents).toBe(1000);
    expect(h.payments).toHaveLength(0);
    h.send({ type: 'CONFIRM' });
    expect(h.screen()).toBe('payment');
    expect(h.lastPayment().input.amountCents).toBe(1000);
  });

  it('CONFIRM without a chosen amount, or after a refused one, starts no payment', async () => {
    const h = await atAmount(14_000);
    expect(h.actor.getSnapshot().can({ type: 'CONFIRM' })).toBe(false);
    h.send({ type: 'CONFIRM' });
    h.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    expect(topUpCtx(h).selectedCents).toBeUndefined();
    h.send({ type: 'CONFIRM' });
    expect(h.screen()).toBe('topup-amount');
    expect(h.payments).toHaveLength(0);
  });
});

describe('top-up: paying at the terminal', () => {
  it('asks the terminal for the chosen amount for the card that was read, busy and with prompts', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    expect(h.screen()).toBe('payment');
    expect(h.lastPayment().input).toEqual({ amountCents: 2000, card: { uid: '04B1B2C3D4E5F6', cardNumber: '3528020000000014' } });
    h.lastPayment().send({ type: 'PAYMENT.PROMPT', prompt: 'enter-pin' });
    expect(topUpCtx(h).prompt).toBe('enter-pin');
    expect(h.journey()!.snapshot.hasTag('busy')).toBe(true);
  });

  it('runs no inactivity timer while paying', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    expect(h.idle()).toBe('disarmed');
    h.clock.increment(10 * TEST_TIMING.inactivityMs);
    expect(h.screen()).toBe('payment');
  });

  it('CANCEL while paying asks the terminal to abort and waits for its answer', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    h.send({ type: 'CANCEL' });
    expect(h.lastPayment().received).toEqual([{ type: 'PAYMENT.ABORT' }]);
    expect(h.screen()).toBe('payment');
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'customer-abort', paymentId: 'p1', reference: 'P1' });
    expect(h.screen()).toBe('payment-failed');
    expect(topUpCtx(h).failure).toBe('customer-abort');
  });

  for (const reason of ['declined', 'timeout', 'wrong-pin', 'terminal-not-ready', 'communication'] as const) {
    it(`shows payment-failed with the reason when the payment ends ${reason}`, async () => {
      const h = await atAmount();
      h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
      h.send({ type: 'CONFIRM' });
      h.lastPayment().send({ type: 'PAYMENT.FAILED', reason, paymentId: 'p1', reference: 'P1' });
      expect(h.screen()).toBe('payment-failed');
      expect(topUpCtx(h).failure).toBe(reason);
      expect(topUpCtx(h).reference).toBe('P1');
      expect(h.idle()).toBe('counting');
    });
  }

  it('shows payment-failed (unknown) when the payment actor itself fails', async () => {
    // A payment actor that throws stands for a broken terminal driver.
    const { topUpMachine } = await import('./top-up-machine.js');
    const { createActor, fromCallback } = await import('xstate');
    const failing = topUpMachine.provide({
      actors: {
        authorizePayment: fromCallback(() => {
          throw new Error('driver exploded');
        }),
      },
    });
    const a = createActor(failing, {
      inspect: recordTransitions,
      input: { card: { uid: 'U', cardNumber: 'N', kind: 'anonymous', balanceCents: 0 }, amountsCents: [500], maxBalanceCents: 15000, creditWaitMs: 1000, doneMs: 1000 },
    });
    a.start();
    a.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    a.send({ type: 'CONFIRM' });
    expect(a.getSnapshot().value).toBe('paymentFailed');
    expect(a.getSnapshot().context.failure).toBe('unknown');
  });

  it('from payment-failed: RETRY pays again, BACK picks another amount, CANCEL leaves', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'declined' });
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('payment');
    expect(h.payments).toHaveLength(2);
    expect(h.lastPayment().input.amountCents).toBe(2000);
    expect(topUpCtx(h).failure).toBeUndefined();
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'declined' });
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('topup-amount');
    h.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    h.send({ type: 'CONFIRM' });
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'declined' });
    h.send({ type: 'CANCEL' });
    expect(h.screen()).toBe('goodbye');
  });

  it('FINISH on payment-failed leaves too', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    h.send({ type: 'CONFIRM' });
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'declined' });
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
  });

  it('an approved payment asks for the card again', async () => {
    const h = startKiosk();
    await toMenu(h);
    await toApproved(h);
    expect(h.screen()).toBe('present-again');
    expect(topUpCtx(h).paymentId).toBe('abcdef0123456789');
    expect(topUpCtx(h).reference).toBe('ABCDEF01');
    expect(h.lastWait().input).toEqual({ fresh: false });
  });
});

describe('top-up: writing the card', () => {
  async function approved(): Promise<KioskHarness> {
    const h = startKiosk();
    await toMenu(h, okRead(card({ balanceCents: 1250 })));
    await toApproved(h, 1000);
    return h;
  }

  it('writes the card that was read, then shows the new balance and says goodbye', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: '04B1B2C3D4E5F6' });
    await h.flush();
    expect(h.screen()).toBe('writing-card');
    expect(h.journey()!.snapshot.hasTag('busy')).toBe(true);
    expect(h.lastCredit().input).toEqual({
      paymentId: 'abcdef0123456789',
      amountCents: 1000,
      card: { uid: '04B1B2C3D4E5F6', cardNumber: '3528020000000014' },
    });
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    expect(h.screen()).toBe('topup-done');
    expect(topUpCtx(h).newBalanceCents).toBe(2250);
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
    expect(h.ctx().card?.balanceCents).toBe(2250);
    expect(h.rollbacks).toHaveLength(0);
  });

  it('moves on from topup-done by itself after doneMs', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    h.clock.increment(TEST_TIMING.doneMs);
    expect(h.screen()).toBe('goodbye');
  });

  it('runs no inactivity timer while waiting for the card after payment', async () => {
    const h = await approved();
    expect(h.idle()).toBe('disarmed');
    h.clock.increment(TEST_TIMING.creditWaitMs - 1);
    expect(h.screen()).toBe('present-again');
  });

  it('a wrong card gets its own screen, and the next wait needs a new presentation', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'OTHER' });
    await h.flush();
    h.lastCredit().resolve({ result: 'wrong-card' });
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    expect(topUpCtx(h).writeProblem).toBe('wrong-card');
    expect(h.lastWait().input).toEqual({ fresh: true });
    h.lastWait().resolve({ uid: '04B1B2C3D4E5F6' });
    await h.flush();
    expect(h.screen()).toBe('writing-card');
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    expect(h.screen()).toBe('topup-done');
  });

  it('a card removed during the write gets its own screen; RETRY asks for it again', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'card-removed' });
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    expect(topUpCtx(h).writeProblem).toBe('card-removed');
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('present-again');
    expect(h.lastWait().input).toEqual({ fresh: false });
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    expect(h.screen()).toBe('topup-done');
  });

  it('putting the card back on the write-problem screen writes again at once', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'card-removed' });
    await h.flush();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    expect(h.screen()).toBe('writing-card');
    expect(h.credits).toHaveLength(2);
  });

  it('a failed write (credit actor error) shows write-failed', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().reject(new Error('io'));
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    expect(topUpCtx(h).writeProblem).toBe('write-failed');
  });

  it('reports write-failed from the credit actor too', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'write-failed' });
    await h.flush();
    expect(topUpCtx(h).writeProblem).toBe('write-failed');
  });
});

describe('top-up: giving the money back', () => {
  async function approved(): Promise<KioskHarness> {
    const h = startKiosk();
    await toMenu(h);
    await toApproved(h, 1000);
    return h;
  }

  it('CANCEL on present-again rolls the payment back and shows payment-undone', async () => {
    const h = await approved();
    h.send({ type: 'CANCEL' });
    expect(h.screen()).toBe('payment-undone');
    expect(h.journey()!.snapshot.hasTag('busy')).toBe(true);
    expect(h.lastRollback().input).toEqual({ paymentId: 'abcdef0123456789', amountCents: 1000, card: { uid: '04B1B2C3D4E5F6', cardNumber: '3528020000000014' } });
    h.lastRollback().resolve({ result: 'reversed' });
    await h.flush();
    expect(h.screen()).toBe('payment-undone');
    expect(h.journey()!.snapshot.hasTag('busy')).toBe(false);
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
  });

  it('runs no inactivity timer while the payment is being undone', async () => {
    const h = await approved();
    h.send({ type: 'CANCEL' });
    expect(h.screen()).toBe('payment-undone');
    expect(h.idle()).toBe('disarmed');
    h.clock.increment(10 * TEST_TIMING.inactivityMs);
    expect(h.screen()).toBe('payment-undone');
    expect(h.rollbacks).toHaveLength(1);
  });

  it('payment-undone moves on by itself after doneMs', async () => {
    const h = await approved();
    h.send({ type: 'CANCEL' });
    h.lastRollback().resolve({ result: 'reversed' });
    await h.flush();
    h.clock.increment(TEST_TIMING.doneMs);
    expect(h.screen()).toBe('goodbye');
  });

  it('CANCEL on the write-problem screen rolls back too', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'card-removed' });
    await h.flush();
    h.send({ type: 'CANCEL' });
    expect(h.rollbacks).toHaveLength(1);
  });

  it('no card within creditWaitMs: the payment is rolled back', async () => {
    const h = await approved();
    h.clock.increment(TEST_TIMING.creditWaitMs);
    expect(h.screen()).toBe('payment-undone');
    expect(h.rollbacks).toHaveLength(1);
  });

  it('the card wait also runs out on the write-problem screen', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'card-removed' });
    await h.flush();
    h.clock.increment(TEST_TIMING.creditWaitMs);
    expect(h.rollbacks).toHaveLength(1);
  });

  it('never rolls back while a write is in progress: a write that lands after the limit still counts', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.clock.increment(TEST_TIMING.creditWaitMs);
    expect(h.screen()).toBe('writing-card');
    expect(h.rollbacks).toHaveLength(0);
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    expect(h.screen()).toBe('topup-done');
    expect(h.rollbacks).toHaveLength(0);
  });

  it('a write that fails after the limit passed goes straight to the rollback', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.clock.increment(TEST_TIMING.creditWaitMs);
    h.lastCredit().resolve({ result: 'card-removed' });
    await h.flush();
    expect(h.rollbacks).toHaveLength(1);
  });

  it('a write that throws after the limit passed goes to the rollback as well', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.clock.increment(TEST_TIMING.creditWaitMs);
    h.lastCredit().reject(new Error('io'));
    await h.flush();
    expect(h.rollbacks).toHaveLength(1);
  });

  it('a rollback the terminal cannot do shows refund-owed with a reference', async () => {
    const h = await approved();
    h.send({ type: 'CANCEL' });
    h.lastRollback().resolve({ result: 'refund-owed', reference: 'REF12345' });
    await h.flush();
    expect(h.screen()).toBe('refund-owed');
    expect(topUpCtx(h).reference).toBe('REF12345');
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
  });

  it('a credit-pending rollback answer shows credit-pending (loaded at the next tap), never the refund screen', async () => {
    const h = await approved();
    h.send({ type: 'CANCEL' });
    h.lastRollback().resolve({ result: 'credit-pending', reference: 'PEND0001' });
    await h.flush();
    expect(h.screen()).toBe('credit-pending');
    expect(topUpCtx(h).reference).toBe('PEND0001');
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
  });

  it('a rollback actor error shows refund-owed with the payment reference', async () => {
    const h = await approved();
    h.send({ type: 'CANCEL' });
    h.lastRollback().reject(new Error('terminal gone'));
    await h.flush();
    expect(h.screen()).toBe('refund-owed');
    expect(topUpCtx(h).reference).toBe('ABCDEF01');
  });

  it('a reader that fails while waiting on the write-problem screen gives the money back', async () => {
    const h = await approved();
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'card-removed' });
    await h.flush();
    h.lastWait().reject(new Error('reader gone'));
    await h.flush();
    expect(h.rollbacks).toHaveLength(1);
  });

  it('a reader that fails while waiting for the card gives the money back', async () => {
    const h = await approved();
    h.lastWait().reject(new Error('reader gone'));
    await h.flush();
    expect(h.rollbacks).toHaveLength(1);
  });
});

describe('top-up: inactivity', () => {
  it('times out from the amount screen back to start (nothing in flight)', async () => {
    const h = await atAmount();
    expect(h.idle()).toBe('counting');
    h.clock.increment(TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('warning');
    h.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h.screen()).toBe('start');
    expect(h.journey()).toBeUndefined();
  });

  it('times out from payment-failed', async () => {
    const h = await atAmount();
    h.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    h.send({ type: 'CONFIRM' });
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'declined' });
    h.clock.increment(TEST_TIMING.inactivityMs);
    h.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h.screen()).toBe('start');
  });

  it('a journey screen that moves on by itself during the warning re-arms the timer', async () => {
    // doneMs falls inside the warning: topup-done leaves by itself while "more time?" shows.
    const h = startKiosk({ ...TEST_INPUT, timing: { ...TEST_TIMING, doneMs: TEST_TIMING.inactivityMs + 5_000 } });
    await toMenu(h);
    await toApproved(h);
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    h.clock.increment(TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('warning');
    h.clock.increment(5_000);
    expect(h.screen()).toBe('goodbye');
    expect(h.idle()).toBe('disarmed');
  });

  it('refund-owed is armed again (the traveller may walk away there)', async () => {
    const h = startKiosk();
    await toMenu(h);
    await toApproved(h);
    h.send({ type: 'CANCEL' });
    h.lastRollback().resolve({ result: 'refund-owed', reference: 'R' });
    await h.flush();
    expect(h.idle()).toBe('counting');
  });
});

describe('top-up: what the journey tells the session at its end (its output)', () => {
  type Outputs = { credit?: CreditCardOutput; rollback?: RollbackPaymentOutput };
  /** The machine alone, its actors answering at once: the terminal approves (or declines), the card is there once. */
  async function journey(payment: 'approved' | 'declined', outputs: Outputs = {}) {
    const { createActor, fromCallback, fromPromise } = await import('xstate');
    const { topUpMachine } = await import('./top-up-machine.js');
    let waits = 0;
    const machine = topUpMachine.provide({
      actors: {
        authorizePayment: fromCallback(({ sendBack }) => {
          sendBack(payment === 'approved' ? { type: 'PAYMENT.APPROVED', paymentId: 'p-1', reference: 'P1' } : { type: 'PAYMENT.FAILED', reason: 'declined' });
        }),
        // The card is there once; after a write problem the traveller does not put it back.
        waitForCard: fromPromise(() => (waits++ === 0 ? Promise.resolve({ uid: 'U' }) : new Promise<never>(() => {}))),
        creditCard: fromPromise(async () => outputs.credit ?? { result: 'credited' as const, balanceCents: 1500 }),
        rollbackPayment: fromPromise(async () => outputs.rollback ?? { result: 'reversed' as const }),
      },
    });
    const a = createActor(machine, {
      inspect: recordTransitions,
      input: { card: { uid: 'U', cardNumber: 'N', kind: 'anonymous', balanceCents: 1000 }, amountsCents: [500], maxBalanceCents: 15_000, creditWaitMs: 60_000, doneMs: 60_000 },
    });
    a.start();
    const settle = () => new Promise((r) => setTimeout(r, 0));
    return { a, settle };
  }

  it('BACK on the amount screen ends "back", with no balance', async () => {
    const { a } = await journey('approved');
    a.send({ type: 'BACK' });
    expect(a.getSnapshot().output).toStrictEqual({ outcome: 'back' });
  });

  it('CANCEL on the amount screen ends "cancelled", with no balance', async () => {
    const { a } = await journey('approved');
    a.send({ type: 'CANCEL' });
    expect(a.getSnapshot().output).toStrictEqual({ outcome: 'cancelled' });
  });

  for (const leave of ['CANCEL', 'FINISH'] as const) {
    it(`${leave} after a failed payment ends "cancelled", with no balance`, async () => {
      const { a } = await journey('declined');
      a.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
      a.send({ type: 'CONFIRM' });
      expect(a.getSnapshot().value).toBe('paymentFailed');
      a.send({ type: leave });
      expect(a.getSnapshot().output).toStrictEqual({ outcome: 'cancelled' });
    });
  }

  it('a credited card ends "finished" with its new balance', async () => {
    const { a, settle } = await journey('approved', { credit: { result: 'credited', balanceCents: 1500 } });
    a.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    a.send({ type: 'CONFIRM' });
    await settle();
    expect(a.getSnapshot().value).toBe('done');
    a.send({ type: 'FINISH' });
    expect(a.getSnapshot().output).toStrictEqual({ outcome: 'finished', balanceCents: 1500 });
  });

  for (const rollback of [{ result: 'reversed' }, { result: 'refund-owed', reference: 'R1' }] as const) {
    it(`a payment given back (${rollback.result}) ends "finished" with no balance: the card was not credited`, async () => {
      const { a, settle } = await journey('approved', { credit: { result: 'card-removed' }, rollback });
      a.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
      a.send({ type: 'CONFIRM' });
      await settle();
      expect(a.getSnapshot().value).toEqual({ awaitingCredit: 'writeProblem' });
      a.send({ type: 'CANCEL' });
      await settle();
      a.send({ type: 'FINISH' });
      expect(a.getSnapshot().output).toStrictEqual({ outcome: 'finished' });
    });
  }
});

describe('top-up: the approved payment id for the card write and the rollback', () => {
  it('is the approved payment id', async () => {
    const { approvedPaymentId } = await import('./top-up-machine.js');
    expect(approvedPaymentId({ paymentId: 'p-1' })).toBe('p-1');
  });

  it('throws rather than credit or undo a payment under no id (unreachable in the machine: only PAYMENT.APPROVED leads there)', async () => {
    const { approvedPaymentId } = await import('./top-up-machine.js');
    expect(() => approvedPaymentId({})).toThrow('top-up: no approved payment id for the card write or the rollback');
  });
});

describe('top-up: an actor the runtime did not provide fails loudly, naming itself', () => {
  /** Runs the machine with only the given actors provided; returns the messages of the actor errors it saw. */
  async function errorsWith(provided: 'none' | 'payment' | 'payment+card') {
    const { createActor, fromCallback, fromPromise } = await import('xstate');
    const { topUpMachine } = await import('./top-up-machine.js');
    let waits = 0;
    const approve = fromCallback<PaymentActorCommand, AuthorizePaymentInput>(({ sendBack }) => {
      sendBack({ type: 'PAYMENT.APPROVED', paymentId: 'p-1', reference: 'P1' });
    });
    const cardOnce = fromPromise<WaitForCardOutput, WaitForCardInput>(() => (waits++ === 0 ? Promise.resolve({ uid: 'U' }) : new Promise<never>(() => {})));
    const machine =
      provided === 'none'
        ? topUpMachine
        : provided === 'payment'
          ? topUpMachine.provide({ actors: { authorizePayment: approve } })
          : topUpMachine.provide({ actors: { authorizePayment: approve, waitForCard: cardOnce } });
    const errors: string[] = [];
    const a = createActor(machine, {
      inspect: (e) => {
        recordTransitions(e);
        if (e.type === '@xstate.event' && e.event.type.startsWith('xstate.error.actor')) errors.push((e.event as unknown as { error: Error }).error.message);
      },
      input: { card: { uid: 'U', cardNumber: 'N', kind: 'anonymous', balanceCents: 1000 }, amountsCents: [500], maxBalanceCents: 15_000, creditWaitMs: 60_000, doneMs: 60_000 },
    });
    a.start();
    a.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    a.send({ type: 'CONFIRM' });
    await new Promise((r) => setTimeout(r, 0));
    if (provided === 'payment+card') a.send({ type: 'CANCEL' }); // from the write problem: undo
    await new Promise((r) => setTimeout(r, 0));
    return { errors, state: a.getSnapshot().value };
  }
  const msg = (name: string) => `top-up machine: actor '${name}' was not provided by the runtime`;

  it('the payment actor', async () => {
    expect(await errorsWith('none')).toEqual({ errors: [msg('authorizePayment')], state: 'paymentFailed' });
  });

  it('the card wait, then the rollback (the payment is given back, or a refund owed)', async () => {
    expect(await errorsWith('payment')).toEqual({ errors: [msg('waitForCard'), msg('rollbackPayment')], state: 'refundOwed' });
  });

  it('the card write', async () => {
    expect(await errorsWith('payment+card')).toEqual({ errors: [msg('creditCard'), msg('rollbackPayment')], state: 'refundOwed' });
  });
});
