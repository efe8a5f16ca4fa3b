/**
 * The kiosk session's journeys: one factory (`journeyState`) builds the session state that runs
 * each journey child (top-up, collect orders, station passage) from its entry in `JOURNEYS`.
 * The machine config that places these states is kiosk-machine.ts.
 */
import { assign, emit, raise, sendTo } from 'xstate';
import { COLLECT_ORDERS_USER_EVENTS, type CollectOrdersInput, type CollectOrdersOutput } from '../collect-orders/collect-orders-machine.js';
import { menuFor, notOfferedFor } from '../../domain/card-kinds.js';
import { DEFAULT_EXCLUSIVE_PRODUCT_GROUPS } from '../../domain/order-rules.js';
import type { JourneyId } from '../screen.js';
import {
  STATION_PASSAGE_USER_EVENTS,
  type StationPassageMachineInput,
  type StationPassageMachineOutput,
} from '../station-passage/station-passage-machine.js';
import { TOP_UP_USER_EVENTS, type TopUpInput, type TopUpOutput } from '../top-up/top-up-machine.js';
import type { CardAfterLoad, CardInfo } from '../types.js';
import type { KioskContext, KioskMachineEvent, KioskUserEvent } from './kiosk-events.js';
import { kioskSetup } from './kiosk-setup.js';

/** The card after a journey loaded something onto it (balance, products, top-ups). */
function withLoad(card: CardInfo | undefined, after: CardAfterLoad | undefined): CardInfo | undefined {
  return card && after ? { ...card, balanceCents: after.balanceCents, products: after.products, topUps: after.topUps } : card;
}

/** Each screen change of a journey re-arms the inactivity timer, or disarms it where money or a
 * card write is in flight (the child's `protected` tag). */
function childArmEvent(snapshot: unknown): { type: 'IDLE.ARM' } | { type: 'IDLE.DISARM' } {
  const s = snapshot as { status?: string; hasTag?: (t: string) => boolean };
  return s.status === 'active' && typeof s.hasTag === 'function' && s.hasTag('protected') ? { type: 'IDLE.DISARM' } : { type: 'IDLE.ARM' };
}

/** Each journey's input from the session and output back into it (its machine is the actor of the
 * same name in `setup` above). */
interface JourneyTypes {
  topUp: { input: TopUpInput; output: TopUpOutput };
  collectOrders: { input: CollectOrdersInput; output: CollectOrdersOutput };
  stationPassage: { input: StationPassageMachineInput; output: StationPassageMachineOutput };
}

interface JourneySpec<Id extends JourneyId> {
  /** User events the child handles; the session forwards them while it runs (and the child takes them). */
  userEvents: readonly KioskUserEvent['type'][];
  input: (context: KioskContext) => JourneyTypes[Id]['input'];
  /** The card as the session knows it after the journey (balance, products, top-ups it loaded). */
  cardAfter: (card: CardInfo | undefined, output: JourneyTypes[Id]['output']) => CardInfo | undefined;
}

const card = (context: KioskContext): CardInfo => {
  if (!context.card) throw new Error('a journey started without a card');
  return context.card;
};

const JOURNEYS: { [Id in JourneyId]: JourneySpec<Id> } = {
  topUp: {
    userEvents: TOP_UP_USER_EVENTS,
    input: (context) => {
      const c = card(context);
      return {
        card: { uid: c.uid, cardNumber: c.cardNumber, kind: c.kind, balanceCents: c.balanceCents },
        amountsCents: context.config.topUp.amountsCents,
        maxBalanceCents: context.config.topUp.maxBalanceCents,
        creditWaitMs: context.config.timing.creditWaitMs,
        doneMs: context.config.timing.doneMs,
      };
    },
    cardAfter: (c, out) => (c && out.balanceCents !== undefined ? { ...c, balanceCents: out.balanceCents } : c),
  },
  collectOrders: {
    userEvents: COLLECT_ORDERS_USER_EVENTS,
    input: (context) => {
      const c = card(context);
      return {
        card: {
          uid: c.uid,
          cardNumber: c.cardNumber,
          kind: c.kind,
          balanceCents: c.balanceCents,
          expiryDate: c.expiryDate,
          products: c.products,
          topUps: c.topUps,
        },
        today: context.today ?? '',
        maxBalanceCents: context.config.topUp.maxBalanceCents,
        exclusiveProductGroups: context.config.orders?.exclusiveProductGroups ?? DEFAULT_EXCLUSIVE_PRODUCT_GROUPS.map((g) => [...g]),
      };
    },
    cardAfter: (c, out) => withLoad(c, out.card),
  },
  stationPassage: {
    userEvents: STATION_PASSAGE_USER_EVENTS,
    input: (context) => {
      const c = card(context);
      const sp = context.config.stationPassage;
      return {
        card: { uid: c.uid, cardNumber: c.cardNumber },
        stationCode: sp?.stationCode ?? '',
        minutes: sp?.minutes ?? 0,
        today: context.today ?? '',
      };
    },
    cardAfter: (c, out) => withLoad(c, out.card),
  },
};

