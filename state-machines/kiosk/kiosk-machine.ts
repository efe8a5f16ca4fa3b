/**
 * The kiosk session: one traveller's visit, from the start screen to "take your card".
 *
 * Two parallel regions:
 * - `journey`: start (language) -> present card -> reading -> card checks -> menu -> a journey.
 *   Each journey (top-up now; collect orders and balance in later issues) is a child machine
 *   invoked from its own state here, with user events forwarded to it and its output deciding
 *   where the session goes next. To add one: add an actor in `setup`, a state invoking it like
 *   `topUp` (its id listed in ../screen.ts JOURNEY_IDS), and a CHOOSE branch in `menu`.
 * - `idle`: the inactivity timer. Screens where a traveller is expected to act arm it; screens
 *   where money is in flight or the kiosk is working disarm it (raise IDLE.ARM / IDLE.DISARM; a
 *   child journey's screens count through its `protected` tag). Armed and untouched for
 *   `inactivityMs` -> warning ("do you need more time?"); still untouched for
 *   `inactivityWarningMs` -> IDLE.TIMEOUT, and the journey returns to the start screen (Dutch
 *   again). Any user event re-arms.
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
  type CollectOrdersOutput,
} from '../collect-orders/collect-orders-machine.js';
import { expiredMenu, menuFor } from '../../domain/card-kinds.js';
import { DEFAULT_EXCLUSIVE_PRODUCT_GROUPS } from '../../domain/order-rules.js';
import type { JourneyId } from '../screen.js';
import { notProvidedIn } from '../shared/card-write.js';
import {
  STATION_PASSAGE_USER_EVENTS,
  stationPassageMachine,
  type StationPassageMachineOutput,
} from '../station-passage/station-passage-machine.js';
import { TOP_UP_USER_EVENTS, topUpMachine, type ScreenMeta, type TopUpOutput } from '../top-up/top-up-machine.js';
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
export type KioskInternalEvent = { type: 'IDLE.ARM' } | { type: 'IDLE.DISARM' } | { type: 'IDLE.TIMEOUT' };

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
}

const notProvided = notProvidedIn('kiosk');

/** User events each journey child handles; the session forwards them while it runs. */
export const JOURNEY_USER_EVENTS: Record<JourneyId, readonly KioskUserEvent['type'][]> = {
  topUp: TOP_UP_USER_EVENTS,
  collectOrders: COLLECT_ORDERS_USER_EVENTS,
  stationPassage: STATION_PASSAGE_USER_EVENTS,
};

const forwardTo = (id: JourneyId) =>
  Object.fromEntries(JOURNEY_USER_EVENTS[id].map((type) => [type, { actions: sendTo(id, ({ event }: { event: KioskMachineEvent }) => event) }]));

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

