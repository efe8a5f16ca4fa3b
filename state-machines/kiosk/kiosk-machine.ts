/**
 * The kiosk session: one traveller's visit, from the start screen to "take your card".
 *
 * Two parallel regions:
 * - `journey`: start (language) -> present card -> reading -> card checks -> menu -> a journey.
 *   Each journey (top-up now; collect orders and balance in later issues) is a child machine
 *   invoked from its own state here, built by one factory (`journeyState`): the user events the
 *   child takes now are forwarded to it, and its output decides where the session goes next. To
 *   add one: an actor in `setup`, an entry in `JOURNEYS` (its id listed in ../screen.ts
 *   JOURNEY_IDS), `journeyState('<id>')` in the journey region, and a CHOOSE branch in `menu`.
 * - `idle`: the inactivity timer. Screens where a traveller is expected to act arm it; screens
 *   where money is in flight or the kiosk is working disarm it (raise IDLE.ARM / IDLE.DISARM; a
 *   child journey's screens count through its `protected` tag). Armed and untouched for
 *   `inactivityMs` -> warning ("do you need more time?"); still untouched for
 *   `inactivityWarningMs` -> IDLE.TIMEOUT, and the journey returns to the start screen (Dutch
 *   again). It hears only internal events: every transition that takes a user event raises
 *   IDLE.ACTIVITY (screen changes re-arm through their entry), so the session's `can(event)` says
 *   truthfully whether a traveller's event does anything now (see `sendUserEvent`).
 *
 * Pure: card reading and waiting for a card are actors the runtime provides; the top-up child
 * gets its own actors through `topUpMachine.provide(...)` before it is provided here as `topUp`.
 */
import { assign, emit, fromPromise, raise, sendTo, setup } from 'xstate';
import type { CardProblem, Locale, MenuOption } from '../../contract/bridge.js';
import { DEFAULT_LOCALE } from '../../contract/bridge.js';
import {
  COLLECT_ORDERS_USER_EVENTS,
  collectOrdersMachine,
  type CollectOrdersInput,
  type CollectOrdersOutput,
} from '../collect-orders/collect-orders-machine.js';
import { expiredMenu, menuFor } from '../../domain/card-kinds.js';
import { DEFAULT_EXCLUSIVE_PRODUCT_GROUPS } from '../../domain/order-rules.js';
import type { JourneyId } from '../screen.js';
import { notProvidedIn } from '../shared/card-write.js';
import {
  STATION_PASSAGE_USER_EVENTS,
  stationPassageMachine,
  type StationPassageMachineInput,
  type StationPassageMachineOutput,
} from '../station-passage/station-passage-machine.js';
import { TOP_UP_USER_EVENTS, topUpMachine, type ScreenMeta, type TopUpInput, type TopUpOutput } from '../top-up/top-up-machine.js';
import type { CardAfterLoad, CardInfo, KioskMachineInput, ReadCardOutput, WaitForCardInput, WaitForCardOutput } from '../types.js';

/** Events a shell may send (validated by contract/bridge-events.ts kioskEventSchema before they get here). */
export type KioskUserEvent =
  | { type: 'START' }
  | { type: 'SET_LOCALE'; locale: Locale }
  | { type: 'TOGGLE_LARGE_TEXT' }
  | { type: 'ACTIVITY' }
  | { type: 'MORE_TIME' }
  | { type: 'CHOOSE'; option: MenuOption }
  | { type: 'SELECT_AMOUNT'; amountCents: number }
  | { type: 'SELECT_ORDER'; orderId: string }
  | { type: 'CONFIRM' }
  | { type: 'RETRY' }
  | { type: 'BACK' }
  | { type: 'CANCEL' }
  | { type: 'FINISH' };

/** Internal events: never accepted from a shell. */
export type KioskInternalEvent = { type: 'IDLE.ARM' } | { type: 'IDLE.DISARM' } | { type: 'IDLE.TIMEOUT' } | { type: 'IDLE.ACTIVITY' };

export type KioskMachineEvent = KioskUserEvent | KioskInternalEvent;

/** Emitted to the runtime (actor.on): a journey broke; whatever it left open must be settled. */
export type KioskEmitted = { type: 'journey-failed'; journey: string };

export const USER_EVENT_TYPES = [
  'START',
  'SET_LOCALE',
  'TOGGLE_LARGE_TEXT',
  'ACTIVITY',
  'MORE_TIME',
  'CHOOSE',
  'SELECT_AMOUNT',
  'SELECT_ORDER',
  'CONFIRM',
  'RETRY',
  'BACK',
  'CANCEL',
  'FINISH',
] as const satisfies readonly KioskUserEvent['type'][];

/** Events every screen accepts (they change presentation or only count as activity). */
export const ALWAYS_ALLOWED_EVENTS = ['SET_LOCALE', 'TOGGLE_LARGE_TEXT', 'ACTIVITY', 'MORE_TIME'] as const;

/** What can take a user event: a running session actor (or anything with its snapshot's `can`). */
export interface UserEventTarget {
  getSnapshot(): { can(event: KioskMachineEvent): boolean };
  send(event: KioskMachineEvent): void;
}

