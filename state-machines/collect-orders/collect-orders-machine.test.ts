import { describe, expect, it } from 'vitest';
import { card, okRead, startKiosk, TEST_INPUT, TODAY, toMenu, type KioskHarness } from '../test-harness.js';
import type { KioskMachineInput } from '../types.js';
import type { CollectOrdersContext } from './collect-orders-machine.js';
import type { OrderInfo } from '../../domain/order-rules.js';

export const ORDERS_INPUT: KioskMachineInput = {
  ...TEST_INPUT,
  orders: { cardKinds: ['personal', 'anonymous', 'business'], exclusiveProductGroups: [['DAL-VOORDEEL', 'TRAJECT-VRIJ']] },
};

const KSC: OrderInfo = { orderId: 'KSC-1', kind: 'kaartservicecode', announcedOn: '2026-11-20' };
const NSX: OrderInfo = { orderId: 'NSX-1', kind: 'ns-extra', announcedOn: '2026-10-01', amountCents: 1250 };
const NSX_OLD: OrderInfo = { orderId: 'NSX-OLD', kind: 'ns-extra', announcedOn: '2025-11-01', amountCents: 500 };
const PRD: OrderInfo = {
  orderId: 'PRD-1',
  kind: 'product',
  announcedOn: '2026-11-22',
  product: { code: 'DAL-VOORDEEL', validFrom: '2026-11-23', validUntil: '2027-11-22', travelClass: 2 },
};

const personal = card({ kind: 'personal', cardNumber: '3528010000000017', balanceCents: 1000 });
const after = { balanceCents: 2250, products: [], topUps: [{ at: '2026-11-23T10:00:00.000Z', amountCents: 1250, location: 'ns-extra' }] };

function ordersCtx(h: KioskHarness): CollectOrdersContext {
  return h.journey()!.snapshot.context as CollectOrdersContext;
}

/** Menu -> collect orders with `orders` served. */
async function toList(h: KioskHarness, orders: OrderInfo[] = [KSC, NSX, NSX_OLD, PRD], c = personal) {
  await toMenu(h, okRead(c));
  h.send({ type: 'CHOOSE', option: 'collect-orders' });
  expect(h.screen()).toBe('orders');
  expect(h.actor.getSnapshot().hasTag('busy') || h.journey()!.snapshot.hasTag('busy')).toBe(true);
  expect(h.lastFetch().input).toEqual({ cardNumber: c.cardNumber });
  h.lastFetch().resolve({ ok: true, orders });
  await h.flush();
  expect(h.screen()).toBe('orders');
}

/** List -> confirm -> CONFIRM -> the card is still there -> writing. */
async function toWriting(h: KioskHarness, orderId = 'NSX-1') {
  h.send({ type: 'SELECT_ORDER', orderId });
  expect(h.screen()).toBe('order-confirm');
  h.send({ type: 'CONFIRM' });
  expect(h.screen()).toBe('present-again');
  expect(h.lastWait().input).toEqual({ fresh: false });
  h.lastWait().resolve({ uid: personal.uid });
  await h.flush();
  expect(h.screen()).toBe('writing-card');
}

