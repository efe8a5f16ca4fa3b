// The top-up journey's view on every screen, field by field (issue 12 item 6: mutation testing of
// top-up-view.ts): what the renderer is shown, and nothing more (no empty prompt, failure, reference,
// refusal or balance fields), driven on the real machine inside the session.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import type { JourneyViewInput } from '../card-view.js';
import { sessionBase } from '../kiosk/kiosk-view.js';
import { card, okRead, startKiosk, TEST_INPUT, TEST_TIMING, toApproved, toMenu, type KioskHarness } from '../test-harness.js';
import { topUpMachine, type TopUpMachine } from './top-up-machine.js';
import { topUpView } from './top-up-view.js';

const extras = { rev: 1, secondsLeft: 20 };
const input = (h: KioskHarness): JourneyViewInput => {
  const root = h.actor.getSnapshot();
  return { base: sessionBase(root, extras), card: root.context.card!, today: root.context.today };
};
const view = (h: KioskHarness) => topUpView(h.journey()!.snapshot as SnapshotFrom<TopUpMachine>, input(h));
/** The view's payment part (throws when the screen has none). */
const payment = (h: KioskHarness) => {
  const v = view(h);
  if (!v || !('payment' in v)) throw new Error(`no payment on ${v?.screen}`);
  return v.payment;
};

async function atAmount(balanceCents = 14_000, timing = TEST_TIMING): Promise<KioskHarness> {
  const h = startKiosk({ ...TEST_INPUT, timing });
  await toMenu(h, okRead(card({ balanceCents })));
  h.send({ type: 'CHOOSE', option: 'topup' });
  return h;
}

describe('topUpView: the amount screen', () => {
  it('shows the amounts and the room only, then the chosen amount, then a refusal with the room instead', async () => {
    const h = await atAmount(14_000);
    const first = view(h);
    expect(first?.screen).toBe('topup-amount');
    expect(first && 'payment' in first).toBe(false);
    expect(first?.topUp).toStrictEqual({ amounts: [500, 1000, 2000, 5000], maxCents: 1000 });
    expect(first?.card.balanceCents).toBe(14_000);
    h.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    expect(view(h)?.topUp).toStrictEqual({ amounts: [500, 1000, 2000, 5000], maxCents: 1000, selectedCents: 1000 });
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    expect(view(h)?.topUp).toStrictEqual({ amounts: [500, 1000, 2000, 5000], maxCents: 1000, refusal: { reason: 'over-limit', roomCents: 1000 } });
  });
});

