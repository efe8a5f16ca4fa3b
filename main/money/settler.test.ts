/**
 * The settler (settler.ts, issue 12 window 4) on the injected time port: when it runs a pass
 * (every `everyMs`, default 10 s, only while something is tracked), that it never runs two passes
 * at once, forgets what the journal shows finished, hands recovery the card check, logs a pass that
 * failed and keeps trying, and stops for good. The terminal is scripted (commit silent or answering).
 */
import { describe, expect, it } from 'vitest';
import { simulatedTime } from '../../contract/time.js';
import { PaymentTerminalError } from '../../hardware/payment/errors.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import type { Journal } from '../journal/journal.js';
import { cardRef, openJournal } from '../journal/sqlite-journal.js';
import { createSettler, type SettlerDeps } from './settler.js';
import { TEST_SECRET } from './testing/rig.js';

const CARD = cardRef('3528000000000001', TEST_SECRET);

/** Let the settler's pass (started by a timer) run to its end. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function setup(extra: Partial<SettlerDeps> = {}) {
  const time = simulatedTime('2026-11-23T10:00:00Z');
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: TEST_SECRET, clock: time });
  const state = { silent: false, failListing: false };
  const commits: string[] = [];
  const terminal: PaymentTerminal = {
    start: async () => {},
    stop: async () => {},
    authorize: async () => {
      throw new Error('not in these tests');
    },
    abort: async () => {},
    status: async () => 'ready',
    commit: async (id) => {
      commits.push(id);
      if (state.silent) throw new PaymentTerminalError('offline', 'no answer to the commit');
    },
    rollback: async () => ({ undone: true }),
    resolve: async (paymentId) => ({ paymentId, state: 'open' }),
  };
  // A journal whose listing of unfinished operations can fail (a pass that throws).
  const watched: Journal = new Proxy(journal, {
    get(t, p) {
      if (p === 'unfinishedOperations')
        return () => {
          if (state.failListing) throw new Error('journal listing failed');
          return t.unfinishedOperations();
        };
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  const logs: [string, unknown][] = [];
  const settler = createSettler({ journal: watched, terminal, time, log: (m, x) => void logs.push([m, x]), ...extra });
  /** A top-up whose card was credited and whose commit the terminal did not answer. */
  const creditedNotCommitted = (id: string) => {
    journal.append({ type: 'payment.intent', operationId: id, amountCents: 500, card: CARD });
    journal.append({ type: 'payment.approved', operationId: id, amountCents: 500, card: CARD });
    journal.append({ type: 'card.write-intent', operationId: id, amountCents: 500, card: CARD, data: { ref: id.slice(0, 8) } });
    journal.append({ type: 'card.written', operationId: id, amountCents: 500, card: CARD, data: { balanceCents: 1500 } });
  };
  const last = (id: string) => journal.operation(id).at(-1)?.type;
  return { time, journal, settler, state, commits, logs, creditedNotCommitted, last };
}

