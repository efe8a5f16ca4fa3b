import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedCardReader, loadKeyFile, DEFAULT_EMULATION_KEY_FILE } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { createPaymentHardware, type PaymentHardware } from '../../hardware/payment/index.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { fixedClock } from '../../contract/time.js';
import { cardRef, openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { paymentRef, type TopUpService } from './top-up.js';
import { testTopUpService } from '../../test/support/top-up-service.js';
import { createDecisionHook } from '../money/decision-hook.js';

const SECRET = 'test-secret-test-secret-test-secret';
const ANON = { uid: FIXTURE_CARDS.anonymous.uid, cardNumber: FIXTURE_CARDS.anonymous.cardNumber };

const open: { journal: SqliteJournal; payment?: PaymentHardware }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.payment?.stop();
    o.journal.close();
  }
});

/** A scripted terminal: approves, commits and undoes by default; a test overrides what it is about. */
function fakeTerminal(o: Partial<PaymentTerminal>): PaymentTerminal {
  return {
    start: async () => {},
    stop: async () => {},
    authorize: async (r) => ({ result: 'approved', paymentId: r.paymentId, amountCents: r.amountCents, receipt: { resultCode: 0, amountCents: r.amountCents } }),
    commit: async () => {},
    rollback: async () => ({ undone: true }),
    abort: async () => {},
    status: async () => 'ready',
    ...o,
  };
}

async function setup(opts: { terminal?: PaymentTerminal } = {}) {
  const clock = fixedClock('2026-11-23T10:00:00Z');
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: SECRET, clock });
  const payment = opts.terminal
    ? undefined
    : await createPaymentHardware({ mode: 'emulated', promptDelayMs: 0 }, { clock, onDecision: createDecisionHook(journal) });
  const terminal = opts.terminal ?? payment!.terminal;
  open.push({ journal, ...(payment ? { payment } : {}) });
  const service: TopUpService = testTopUpService({ reader, terminal, journal, clock, secret: SECRET });
  const types = (id: string) => journal.operation(id).map((r) => r.type);
  const balance = async () => (await reader.read(['identity', 'purse'])).balanceCents;
  return { reader, journal, service, payment, terminal, types, balance };
}

describe('top-up service: the happy path', () => {
  it('journals intent, approval, write intent, written, committed in that order and credits once', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    const before = await t.balance();
    const prompts: string[] = [];
    const auth = await t.service.authorize({ amountCents: 1000, card: ANON }, (p) => prompts.push(p));
    expect(auth).toMatchObject({ result: 'approved' });
    expect(auth.reference).toBe(paymentRef(auth.paymentId).toUpperCase());
    expect(prompts.length).toBeGreaterThan(0);
    const credit = await t.service.credit({ paymentId: auth.paymentId, amountCents: 1000, card: ANON });
    expect(credit).toEqual({ result: 'credited', balanceCents: before + 1000 });
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.approved', 'card.write-intent', 'card.written', 'payment.committed']);
    expect(t.payment!.control!.ledger()[0]).toMatchObject({ paymentId: auth.paymentId, state: 'committed' });
    const card = await t.reader.read();
    expect(card.topUps[0]).toMatchObject({ amountCents: 1000, location: 'K1', ref: paymentRef(auth.paymentId) });
    expect(t.journal.unfinishedOperations()).toHaveLength(0);
  });

  it('never journals the card number, only its keyed hash and last four digits', async () => {
    const t = await setup();
    await t.reader.present('anonymous');
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    await t.service.credit({ paymentId: auth.paymentId, amountCents: 500, card: ANON });
    const all = JSON.stringify(t.journal.records());
    expect(all).not.toContain(ANON.cardNumber);
    expect(t.journal.records()[0]!.card).toEqual(cardRef(ANON.cardNumber, SECRET));
  });
});