describe('topUpView: paying and its endings', () => {
  it('payment shows the amount alone, then the terminal prompt; payment-failed adds the reason and the reference', async () => {
    const h = await atAmount(1000);
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    expect(view(h)?.screen).toBe('payment');
    expect(payment(h)).toStrictEqual({ amountCents: 2000 });
    h.lastPayment().send({ type: 'PAYMENT.PROMPT', prompt: 'enter-pin' });
    expect(payment(h)).toStrictEqual({ amountCents: 2000, prompt: 'enter-pin' });
    h.lastPayment().send({ type: 'PAYMENT.FAILED', reason: 'declined', paymentId: 'p1', reference: 'P1' });
    expect(view(h)?.screen).toBe('payment-failed');
    expect(payment(h)).toStrictEqual({ amountCents: 2000, prompt: 'enter-pin', failure: 'declined', reference: 'P1' });
  });

  it('present-again counts down the card wait in whole seconds, rounded', async () => {
    const h = await atAmount(1000, { ...TEST_TIMING, creditWaitMs: 90_600 });
    await toApproved(h, 1000);
    expect(view(h)?.screen).toBe('present-again');
    expect(payment(h)).toStrictEqual({ amountCents: 1000, prompt: 'approved', reference: 'ABCDEF01', undoAfterSeconds: 91 });
  });

  it('writing-card, then topup-done with the new balance on the card and in the top-up', async () => {
    const h = await atAmount(1000);
    await toApproved(h, 1000);
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    expect(view(h)?.screen).toBe('writing-card');
    expect(payment(h)).toStrictEqual({ amountCents: 1000, prompt: 'approved', reference: 'ABCDEF01' });
    expect(view(h)?.card.balanceCents).toBe(1000);
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2000 });
    await h.flush();
    const done = view(h);
    expect(done?.screen).toBe('topup-done');
    expect(done?.card.balanceCents).toBe(2000);
    expect(done?.topUp).toStrictEqual({ amounts: [500, 1000, 2000, 5000], maxCents: 14_000, selectedCents: 1000, newBalanceCents: 2000 });
  });

  it('write-problem says which problem, with the payment', async () => {
    const h = await atAmount(1000);
    await toApproved(h, 1000);
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'wrong-card' });
    await h.flush();
    const v = view(h);
    expect(v?.screen).toBe('write-problem');
    expect(v && 'writeProblem' in v ? v.writeProblem : undefined).toBe('wrong-card');
    expect(payment(h)).toStrictEqual({ amountCents: 1000, prompt: 'approved', reference: 'ABCDEF01' });
  });

  it('payment-undone and refund-owed show the payment with the reference to claim it', async () => {
    const h = await atAmount(1000);
    await toApproved(h, 1000);
    h.send({ type: 'CANCEL' });
    expect(view(h)?.screen).toBe('payment-undone');
    expect(payment(h)).toStrictEqual({ amountCents: 1000, prompt: 'approved', reference: 'ABCDEF01' });
    h.lastRollback().resolve({ result: 'refund-owed', reference: 'REF12345' });
    await h.flush();
    expect(view(h)?.screen).toBe('refund-owed');
    expect(payment(h)).toStrictEqual({ amountCents: 1000, prompt: 'approved', reference: 'REF12345' });
  });

  it('credit-pending shows the payment with the reference under which the credit waits', async () => {
    const h = await atAmount(1000);
    await toApproved(h, 1000);
    h.send({ type: 'CANCEL' });
    h.lastRollback().resolve({ result: 'credit-pending', reference: 'PEND0001' });
    await h.flush();
    expect(view(h)?.screen).toBe('credit-pending');
    expect(payment(h)).toStrictEqual({ amountCents: 1000, prompt: 'approved', reference: 'PEND0001' });
  });
});

describe('topUpView: states the machine does not reach, checked on resolved snapshots', () => {
  const journeyInput = async (): Promise<JourneyViewInput> => input(await atAmount(1000));
  const topUpInput = { card: { uid: 'U', cardNumber: 'N', kind: 'anonymous' as const, balanceCents: 1000 }, amountsCents: [500], maxBalanceCents: 15_000, creditWaitMs: 1000, doneMs: 1000 };
  const context = { ...topUpInput, roomCents: 14_000, needFreshCard: false, creditWindowExpired: false, outcome: 'cancelled' as const };

  it('a write-problem screen with no problem recorded shows write-failed', async () => {
    const s = topUpMachine.resolveState({ value: { awaitingCredit: 'writeProblem' }, context: { ...context, selectedCents: 500 } });
    const v = topUpView(s, await journeyInput());
    expect(v && 'writeProblem' in v ? v.writeProblem : undefined).toBe('write-failed');
  });

  it('a payment screen with no amount chosen throws rather than show a payment of nothing', async () => {
    const s = topUpMachine.resolveState({ value: 'paying', context });
    const i = await journeyInput();
    expect(() => topUpView(s, i)).toThrow('top-up: no amount chosen on a payment screen');
  });

  it('the final state has no screen: no view', async () => {
    const s = topUpMachine.resolveState({ value: 'leaving', context });
    expect(topUpView(s, await journeyInput())).toBeUndefined();
  });

  it('a screen that is not the top-up journey\'s throws rather than show a wrong view', async () => {
    const s = topUpMachine.resolveState({ value: 'amount', context });
    const foreign = Object.assign(Object.create(s) as typeof s, { getMeta: () => ({ 'topUp.amount': { screen: 'menu' } }) });
    const i = await journeyInput();
    expect(() => topUpView(foreign, i)).toThrow('top-up: no view for screen menu');
  });
});