describe('collect orders: the list', () => {
  it('is offered on the menu of every configured card kind, never on an expired card', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toMenu(h, okRead(card({ kind: 'business' })));
    expect(h.ctx().menu).toEqual(['collect-orders', 'balance']);
    const e = startKiosk(ORDERS_INPUT);
    await toMenu(e, okRead(card({ expiryDate: '2020-01-01' })));
    expect(e.screen()).toBe('card-problem');
    expect(e.ctx().menu).toEqual(['balance']);
  });

  it('lists every order with why it cannot be loaded now: NS Extra past its year (last day), conflicting product', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h, [KSC, NSX, NSX_OLD, PRD], card({ ...personal, products: [{ code: 'DAL-VOORDEEL', validFrom: '2026-01-01', validUntil: '2026-12-31' }] }));
    const c = ordersCtx(h);
    expect(c.today).toBe(TODAY);
    expect(c.pending.map((o) => o.orderId)).toEqual(['KSC-1', 'NSX-1', 'NSX-OLD', 'PRD-1']);
    const { orderViews } = await import('./collect-orders-machine.js');
    const views = orderViews(c);
    expect(views[0]).toEqual({ orderId: 'KSC-1', kind: 'kaartservicecode', announcedOn: '2026-11-20' });
    // NS Extra shows its last loadable day before it passes (one year after the e-mail).
    expect(views[1]).toEqual({ orderId: 'NSX-1', kind: 'ns-extra', announcedOn: '2026-10-01', amountCents: 1250, lastLoadableDay: '2027-10-01' });
    expect(views[2]!.refusal).toEqual({ reason: 'ns-extra-expired', lastDay: '2026-11-01' });
    expect(views[3]).toMatchObject({ productCode: 'DAL-VOORDEEL', refusal: { reason: 'conflicting-product', conflictingCode: 'DAL-VOORDEEL' } });
  });

  it('lists the orders that can be loaded first and the ones that cannot last (issue 14)', async () => {
    const h = startKiosk(ORDERS_INPUT);
    // The back office hands the expired NS Extra first; the list shows it after the loadable ones.
    await toList(h, [NSX_OLD, KSC, NSX]);
    const { orderViews } = await import('./collect-orders-machine.js');
    const views = orderViews(ordersCtx(h));
    expect(views.map((o) => o.orderId)).toEqual(['KSC-1', 'NSX-1', 'NSX-OLD']);
    expect(views.map((o) => !!o.refusal)).toEqual([false, false, true]);
  });

  it('refuses NS Extra to an anonymous card, and NS Extra that would pass EUR 150 with the room shown', async () => {
    const { orderViews } = await import('./collect-orders-machine.js');
    const a = startKiosk(ORDERS_INPUT);
    await toList(a, [NSX], card({ kind: 'anonymous' }));
    expect(orderViews(ordersCtx(a))[0]!.refusal).toEqual({ reason: 'not-personal' });
    const b = startKiosk(ORDERS_INPUT);
    await toList(b, [NSX], card({ kind: 'business' }));
    expect(orderViews(ordersCtx(b))[0]!.refusal).toEqual({ reason: 'not-personal' });
    const full = startKiosk(ORDERS_INPUT);
    await toList(full, [NSX], card({ kind: 'personal', balanceCents: 14_000 }));
    expect(orderViews(ordersCtx(full))[0]!.refusal).toEqual({ reason: 'over-limit', roomCents: 1000 });
  });

  it('shows a refused order with its reason, back to the list or away', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    h.send({ type: 'SELECT_ORDER', orderId: 'NSX-OLD' });
    expect(h.screen()).toBe('order-refused');
    expect(h.journey()!.snapshot.can({ type: 'CONFIRM' })).toBe(false);
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('orders');
    h.send({ type: 'SELECT_ORDER', orderId: 'NSX-OLD' });
    h.send({ type: 'FINISH' });
    await h.flush();
    expect(h.screen()).toBe('goodbye');
    const c = startKiosk(ORDERS_INPUT);
    await toList(c);
    c.send({ type: 'SELECT_ORDER', orderId: 'NSX-OLD' });
    c.send({ type: 'CANCEL' });
    await c.flush();
    expect(c.screen()).toBe('goodbye');
  });

  it('ignores an order id that is not in the list', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    expect(h.journey()!.snapshot.can({ type: 'SELECT_ORDER', orderId: 'NOPE' })).toBe(false);
    h.send({ type: 'SELECT_ORDER', orderId: 'NOPE' });
    expect(h.screen()).toBe('orders');
  });

  it('leaves the list: BACK to the menu, FINISH and CANCEL to goodbye', async () => {
    for (const [ev, to] of [['BACK', 'menu'], ['FINISH', 'goodbye'], ['CANCEL', 'goodbye']] as const) {
      const h = startKiosk(ORDERS_INPUT);
      await toList(h);
      h.send({ type: ev });
      await h.flush();
      expect(h.screen()).toBe(to);
    }
  });

  it('may be left while the back office is asked: BACK to the menu, CANCEL to goodbye', async () => {
    for (const [ev, to] of [['BACK', 'menu'], ['CANCEL', 'goodbye']] as const) {
      const h = startKiosk(ORDERS_INPUT);
      await toMenu(h, okRead(personal));
      h.send({ type: 'CHOOSE', option: 'collect-orders' });
      h.send({ type: ev });
      await h.flush();
      expect(h.screen()).toBe(to);
    }
  });
});

