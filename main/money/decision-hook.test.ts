/**
 * The decision hook (decision-hook.ts) on its own, over a real in-memory journal whose appends are
 * recorded: which decisions it lets through, what it journals for the driver's own rollback, and
 * what the refusal says (a technician reads it in the driver's log when a commit was refused).
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import type { JournalEntryInput } from '../journal/journal.js';
import { cardRef, openJournal } from '../journal/sqlite-journal.js';
import { createDecisionHook } from './decision-hook.js';
import { TEST_SECRET } from './testing/rig.js';

const CARD = cardRef('3528000000000001', TEST_SECRET);

function setup() {
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: TEST_SECRET, clock: fixedClock('2026-11-23T10:00:00Z') });
  const hookAppends: JournalEntryInput[] = [];
  const hook = createDecisionHook({
    operation: (id) => journal.operation(id),
    append: (e) => {
      hookAppends.push(e);
      return journal.append(e);
    },
  });
  const add = (type: JournalEntryInput['type'], operationId: string, extra: Partial<JournalEntryInput> = {}) => journal.append({ type, operationId, amountCents: 700, card: CARD, ...extra });
  const types = (id: string) => journal.operation(id).map((r) => r.type);
  return { journal, hook, hookAppends, add, types };
}

describe('the decision hook', () => {
  it("a payment this journal does not know (a tester's): commit and rollback go through, nothing journaled", async () => {
    const t = setup();
    await expect(t.hook('tester-1', 'commit')).resolves.toBeUndefined();
    await expect(t.hook('tester-1', 'rollback')).resolves.toBeUndefined();
    expect(t.hookAppends).toEqual([]);
    expect(t.journal.operation('tester-1')).toEqual([]);
  });

  it('commit: refused without card.written or payment.credit-pending, with a message naming the payment', async () => {
    const t = setup();
    t.add('payment.intent', 'p1');
    t.add('payment.approved', 'p1');
    t.add('card.write-intent', 'p1');
    await expect(t.hook('p1', 'commit')).rejects.toThrow(
      new Error('refusing to commit payment p1: the journal has no card.written (nor payment.credit-pending) for it'),
    );
    t.add('card.write-failed', 'p1', { data: { reason: 'card-gone', uncertain: true } });
    await expect(t.hook('p1', 'commit')).rejects.toThrow(/refusing to commit payment p1/);
    expect(t.hookAppends).toEqual([]);
  });

  it('commit: allowed with card.written, and with payment.credit-pending alone (kept: the credit is owed)', async () => {
    const t = setup();
    t.add('payment.intent', 'p1');
    t.add('payment.approved', 'p1');
    t.add('card.written', 'p1');
    await expect(t.hook('p1', 'commit')).resolves.toBeUndefined();
    t.add('payment.intent', 'p2');
    t.add('payment.approved', 'p2');
    t.add('payment.credit-pending', 'p2', { data: { ref: 'ab12cd34' } });
    await expect(t.hook('p2', 'commit')).resolves.toBeUndefined();
    expect(t.hookAppends).toEqual([]);
  });

  it("rollback: journals payment.rollback-intent {decidedBy: 'terminal-driver'} with the first record's amount and card", async () => {
    const t = setup();
    t.add('payment.intent', 'p1', { amountCents: 650 });
    t.add('payment.approved', 'p1', { amountCents: 700 });
    await t.hook('p1', 'rollback');
    expect(t.hookAppends).toStrictEqual([{ type: 'payment.rollback-intent', operationId: 'p1', amountCents: 650, card: CARD, data: { decidedBy: 'terminal-driver' } }]);
  });

  it('rollback: a first record without amount or card gives a rollback intent without them', async () => {
    const t = setup();
    t.journal.append({ type: 'payment.intent', operationId: 'p1' });
    await t.hook('p1', 'rollback');
    expect(t.hookAppends).toStrictEqual([{ type: 'payment.rollback-intent', operationId: 'p1', data: { decidedBy: 'terminal-driver' } }]);
  });

  it('rollback: nothing journaled when the payment is already being rolled back', async () => {
    const t = setup();
    t.add('payment.intent', 'p1');
    t.add('payment.approved', 'p1');
    t.add('payment.rollback-intent', 'p1', { data: { reason: 'card never credited' } });
    await t.hook('p1', 'rollback');
    expect(t.hookAppends).toEqual([]);
    expect(t.types('p1')).toEqual(['payment.intent', 'payment.approved', 'payment.rollback-intent']);
  });

  for (const end of ['payment.reversed', 'payment.refund-owed'] as const)
    it(`rollback: nothing journaled for a payment that ended ${end}`, async () => {
      const t = setup();
      t.add('payment.intent', 'p1');
      t.add('payment.approved', 'p1');
      t.add('payment.rollback-intent', 'p1');
      t.add(end, 'p1');
      await expect(t.hook('p1', 'rollback')).resolves.toBeUndefined();
      expect(t.hookAppends).toEqual([]);
    });
});