/** Does the running child take this event now? A child that cannot even tell (its guard throws)
 * is broken: the event goes to it, so it fails visibly into onError (goodbye, and the runtime
 * settles what it left open) rather than leaving the traveller on a screen that answers nothing. */
function childTakes(child: KioskContext['journeyNow'], event: KioskMachineEvent): boolean {
  if (!child) return false;
  try {
    return child.can(event);
  } catch {
    return true;
  }
}

/**
 * The session state that runs one journey: it invokes the journey's machine under the journey's
 * id, forwards the user events the child takes now (so the session's `can()` answers for the
 * child too), re-arms or disarms the inactivity timer on each of the child's screens, and
 * maps the child's output back: "back" returns to the menu (recomputed: the card may have changed),
 * anything else says goodbye with the card as it now is; a child that breaks says goodbye and
 * tells the runtime (journey-failed), which settles from the journal whatever it left open.
 */
export function journeyState<Id extends JourneyId>(id: Id) {
  // One shape for the three journeys: the spec is looked up by id, its types erased to the union
  // XState's invoke config takes (each spec is typed against its own machine above).
  const spec = JOURNEYS[id] as unknown as {
    userEvents: readonly KioskUserEvent['type'][];
    input: (context: KioskContext) => never;
    cardAfter: (card: CardInfo | undefined, output: unknown) => CardInfo | undefined;
  };
  return kioskSetup.createStateConfig({
    // The child reports its first snapshot as it starts (onSnapshot below), and every one after.
    entry: 'arm',
    exit: assign({ journeyNow: undefined }),
    invoke: {
      id,
      src: id as JourneyId,
      input: ({ context }) => spec.input(context),
      // Each screen change of the journey re-arms the timer, or disarms it where money is in flight.
      onSnapshot: {
        actions: [
          assign({ journeyNow: ({ event }) => event.snapshot as unknown as KioskContext['journeyNow'] }),
          raise(({ event }) => childArmEvent(event.snapshot)),
        ],
      },
      onDone: [
        {
          guard: ({ event }: { event: { output: unknown } }) => (event.output as { outcome: string }).outcome === 'back',
          target: 'menu',
          actions: assign(({ context, event }) => {
            const c = spec.cardAfter(context.card, event.output);
            const today = context.today ?? '';
            return {
              card: c,
              menu: c ? menuFor(c, today, context.config, context.health) : [],
              notOffered: c ? notOfferedFor(c, today, context.config, context.health) : [],
            };
          }),
        },
        {
          target: 'goodbye',
          actions: assign({ card: ({ context, event }) => spec.cardAfter(context.card, event.output) }),
        },
      ],
      // A journey that breaks must not strand the traveller: say goodbye, and tell the
      // runtime, which settles from the journal whatever the journey left open.
      onError: { target: 'goodbye', actions: emit({ type: 'journey-failed', journey: id }) },
    },
    on: Object.fromEntries(
      spec.userEvents.map((type) => [
        type,
        {
          guard: ({ context, event }: { context: KioskContext; event: KioskMachineEvent }) => childTakes(context.journeyNow, event),
          actions: [sendTo(id, ({ event }: { event: KioskMachineEvent }) => event), 'activity'],
        },
      ]),
    ),
  });
}