/**
 * The one door for a traveller's event into a session. The session's own `can()` decides: taken,
 * it is sent (and the machine counts it as activity itself); not taken, nothing changes but the
 * touch still counts (ACTIVITY), and the answer is false. Used by the runtime and by the tests.
 */
export function sendUserEvent(target: UserEventTarget, event: KioskUserEvent): boolean {
  if (!target.getSnapshot().can(event)) {
    target.send({ type: 'ACTIVITY' });
    return false;
  }
  target.send(event);
  return true;
}

export interface KioskContext {
  config: KioskMachineInput;
  locale: Locale;
  largeText: boolean;
  card?: CardInfo;
  today?: string;
  problem?: CardProblem;
  unavailable?: 'card-reader';
  menu: MenuOption[];
  /** The next card wait needs a new presentation: the card lying there just failed to read. */
  needFreshCard: boolean;
  /** The running journey child's latest snapshot (from onSnapshot): which events it takes now. */
  journeyNow?: { can(event: KioskMachineEvent): boolean };
}

const notProvided = notProvidedIn('kiosk');

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

const kioskSetup = setup({
  types: {
    context: {} as KioskContext,
    events: {} as KioskMachineEvent,
    input: {} as KioskMachineInput,
    meta: {} as ScreenMeta,
    tags: {} as 'busy' | 'protected',
    emitted: {} as KioskEmitted,
  },
  actors: {
    waitForCard: fromPromise<WaitForCardOutput, WaitForCardInput>(notProvided('waitForCard')),
    readCard: fromPromise<ReadCardOutput, void>(notProvided('readCard')),
    topUp: topUpMachine,
    collectOrders: collectOrdersMachine,
    stationPassage: stationPassageMachine,
  },
  delays: {
    inactivity: ({ context }) => context.config.timing.inactivityMs,
    inactivityWarning: ({ context }) => context.config.timing.inactivityWarningMs,
    goodbye: ({ context }) => context.config.timing.goodbyeMs,
  },
  actions: {
    arm: raise({ type: 'IDLE.ARM' }),
    disarm: raise({ type: 'IDLE.DISARM' }),
    /** A user event was taken: the idle region restarts its count (it hears nothing else of them). */
    activity: raise({ type: 'IDLE.ACTIVITY' }),
    resetSession: assign({
      locale: DEFAULT_LOCALE,
      largeText: false,
      card: undefined,
      today: undefined,
      problem: undefined,
      unavailable: undefined,
      menu: [],
      needFreshCard: false,
    }),
  },
});

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