describe('collect orders: the back office is down', () => {
  it('says the back office is unavailable (answer or failure), retries, and goes back to the menu', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toMenu(h, okRead(personal));
    h.send({ type: 'CHOOSE', option: 'collect-orders' });
    h.lastFetch().resolve({ ok: false, reason: 'backoffice' });
    await h.flush();
    expect(h.screen()).toBe('service-unavailable');
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('orders');
    h.lastFetch().reject(new Error('boom'));
    await h.flush();
    expect(h.screen()).toBe('service-unavailable');
    h.send({ type: 'BACK' });
    await h.flush();
    expect(h.screen()).toBe('menu');
    expect(h.ctx().menu).toContain('topup');
  });

  it('FINISH or CANCEL on the unavailable screen say goodbye', async () => {
    for (const ev of ['FINISH', 'CANCEL'] as const) {
      const h = startKiosk(ORDERS_INPUT);
      await toMenu(h, okRead(personal));
      h.send({ type: 'CHOOSE', option: 'collect-orders' });
      h.lastFetch().resolve({ ok: false, reason: 'backoffice' });
      await h.flush();
      h.send({ type: ev });
      await h.flush();
      expect(h.screen()).toBe('goodbye');
    }
  });
});

describe('collect orders: loading an order', () => {
  it('confirm -> hold the card (at once if it lies there) -> write -> done; the list and the card are updated', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    await toWriting(h);
    expect(h.idle()).toBe('disarmed'); // no inactivity reset while the card is written
    expect(h.lastCollect().input).toEqual({ order: NSX, card: { uid: personal.uid, cardNumber: personal.cardNumber }, today: TODAY });
    h.lastCollect().resolve({ result: 'loaded', card: after });
    await h.flush();
    expect(h.screen()).toBe('order-done');
    const c = ordersCtx(h);
    expect(c.collected).toMatchObject({ orderId: 'NSX-1', kind: 'ns-extra', amountCents: 1250 });
    expect(c.pending.map((o) => o.orderId)).toEqual(['KSC-1', 'NSX-OLD', 'PRD-1']);
    expect(c.cardAfter?.balanceCents).toBe(2250);
    // Another order in the same visit.
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('orders');
    await toWriting(h, 'KSC-1');
    h.lastCollect().resolve({ result: 'loaded', card: after });
    await h.flush();
    h.send({ type: 'FINISH' });
    await h.flush();
    expect(h.screen()).toBe('goodbye');
    expect(h.ctx().card?.balanceCents).toBe(2250);
  });

  it('leaving done with CANCEL says goodbye; going back from the list to the menu keeps the new balance', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    await toWriting(h);
    h.lastCollect().resolve({ result: 'loaded', card: after });
    await h.flush();
    h.send({ type: 'BACK' });
    h.send({ type: 'BACK' });
    await h.flush();
    expect(h.screen()).toBe('menu');
    expect(h.ctx().card?.balanceCents).toBe(2250);
    const c = startKiosk(ORDERS_INPUT);
    await toList(c);
    await toWriting(c);
    c.lastCollect().resolve({ result: 'loaded', card: after });
    await c.flush();
    c.send({ type: 'CANCEL' });
    await c.flush();
    expect(c.screen()).toBe('goodbye');
  });

  it('confirm: BACK or CANCEL return to the list without loading anything', async () => {
    for (const ev of ['BACK', 'CANCEL'] as const) {
      const h = startKiosk(ORDERS_INPUT);
      await toList(h);
      h.send({ type: 'SELECT_ORDER', orderId: 'KSC-1' });
      h.send({ type: ev });
      expect(h.screen()).toBe('orders');
      expect(h.collects).toHaveLength(0);
    }
  });

  it('holding the card again can be cancelled (back to the list), and a reader failure is a write problem', async () => {
    for (const ev of ['BACK', 'CANCEL'] as const) {
      const h = startKiosk(ORDERS_INPUT);
      await toList(h);
      h.send({ type: 'SELECT_ORDER', orderId: 'KSC-1' });
      h.send({ type: 'CONFIRM' });
      h.send({ type: ev });
      expect(h.screen()).toBe('orders');
    }
    const r = startKiosk(ORDERS_INPUT);
    await toList(r);
    r.send({ type: 'SELECT_ORDER', orderId: 'KSC-1' });
    r.send({ type: 'CONFIRM' });
    r.lastWait().reject(new Error('reader gone'));
    await r.flush();
    expect(r.screen()).toBe('write-problem');
  });

  it('the card as it is now refuses the order (e.g. balance changed): refused screen with that reason', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    await toWriting(h);
    h.lastCollect().resolve({ result: 'refused', refusal: { reason: 'over-limit', roomCents: 300 } });
    await h.flush();
    expect(h.screen()).toBe('order-refused');
    const { selectedOrderView } = await import('./collect-orders-machine.js');
    expect(selectedOrderView(ordersCtx(h))?.refusal).toEqual({ reason: 'over-limit', roomCents: 300 });
  });

  it('card removed mid-write: write problem; putting the card back writes again; a wrong card needs a fresh tap', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    await toWriting(h);
    h.lastCollect().resolve({ result: 'card-removed' });
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    expect(ordersCtx(h).writeProblem).toBe('card-removed');
    expect(h.lastWait().input).toEqual({ fresh: true });
    h.lastWait().resolve({ uid: personal.uid });
    await h.flush();
    expect(h.screen()).toBe('writing-card');
    h.lastCollect().resolve({ result: 'wrong-card' });
    await h.flush();
    expect(ordersCtx(h).writeProblem).toBe('wrong-card');
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('present-again');
    expect(h.lastWait().input).toEqual({ fresh: true });
    h.lastWait().resolve({ uid: personal.uid });
    await h.flush();
    h.lastCollect().reject(new Error('driver broke'));
    await h.flush();
    expect(ordersCtx(h).writeProblem).toBe('write-failed');
    // The reader fails while waiting on the problem screen: stay, the buttons still work.
    h.lastWait().reject(new Error('reader gone'));
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    h.send({ type: 'CANCEL' });
    expect(h.screen()).toBe('orders');
    expect(ordersCtx(h).pending).toHaveLength(4);
  });

  it('BACK on a write problem returns to the list', async () => {
    const h = startKiosk(ORDERS_INPUT);
    await toList(h);
    await toWriting(h);
    h.lastCollect().resolve({ result: 'write-failed' });
    await h.flush();
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('orders');
  });

  it('a collect journey that breaks says goodbye and tells the runtime to settle', async () => {
    const h = startKiosk(ORDERS_INPUT);
    const failed: string[] = [];
    h.actor.on('journey-failed', (e) => failed.push(e.journey));
    await toList(h);
    // A broken child (a guard throws while it works out the next step) ends the journey.
    const child = h.actor.getSnapshot().children['collectOrders'] as unknown as { getSnapshot(): { context: { pending: unknown } } };
    child.getSnapshot().context.pending = null;
    h.send({ type: 'SELECT_ORDER', orderId: 'NSX-1' });
    await h.flush();
    expect(h.screen()).toBe('goodbye');
    expect(failed).toEqual(['collectOrders']);
  });
});
