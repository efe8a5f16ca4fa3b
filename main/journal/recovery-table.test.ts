/**
 * Start-up recovery's table, row by row, against a scripted terminal (what it answers to resolve,
 * commit and rollback is set per test) and the real SQLite journal: every terminal state the
 * journal can stop at, and what recovery decides for it. Complements recovery.test.ts (the
 * emulated terminal); these rows were found unproven by mutation testing (issue 12 item 6).
 */
import { describe, expect, it } from 'vitest';
import type { PaymentResolution, PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { PaymentTerminalError } from '../../hardware/payment/errors.js';
import { fixedClock } from '../../contract/time.js';
import type { Journal, JournalEntryInput, JournalEntryType } from './journal.js';
import { recoverUnfinished, type RecoveryOptions } from './recovery.js';
import { cardRef, openJournal } from './sqlite-journal.js';

const KEY = 'recovery-table-secret-0123456789';
const CARD = cardRef('3528010000000017', KEY);

interface Script {
  resolve?: PaymentResolution['state'] | 'throw-offline' | 'none';
  commit?: 'ok' | 'not-open' | 'offline';
  rollback?: 'undone' | 'not-undone' | 'offline';
}

function setup(script: Script = {}) {
  const journal = openJournal({ path: ':memory:', kioskId: 'k1', hmacKey: KEY, clock: fixedClock('2026-11-23T08:00:00Z') });
  const calls: string[] = [];
  const terminal = {
    async commit(paymentId: string) {
      calls.push(`commit ${paymentId}`);
      if (script.commit === 'not-open') throw new PaymentTerminalError('not-open', 'commit window passed');
      if (script.commit === 'offline') throw new PaymentTerminalError('offline', 'no answer');
    },
    async rollback(paymentId: string) {
      calls.push(`rollback ${paymentId}`);
      if (script.rollback === 'offline') throw new PaymentTerminalError('offline', 'no answer');
      return script.rollback === 'not-undone' ? { undone: false, detail: 'day closed' } : { undone: true };
    },
    ...(script.resolve === 'none'
      ? {}
      : {
          async resolve(paymentId: string): Promise<PaymentResolution> {
            calls.push(`resolve ${paymentId}`);
            if (script.resolve === 'throw-offline') throw new PaymentTerminalError('offline', 'unreachable');
            return { paymentId, state: script.resolve ?? 'reversed', detail: `terminal says ${script.resolve ?? 'reversed'}` } as PaymentResolution;
          },
        }),
  } as unknown as PaymentTerminal;
  const logs: { msg: string; extra?: Record<string, unknown> }[] = [];
  const recover = (opts: Partial<RecoveryOptions> = {}) =>
    recoverUnfinished({ journal, terminal, log: (msg, extra) => logs.push({ msg, ...(extra ? { extra } : {}) }), ...opts });
  const put = (operationId: string, types: JournalEntryType[], extra: Partial<JournalEntryInput> = {}) => {
    for (const type of types) journal.append({ type, operationId, amountCents: 1000, card: CARD, ...extra });
  };
  const types = (op: string) => journal.operation(op).map((r) => r.type);
  const last = (op: string) => journal.operation(op).at(-1)!;
  return { journal, terminal, calls, logs, recover, put, types, last };
}

const TOP_UP_TO_WRITE: JournalEntryType[] = ['payment.intent', 'payment.approved', 'card.write-intent'];

describe('recovery of a payment, by the record it stopped at', () => {
  it('payment.intent, the terminal holds nothing: payment.failed {interrupted, the terminal\'s detail}, reported with that detail', async () => {
    const t = setup({ resolve: 'reversed' });
    t.put('p1', ['payment.intent']);
    const r = await t.recover();
    expect(r).toEqual({
      operations: [{ operationId: 'p1', kind: 'payment', stoppedAt: 'payment.intent', action: 'payment-failed', detail: 'terminal says reversed' }],
      leftOpen: 0,
    });
    expect(t.last('p1')).toMatchObject({ type: 'payment.failed', amountCents: 1000, card: CARD, data: { reason: 'interrupted', detail: 'terminal says reversed', recovered: true } });
    expect(t.calls).toEqual(['resolve p1']);
    expect(t.logs[0]!.msg).toBe('recovery: p1 (payment, stopped at payment.intent) -> payment-failed');
    expect(t.logs[0]!.extra).toEqual({ detail: 'terminal says reversed' });
  });

  it('payment.intent, the terminal unreachable: left open, nothing journaled, nothing undone', async () => {
    const t = setup({ resolve: 'throw-offline' });
    t.put('p1', ['payment.intent']);
    const r = await t.recover();
    expect(r.leftOpen).toBe(1);
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'terminal state unknown: unreachable' });
    expect(t.types('p1')).toEqual(['payment.intent']);
    expect(t.calls).toEqual(['resolve p1']);
  });

  it('payment.intent, the terminal answers unknown: left open, the detail says what it said', async () => {
    const t = setup({ resolve: 'unknown' });
    t.put('p1', ['payment.intent']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'terminal state unknown: terminal says unknown' });
    expect(t.calls).toEqual(['resolve p1']);
  });

  it('payment.intent, the terminal holds it open: rolled back and reversed', async () => {
    const t = setup({ resolve: 'open' as PaymentResolution['state'] });
    t.put('p1', ['payment.intent']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'reversed' });
    expect(t.calls).toEqual(['resolve p1', 'rollback p1']);
    expect(t.types('p1')).toEqual(['payment.intent', 'payment.rollback-intent', 'payment.reversed']);
    expect(t.last('p1').data).toMatchObject({ reason: 'interrupted before the card was written' });
  });

  it('payment.intent, a driver without resolve: the rollback path (undoing nothing is safe)', async () => {
    const t = setup({ resolve: 'none' });
    t.put('p1', ['payment.intent']);
    const r = await t.recover();
    expect(r.operations[0]!.action).toBe('reversed');
    expect(t.calls).toEqual(['rollback p1']);
  });

  it('payment.approved: rolled back because the card was never credited', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved']);
    await t.recover();
    expect(t.journal.operation('p1')[2]!.data).toMatchObject({ reason: 'card never credited' });
    expect(t.last('p1').type).toBe('payment.reversed');
  });

  it('payment.rollback-intent: the rollback is finished, the intent not written twice', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved', 'payment.rollback-intent']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ stoppedAt: 'payment.rollback-intent', action: 'reversed' });
    expect(t.types('p1')).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.reversed']);
    expect(t.last('p1').data).toMatchObject({ reason: 'card not credited' });
  });

  it('a rollback the terminal cannot reach: left open with the rollback failure as detail', async () => {
    const t = setup({ rollback: 'offline' });
    t.put('p1', ['payment.intent', 'payment.approved']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'rollback failed: no answer' });
    expect(r.leftOpen).toBe(1);
  });

  it('a rollback not undone while the payment stands: refund owed, with the terminal\'s detail', async () => {
    const t = setup({ rollback: 'not-undone', resolve: 'committed' });
    t.put('p1', ['payment.intent', 'payment.approved']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'refund-owed', detail: 'day closed' });
    expect(t.last('p1').type).toBe('payment.refund-owed');
  });

  it('card.write-intent, card check says written: card.written {card-check} and committed', async () => {
    const t = setup();
    t.put('p1', TOP_UP_TO_WRITE);
    const r = await t.recover({ checkCardWrite: async () => 'written' });
    expect(r.operations[0]).toEqual({ operationId: 'p1', kind: 'payment', stoppedAt: 'card.write-intent', action: 'committed' });
    expect(t.types('p1').slice(3)).toEqual(['card.written', 'payment.committed']);
    expect(t.journal.operation('p1')[3]!.data).toMatchObject({ confirmedBy: 'card-check', recovered: true });
    expect(t.calls).toEqual(['commit p1']);
  });

  it('card.write-intent, the card check throws: treated as unknown (logged), the payment kept with the intent\'s ref', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved']);
    t.journal.append({ type: 'card.write-intent', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'abcd1234' } });
    const r = await t.recover({
      checkCardWrite: async () => {
        throw new Error('reader gone');
      },
    });
    expect(t.logs[0]).toEqual({ msg: 'recovery: card check failed', extra: { operationId: 'p1', error: 'reader gone' } });
    expect(r.operations[0]).toMatchObject({ action: 'credit-pending', detail: 'card write result unknown (card not readable at recovery): payment kept, credit abcd1234 owed to the card' });
    expect(t.types('p1').slice(3)).toEqual(['card.write-failed', 'payment.credit-pending', 'payment.committed']);
    expect(t.journal.operation('p1')[4]!.data).toMatchObject({ ref: 'abcd1234' });
  });

  it('the keep path names the newest write intent\'s ref, and falls back to the payment ref when no intent names one', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved']);
    t.journal.append({ type: 'card.write-intent', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'old00001' } });
    t.journal.append({ type: 'card.write-failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'retry' } });
    // a certain failure, then a retry whose result is unknown
    t.journal.append({ type: 'card.write-intent', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'new00002' } });
    await t.recover();
    expect(t.journal.recordsOfType(['payment.credit-pending']).map((r) => r.data?.['ref'])).toEqual(['new00002']);

    const u = setup();
    u.put('ABCDEF12-3456', TOP_UP_TO_WRITE);
    await u.recover();
    expect(u.journal.recordsOfType(['payment.credit-pending']).map((r) => r.data?.['ref'])).toEqual(['abcdef12']);
  });

  it('payment.credit-pending: the keep path commits under the ref already journaled, not a new one', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved']);
    t.journal.append({ type: 'card.write-intent', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'intent01' } });
    t.journal.append({ type: 'card.write-failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'x', uncertain: true } });
    t.journal.append({ type: 'payment.credit-pending', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'pending1' } });
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ stoppedAt: 'payment.credit-pending', action: 'credit-pending', detail: 'credit pending: payment kept, credit pending1 owed to the card' });
  });

  it('keep path, the terminal already let the payment go: reversed, credit pending cancelled', async () => {
    const t = setup({ commit: 'not-open' });
    t.put('p1', TOP_UP_TO_WRITE);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'reversed', detail: 'credit pending but the terminal reversed the payment: commit window passed' });
    expect(t.last('p1')).toMatchObject({ type: 'payment.reversed', data: { creditPending: true } });
  });

  it('keep path, the commit unanswered: left open (asked again later), credit pending journaled once', async () => {
    const t = setup({ commit: 'offline' });
    t.put('p1', TOP_UP_TO_WRITE);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'credit pending, commit failed: no answer' });
    expect(t.last('p1').type).toBe('payment.credit-pending');
  });

  it('card.written, the terminal already reversed: reported reversed with why', async () => {
    const t = setup({ commit: 'not-open' });
    t.put('p1', [...TOP_UP_TO_WRITE, 'card.written']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'reversed', detail: 'card credited but payment not booked: commit window passed' });
  });

  it('card.written, the commit unanswered: left open with the commit failure as detail', async () => {
    const t = setup({ commit: 'offline' });
    t.put('p1', [...TOP_UP_TO_WRITE, 'card.written']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'commit failed: no answer' });
  });

  it('a certain card.write-failed: rolled back without asking the card', async () => {
    const t = setup();
    t.put('p1', [...TOP_UP_TO_WRITE]);
    t.journal.append({ type: 'card.write-failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'refused', uncertain: false } });
    let asked = 0;
    const r = await t.recover({ checkCardWrite: async () => (asked++, 'written') });
    expect(asked).toBe(0);
    expect(r.operations[0]).toMatchObject({ action: 'reversed' });
    expect(t.journal.operation('p1')[4]!.data).toMatchObject({ reason: 'card not credited' });
  });

  it('an uncertain card.write-failed whose card check says written: card.written {card-check}, committed', async () => {
    const t = setup();
    t.put('p1', [...TOP_UP_TO_WRITE]);
    t.journal.append({ type: 'card.write-failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'x', uncertain: true } });
    const r = await t.recover({ checkCardWrite: async () => 'written' });
    expect(r.operations[0]).toMatchObject({ action: 'committed' });
    expect(t.types('p1').slice(4)).toEqual(['card.written', 'payment.committed']);
    expect(t.journal.operation('p1')[4]!.data).toMatchObject({ confirmedBy: 'card-check' });
  });

  it('an uncertain card.write-failed whose card check says not written: rolled back', async () => {
    const t = setup();
    t.put('p1', [...TOP_UP_TO_WRITE]);
    t.journal.append({ type: 'card.write-failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'x', uncertain: true } });
    const r = await t.recover({ checkCardWrite: async () => 'not-written' });
    expect(r.operations[0]).toMatchObject({ action: 'reversed' });
    expect(t.types('p1').slice(4)).toEqual(['payment.rollback-intent', 'payment.reversed']);
    expect(t.journal.operation('p1')[5]!.data).toMatchObject({ reason: 'card not credited (card check)' });
  });

  it('a payment stopped at a record no rule covers: left open, named in the detail', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'order.loaded']);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'no recovery rule for a payment stopped at order.loaded' });
    expect(t.calls).toEqual([]);
  });
});

