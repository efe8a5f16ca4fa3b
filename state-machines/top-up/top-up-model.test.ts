/**
 * The top-up machine's model-based walk: every simple path (22,939, pinned) of the REAL machine
 * with the walk of ../test-support/model-walk.ts, checking the money invariants on every state and
 * path: an amount over the limit (or not offered) never reaches the terminal or the card; no credit
 * and no rollback without an approval; every approval ends in a credit or a rollback, never both;
 * and what the journey tells the session at its end.
 * On its own file (a few seconds) so that mutation testing of the top-up machine can run it for
 * each of the machine's static mutants (its configuration, built at module load).
 */
import { describe, expect, it } from 'vitest';
import { common, walk, type Model } from '../test-support/model-walk.js';
import { topUpMachine, type TopUpContext, type TopUpInput, type TopUpOutput } from './top-up-machine.js';

const topUpInput: TopUpInput = {
  card: { uid: 'U', cardNumber: '3528020000000014', kind: 'anonymous', balanceCents: 14_000 },
  amountsCents: [500, 1000, 2000],
  maxBalanceCents: 15_000,
  creditWaitMs: 90_000,
  doneMs: 10_000,
};

const topUpModel: Model = {
  name: 'top-up',
  machine: topUpMachine,
  input: topUpInput,
  outputs: {
    waitForCard: [{ uid: 'U' }],
    creditCard: [{ result: 'credited', balanceCents: 15_000 }, { result: 'card-removed' }, { result: 'wrong-card' }, { result: 'write-failed' }],
    rollbackPayment: [{ result: 'reversed' }, { result: 'refund-owed', reference: 'ABCD1234' }, { result: 'credit-pending', reference: 'PEND1234' }],
    authorizePayment: [],
  },
  userEvents: {
    ...common,
    // Balance 140.00 of 150.00: one exactly to EUR 150, one over it (refused with the room shown),
    // one not offered (no transition at all).
    SELECT_AMOUNT: [1000, 2000, 700].map((amountCents) => ({ type: 'SELECT_AMOUNT', amountCents })),
    // The payment actor's own events (a fromCallback actor sends them).
    'PAYMENT.PROMPT': [{ type: 'PAYMENT.PROMPT', prompt: 'insert-card' }],
    'PAYMENT.APPROVED': [{ type: 'PAYMENT.APPROVED', paymentId: 'p-1', reference: 'P1' }],
    'PAYMENT.FAILED': [{ type: 'PAYMENT.FAILED', reason: 'declined', paymentId: 'p-1', reference: 'P1' }],
  },
  // The selected amount is part of the state: paying 5.00 and paying 20.00 are different states
  // (without it the walk would check only the first amount that reached each state).
  key: (s) => {
    const c = s.context as TopUpContext;
    return JSON.stringify([s.status, s.value, c.selectedCents ?? null, c.refusal ?? null, c.writeProblem ?? null, c.needFreshCard, c.creditWindowExpired, c.failure ?? null, c.outcome]);
  },
  check: (s) => {
    const c = s.context as TopUpContext;
    // Never more than the maximum: an amount over the limit never reaches the terminal, nor the card.
    if (s.matches('paying') || s.matches('awaitingCredit') || s.matches('undoing')) {
      expect(c.selectedCents, 'an amount is selected before paying').toBeDefined();
      expect(c.amountsCents, 'only an offered amount is paid').toContain(c.selectedCents);
      expect(c.selectedCents! + c.card.balanceCents, `over the limit in ${JSON.stringify(s.value)}`).toBeLessThanOrEqual(c.maxBalanceCents);
    }
  },
  // Money on every path: no credit and no rollback without an approval; once approved, the path
  // never leaves the journey without the card credited or the payment rolled back.
  pathCheck: (states, events) => {
    const approvedAt = events.findIndex((e) => e.type === 'PAYMENT.APPROVED');
    const describe = () => events.map((e) => e.type.replace('xstate.done.actor.', 'done:')).join(' > ');
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const afterApproval = approvedAt !== -1 && i > approvedAt; // states[i] follows events[i - 1]
      if (s.matches({ awaitingCredit: 'writing' }) || s.matches('undoing') || s.matches('done')) {
        expect(afterApproval, `credit or rollback without an approved payment: ${describe()}`).toBe(true);
      }
    }
    const end = states.at(-1)!;
    if (end.status === 'done') {
      // What the session is told: 'back' only by BACK on the amount screen; 'finished' only after an
      // approved payment; the new balance only when the card was credited.
      const output = end.output as TopUpOutput;
      const credited = states.some((s) => s.matches('done'));
      expect(output, `output: ${describe()}`).toStrictEqual({
        outcome: events.at(-1)!.type === 'BACK' ? 'back' : approvedAt === -1 ? 'cancelled' : 'finished',
        ...(credited ? { balanceCents: 15_000 } : {}),
      });
    }
    if (approvedAt === -1) return;
    if (end.status !== 'done') return; // the path stops inside the journey: a longer one goes on
    const later = states.slice(approvedAt + 1);
    const credited = later.some((s) => s.matches('done'));
    const rolledBack = later.some((s) => s.matches('undoing'));
    expect(credited || rolledBack, `approved, then left with neither a credit nor a rollback: ${describe()}`).toBe(true);
    expect(credited && rolledBack, `credited and rolled back: ${describe()}`).toBe(false);
  },
};

/** The number of simple paths of the top-up machine under topUpModel (see the pin below). */
const TOP_UP_PATHS = 22_939; // 18,879 before the rollback's credit-pending answer (its own screen) was walked

describe('model-based: every path of the top-up machine', () => {
  it('walks every simple path of the top-up machine: over the limit never paid, every approval credited or rolled back', { timeout: 300_000 }, () => {
    const t0 = performance.now();
    const r = walk(topUpModel);
    // Pinned: a change to the machine or to this model that changes how much is walked shows here.
    expect(r.paths, 'top-up: paths').toBe(TOP_UP_PATHS);
    // The amount that takes the card to exactly EUR 150 is paid (not refused); the one over it never is.
    expect([...r.keys].some((k) => k.includes('"paying",1000,null'))).toBe(true);
    expect([...r.keys].some((k) => k.includes('"paying",2000'))).toBe(false);
    console.log(`model-based: top-up: ${r.paths} paths over ${r.states} states in ${Math.round(performance.now() - t0)} ms`);
  });
});