export const kioskMachine = setup({
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
}).createMachine({
  id: 'kiosk',
  type: 'parallel',
  context: ({ input }) => ({ config: input, locale: DEFAULT_LOCALE, largeText: false, menu: [], needFreshCard: false }),
  states: {
    journey: {
      initial: 'start',
      // Presentation events live on the region, not the root: in a parallel machine a root
      // transition is only taken when no region takes the event, and the idle region takes them all.
      on: {
        'IDLE.TIMEOUT': '.start',
        SET_LOCALE: { actions: assign({ locale: ({ event }) => event.locale }) },
        TOGGLE_LARGE_TEXT: { actions: assign({ largeText: ({ context }) => !context.largeText }) },
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
        topUp: {
          entry: 'arm',
          invoke: {
            id: 'topUp',
            src: 'topUp',
            input: ({ context }) => {
              const card = context.card!;
              return {
                card: { uid: card.uid, cardNumber: card.cardNumber, kind: card.kind, balanceCents: card.balanceCents },
                amountsCents: context.config.topUp.amountsCents,
                maxBalanceCents: context.config.topUp.maxBalanceCents,
                creditWaitMs: context.config.timing.creditWaitMs,
                doneMs: context.config.timing.doneMs,
              };
            },
            // Each screen change of the journey re-arms the timer, or disarms it where money is in flight.
            onSnapshot: { actions: raise(({ event }) => childArmEvent(event.snapshot)) },
            onDone: [
              {
                guard: ({ event }) => (event.output as TopUpOutput).outcome === 'back',
                target: 'menu',
              },
              {
                target: 'goodbye',
                actions: assign({
                  card: ({ context, event }) => {
                    const out = event.output as TopUpOutput;
                    return context.card && out.balanceCents !== undefined
                      ? { ...context.card, balanceCents: out.balanceCents }
                      : context.card;
                  },
                }),
              },
            ],
            // A journey that breaks must not strand the traveller: say goodbye, and tell the
            // runtime, which settles from the journal whatever the journey left open.
            onError: { target: 'goodbye', actions: emit({ type: 'journey-failed', journey: 'topUp' }) },
          },
          on: forwardTo('topUp'),
        },
        collectOrders: {
          entry: 'arm',
          invoke: {
            id: 'collectOrders',
            src: 'collectOrders',
            input: ({ context }) => {
              const card = context.card!;
              return {
                card: {
                  uid: card.uid,
                  cardNumber: card.cardNumber,
                  kind: card.kind,
                  balanceCents: card.balanceCents,
                  expiryDate: card.expiryDate,
                  products: card.products,
                  topUps: card.topUps,
                },
                today: context.today ?? '',
                maxBalanceCents: context.config.topUp.maxBalanceCents,
                exclusiveProductGroups: context.config.orders?.exclusiveProductGroups ?? DEFAULT_EXCLUSIVE_PRODUCT_GROUPS.map((g) => [...g]),
              };
            },
            onSnapshot: { actions: raise(({ event }) => childArmEvent(event.snapshot)) },
            onDone: [
              {
                guard: ({ event }) => (event.output as CollectOrdersOutput).outcome === 'back',
                target: 'menu',
                actions: assign(({ context, event }) => {
                  const card = withLoad(context.card, (event.output as CollectOrdersOutput).card);
                  return { card, menu: card ? menuFor(card, context.today ?? '', context.config) : [] };
                }),
              },
              {
                target: 'goodbye',
                actions: assign({ card: ({ context, event }) => withLoad(context.card, (event.output as CollectOrdersOutput).card) }),
              },
            ],
            onError: { target: 'goodbye', actions: emit({ type: 'journey-failed', journey: 'collectOrders' }) },
          },
          on: forwardTo('collectOrders'),
        },
        stationPassage: {
          entry: 'arm',
          invoke: {
            id: 'stationPassage',
            src: 'stationPassage',
            input: ({ context }) => {
              const card = context.card!;
              const sp = context.config.stationPassage;
              return {
                card: { uid: card.uid, cardNumber: card.cardNumber },
                stationCode: sp?.stationCode ?? '',
                minutes: sp?.minutes ?? 0,
                today: context.today ?? '',
              };
            },
            onSnapshot: { actions: raise(({ event }) => childArmEvent(event.snapshot)) },
            onDone: [
              {
                guard: ({ event }) => (event.output as StationPassageMachineOutput).outcome === 'back',
                target: 'menu',
                actions: assign(({ context, event }) => {
                  const card = withLoad(context.card, (event.output as StationPassageMachineOutput).card);
                  return { card, menu: card ? menuFor(card, context.today ?? '', context.config) : [] };
                }),
              },
              {
                target: 'goodbye',
                actions: assign({ card: ({ context, event }) => withLoad(context.card, (event.output as StationPassageMachineOutput).card) }),
              },
            ],
            onError: { target: 'goodbye', actions: emit({ type: 'journey-failed', journey: 'stationPassage' }) },
          },
          on: forwardTo('stationPassage'),
        },
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
            ...Object.fromEntries(USER_EVENT_TYPES.map((t) => [t, { target: 'counting', reenter: true }])),
            'IDLE.ARM': { target: 'counting', reenter: true },
            'IDLE.DISARM': 'disarmed',
          },
        },
        warning: {
          after: { inactivityWarning: { target: 'disarmed', actions: raise({ type: 'IDLE.TIMEOUT' }) } },
          on: {
            ...Object.fromEntries(USER_EVENT_TYPES.map((t) => [t, { target: 'counting' }])),
            'IDLE.ARM': 'counting',
            'IDLE.DISARM': 'disarmed',
          },
        },
      },
    },
  },
});

export type KioskMachine = typeof kioskMachine;