describe('recovery: what each decision carries', () => {
  it('an uncertain payment.failed whose payment the terminal holds nothing of: payment.failed {interrupted}, final', async () => {
    const t = setup({ resolve: 'reversed' });
    t.put('p1', ['payment.intent']);
    t.journal.append({ type: 'payment.failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'communication', uncertain: true } });
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ stoppedAt: 'payment.failed', action: 'payment-failed' });
    expect(t.last('p1').data).toMatchObject({ reason: 'interrupted' });
    expect(t.journal.unfinishedOperations()).toEqual([]);
  });

  it('card.write-intent, card certainly not written: the rollback says why ("card not written")', async () => {
    const t = setup();
    t.put('p1', TOP_UP_TO_WRITE);
    await t.recover({ checkCardWrite: async () => 'not-written' });
    expect(t.journal.operation('p1')[4]).toMatchObject({ type: 'payment.rollback-intent', data: { reason: 'card not written' } });
  });

  it('an uncertain card.write-failed, card unknown: kept under the write intent\'s ref (not the failure record\'s), with why', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved']);
    t.journal.append({ type: 'card.write-intent', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'intent01' } });
    t.journal.append({ type: 'card.write-failed', operationId: 'p1', amountCents: 1000, card: CARD, data: { reason: 'x', uncertain: true } });
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'credit-pending', detail: 'card write result unknown: payment kept, credit intent01 owed to the card' });
    expect(t.journal.recordsOfType(['payment.credit-pending'])[0]!.data).toMatchObject({ ref: 'intent01', reason: 'card write result unknown' });
  });

  it('the keep path without any write intent (an uncertain failure journaled straight after approval) uses the payment ref', async () => {
    const t = setup();
    t.put('ABCDEF12-9', ['payment.intent', 'payment.approved']);
    t.journal.append({ type: 'card.write-failed', operationId: 'ABCDEF12-9', amountCents: 1000, card: CARD, data: { reason: 'x', uncertain: true } });
    const r = await t.recover();
    expect(r.operations[0]!.action).toBe('credit-pending');
    expect(t.journal.recordsOfType(['payment.credit-pending'])[0]!.data).toMatchObject({ ref: 'abcdef12' });
  });

  it('a payment.credit-pending record without data: kept under the write intent\'s ref', async () => {
    const t = setup();
    t.put('p1', ['payment.intent', 'payment.approved']);
    t.journal.append({ type: 'card.write-intent', operationId: 'p1', amountCents: 1000, card: CARD, data: { ref: 'intent02' } });
    t.journal.append({ type: 'payment.credit-pending', operationId: 'p1', amountCents: 1000, card: CARD });
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'credit-pending', detail: 'credit pending: payment kept, credit intent02 owed to the card' });
  });

  it('the card written by a card check carries the operation\'s amount and card ref, as every recovery record does', async () => {
    const t = setup();
    t.put('p1', TOP_UP_TO_WRITE);
    await t.recover({ checkCardWrite: async () => 'written' });
    for (const rec of t.journal.operation('p1').slice(3)) expect(rec).toMatchObject({ amountCents: 1000, card: CARD, data: { recovered: true } });
  });

  it('the card ref is the newest record that has one, even when the last record has none', async () => {
    const t = setup();
    t.journal.append({ type: 'payment.intent', operationId: 'p1', amountCents: 500, card: CARD });
    t.journal.append({ type: 'payment.approved', operationId: 'p1', amountCents: 500 });
    await t.recover();
    expect(t.last('p1')).toMatchObject({ type: 'payment.reversed', card: CARD, amountCents: 500 });
  });

  it('the order id is found on whichever record carries it, not only the first', async () => {
    const t = setup();
    t.journal.append({ type: 'order.collect-intent', operationId: 'o1' });
    t.journal.append({ type: 'card.write-intent', operationId: 'o1', card: CARD, data: { orderId: 'ORD-9', ref: 'r' } });
    await t.recover();
    expect(t.last('o1')).toMatchObject({ type: 'order.collect-failed', data: { orderId: 'ORD-9' } });
  });

  it('without a card check, nothing is logged about a failed check: the write result is simply unknown', async () => {
    const t = setup();
    t.put('c1', ['card.write-intent']);
    await t.recover();
    expect(t.logs.map((l) => l.msg)).toEqual(['recovery: c1 (card, stopped at card.write-intent) -> card-write-failed']);
  });
});

