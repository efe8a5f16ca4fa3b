/**
 * Collect pending orders ("Ophalen bestelling"), invoked by the session machine from the menu:
 *
 *   loading (ask the back office; progress) -> list (each order with what it is and, where it
 *   cannot be loaded now, why) -> SELECT_ORDER -> confirm ("Akkoord") | refused (why)
 *   -> CONFIRM -> collecting { presentAgain (hold the same card again; at once if it still lies
 *   there) -> writing (journaled load + back-office confirmation) -> writeProblem (removed, other
 *   card, failed: put the right card back, try again or stop) } -> done (next step) -> BACK to the
 *   list for the next order, or FINISH.
 *
 * The back office being down is `service-unavailable` (unavailable = 'backoffice') with "try
 * again" and "back" (the menu still offers what works offline, such as top-up).
 *
 * The eligibility rules are pure (./order-rules.ts) and are applied to the card as the session
 * read it; after each load the card's new balance and products count for the remaining orders.
 * The collect actor checks the rules again against the card as it is at the moment of writing.
 * States tagged `protected` are where a card write is running: no inactivity reset there.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { CardIdentity, CardKind } from '../../contract/card.js';
import type { OrderView, WriteProblem } from '../../contract/bridge.js';
import { notProvidedIn, presentAgainWait, writeAnsweredProblem, writeProblemWait, writeThrew } from '../shared/card-write.js';
import type { ScreenMeta } from '../top-up/top-up-machine.js';
import type {
  CardAfterLoad,
  CardInfo,
  CollectOrderInput,
  CollectOrderOutput,
  FetchOrdersInput,
  FetchOrdersOutput,
  WaitForCardInput,
  WaitForCardOutput,
} from '../types.js';
import { nsExtraLastDay, orderRefusalFor, type OrderInfo, type OrderRefusalDetail } from '../../domain/order-rules.js';

export interface CollectOrdersInput {
  card: CardIdentity & { kind: CardKind; balanceCents: number; expiryDate: string; products: CardInfo['products']; topUps: CardInfo['topUps'] };
  /** Today in the kiosk's time zone (YYYY-MM-DD). */
  today: string;
  maxBalanceCents: number;
  exclusiveProductGroups: string[][];
}

export type CollectOrdersOutcome = 'back' | 'cancelled' | 'finished';

export interface CollectOrdersOutput {
  outcome: CollectOrdersOutcome;
  /** Set when at least one order was loaded: what the card holds now. */
  card?: CardAfterLoad;
}

export interface CollectOrdersContext extends CollectOrdersInput {
  /** Orders still pending, as the back office served them (loaded ones are removed). */
  pending: OrderInfo[];
  /** Set once the back office answered. */
  loaded: boolean;
  selectedId?: string;
  /** A refusal the collect actor found on the card as it is now (overrides the listed one). */
  lateRefusal?: { orderId: string; refusal: OrderRefusalDetail };
  collected?: OrderView;
  writeProblem?: WriteProblem;
  needFreshCard: boolean;
  /** What the card holds after the last load. */
  cardAfter?: CardAfterLoad;
  outcome?: CollectOrdersOutcome;
}

/** User events this machine handles (forwarded by the session machine). */
export type CollectOrdersUserEvent =
  | { type: 'SELECT_ORDER'; orderId: string }
  | { type: 'CONFIRM' }
  | { type: 'RETRY' }
  | { type: 'BACK' }
  | { type: 'CANCEL' }
  | { type: 'FINISH' };

export const COLLECT_ORDERS_USER_EVENTS = ['SELECT_ORDER', 'CONFIRM', 'RETRY', 'BACK', 'CANCEL', 'FINISH'] as const;

/** The card as the rules see it now: after a load, its new balance and products. */
function currentCard(ctx: CollectOrdersContext) {
  return {
    kind: ctx.card.kind,
    expiryDate: ctx.card.expiryDate,
    balanceCents: ctx.cardAfter?.balanceCents ?? ctx.card.balanceCents,
    products: ctx.cardAfter?.products ?? ctx.card.products,
  };
}

