/**
 * The collect-orders journey's screens as the renderer sees them: the list (or progress while the
 * back office is asked), confirm, refused, present again, writing, write problem and done, with
 * the configured maximum balance the over-limit refusal quotes. Pure.
 */
import type { SnapshotFrom } from 'xstate';
import type { OrderDoneView, OrderSelectedView, OrdersListView, OrderWriteProblemView, ServiceUnavailableView } from '../../contract/bridge.js';
import { cardView, cardWithLoad, type JourneyViewInput } from '../card-view.js';
import { screenFromMeta } from '../screen.js';
import { orderViews, selectedOrderView, type CollectOrdersMachine } from './collect-orders-machine.js';

export type CollectOrdersView = OrdersListView | OrderSelectedView | OrderWriteProblemView | OrderDoneView | ServiceUnavailableView;

/** The view for the collect-orders machine's current state; undefined on a step without a screen. */
export function collectOrdersView(snapshot: SnapshotFrom<CollectOrdersMachine>, input: JourneyViewInput): CollectOrdersView | undefined {
  const screen = screenFromMeta(snapshot);
  if (!screen) return undefined;
  const c = snapshot.context;
  const common = {
    ...input.base,
    journey: 'collect-orders' as const,
    // After a load, the card as it is now.
    card: cardView(cardWithLoad(input.card, c.cardAfter), input.today),
    limits: { maxBalanceCents: c.maxBalanceCents },
  };
  const selected = () => {
    const order = selectedOrderView(c);
    if (!order) throw new Error(`collect-orders: no selected order on screen ${screen}`);
    return order;
  };
  switch (screen) {
    case 'service-unavailable':
      return { ...input.base, journey: 'collect-orders', card: common.card, screen, unavailable: 'backoffice' };
    case 'orders':
      // While the back office is asked there is no list yet: the screen shows progress (busy).
      return { ...common, screen, ...(c.loaded ? { orders: orderViews(c) } : {}) };
    case 'order-confirm':
    case 'order-refused':
    case 'present-again':
    case 'writing-card':
      return { ...common, screen, selectedOrder: selected() };
    case 'write-problem':
      return { ...common, screen, selectedOrder: selected(), writeProblem: c.writeProblem ?? 'write-failed' };
    case 'order-done': {
      if (!c.collected) throw new Error('collect-orders: order-done without a collected order');
      return { ...common, screen, collected: { ...c.collected }, orders: orderViews(c) };
    }
    default:
      throw new Error(`collect-orders: no view for screen ${screen}`);
  }
}