describe('recovery of order collections and card-only writes', () => {
  const ORDER = { data: { orderId: 'ORD-7' } };

  it('order at card.write-intent, card check written: order.loaded {card-check}, order.collected, the order id on each', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'card.write-intent'], ORDER);
    const r = await t.recover({ checkCardWrite: async () => 'written' });
    expect(r.operations[0]).toEqual({ operationId: 'o1', kind: 'order', stoppedAt: 'card.write-intent', action: 'order-collected' });
    expect(t.types('o1').slice(2)).toEqual(['card.written', 'order.loaded', 'order.collected']);
    expect(t.journal.operation('o1')[3]!.data).toEqual({ confirmedBy: 'card-check', orderId: 'ORD-7', recovered: true });
    expect(t.last('o1').data).toEqual({ confirmedBy: 'journal-upload', orderId: 'ORD-7', recovered: true });
  });

  it('order at card.write-intent, card check not written: collect-failed {card-not-written}', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'card.write-intent'], ORDER);
    const r = await t.recover({ checkCardWrite: async () => 'not-written' });
    expect(r.operations[0]).toMatchObject({ action: 'order-failed', detail: 'card write not-written' });
    expect(t.last('o1')).toMatchObject({ type: 'order.collect-failed', data: { reason: 'card-not-written' } });
  });

  it('order at card.write-intent, card unknown: collect-failed {card-write-unknown}', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'card.write-intent'], ORDER);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'order-failed', detail: 'card write unknown' });
    expect(t.last('o1').data).toMatchObject({ reason: 'card-write-unknown' });
  });

  it('order at order.loaded: only order.collected is added (not a second order.loaded)', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'card.write-intent', 'card.written', 'order.loaded'], ORDER);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ stoppedAt: 'order.loaded', action: 'order-collected' });
    expect(t.types('o1').slice(4)).toEqual(['order.collected']);
  });

  it('order at card.written: order.loaded {card-written} then collected', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'card.write-intent', 'card.written'], ORDER);
    await t.recover();
    expect(t.journal.operation('o1')[3]!.data).toMatchObject({ confirmedBy: 'card-written' });
  });

  it('order at card.write-failed: collect-failed {card-not-written}', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'card.write-intent', 'card.write-failed'], ORDER);
    const r = await t.recover();
    expect(r.operations[0]).toEqual({ operationId: 'o1', kind: 'order', stoppedAt: 'card.write-failed', action: 'order-failed' });
    expect(t.last('o1')).toMatchObject({ type: 'order.collect-failed', data: { reason: 'card-not-written', orderId: 'ORD-7' } });
  });

  it('order at order.collect-intent: collect-failed {interrupted}, with the order id and no amount invented', async () => {
    const t = setup();
    t.journal.append({ type: 'order.collect-intent', operationId: 'o1', data: { orderId: 'ORD-7' } });
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'order-failed', detail: 'interrupted before the card was written' });
    const rec = t.last('o1');
    expect(rec.data).toEqual({ reason: 'interrupted', orderId: 'ORD-7', recovered: true });
    expect(rec.amountCents).toBeUndefined();
    expect(rec.card).toBeUndefined();
  });

  it('an order stopped at a record no rule covers: left open', async () => {
    const t = setup();
    t.put('o1', ['order.collect-intent', 'payment.approved'], ORDER);
    const r = await t.recover();
    expect(r.operations[0]).toMatchObject({ action: 'left-open', detail: 'no recovery rule for an order stopped at payment.approved' });
  });

  it('a card-only write: written -> card-written; otherwise card-write-failed naming the check', async () => {
    const t = setup();
    t.put('c1', ['card.write-intent']);
    t.put('c2', ['card.write-intent']);
    const r = await t.recover({ checkCardWrite: async (op) => (op.operationId === 'c1' ? 'written' : 'not-written') });
    expect(r.operations).toEqual([
      { operationId: 'c1', kind: 'card', stoppedAt: 'card.write-intent', action: 'card-written' },
      { operationId: 'c2', kind: 'card', stoppedAt: 'card.write-intent', action: 'card-write-failed', detail: 'card write not-written' },
    ]);
    expect(t.types('c1')).toEqual(['card.write-intent', 'card.written']);
    expect(t.last('c2').data).toMatchObject({ uncertain: false });
  });
});

