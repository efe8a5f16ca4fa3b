/**
 * Issue 12, "uncertainty becomes a pending credit, not a reversal", on the live path and with the
 * settler: the kiosk cannot know whether a paid credit landed (the card went away after the last
 * block, the traveller never came back) -> it keeps the payment (committed at the terminal) and
 * journals `payment.credit-pending` {ref}; the back office owes that card the credit under the ref.
 * A write that certainly did not land is still reversed. And a commit the terminal does not answer
 * is settled while the kiosk runs (the settler, on the injected time port), not at the next start.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { sequentialRandom } from '../../contract/random.js';
import { simulatedTime } from '../../contract/time.js';
import { PaymentTerminalError } from '../../hardware/payment/errors.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { cardRef } from '../journal/sqlite-journal.js';
import { createTopUpService, writeMayHaveLanded } from '../services/top-up.js';
import { paymentRef } from './ids.js';
import { createSettler } from './settler.js';
import { openMoneyRig, TEST_SECRET } from './testing/rig.js';

const ANON = { uid: FIXTURE_CARDS.anonymous.uid, cardNumber: FIXTURE_CARDS.anonymous.cardNumber };
const log = pino({ level: 'silent' });

async function setup(wrap: (t: PaymentTerminal) => PaymentTerminal = (t) => t) {
  const { clock, journal, payment } = await openMoneyRig();
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  await reader.present('anonymous');
  const leftOpen: string[] = [];
  const terminal = wrap(payment.terminal);
  const topUp = createTopUpService({
    reader,
    terminal,
    journal,
    clock,
    random: sequentialRandom(),
    kioskId: 'K1',
    maxBalanceCents: 15_000,
    cardRef: (n) => cardRef(n, TEST_SECRET),
    log,
    onLeftOpen: (id) => leftOpen.push(id),
  });
  const types = (id: string) => journal.operation(id).map((r) => r.type);
  const ledger = (id: string) => payment.control!.ledger().find((e) => e.paymentId === id)?.state;
  const balance = async () => (await reader.read(['identity', 'purse'])).balanceCents;
  return { clock, journal, payment, reader, topUp, types, ledger, balance, leftOpen, terminal };
}

describe('an uncertain credit becomes a pending credit, not a reversal (live path)', () => {
  it('card pulled after the last block (landed, answer lost), traveller leaves: payment kept and committed, credit-pending {ref}, no reversal', async () => {
    const t = await setup();
    const before = await t.balance();
    const auth = await t.topUp.authorize({ amountCents: 700, card: ANON });
    // find the tear point where the blocks are all written but the answer is lost
    let n = 1;
    let landed = false;
    for (; n < 200 && !landed; n++) {
      t.reader.tearAfterOperations(n);
      const r = await t.topUp.credit({ paymentId: auth.paymentId, amountCents: 700, card: ANON }).catch(() => ({ result: 'card-removed' as const }));
      t.reader.tearAfterOperations(undefined);
      await t.reader.present('anonymous');
      if (r.result === 'credited') throw new Error(`no torn landing found before a clean credit (n=${n})`);
      landed = (await t.balance()) === before + 700;
    }
    expect(landed).toBe(true);
    expect(writeMayHaveLanded(t.journal.operation(auth.paymentId))).toBe(true);
    // the traveller is gone: the machine asks for the rollback
    const out = await t.topUp.rollback({ paymentId: auth.paymentId, amountCents: 700, card: ANON });
    expect(out).toEqual({ result: 'credit-pending', reference: auth.reference });
    const types = t.types(auth.paymentId);
    expect(types).not.toContain('payment.reversed');
    expect(types).not.toContain('payment.rollback-intent');
    expect(types.slice(-2)).toEqual(['payment.credit-pending', 'payment.committed']);
    expect(t.journal.operation(auth.paymentId).find((r) => r.type === 'payment.credit-pending')).toMatchObject({
      amountCents: 700,
      card: cardRef(ANON.cardNumber, TEST_SECRET),
      data: { ref: paymentRef(auth.paymentId) },
    });
    expect(t.ledger(auth.paymentId)).toBe('committed');
    expect(await t.balance()).toBe(before + 700); // paid once, credited once
  });

  it('a write that certainly did not land (card never touched) is still reversed', async () => {
    const t = await setup();
    const auth = await t.topUp.authorize({ amountCents: 500, card: ANON });
    await t.reader.remove();
    expect((await t.topUp.credit({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).result).toBe('card-removed');
    expect(await t.topUp.rollback({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'reversed' });
    expect(t.types(auth.paymentId)).not.toContain('payment.credit-pending');
    expect(t.ledger(auth.paymentId)).toBe('reversed');
  });

  it('the keep decision is journaled before the commit, and payment.committed only after the terminal acknowledged', async () => {
    let seen: string[] = [];
    const t = await setup((term) => ({
      ...term,
      start: () => term.start(),
      stop: () => term.stop(),
      authorize: (...a) => term.authorize(...a),
      rollback: (...a) => term.rollback(...a),
      abort: () => term.abort(),
      status: () => term.status(),
      commit: async () => {
        seen = t.types(id);
        throw new PaymentTerminalError('offline', 'no answer to the commit');
      },
    }));
    const auth = await t.topUp.authorize({ amountCents: 500, card: ANON });
    const id = auth.paymentId;
    t.journal.append({ type: 'card.write-intent', operationId: id, amountCents: 500, data: { ref: paymentRef(id) } });
    t.journal.append({ type: 'card.write-failed', operationId: id, amountCents: 500, data: { reason: 'card-removed', uncertain: true } });
    expect((await t.topUp.rollback({ paymentId: id, amountCents: 500, card: ANON })).result).toBe('credit-pending');
    expect(seen.at(-1)).toBe('payment.credit-pending');
    expect(t.types(id)).not.toContain('payment.committed');
    expect(t.types(id).at(-1)).toBe('payment.credit-pending');
    expect(t.leftOpen).toEqual([id]);
  });
});

describe('the settler finishes open operations while the kiosk runs (window 4)', () => {
  it('a commit the terminal did not answer is committed by the settler within its interval, before the commit window passes', async () => {
    let silent = true;
    const t = await setup((term) => ({
      start: () => term.start(),
      stop: () => term.stop(),
      authorize: (...a) => term.authorize(...a),
      rollback: (...a) => term.rollback(...a),
      abort: () => term.abort(),
      status: () => term.status(),
      resolve: (...a) => term.resolve!(...a),
      commit: async (...a) => {
        if (silent) throw new PaymentTerminalError('offline', 'no answer to the commit');
        return term.commit(...a);
      },
    }));
    const time = simulatedTime('2026-11-23T10:00:00Z');
    const settler = createSettler({ journal: t.journal, terminal: t.terminal, time, log: () => {}, everyMs: 5_000 });
    const before = await t.balance();
    const auth = await t.topUp.authorize({ amountCents: 300, card: ANON });
    expect(await t.topUp.credit({ paymentId: auth.paymentId, amountCents: 300, card: ANON })).toEqual({ result: 'credited', balanceCents: before + 300 });
    expect(t.types(auth.paymentId).at(-1)).toBe('card.written');
    for (const id of t.leftOpen) settler.track(id);
    expect(settler.open()).toEqual([auth.paymentId]);
    time.advance(5_000); // a pass while the terminal is still silent: stays open
    await settler.settleNow();
    expect(t.types(auth.paymentId).at(-1)).toBe('card.written');
    silent = false;
    time.advance(5_000);
    await settler.settleNow();
    expect(t.types(auth.paymentId).at(-1)).toBe('payment.committed');
    expect(t.ledger(auth.paymentId)).toBe('committed');
    expect(settler.open()).toEqual([]);
    expect(time.pending()).toBe(0);
    settler.stop();
  });

  it('never touches an operation it was not given (a live flow still working on it), while settling the one it was given', async () => {
    const t = await setup();
    const time = simulatedTime();
    const settler = createSettler({ journal: t.journal, terminal: t.terminal, time, log: () => {}, everyMs: 1_000 });
    // a live payment (approved, its card about to be written) and an operation left open earlier
    // (journal only: an order collection stopped at order.collect-intent)
    const live = await t.topUp.authorize({ amountCents: 300, card: ANON });
    t.journal.append({ type: 'order.collect-intent', operationId: 'old-order-op', data: { orderId: 'O-1' } });
    settler.track('old-order-op');
    time.advance(1_000);
    await settler.settleNow();
    expect(t.journal.operation('old-order-op').at(-1)?.type).toBe('order.collect-failed');
    expect(t.types(live.paymentId)).toEqual(['payment.intent', 'payment.approved']);
    expect(t.ledger(live.paymentId)).toBe('authorized');
    expect(settler.open()).toEqual([]);
    settler.stop();
  });
});