describe('top-up service: the terminal is told to wait before the card write (issue 12, window 1)', () => {
  it('calls terminal.issuing() after the card read and before card.write-intent, once per write', async () => {
    const seen: string[][] = [];
    let t: Awaited<ReturnType<typeof setup>>;
    const terminal = fakeTerminal({ issuing: async (id) => void seen.push(t.types(id)) });
    t = await setup({ terminal });
    await t.reader.present('anonymous');
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect((await t.service.credit({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).result).toBe('credited');
    expect(seen).toEqual([['payment.intent', 'payment.approved']]);
    expect(t.types(auth.paymentId).slice(2)).toEqual(['card.write-intent', 'card.written', 'payment.committed']);
  });
});

describe('top-up service: payment failures', () => {
  it('a declined payment is journaled as failed and nothing else happens', async () => {
    const t = await setup();
    t.payment!.control!.setBehaviour('decline');
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(auth).toMatchObject({ result: 'failed', reason: 'declined' });
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.failed']);
    expect(t.journal.unfinishedOperations()).toHaveLength(0);
  });

  it('a terminal that throws mid-authorization gets the payment undone (journaled before it is sent)', async () => {
    const calls: string[] = [];
    const terminal = fakeTerminal({
      authorize: async () => {
        throw Object.assign(new Error('link down'), { code: 'offline' });
      },
      rollback: async (id) => {
        calls.push(`rollback ${id}`);
        return { undone: true };
      },
    });
    const t = await setup({ terminal });
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(auth).toMatchObject({ result: 'failed', reason: 'communication' });
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.failed', 'payment.rollback-intent', 'payment.reversed']);
    expect(calls).toEqual([`rollback ${auth.paymentId}`]);
  });

  it('a busy terminal is a certain failure: nothing to undo', async () => {
    const terminal = fakeTerminal({
      authorize: async () => {
        throw Object.assign(new Error('busy'), { code: 'busy' });
      },
      status: async () => 'busy',
    });
    const t = await setup({ terminal });
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(auth).toMatchObject({ result: 'failed', reason: 'terminal-not-ready' });
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.failed']);
  });
});

describe('top-up service: the second tap', () => {
  it('refuses to write another card (wrong-card) and journals no write', async () => {
    const t = await setup();
    await t.reader.present('business');
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.credit({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'wrong-card' });
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.approved']);
  });

  it('reports card-removed when no card is there', async () => {
    const t = await setup();
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.credit({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'card-removed' });
  });

  it('refuses a credit that would pass EUR 150 (the card changed since it was read)', async () => {
    const t = await setup();
    await t.reader.present('near-limit');
    const near = { uid: FIXTURE_CARDS['near-limit'].uid, cardNumber: FIXTURE_CARDS['near-limit'].cardNumber };
    const room = 15_000 - (await t.balance());
    const auth = await t.service.authorize({ amountCents: room + 100, card: near });
    expect(await t.service.credit({ paymentId: auth.paymentId, amountCents: room + 100, card: near })).toEqual({ result: 'write-failed' });
    expect(t.types(auth.paymentId).at(-1)).toBe('card.write-failed');
    expect(await t.balance()).toBe(15_000 - room);
  });

  it('a card pulled away at any point of the credit is credited exactly once after the next tap', async () => {
    // Tear after 1, 2, 3 ... chip operations until a credit runs through without a tear: every
    // interruption point, including after the last block was written (the credit landed but the
    // kiosk never heard). The next tap must find the ref and never credit twice.
    let n = 1;
    for (;;) {
      const t = await setup();
      await t.reader.present('anonymous');
      const before = await t.balance();
      const auth = await t.service.authorize({ amountCents: 700, card: ANON });
      t.reader.tearAfterOperations(n);
      const first = await t.service.credit({ paymentId: auth.paymentId, amountCents: 700, card: ANON });
      t.reader.tearAfterOperations(undefined);
      if (first.result === 'credited') {
        expect(first.balanceCents).toBe(before + 700);
        break;
      }
      expect(first.result).toBe('card-removed');
      await t.reader.present('anonymous');
      const second = await t.service.credit({ paymentId: auth.paymentId, amountCents: 700, card: ANON });
      expect(second, `tear after ${n} operations`).toEqual({ result: 'credited', balanceCents: before + 700 });
      expect(await t.balance()).toBe(before + 700);
      expect(t.payment!.control!.ledger()[0]?.state).toBe('committed');
      const types = t.types(auth.paymentId);
      expect(types.at(-1)).toBe('payment.committed');
      expect(types.filter((x) => x === 'payment.committed')).toHaveLength(1);
      n++;
      expect(n).toBeLessThan(500);
    }
    expect(n).toBeGreaterThan(3);
  });
});

describe('top-up service: giving the money back', () => {
  it('rollback journals the intent first, then the reversal', async () => {
    const t = await setup();
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.rollback({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).toEqual({ result: 'reversed' });
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.reversed']);
    expect(t.payment!.control!.ledger()[0]?.state).toBe('reversed');
    expect(t.journal.unfinishedOperations()).toHaveLength(0);
  });

  it('a terminal that cannot undo leaves refund-owed in the journal and a reference for the traveller', async () => {
    const terminal = fakeTerminal({
      rollback: async () => ({ undone: false, detail: 'already booked' }),
    });
    const t = await setup({ terminal });
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect(await t.service.rollback({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).toEqual({
      result: 'refund-owed',
      reference: auth.reference,
    });
    expect(t.types(auth.paymentId).at(-1)).toBe('payment.refund-owed');
  });

  it('an unreachable terminal leaves the rollback intent open for start-up recovery', async () => {
    const terminal = fakeTerminal({
      rollback: async () => {
        throw Object.assign(new Error('offline'), { code: 'offline' });
      },
      status: async () => 'offline',
    });
    const t = await setup({ terminal });
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    expect((await t.service.rollback({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).result).toBe('refund-owed');
    expect(t.types(auth.paymentId).at(-1)).toBe('payment.rollback-intent');
    expect(t.journal.unfinishedOperations().map((o) => o.operationId)).toEqual([auth.paymentId]);
  });

  it("journals a decision the terminal driver takes by itself (onDecision), once", async () => {
    const t = await setup();
    const auth = await t.service.authorize({ amountCents: 500, card: ANON });
    await t.service.onDecision(auth.paymentId, 'rollback');
    await t.service.onDecision(auth.paymentId, 'rollback');
    expect(t.types(auth.paymentId)).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent']);
    await t.service.onDecision('not-ours', 'commit');
    expect(t.journal.operation('not-ours')).toHaveLength(0);
  });
});

describe('top-up service: payment ids', () => {
  it('never look like a card number to the journal, whatever the random bytes', async () => {
    const { newPaymentId } = await import('./top-up.js');
    const allDigits = { id: (bytes = 16) => '9'.repeat(bytes * 2), next: () => 0 };
    const id = newPaymentId(allDigits);
    expect(id).toBe('99999999-99999999-99999999-99999999');
    expect(/\d{13,}/.test(id)).toBe(false);
    expect(paymentRef(id)).toBe('99999999');
  });
});
