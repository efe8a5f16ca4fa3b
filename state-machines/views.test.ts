// Each machine's view function: the screen's member of the KioskSnapshot union, with its journey
// and the configured limits, computed from the machine's own context.
import { describe, expect, it } from 'vitest';
import type { SnapshotFrom } from 'xstate';
import type { OrderInfo } from '../domain/order-rules.js';
import type { JourneyViewInput } from './card-view.js';
import type { CollectOrdersMachine } from './collect-orders/collect-orders-machine.js';
import { collectOrdersView } from './collect-orders/collect-orders-view.js';
import { kioskView, sessionBase } from './kiosk/kiosk-view.js';
import type { StationPassageMachine } from './station-passage/station-passage-machine.js';
import { stationPassageView } from './station-passage/station-passage-view.js';
import { card, okRead, startKiosk, TEST_INPUT, toMenu, type KioskHarness } from './test-harness.js';
import type { TopUpMachine } from './top-up/top-up-machine.js';
import { topUpView } from './top-up/top-up-view.js';
import type { KioskMachineInput } from './types.js';

/** The configured maximum balance, below the EUR 150 of the card rules. */
const LOWER_MAX: KioskMachineInput = {
  ...TEST_INPUT,
  topUp: { ...TEST_INPUT.topUp, maxBalanceCents: 10_000 },
  orders: { cardKinds: ['personal', 'anonymous'], exclusiveProductGroups: [] },
  stationPassage: { enabled: true, stationCode: 'UT', minutes: 60, belowBalanceCents: 2000, cardKinds: ['personal', 'anonymous'] },
};
const extras = { rev: 3, secondsLeft: 20 };
const personal = card({ kind: 'personal', cardNumber: '3528010000000017', balanceCents: 1000 });
const NSX: OrderInfo = { orderId: 'NSX-1', kind: 'ns-extra', announcedOn: '2026-11-01', amountCents: 9500 };
const KSC: OrderInfo = { orderId: 'KSC-1', kind: 'kaartservicecode', announcedOn: '2026-11-20' };

function input(h: KioskHarness): JourneyViewInput {
  const root = h.actor.getSnapshot();
  return { base: sessionBase(root, extras), card: root.context.card!, today: root.context.today };
}
// The harness's journey() is untyped; the view functions take their machine's own snapshot.
const ordersSnap = (h: KioskHarness) => h.journey()!.snapshot as SnapshotFrom<CollectOrdersMachine>;
const topUpSnap = (h: KioskHarness) => h.journey()!.snapshot as SnapshotFrom<TopUpMachine>;
const passageSnap = (h: KioskHarness) => h.journey()!.snapshot as SnapshotFrom<StationPassageMachine>;

describe('collectOrdersView', () => {
  it('carries the configured maximum balance (EUR 100 here) and the room of an over-limit order', async () => {
    const h = startKiosk(LOWER_MAX);
    await toMenu(h, okRead(personal));
    h.send({ type: 'CHOOSE', option: 'collect-orders' });
    const loading = collectOrdersView(ordersSnap(h), input(h));
    expect(loading).toMatchObject({ screen: 'orders', journey: 'collect-orders', busy: true, limits: { maxBalanceCents: 10_000 } });
    expect(loading && 'orders' in loading).toBe(false);
    h.lastFetch().resolve({ ok: true, orders: [NSX, KSC] });
    await h.flush();
    const list = collectOrdersView(ordersSnap(h), input(h));
    expect(list).toMatchObject({ screen: 'orders', journey: 'collect-orders', rev: 3, limits: { maxBalanceCents: 10_000 } });
    if (list?.screen !== 'orders') throw new Error('not the orders screen');
    // The over-limit NS Extra cannot be loaded: listed after the loadable code.
    expect(list.orders?.map((o) => o.orderId)).toEqual([KSC.orderId, NSX.orderId]);
    expect(list.orders?.[1]?.refusal).toEqual({ reason: 'over-limit', roomCents: 9000 });
    expect(list.card.last4).toBe('0017');
  });

  it('shows the collected order, the ones still waiting and the card as it is now', async () => {
    const h = startKiosk(LOWER_MAX);
    await toMenu(h, okRead(personal));
    h.send({ type: 'CHOOSE', option: 'collect-orders' });
    h.lastFetch().resolve({ ok: true, orders: [KSC, NSX] });
    await h.flush();
    h.send({ type: 'SELECT_ORDER', orderId: 'KSC-1' });
    expect(collectOrdersView(ordersSnap(h), input(h))).toMatchObject({ screen: 'order-confirm', selectedOrder: { orderId: 'KSC-1' } });
    h.send({ type: 'CONFIRM' });
    h.lastWait().resolve({ uid: personal.uid });
    await h.flush();
    h.lastCollect().resolve({ result: 'loaded', card: { balanceCents: 1000, products: [], topUps: [] } });
    await h.flush();
    const done = collectOrdersView(ordersSnap(h), input(h));
    expect(done).toMatchObject({ screen: 'order-done', collected: { orderId: 'KSC-1' }, orders: [{ orderId: 'NSX-1' }] });
  });
});

describe('topUpView', () => {
  it('carries the configured maximum balance; the payment only once an amount is being paid', async () => {
    const h = startKiosk(LOWER_MAX);
    await toMenu(h, okRead(personal));
    h.send({ type: 'CHOOSE', option: 'topup' });
    const amount = topUpView(topUpSnap(h), input(h));
    expect(amount).toMatchObject({ screen: 'topup-amount', journey: 'top-up', limits: { maxBalanceCents: 10_000 }, topUp: { maxCents: 9000 } });
    expect(amount && 'payment' in amount).toBe(false);
    h.send({ type: 'SELECT_AMOUNT', amountCents: 2000 });
    h.send({ type: 'CONFIRM' });
    expect(topUpView(topUpSnap(h), input(h))).toMatchObject({ screen: 'payment', journey: 'top-up', payment: { amountCents: 2000 } });
  });
});

describe('stationPassageView', () => {
  it('is its own member: which station and how long, no order pretending to be one', async () => {
    const h = startKiosk(LOWER_MAX);
    await toMenu(h, okRead(card({ balanceCents: 150 })));
    h.send({ type: 'CHOOSE', option: 'station-passage' });
    const confirm = stationPassageView(passageSnap(h), input(h));
    expect(confirm).toEqual(expect.objectContaining({ screen: 'order-confirm', journey: 'station-passage', stationPassage: { station: 'UT', minutes: 60 } }));
    expect(confirm && 'selectedOrder' in confirm).toBe(false);
  });
});

describe('kioskView', () => {
  it('shows the session screens with no journey, the menu with the card', async () => {
    const h = startKiosk(LOWER_MAX);
    expect(kioskView(h.actor.getSnapshot(), extras)).toEqual({
      rev: 3,
      screen: 'start',
      journey: 'none',
      locale: 'nl',
      largeText: false,
      busy: false,
      inactivity: { warning: false, secondsLeft: 20 },
    });
    await toMenu(h, okRead(personal));
    expect(kioskView(h.actor.getSnapshot(), extras)).toMatchObject({ screen: 'menu', journey: 'none', card: { last4: '0017' }, menu: ['topup', 'collect-orders', 'station-passage', 'balance'] });
  });
});