describe('the settler', () => {
  it('runs its first pass 10 s (the default interval) after an operation is tracked, not earlier', async () => {
    const t = setup();
    t.creditedNotCommitted('aaaa0001');
    t.settler.track('aaaa0001');
    expect(t.time.pending()).toBe(1);
    t.time.advance(9_999);
    await settle();
    expect(t.commits).toEqual([]);
    t.time.advance(1);
    await settle();
    expect(t.commits).toEqual(['aaaa0001']);
    expect(t.last('aaaa0001')).toBe('payment.committed');
    expect(t.settler.open()).toEqual([]);
    expect(t.time.pending()).toBe(0); // nothing tracked: no timer left
    t.settler.stop();
  });

  it('while the terminal stays silent, a pass runs every interval; one timer at a time however often operations are tracked', async () => {
    const t = setup({ everyMs: 2_000 });
    t.state.silent = true;
    t.creditedNotCommitted('aaaa0001');
    t.creditedNotCommitted('aaaa0002');
    t.settler.track('aaaa0001');
    t.settler.track('aaaa0002');
    t.settler.track('aaaa0001');
    expect(t.time.pending()).toBe(1);
    expect(t.settler.open()).toEqual(['aaaa0001', 'aaaa0002']);
    for (let pass = 1; pass <= 3; pass++) {
      t.time.advance(2_000);
      await settle();
      expect(t.commits.length).toBe(2 * pass);
      expect(t.time.pending()).toBe(1);
    }
    expect(t.last('aaaa0001')).toBe('card.written');
    t.state.silent = false;
    t.time.advance(2_000);
    await settle();
    expect([t.last('aaaa0001'), t.last('aaaa0002')]).toEqual(['payment.committed', 'payment.committed']);
    expect(t.time.pending()).toBe(0);
    t.settler.stop();
  });

  it('two callers at once share one pass: the terminal is asked to commit once', async () => {
    const t = setup();
    t.creditedNotCommitted('aaaa0001');
    t.settler.track('aaaa0001');
    const a = t.settler.settleNow();
    const b = t.settler.settleNow();
    expect(b).toBe(a);
    const report = await a;
    expect(report).toStrictEqual({ operations: [{ operationId: 'aaaa0001', kind: 'payment', stoppedAt: 'card.written', action: 'committed' }], leftOpen: 0 });
    expect(t.commits).toEqual(['aaaa0001']);
    // a later call is a new pass (with nothing left to do)
    const c = t.settler.settleNow();
    expect(c).not.toBe(a);
    expect(await c).toStrictEqual({ operations: [], leftOpen: 0 });
    t.settler.stop();
  });

  it('an operation already finished elsewhere (e.g. by the live flow) is forgotten before the pass: nothing to settle, the terminal not asked', async () => {
    const t = setup();
    t.creditedNotCommitted('aaaa0001');
    t.settler.track('aaaa0001');
    t.journal.append({ type: 'payment.committed', operationId: 'aaaa0001', amountCents: 500, card: CARD });
    expect(await t.settler.settleNow()).toStrictEqual({ operations: [], leftOpen: 0 });
    expect(t.commits).toEqual([]);
    expect(t.settler.open()).toEqual([]);
    expect(t.time.pending()).toBe(1); // the timer set by track() is still there, and finds nothing
    t.time.advance(10_000);
    await settle();
    expect(t.commits).toEqual([]);
    expect(t.time.pending()).toBe(0);
  });

  it('a pass that leaves the operation open reports it and keeps it tracked', async () => {
    const t = setup();
    t.state.silent = true;
    t.creditedNotCommitted('aaaa0001');
    t.settler.track('aaaa0001');
    expect(await t.settler.settleNow()).toStrictEqual({
      operations: [{ operationId: 'aaaa0001', kind: 'payment', stoppedAt: 'card.written', action: 'left-open', detail: 'commit failed: no answer to the commit' }],
      leftOpen: 1,
    });
    expect(t.settler.open()).toEqual(['aaaa0001']);
    t.settler.stop();
  });

  it("hands recovery the card check: a write interrupted at card.write-intent that the card shows landed is written and committed (without it: kept, credit pending)", async () => {
    const checked: string[] = [];
    const t = setup({ checkCardWrite: async (op) => (checked.push(op.operationId), 'written') });
    t.journal.append({ type: 'payment.intent', operationId: 'aaaa0001', amountCents: 500, card: CARD });
    t.journal.append({ type: 'payment.approved', operationId: 'aaaa0001', amountCents: 500, card: CARD });
    t.journal.append({ type: 'card.write-intent', operationId: 'aaaa0001', amountCents: 500, card: CARD, data: { ref: 'aaaa0001' } });
    t.settler.track('aaaa0001');
    await t.settler.settleNow();
    expect(checked).toEqual(['aaaa0001']);
    expect(t.journal.operation('aaaa0001').map((r) => r.type).slice(-2)).toEqual(['card.written', 'payment.committed']);
    t.settler.stop();
  });

  it('a pass that fails is logged and the settler tries again at the next interval', async () => {
    const t = setup({ everyMs: 1_000 });
    t.creditedNotCommitted('aaaa0001');
    t.settler.track('aaaa0001');
    t.state.failListing = true;
    t.time.advance(1_000);
    await settle();
    expect(t.logs).toContainEqual(['settler: pass failed', { error: 'Error: journal listing failed' }]);
    expect(t.time.pending()).toBe(1);
    t.state.failListing = false;
    t.time.advance(1_000);
    await settle();
    expect(t.last('aaaa0001')).toBe('payment.committed');
    t.settler.stop();
  });

  it('stop: the waiting pass never runs, and tracking afterwards sets no timer', async () => {
    const t = setup({ everyMs: 1_000 });
    t.creditedNotCommitted('aaaa0001');
    t.settler.track('aaaa0001');
    t.settler.stop();
    expect(t.time.pending()).toBe(0);
    t.settler.track('aaaa0002');
    expect(t.time.pending()).toBe(0);
    t.time.advance(5_000);
    await settle();
    expect(t.commits).toEqual([]);
    // a pass asked for by hand after stop sets no timer either
    t.state.silent = true;
    await t.settler.settleNow();
    expect(t.time.pending()).toBe(0);
  });
});