/** User events each journey child handles; the session forwards them while it runs. */
export const JOURNEY_USER_EVENTS: Record<JourneyId, readonly KioskUserEvent['type'][]> = {
  topUp: JOURNEYS.topUp.userEvents,
  collectOrders: JOURNEYS.collectOrders.userEvents,
  stationPassage: JOURNEYS.stationPassage.userEvents,
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
function journeyState<Id extends JourneyId>(id: Id) {
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
            return { card: c, menu: c ? menuFor(c, context.today ?? '', context.config) : [] };
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

export const kioskMachine = kioskSetup.createMachine({
  id: 'kiosk',
  type: 'parallel',
  context: ({ input }) => ({ config: input, locale: DEFAULT_LOCALE, largeText: false, menu: [], needFreshCard: false }),
  states: {
    journey: {
      initial: 'start',
      // Every user event is taken here, by the journey region (the idle region hears only the
      // internal IDLE.* events), so the session's `can(event)` says whether a traveller's event
      // does anything now.
      on: {
        'IDLE.TIMEOUT': '.start',
        SET_LOCALE: { actions: [assign({ locale: ({ event }) => event.locale }), 'activity'] },
        TOGGLE_LARGE_TEXT: { actions: [assign({ largeText: ({ context }) => !context.largeText }), 'activity'] },
        // A touch anywhere, and "more time" on the warning: only the inactivity count hears them.
        ACTIVITY: { actions: 'activity' },
        MORE_TIME: { actions: 'activity' },
      },
      states: {
        start: {
          meta: { screen: 'start' },
          entry: ['resetSession', 'disarm'],
          on: { START: 'presentCard' },
        },
        presentCard: {
          meta: { screen: 'present-card' },
          entry: 'arm',
          invoke: {
            src: 'waitForCard',
            input: ({ context }) => ({ fresh: context.needFreshCard }),
            onDone: { target: 'readingCard', actions: assign({ needFreshCard: false }) },
            onError: { target: 'serviceUnavailable', actions: assign({ unavailable: 'card-reader' }) },
          },
          on: { BACK: 'start', CANCEL: 'start' },
        },
        readingCard: {
          meta: { screen: 'reading-card' },
          tags: ['busy'],
          entry: 'disarm',
          invoke: {
            src: 'readCard',
            onDone: [
              // Taken away before the read finished (or the read broke off): ask again, and wait for
              // the card to be held anew rather than re-reading a card that just failed at once.
              {
                guard: ({ event }) => !event.output.ok && event.output.problem === 'card-gone',
                target: 'presentCard',
                actions: assign({ needFreshCard: true }),
              },
              {
                guard: ({ event }) => !event.output.ok && event.output.problem === 'reader-unavailable',
                target: 'serviceUnavailable',
                actions: assign({ unavailable: 'card-reader' }),
              },
              { guard: ({ event }) => !event.output.ok, target: 'cardProblem', actions: assign({ problem: 'defective' }) },
              {
                guard: ({ event }) => event.output.ok && !event.output.card.blocked && !event.output.blockedListed,
                target: 'checkingCard',
                actions: assign(({ event }) => (event.output.ok ? { card: event.output.card, today: event.output.today } : {})),
              },
              {
                target: 'cardProblem',
                actions: assign(({ event }) => ({
                  problem: 'blocked' as const,
                  ...(event.output.ok ? { card: event.output.card, today: event.output.today } : {}),
                })),
              },
            ],
            onError: { target: 'cardProblem', actions: assign({ problem: 'defective' }) },
          },
        },
        checkingCard: {
          always: [
            {
              // Expired: no journey, but the traveller may still see the balance (and is told).
              guard: ({ context }) => !!context.card && !!context.today && context.card.expiryDate < context.today,
              target: 'cardProblem',
              actions: assign({ problem: 'expired', menu: ({ context }) => expiredMenu(context.config) }),
            },
            {
              guard: ({ context }) => !context.card || menuFor(context.card, context.today ?? '', context.config).length === 0,
              target: 'cardProblem',
              actions: assign({ problem: 'not-allowed' }),
            },
            {
              target: 'menu',
              actions: assign({ menu: ({ context }) => (context.card ? menuFor(context.card, context.today ?? '', context.config) : []) }),
            },
          ],
        },
        cardProblem: {
          meta: { screen: 'card-problem' },
          entry: 'arm',
          on: {
            // An expired card may see its balance.
            CHOOSE: {
              guard: ({ context, event }) => context.problem === 'expired' && event.option === 'balance' && context.menu.includes('balance'),
              target: 'balance',
            },
            // Another card, or the same one again (a read can fail once).
            RETRY: { target: 'presentCard', actions: assign({ problem: undefined, card: undefined, menu: [] }) },
            FINISH: 'goodbye',
            CANCEL: 'goodbye',
            BACK: 'start',
          },
        },
        serviceUnavailable: {
          meta: { screen: 'service-unavailable' },
          entry: 'arm',
          on: {
            RETRY: { target: 'presentCard', actions: assign({ unavailable: undefined }) },
            FINISH: 'goodbye',
            CANCEL: 'goodbye',
            BACK: 'start',
          },
        },
        menu: {
          meta: { screen: 'menu' },
          entry: 'arm',
          on: {
            CHOOSE: [
              { guard: ({ context, event }) => event.option === 'topup' && context.menu.includes('topup'), target: 'topUp' },
              { guard: ({ context, event }) => event.option === 'balance' && context.menu.includes('balance'), target: 'balance' },
              {
                guard: ({ context, event }) => event.option === 'collect-orders' && context.menu.includes('collect-orders'),
                target: 'collectOrders',
              },
              {
                guard: ({ context, event }) => event.option === 'station-passage' && context.menu.includes('station-passage'),
                target: 'stationPassage',
              },
            ],
            CANCEL: 'goodbye',
            FINISH: 'goodbye',
          },
        },
        balance: {
          meta: { screen: 'balance' },
          entry: 'arm',
          on: {
            BACK: [{ guard: ({ context }) => context.problem === 'expired', target: 'cardProblem' }, { target: 'menu' }],
            FINISH: 'goodbye',
            CANCEL: 'goodbye',
          },
        },
        topUp: journeyState('topUp'),
        collectOrders: journeyState('collectOrders'),
        stationPassage: journeyState('stationPassage'),
        goodbye: {
          meta: { screen: 'goodbye' },
          entry: 'disarm',
          after: { goodbye: 'start' },
          on: { START: 'start' },
        },
      },
    },
    idle: {
      // Transitions sit on the child states, not the region: a re-entering transition on the
      // region itself would take the parallel root as its domain and restart the journey too.
      initial: 'disarmed',
      states: {
        disarmed: {
          on: { 'IDLE.ARM': 'counting' },
        },
        counting: {
          after: { inactivity: 'warning' },
          on: {
            'IDLE.ACTIVITY': { target: 'counting', reenter: true },
            'IDLE.ARM': { target: 'counting', reenter: true },
            'IDLE.DISARM': 'disarmed',
          },
        },
        warning: {
          after: { inactivityWarning: { target: 'disarmed', actions: raise({ type: 'IDLE.TIMEOUT' }) } },
          on: {
            'IDLE.ACTIVITY': 'counting',
            'IDLE.ARM': 'counting',
            'IDLE.DISARM': 'disarmed',
          },
        },
      },
    },
  },
});

export type KioskMachine = typeof kioskMachine;
