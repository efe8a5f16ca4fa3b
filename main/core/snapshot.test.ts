import { describe, expect, it } from 'vitest';
import { card, okRead, startKiosk, toApproved, toMenu } from '../../state-machines/test-harness.js';
import { anySnapshot } from '../../test/support/snapshot-fields.js';
import { deriveSnapshot } from './snapshot.js';

const derive = (h: ReturnType<typeof startKiosk>) => anySnapshot(deriveSnapshot(h.actor.getSnapshot(), { rev: 1, secondsLeft: 20 })!);

describe('snapshot derivation', () => {
  it('is plain data (survives JSON) and shows the start screen in Dutch', () => {
    const h = startKiosk();
    const s = derive(h);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s).toMatchObject({ screen: 'start', locale: 'nl', busy: false, inactivity: { warning: false, secondsLeft: 20 } });
  });

  it('masks the card number to its last four digits everywhere', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ cardNumber: '3528020000000014' })));
    const s = derive(h);
    expect(s.card?.maskedNumber).toBe('•••• •••• •••• 0014');
    expect(s.card?.last4).toBe('0014');
    expect(JSON.stringify(s)).not.toContain('3528020000000014');
    expect(s.menu).toEqual(['topup', 'balance']);
  });

  it('carries the top-up amounts, the room and a refusal', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ balanceCents: 14_000 })));
    h.send({ type: 'CHOOSE', option: 'topup' });
    h.send({ type: 'SELECT_AMOUNT', amountCents: 5000 });
    const s = derive(h);
    expect(s.screen).toBe('topup-amount');
    expect(s.topUp).toEqual({ amounts: [500, 1000, 2000, 5000], maxCents: 1000, refusal: { reason: 'over-limit', roomCents: 1000 } });
    expect(s.payment).toBeUndefined();
  });

  it('shows payment progress, then the write problem and the new balance', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.send({ type: 'CHOOSE', option: 'topup' });
    h.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    h.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    h.lastPayment().send({ type: 'PAYMENT.PROMPT', prompt: 'enter-pin' });
    expect(derive(h)).toMatchObject({ screen: 'payment', busy: true, payment: { amountCents: 1000, prompt: 'enter-pin' } });
    h.lastPayment().send({ type: 'PAYMENT.APPROVED', paymentId: 'p', reference: 'REF1' });
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'wrong-card' });
    await h.flush();
    expect(derive(h)).toMatchObject({ screen: 'write-problem', writeProblem: 'wrong-card', payment: { reference: 'REF1' } });
    h.lastWait().resolve({ uid: 'U' });
    await h.flush();
    h.lastCredit().resolve({ result: 'credited', balanceCents: 2250 });
    await h.flush();
    const done = derive(h);
    expect(done).toMatchObject({ screen: 'topup-done', topUp: { newBalanceCents: 2250 }, card: { balanceCents: 2250 } });
  });

  it('shows the card problem and the inactivity warning', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ blocked: true })));
    expect(derive(h)).toMatchObject({ screen: 'card-problem', problem: 'blocked' });
    h.clock.increment(60_000);
    expect(derive(h).inactivity.warning).toBe(true);
  });

  it('marks payment-undone busy while the rollback runs', async () => {
    const h = startKiosk();
    await toMenu(h);
    await toApproved(h);
    h.send({ type: 'CANCEL' });
    expect(derive(h)).toMatchObject({ screen: 'payment-undone', busy: true });
  });
});