/** The screen's view of one order, with why it cannot be loaded now (if so). Pure. */
export function orderView(order: OrderInfo, ctx: CollectOrdersContext): OrderView {
  const refusal =
    ctx.lateRefusal?.orderId === order.orderId
      ? ctx.lateRefusal.refusal
      : orderRefusalFor(order, currentCard(ctx), ctx.today, {
          maxBalanceCents: ctx.maxBalanceCents,
          exclusiveProductGroups: ctx.exclusiveProductGroups,
        });
  return {
    orderId: order.orderId,
    kind: order.kind,
    announcedOn: order.announcedOn,
    ...(order.kind === 'ns-extra' ? { amountCents: order.amountCents, lastLoadableDay: nsExtraLastDay(order.announcedOn) } : {}),
    ...(order.kind === 'product'
      ? { productCode: order.product.code, validFrom: order.product.validFrom, validUntil: order.product.validUntil }
      : {}),
    ...(refusal ? { refusal: { ...refusal } } : {}),
  };
}

/** The list as shown: orders that can be loaded now first (in the back office's order), then the
 * ones that cannot, each with its reason (issue 14: an unloadable order is not "waiting"). */
export function orderViews(ctx: CollectOrdersContext): OrderView[] {
  const views = ctx.pending.map((o) => orderView(o, ctx));
  return [...views.filter((v) => !v.refusal), ...views.filter((v) => v.refusal)];
}

export function selectedOrderView(ctx: CollectOrdersContext): OrderView | undefined {
  const o = ctx.pending.find((x) => x.orderId === ctx.selectedId);
  return o ? orderView(o, ctx) : undefined;
}

const notProvided = notProvidedIn('collect-orders');

const findOrder = (ctx: CollectOrdersContext, orderId: string | undefined) => ctx.pending.find((o) => o.orderId === orderId);

