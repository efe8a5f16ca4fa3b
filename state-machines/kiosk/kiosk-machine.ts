/**
 * The kiosk session: one traveller's visit, from the start screen to "take your card".
 *
 * Two parallel regions:
 * - `journey`: start (language) -> present card -> reading -> card checks -> menu -> a journey.
 *   Each journey (top-up, collect orders, station passage) is a child machine invoked from its
 *   own state here, built by one factory (`journeyState`, kiosk-journeys.ts): the user events the
 *   child takes now are forwarded to it, and its output decides where the session goes next. To
 *   add one: an actor in `setup` (kiosk-setup.ts), an entry in `JOURNEYS` (its id listed in
 *   ../screen.ts JOURNEY_IDS), `journeyState('<id>')` in the journey region, and a CHOOSE branch
 *   in `menu`.
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
import { assign, raise, sendTo } from 'xstate';
import { DEFAULT_LOCALE } from '../../contract/bridge.js';
import { FULL_SERVICE } from '../../contract/health.js';
import { expiredMenu, menuFor, notOfferedFor } from '../../domain/card-kinds.js';
import { journeyState } from './kiosk-journeys.js';
import { kioskSetup } from './kiosk-setup.js';
import type { KioskContext, KioskMachineEvent } from './kiosk-events.js';

/** Issue 13: the technician's events, forwarded to the maintenance journey when it takes them now. */
const MAINTENANCE_FORWARDED = ['PIN', 'RUN', 'LOCK', 'CANCEL', 'ACTIVITY'] as const;
function maintenanceTakes(context: KioskContext, event: KioskMachineEvent): boolean {
  try {
    return context.maintenanceNow?.can(event) ?? false;
  } catch {
    return false;
  }
}

// The session lives in four modules: its events and context (kiosk-events.ts), its `setup`
// (kiosk-setup.ts), the journey factory (kiosk-journeys.ts), and the config here.
export { type KioskContext, type KioskUserEvent, sendUserEvent, USER_EVENT_TYPES } from './kiosk-events.js';