describe('recovery as a whole', () => {
  it('only: operations the filter leaves out are not touched', async () => {
    const t = setup();
    t.put('a', ['payment.intent', 'payment.approved']);
    t.put('b', ['payment.intent', 'payment.approved']);
    const r = await t.recover({ only: (id) => id === 'b' });
    expect(r.operations.map((o) => o.operationId)).toEqual(['b']);
    expect(t.types('a')).toEqual(['payment.intent', 'payment.approved']);
  });

  it('the amount and card ref carried onto recovery records come from the operation\'s own records (newest card)', async () => {
    const t = setup();
    const other = cardRef('3528010000000025', KEY);
    t.journal.append({ type: 'payment.intent', operationId: 'p1', data: { n: 1 } });
    t.journal.append({ type: 'payment.approved', operationId: 'p1', amountCents: 750, card: CARD });
    t.journal.append({ type: 'payment.rollback-intent', operationId: 'p1', card: other });
    await t.recover();
    expect(t.last('p1')).toMatchObject({ type: 'payment.reversed', amountCents: 750, card: other });
  });

  it('a journal error inside one operation leaves it open and recovery goes on with the next', async () => {
    const t = setup();
    t.put('a', ['payment.intent', 'payment.approved']);
    t.put('b', ['payment.intent', 'payment.approved']);
    const failing: Journal = {
      ...t.journal,
      unfinishedOperations: () => t.journal.unfinishedOperations(),
      operation: (id) => t.journal.operation(id),
      close: () => t.journal.close(),
      append: (e) => {
        if (e.operationId === 'a') throw new Error('disk full');
        return t.journal.append(e);
      },
    };
    const r = await recoverUnfinished({ journal: failing, terminal: t.terminal, log: () => {} });
    expect(r.operations).toEqual([
      { operationId: 'a', kind: 'payment', stoppedAt: 'payment.approved', action: 'left-open', detail: 'recovery error: disk full' },
      { operationId: 'b', kind: 'payment', stoppedAt: 'payment.approved', action: 'reversed' },
    ]);
    expect(r.leftOpen).toBe(1);
  });

  it('an operation whose first record opens no known kind is left open, not guessed at', async () => {
    const t = setup();
    const rec = t.journal.append({ type: 'kiosk.note', operationId: 'n' });
    const odd: Journal = {
      ...t.journal,
      append: (e) => t.journal.append(e),
      operation: (id) => t.journal.operation(id),
      close: () => {},
      unfinishedOperations: () => [{ operationId: 'x', records: [{ ...rec, type: 'payment.approved' }] }],
    };
    const r = await recoverUnfinished({ journal: odd, terminal: t.terminal, log: () => {} });
    expect(r.operations).toEqual([{ operationId: 'x', kind: 'note', stoppedAt: 'payment.approved', action: 'left-open', detail: 'unknown operation kind for payment.approved' }]);
    expect(t.calls).toEqual([]);
  });
});