export const collectOrdersMachine = setup({
  types: {
    context: {} as CollectOrdersContext,
    events: {} as CollectOrdersUserEvent,
    input: {} as CollectOrdersInput,
    output: {} as CollectOrdersOutput,
    meta: {} as ScreenMeta,
    tags: {} as 'busy' | 'protected',
  },
  actors: {
    fetchOrders: fromPromise<FetchOrdersOutput, FetchOrdersInput>(notProvided('fetchOrders')),
    waitForCard: fromPromise<WaitForCardOutput, WaitForCardInput>(notProvided('waitForCard')),
    collectOrder: fromPromise<CollectOrderOutput, CollectOrderInput>(notProvided('collectOrder')),
  },
  guards: {
    knownOrder: ({ context, event }) => event.type === 'SELECT_ORDER' && !!findOrder(context, event.orderId),
    refusedOrder: ({ context, event }) => {
      if (event.type !== 'SELECT_ORDER') return false;
      const o = findOrder(context, event.orderId);
      return !!o && orderView(o, context).refusal !== undefined;
    },
  },
}).createMachine({
  id: 'collectOrders',
  context: ({ input }) => ({ ...input, pending: [], loaded: false, needFreshCard: false }),
  initial: 'loading',
  output: ({ context }) => ({
    outcome: context.outcome ?? 'cancelled',
    ...(context.cardAfter ? { card: context.cardAfter } : {}),
  }),
  states: {
    loading: {
      meta: { screen: 'orders' },
      tags: ['busy'],
      invoke: {
        src: 'fetchOrders',
        input: ({ context }) => ({ cardNumber: context.card.cardNumber }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'list',
            actions: assign({ pending: ({ event }) => (event.output.ok ? event.output.orders : []), loaded: true }),
          },
          { target: 'unavailable' },
        ],
        onError: 'unavailable',
      },
      on: {
        // Waiting for the back office is no reason to keep the traveller: back to the menu.
        BACK: { target: 'leaving', actions: assign({ outcome: 'back' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'cancelled' }) },
      },
    },
    unavailable: {
      meta: { screen: 'service-unavailable' },
      on: {
        RETRY: 'loading',
        BACK: { target: 'leaving', actions: assign({ outcome: 'back' }) },
        FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'cancelled' }) },
      },
    },
    list: {
      meta: { screen: 'orders' },
      entry: assign({ selectedId: undefined, writeProblem: undefined, collected: undefined }),
      on: {
        SELECT_ORDER: [
          { guard: 'refusedOrder', target: 'refused', actions: assign({ selectedId: ({ event }) => event.orderId }) },
          { guard: 'knownOrder', target: 'confirm', actions: assign({ selectedId: ({ event }) => event.orderId }) },
        ],
        BACK: { target: 'leaving', actions: assign({ outcome: 'back' }) },
        FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'cancelled' }) },
      },
    },
    refused: {
      meta: { screen: 'order-refused' },
      on: {
        BACK: 'list',
        FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'cancelled' }) },
      },
    },
    confirm: {
      meta: { screen: 'order-confirm' },
      on: {
        CONFIRM: { target: 'collecting', actions: assign({ needFreshCard: false, writeProblem: undefined }) },
        BACK: 'list',
        CANCEL: 'list',
      },
    },
    collecting: {
      initial: 'presentAgain',
      states: {
        // Nothing has happened yet: the order stays pending.
        presentAgain: { ...presentAgainWait, on: { CANCEL: '#collectOrders.list', BACK: '#collectOrders.list' } },
        writing: {
          meta: { screen: 'writing-card' },
          tags: ['busy', 'protected'],
          invoke: {
            src: 'collectOrder',
            input: ({ context }) => ({
              order: findOrder(context, context.selectedId)!,
              card: { uid: context.card.uid, cardNumber: context.card.cardNumber },
              today: context.today,
            }),
            onDone: [
              {
                guard: ({ event }) => event.output.result === 'loaded',
                target: '#collectOrders.done',
                actions: assign(({ context, event }) => {
                  const out = event.output;
                  const order = findOrder(context, context.selectedId);
                  const cardAfter = out.result === 'loaded' ? out.card : context.cardAfter;
                  return {
                    cardAfter,
                    collected: order ? orderView(order, { ...context, lateRefusal: undefined }) : undefined,
                    pending: context.pending.filter((o) => o.orderId !== context.selectedId),
                    writeProblem: undefined,
                  };
                }),
              },
              {
                guard: ({ event }) => event.output.result === 'refused',
                target: '#collectOrders.refused',
                actions: assign({
                  lateRefusal: ({ context, event }) =>
                    event.output.result === 'refused' ? { orderId: context.selectedId ?? '', refusal: event.output.refusal } : context.lateRefusal,
                }),
              },
              { target: 'writeProblem', actions: writeAnsweredProblem },
            ],
            onError: { target: 'writeProblem', actions: writeThrew },
          },
        },
        writeProblem: {
          // Putting the right card back tries again at once; "try again" waits for it, "stop"
          // returns to the list (nothing was loaded; a torn write is found by its ref next time).
          // The reader failing keeps this screen; "try again" and "stop" still work.
          ...writeProblemWait,
          on: {
            RETRY: 'presentAgain',
            CANCEL: '#collectOrders.list',
            BACK: '#collectOrders.list',
          },
        },
      },
    },
    done: {
      meta: { screen: 'order-done' },
      on: {
        // Another order: back to the (updated) list.
        BACK: 'list',
        FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
        CANCEL: { target: 'leaving', actions: assign({ outcome: 'finished' }) },
      },
    },
    leaving: { type: 'final' },
  },
});

export type CollectOrdersMachine = typeof collectOrdersMachine;