export const kioskMachine = kioskSetup.createMachine({
  id: 'kiosk',
  type: 'parallel',
  context: ({ input }) => ({
    config: input,
    locale: DEFAULT_LOCALE,
    largeText: false,
    menu: [],
    notOffered: [],
    health: FULL_SERVICE,
    needFreshCard: false,
  }),
  states: {
    journey: {
      initial: 'start',
      // Every user event is taken here, by the journey region (the idle region hears only the
      // internal IDLE.* events), so the session's `can(event)` says whether a traveller's event
      // does anything now.
      on: {
        'IDLE.TIMEOUT': '.start',
        // Issue 13: what the kiosk may offer now. Taken everywhere, acted on where no traveller is
        // served yet (start, present card: see their `always`) and by the next card check; a
        // traveller in a journey finishes it (money may be in flight).
        HEALTH: { actions: assign({ health: ({ event }) => event.availability }) },
        SET_LOCALE: { actions: [assign({ locale: ({ event }) => event.locale }), 'activity'] },
        TOGGLE_LARGE_TEXT: { actions: [assign({ largeText: ({ context }) => !context.largeText }), 'activity'] },
        // A touch anywhere, and "more time" on the warning: only the inactivity count hears them.
        ACTIVITY: { actions: 'activity' },
        MORE_TIME: { actions: 'activity' },
        // "No, I have finished" on the inactivity warning: the visit ends as the timeout would end
        // it, but with the goodbye ("take your card"). The warning only shows where the traveller is
        // expected to act (never while money is in flight), so this is safe wherever it is taken.
        END_VISIT: { guard: 'warningShows', target: '.goodbye' },
      },
      states: {
        start: {
          meta: { screen: 'start' },
          entry: ['resetSession', 'disarm'],
          always: { guard: 'outOfService', target: 'outOfService' },
          // A card held on the start screen starts the visit at once (issue 14). Only a card held
          // anew counts: the last traveller's card, still lying on the reader, starts nothing.
          invoke: {
            src: 'waitForCard',
            input: () => ({ fresh: true }),
            // Issue 13: with maintenance on, the card is first asked what it is (a technician card
            // opens maintenance; only here and on the out-of-service screen).
            onDone: [{ guard: 'maintenanceOn', target: 'identifyingCard' }, { target: 'readingCard' }],
            onError: { target: 'serviceUnavailable', actions: assign({ unavailable: 'card-reader' }) },
          },
          on: { START: 'presentCard' },
        },
        outOfService: {
          // Issue 13: no traveller's card is taken; the screen says the machine is out of order and
          // where to go instead (in the traveller's language: SET_LOCALE is taken on the region).
          // Back to the start screen by itself when the health model says the kiosk is whole again.
          // A technician's card is still heard (to bring the kiosk back): with maintenance on, a
          // card held anew is identified, and anything but a technician card comes back here.
          meta: { screen: 'out-of-service' },
          entry: ['resetSession', 'disarm'],
          always: { guard: 'inService', target: 'start' },
          initial: 'choosing',
          states: {
            choosing: { always: [{ guard: 'maintenanceOn', target: 'listening' }, { target: 'closed' }] },
            listening: {
              invoke: {
                src: 'waitForCard',
                input: () => ({ fresh: true }),
                onDone: '#kiosk.journey.identifyingCard',
                // No reader: nothing to listen to; the health model brings the kiosk back.
                onError: 'closed',
              },
            },
            closed: {},
          },
        },
        identifyingCard: {
          // Issue 13: one block read says whether this is a technician card (technician-card.ts).
          meta: { screen: 'reading-card' },
          tags: ['busy'],
          entry: 'disarm',
          invoke: {
            src: 'identifyCard',
            onDone: [
              {
                guard: ({ event }) => event.output.format === 'technician',
                target: 'maintenance',
                actions: assign({
                  technicianCard: ({ event }) => (event.output.format === 'technician' ? { uid: event.output.uid, credential: event.output.credential } : undefined),
                }),
              },
              { guard: 'outOfService', target: 'outOfService' },
              { target: 'readingCard' },
            ],
            onError: [{ guard: 'outOfService', target: 'outOfService' }, { target: 'readingCard' }],
          },
        },
        maintenance: {
          // Issue 13: the technician's journey (state-machines/maintenance/). Its own idle lock
          // replaces the traveller's inactivity count; it always ends locked, and then back to the
          // start screen (which goes on to out of service if the technician left it so).
          entry: 'disarm',
          exit: assign({ maintenanceNow: undefined, technicianCard: undefined }),
          invoke: {
            id: 'maintenance',
            src: 'maintenance',
            input: ({ context }) => ({
              credential: context.technicianCard?.credential ?? '',
              uid: context.technicianCard?.uid ?? '',
              timing: context.config.maintenance ?? { idleLockMs: 60_000, refusedMs: 5_000 },
            }),
            onSnapshot: { actions: assign({ maintenanceNow: ({ event }) => event.snapshot as unknown as KioskContext['maintenanceNow'] }) },
            // No onError: the maintenance machine turns every actor failure into `locked` itself; a
            // child that still broke is a bug, and the runtime restarts the session (at start).
            onDone: 'start',
          },
          on: Object.fromEntries(
            MAINTENANCE_FORWARDED.map((type) => [
              type,
              {
                guard: ({ context, event }: { context: KioskContext; event: KioskMachineEvent }) => maintenanceTakes(context, event),
                actions: sendTo('maintenance', ({ event }: { event: KioskMachineEvent }) => event as never),
              },
            ]),
          ),
        },
        presentCard: {
          meta: { screen: 'present-card' },
          entry: 'arm',
          always: { guard: 'outOfService', target: 'outOfService' },
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
                actions: assign(({ event }) => (event.output.ok ? { card: event.output.card, today: event.output.today, moneyUnavailable: event.output.moneyUnavailable } : {})),
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
              guard: ({ context }) => !context.card || menuFor(context.card, context.today ?? '', context.config, context.health).length === 0,
              target: 'cardProblem',
              actions: assign({ problem: 'not-allowed' }),
            },
            {
              target: 'menu',
              // Issue 13: what the health model lets the kiosk offer; issue 12 window 6: no top-up while
              // the journal cannot be written (the view lists it as not offered, with why).
              actions: assign({
                menu: ({ context }) => (context.card ? menuFor(context.card, context.today ?? '', context.config, context.health) : []).filter((o) => !(o === 'topup' && context.moneyUnavailable)),
                notOffered: ({ context }) => (context.card ? notOfferedFor(context.card, context.today ?? '', context.config, context.health) : []),
              }),
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
