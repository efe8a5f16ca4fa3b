/**
 * The money core with the reservation terminal profile (issue 12, window 9): the journal, the
 * decision hook, settlement, start-up recovery and the settler, over the real ZVT driver and the
 * terminal simulator (emulated mode: an in-memory cable, real frames). One rule, as with the commit
 * point: card credited (`card.written`) -> book total 06 24; not credited -> reversal of the
 * pre-authorisation 06 25; the terminal cannot be asked -> left open and booked again later.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../hardware/payment/emulator-control.js';
import { recoverUnfinished } from '../journal/recovery.js';
import { cardRef } from '../journal/sqlite-journal.js';
import { createSettlement } from './settlement.js';
import { createSettler } from './settler.js';
import { openMoneyRig, TEST_SECRET } from './testing/rig.js';

const CARD = cardRef('3528000000000001', TEST_SECRET);
const RESERVATION = { terminalProfile: { flow: 'reservation' as const }, timers: { t1Ms: 50, t2Ms: 100, t3Ms: 300, t4Ms: 1_000 }, silenceMs: 1_000 };
const log = () => undefined;

async function setup() {
  const { journal, payment } = await openMoneyRig(RESERVATION);
  const control = payment.control!;
  const ledger = (): (LedgerEntry & { reservation?: string })[] => control.ledger();
  const approve = async (paymentId: string) => {
    journal.append({ type: 'payment.intent', operationId: paymentId, amountCents: 700, card: CARD });
    const o = await payment.terminal.authorize({ paymentId, amountCents: 700 });
    if (o.result !== 'approved') throw new Error(`not approved: ${JSON.stringify(o)}`);
    const r = o.receipt;
    journal.append({
      type: 'payment.approved',
      operationId: paymentId,
      amountCents: 700,
      card: CARD,
      data: { receiptNumber: r.receiptNumber!, ...(r.trace ? { trace: r.trace } : {}), ...(r.aid ? { aid: r.aid } : {}) },
    });
    return o;
  };
  const credited = (paymentId: string) => journal.append({ type: 'card.written', operationId: paymentId, amountCents: 700, card: CARD });
  const types = (id: string) => journal.operation(id).map((r) => r.type);
  return { journal, payment, control, ledger, approve, credited, types };
}

describe('reservation profile: the money rule over the real driver and simulator', () => {
  it('the decision hook keeps book total off the wire until card.written is durable', async () => {
    const t = await setup();
    await t.approve('p1');
    await expect(t.payment.terminal.commit('p1')).rejects.toThrow(/no card.written/);
    expect(t.ledger()).toMatchObject([{ reservation: 'reserved', state: 'authorized' }]);
    t.credited('p1');
    await t.payment.terminal.commit('p1');
    expect(t.ledger()).toMatchObject([{ reservation: 'booked', state: 'committed' }]);
  });

  it('recovery: card credited -> book total; not credited -> the pre-authorisation is reversed', async () => {
    const t = await setup();
    await t.approve('credited');
    t.credited('credited');
    await t.approve('not-credited');
    const report = await recoverUnfinished({ journal: t.journal, terminal: t.payment.terminal, log });
    expect(Object.fromEntries(report.operations.map((o) => [o.operationId, o.action]))).toEqual({ credited: 'committed', 'not-credited': 'reversed' });
    expect(t.ledger().map((e) => e.reservation)).toEqual(['booked', 'released']);
    expect(t.types('credited').at(-1)).toBe('payment.committed');
    expect(t.types('not-credited').slice(-2)).toEqual(['payment.rollback-intent', 'payment.reversed']);
  });

  it('case 19 under this profile: the terminal goes silent after the card was credited -> left open (never reversed), and the settler books it once the terminal answers', async () => {
    const t = await setup();
    await t.approve('p19');
    await t.payment.terminal.issuing?.('p19');
    t.control.setBehaviour('silent');
    t.credited('p19');
    const settlement = createSettlement({ journal: t.journal, terminal: t.payment.terminal });
    expect(await settlement.commit({ paymentId: 'p19', amountCents: 700, card: CARD })).toMatchObject({ result: 'left-open', code: 'offline' });
    expect(t.ledger()).toMatchObject([{ reservation: 'reserved', state: 'authorized' }]);
    const timers: (() => void)[] = [];
    const settler = createSettler({ journal: t.journal, terminal: t.payment.terminal, time: { setTimeout: (f) => (timers.push(f), timers.length) as never, clearTimeout: () => undefined }, log });
    settler.track('p19');
    // still silent: one more pass leaves it open, nothing reversed
    expect((await settler.settleNow()).operations).toMatchObject([{ operationId: 'p19', action: 'left-open' }]);
    expect(t.types('p19')).not.toContain('payment.reversed');
    t.control.setBehaviour('approve');
    expect((await settler.settleNow()).operations).toMatchObject([{ operationId: 'p19', action: 'committed' }]);
    expect(t.ledger()).toMatchObject([{ reservation: 'booked', state: 'committed', amountCents: 700 }]);
    expect(t.types('p19').at(-1)).toBe('payment.committed');
    expect(settler.open()).toEqual([]);
    settler.stop();
  });

  it('a terminal that cannot be asked at recovery leaves the reservation open (never "failed"), and a later pass settles it', async () => {
    const t = await setup();
    await t.approve('p8');
    t.control.setBehaviour('silent');
    const first = await recoverUnfinished({ journal: t.journal, terminal: t.payment.terminal, log });
    expect(first.operations).toMatchObject([{ operationId: 'p8', action: 'left-open' }]);
    expect(t.ledger()).toMatchObject([{ reservation: 'reserved' }]);
    t.control.setBehaviour('approve');
    const second = await recoverUnfinished({ journal: t.journal, terminal: t.payment.terminal, log });
    expect(second.operations).toMatchObject([{ operationId: 'p8', action: 'reversed' }]);
    expect(t.ledger()).toMatchObject([{ reservation: 'released', state: 'reversed' }]);
  });
});
